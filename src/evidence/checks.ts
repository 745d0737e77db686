/**
 * Signed check evidence. A `check` ledger entry says "check NAME passed (or failed) on commit C":
 * it counts toward required checks only when its payload carries a signature, over exactly that
 * statement, by a producer the verifier trusts (`evidence.allowedProducers` or the producers'
 * SSH allowed-signers file). Whoever can write the ledger can write an entry; only a producer's
 * key can make it count.
 */
import canonicalize from "canonicalize";
import { resolve } from "node:path";
import { z } from "zod";
import type { Ledger, LedgerEntry } from "../audit/types.js";
import type { Config } from "../config/schema.js";
import { UserError } from "../core/errors.js";
import { parseVerifierKey } from "../core/note-key.js";
import { repoRoot } from "../git/exec.js";
import { signWithKey, verifyWithKey, type KeySignature, type TrustList } from "../core/signing.js";

export const CHECK_NAME = /^[a-z][a-z0-9_-]{0,40}$/;
export const CHECK_STATEMENT_HEADER = "gitops-health check v1";
export const PRODUCER_KEY_ENV = "GITOPS_HEALTH_EVIDENCE_KEY";

export function checkName(name: string): string {
  if (!CHECK_NAME.test(name))
    throw new UserError(
      `invalid check name "${name}": lowercase letters, digits, '-' or '_', starting with a letter (at most 41)`,
    );
  return name;
}

const Sha = z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/);

/** What a producer signs. */
export const CheckResult = z
  .object({
    name: z.string().regex(CHECK_NAME),
    status: z.enum(["passed", "failed"]),
    /** null when the result was attested (compliance record-check), not run by `check run` */
    exitCode: z.number().int().nullable(),
    durationMs: z.number().int().min(0).nullable(),
    /** SHA-256 of the command's stdout and stderr as they arrived; the output itself is not kept */
    outputSha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .nullable(),
    /** the commit checked, resolved (never HEAD or a branch name) */
    commit: Sha,
    tree: z.enum(["clean", "dirty"]),
    ran: z.boolean(),
  })
  .strict();
export type CheckResult = z.infer<typeof CheckResult>;

const Signature = z
  .object({ method: z.enum(["ssh", "note"]), signature: z.string().min(1), keyId: z.string() })
  .strict();
const SignedCheck = CheckResult.extend({ signature: Signature });

/** The exact bytes a producer signs: a header line and the canonical JSON (RFC 8785) of the result. */
export function checkStatement(r: CheckResult): string {
  const bound: CheckResult = {
    name: r.name,
    status: r.status,
    exitCode: r.exitCode,
    durationMs: r.durationMs,
    outputSha256: r.outputSha256,
    commit: r.commit,
    tree: r.tree,
    ran: r.ran,
  };
  return `${CHECK_STATEMENT_HEADER}\n${canonicalize(bound)!}\n`;
}

export interface ProducerTrust extends TrustList {
  namespace: string;
}

/** Who may produce check evidence, from the config (paths relative to the repository root). */
export function producerTrust(config: Config, cwd: string): ProducerTrust {
  const root = repoRoot(cwd) ?? cwd;
  const notes = config.evidence.allowedProducers.map((vkey) => {
    let name: string;
    try {
      name = parseVerifierKey(vkey).name;
    } catch (err) {
      throw new UserError(`evidence.allowedProducers: ${(err as Error).message}`);
    }
    return { identity: name, vkey: vkey.trim() };
  });
  return {
    notes,
    allowedSignersFile: config.evidence.allowedSignersFile
      ? resolve(root, config.evidence.allowedSignersFile)
      : undefined,
    namespace: config.evidence.namespace,
  };
}

/** The producer's key file: `explicit` (the CLI passes --key, then GITOPS_HEALTH_EVIDENCE_KEY), then evidence.key; undefined when none is set. */
export function producerKeyFile(explicit: string | undefined, config: Config, cwd: string): string | undefined {
  const k = explicit ?? config.evidence.key;
  return k ? resolve(cwd, k) : undefined;
}

export function signCheck(
  result: CheckResult,
  keyFile: string,
  namespace: string,
): CheckResult & { signature: KeySignature } {
  const r = CheckResult.parse(result);
  return { ...r, signature: signWithKey(checkStatement(r), keyFile, namespace) };
}

export type CheckVerdict =
  | { name: string; trusted: true; status: "passed" | "failed"; producer: string; seq: number }
  | { name: string; trusted: false; reason: string; seq: number };

/** Does this ledger entry prove a check result for `commit`? */
export function verifyCheckEntry(e: LedgerEntry, commit: string, trust: ProducerTrust): CheckVerdict {
  const raw = (e.payload ?? {}) as { name?: unknown };
  const name = typeof raw.name === "string" ? raw.name : "?";
  const no = (reason: string): CheckVerdict => ({ name, trusted: false, reason, seq: e.seq });
  if (e.type !== "check") return no("not a check entry");
  if (typeof raw !== "object" || !("signature" in raw)) return no("unsigned");
  const p = SignedCheck.safeParse(raw);
  if (!p.success) return no("malformed signed check result");
  const r = p.data;
  if (e.subject !== commit || r.commit !== commit) return no(`signed for another commit (${r.commit.slice(0, 12)})`);
  if (r.tree !== "clean") return no("run on a working tree with uncommitted changes, so not a result for the commit");
  if (r.exitCode !== null && (r.exitCode === 0) !== (r.status === "passed"))
    return no("status contradicts the exit code");
  const v = verifyWithKey(checkStatement(r), r.signature, trust, trust.namespace);
  if (!v.ok) return no(v.reason);
  return { name, trusted: true, status: r.status, producer: v.identity, seq: e.seq };
}

export interface CheckEvidence {
  commit: string;
  /** latest trusted result per check: passed */
  passed: string[];
  /** latest trusted result per check: failed */
  failed: string[];
  /** who signed each trusted result that counts */
  producers: Record<string, string>;
  /** entries for checks without a trusted result, and why they do not count */
  untrusted: { name: string; reason: string }[];
}

/** Read every `check` entry for a commit; the latest trusted result of each check wins. */
export async function readCheckEvidence(ledger: Ledger, commit: string, trust: ProducerTrust): Promise<CheckEvidence> {
  const latest = new Map<string, { status: string; producer: string }>();
  const rejected = new Map<string, string>();
  for await (const e of ledger.query({ type: "check", subject: commit })) {
    const v = verifyCheckEntry(e, commit, trust);
    if (v.trusted) latest.set(v.name, { status: v.status, producer: v.producer });
    else rejected.set(v.name, v.reason);
  }
  const passed = [...latest].filter(([, x]) => x.status === "passed").map(([n]) => n);
  return {
    commit,
    passed,
    failed: [...latest].filter(([, x]) => x.status !== "passed").map(([n]) => n),
    producers: Object.fromEntries([...latest].map(([n, x]) => [n, x.producer])),
    untrusted: [...rejected].filter(([n]) => !passed.includes(n)).map(([name, reason]) => ({ name, reason })),
  };
}

/** The one-line explanation for a check entry that does not count. */
export function untrustedMessage(u: { name: string; reason: string }): string {
  return `check '${u.name}' recorded but not signed by a trusted producer (${u.reason})`;
}
