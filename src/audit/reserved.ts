/**
 * Entry types the domains write themselves. Generic `audit append` refuses them: a check result,
 * run event, approval or deployment record written by hand would be self-asserted evidence.
 * The library's AuditLedger still writes them for the producers (check run, run, approve...).
 */
export const RESERVED_TYPES = ["check", "compliance.check", "approval", "llm.call", "llm.proxy"] as const;
/** Every type under these prefixes is reserved too (run.plan, run.completed, deploy.started...). */
export const RESERVED_PREFIXES = [
  "check.",
  "compliance.",
  "run.",
  "approval.",
  "deploy.",
  "llm.",
  "evidence.",
  "incident.",
  "pipeline.",
  "ledger.",
  "review.",
] as const;

/** True when `type` (compared case-insensitively, surrounding space ignored) belongs to a domain. */
export function isReservedType(type: string): boolean {
  const t = type.trim().toLowerCase();
  return (RESERVED_TYPES as readonly string[]).includes(t) || RESERVED_PREFIXES.some((p) => t.startsWith(p));
}
