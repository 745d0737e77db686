/**
 * The one `llm.proxy` ledger entry of a proxied call: who, which route, classification, upstream
 * and model, token counts, latency, decision and counts of findings by class, with SHA-256 digests
 * of what was sent and what came back. Never prompt or completion text, headers or keys.
 */
import * as crypto from "node:crypto";
import type { Classification } from "../config/schema.js";
import type { LedgerEntryInput } from "../audit/types.js";
import { screenFindings } from "../audit/screen.js";

export const PROXY_ENTRY_TYPE = "llm.proxy";

export type Decision = "ok" | "refused" | "error" | "limited";

export interface ProxyCallRecord {
  caller: string;
  route: string;
  classification: Classification;
  mode: "live" | "sandbox";
  upstream?: string;
  /** requested (possibly an alias), sent upstream, and what the upstream said it ran */
  model: { requested?: string; resolved?: string; reported?: string };
  stream: boolean;
  decision: Decision;
  /** the rule that refused the call (secret, identifiers.ssn, clinical.upstream, ...) */
  rule?: string;
  status: number;
  latencyMs: number;
  usage?: { inputTokens?: number; outputTokens?: number; totalTokens?: number };
  prompt: {
    sha256: string;
    findings: Record<string, number>;
    masked: Record<string, number>;
    allowed: Record<string, number>;
    blocked: Record<string, number>;
  };
  completion?: { sha256: string; findings: Record<string, number>; late?: number };
  restored?: boolean;
  template?: { name: string; version: string };
  /** repository label the caller sent (x-gitops-health-repo), for the dashboard's per-repository views: a label, not an identity */
  repo?: string;
}

/** SHA-256 of the UTF-8 text, hex: the one-shot `crypto.hash` where Node has it (>= 20.12), no Hash object per call. */
export const sha256: (s: string) => string =
  typeof crypto.hash === "function"
    ? (s) => crypto.hash("sha256", s, "hex")
    : (s) => crypto.createHash("sha256").update(s, "utf8").digest("hex");

/**
 * Names chosen by operators or callers (upstream, model, template) as recorded: as given, or as a
 * SHA-256 digest when the ledger's PHI screen would read them as an identifier ("claude" is also a
 * first name), so that a call is never left unrecorded because of what its model is called.
 */
export const label = (v: string): string => (screenFindings(v).length ? `sha256:${sha256(v)}` : v);

/** A deep copy of plain data as JSON would give it back (undefined members left out), without the text in between. */
function plain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map((x) => (x === undefined ? null : plain(x)));
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = plain(x);
    return out;
  }
  return typeof v === "number" && !Number.isFinite(v) ? null : v;
}

export function proxyLedgerEntry(r: ProxyCallRecord): LedgerEntryInput {
  const { caller, route, ...rest } = r;
  const payload: Omit<ProxyCallRecord, "caller" | "route"> = {
    ...rest,
    ...(rest.upstream !== undefined ? { upstream: label(rest.upstream) } : {}),
    ...(rest.repo !== undefined ? { repo: label(rest.repo) } : {}),
    model: Object.fromEntries(Object.entries(rest.model).map(([k, v]) => [k, typeof v === "string" ? label(v) : v])),
    ...(rest.template ? { template: { name: label(rest.template.name), version: label(rest.template.version) } } : {}),
  };
  return {
    type: PROXY_ENTRY_TYPE,
    actor: caller,
    subject: route,
    payload: plain(payload) as Record<string, unknown>,
  };
}
