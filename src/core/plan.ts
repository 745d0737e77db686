import canonicalize from "canonicalize";
import { randomBytes } from "node:crypto";
import { sha256Hex } from "./hash.js";
import { UserError } from "./errors.js";
import type { Classification } from "./vocabulary.js";

export const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$/;
export const ENVIRONMENTS = ["local", "staging", "production"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** Exactly what will run. The digest binds approvals to it: change anything and they no longer apply. */
export interface Plan {
  runId: string;
  command: string;
  args: string[];
  cwd: string;
  /** allowed environment variables passed to the command (name → value) */
  env: Record<string, string>;
  classification: Classification;
  environment: Environment;
  /** repository HEAD when planned (null outside a repository); tracked files run as committed here */
  head: string | null;
  /**
   * SHA-256 of each file named in the command or its arguments that HEAD does not cover (untracked,
   * ignored, or outside the repository), keyed by the argument as written. Editing one changes the digest.
   */
  files?: Record<string, string>;
  /** who asked: the identity the requester's key proves (unverified git user for an unsigned personal run) */
  requester: string;
  description?: string;
}

export function planDigest(p: Plan): string {
  const bound = {
    command: p.command,
    args: p.args,
    cwd: p.cwd,
    env: p.env,
    classification: p.classification,
    environment: p.environment,
    head: p.head,
    description: p.description ?? null,
    ...(p.files && Object.keys(p.files).length ? { files: p.files } : {}),
  };
  return sha256Hex(canonicalize(bound)!);
}

export function newRunId(now = new Date()): string {
  return `run-${now.toISOString().replace(/[-:]/g, "").slice(0, 15)}-${randomBytes(3).toString("hex")}`;
}

export function checkRunId(id: string): string {
  if (!RUN_ID.test(id))
    throw new UserError(
      `malformed run ID "${id}": 3-64 characters of letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
  return id;
}

export { parseClassification as checkClassification } from "./vocabulary.js";

export function checkEnvironment(e: string): Environment {
  if (!(ENVIRONMENTS as readonly string[]).includes(e))
    throw new UserError(`unknown environment "${e}" (valid: ${ENVIRONMENTS.join(", ")})`);
  return e as Environment;
}

/** The text an approver signs: run, digest and expiry, nothing else. */
export function approvalMessage(runId: string, digest: string, expiresAt: string): string {
  return `gitops-health approval v1\nrun: ${runId}\ndigest: ${digest}\nexpires: ${expiresAt}\n`;
}

/** The text a requester signs: the run and the digest of exactly what it asks to run. */
export function requestMessage(runId: string, digest: string): string {
  return `gitops-health run request v1\nrun: ${runId}\ndigest: ${digest}\n`;
}

/** The text the executor signs for run.started / run.completed / run.failed: type, run, digest and the payload. */
export function eventMessage(type: string, runId: string, digest: string, payload: unknown): string {
  return `gitops-health run event v1\ntype: ${type}\nrun: ${runId}\ndigest: ${digest}\npayload: ${canonicalize(payload ?? null)}\n`;
}

/** "30m", "24h", "7d", "90s" → milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+)\s*(s|m|h|d)$/.exec(text.trim());
  if (!m) throw new UserError(`invalid duration "${text}" (use e.g. 30m, 24h, 7d)`);
  return Number(m[1]) * { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[m[2] as "s"];
}
