import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import type { Config } from "../config/schema.js";
import type { Ledger } from "../audit/types.js";
import { UserError, GateFailure } from "../core/errors.js";
import { repoRoot } from "../git/exec.js";
import { defaultActor } from "../audit/ledger.js";
import {
  approvalMessage,
  checkClassification,
  checkEnvironment,
  checkRunId,
  eventMessage,
  newRunId,
  parseDuration,
  planDigest,
  requestMessage,
  type Plan,
} from "./plan.js";
import { signApproval, verifyApproval, type Signature, type VerifyContext } from "../core/signing.js";
import {
  claim,
  environmentRule,
  evaluate,
  execute,
  readRun,
  requiredApprovalsFor,
  verifiedRequesters,
  type Evaluation,
  type Outcome,
  type RunState,
} from "./runs.js";
import { namedFiles, prepareWorkspace } from "./workspace.js";

export { planDigest, approvalMessage, requestMessage, eventMessage, parseDuration, type Plan } from "./plan.js";
export {
  readRun,
  listRuns,
  evaluate,
  verifiedRun,
  requiredApprovalsFor,
  type RunState,
  type Evaluation,
  type VerifiedRun,
} from "./runs.js";

/** Longest approval validity unless `approvals.maxTtl` says otherwise. */
export const DEFAULT_MAX_TTL = "30d";

export interface RunRequest {
  command: string[];
  classification: string;
  environment?: string;
  runId?: string;
  cwd?: string;
  /** names of environment variables passed to the command (their values are part of the digest) */
  envVars?: string[];
  description?: string;
  /** a library operation (no command line to inspect for files) */
  library?: boolean;
}

function head(cwd: string): string | null {
  if (!repoRoot(cwd)) return null;
  try {
    return execFileSync("git", ["rev-parse", "HEAD"], {
      cwd,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return null; // repository without commits
  }
}

import { verifyContext } from "../evidence/approvers.js";
export { verifyContext };

/** Build the plan for a request (validating every input first; nothing runs). */
export function buildPlan(req: RunRequest): Plan {
  if (req.command.length === 0 || !req.command[0])
    throw new UserError(
      "missing command: give it after --, e.g. gitops-health run --classification personal -- ./report.sh",
    );
  const classification = checkClassification(req.classification);
  const environment = checkEnvironment(req.environment ?? "local");
  const runId = req.runId === undefined ? newRunId() : checkRunId(req.runId);
  const cwd = resolve(req.cwd ?? process.cwd());
  const env: Record<string, string> = {};
  for (const name of req.envVars ?? []) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new UserError(`invalid environment variable name "${name}"`);
    // eslint-disable-next-line no-restricted-properties -- variables the request names (--env) are copied into the plan, which is signed
    if (process.env[name] !== undefined) env[name] = process.env[name]!;
  }
  const root = repoRoot(cwd);
  const h = head(cwd);
  const command = req.command[0];
  const args = req.command.slice(1);
  const files = req.library ? {} : namedFiles(command, args, cwd, root, h);
  return {
    runId,
    command,
    args,
    cwd,
    env,
    classification,
    environment,
    head: h,
    ...(Object.keys(files).length ? { files } : {}),
    requester: defaultActor(),
    ...(req.description ? { description: req.description } : {}),
  };
}

/** A UserError unless a key is given when the plan needs approvals: the requester is who the key proves. */
export function requireKey(plan: Plan, config: Config, keyFile: string | undefined): void {
  const n = requiredApprovalsFor(plan, config);
  if (n > 0 && !keyFile && environmentRule(config, plan.environment).allowed)
    throw new UserError(
      `a ${plan.classification} run in ${plan.environment} needs ${n} approval(s), so the requester must sign it: give --key <file> (an SSH key in the allowed-signers file or a signed-note key in approvers[])`,
    );
}

/**
 * Dry run: record the plan and report what is missing. Never executes. With `keyFile` the requester
 * signs the plan (run ID and digest) and `plan.requester` becomes the identity the key proves; a plan
 * with this digest already signed by a trusted key is not signed again (so whoever executes it later
 * does not become a requester).
 */
export async function recordPlan(
  ledger: Ledger,
  plan: Plan,
  config: Config,
  ctx: VerifyContext,
  keyFile?: string | PlanSigner,
  o: { submittedBy?: string } = {},
): Promise<Evaluation> {
  const digest = planDigest(plan);
  const existing = await readRun(ledger, plan.runId);
  if (existing.events.length) return evaluate(ledger, plan, config, ctx); // reports alreadyExecuted
  const requesters = verifiedRequesters(existing, digest, ctx);
  // Signed again when no trusted key signed this digest yet, or when another plan was recorded since:
  // re-recording an earlier plan makes it the run's current plan again.
  if (keyFile && (requesters.identities.size === 0 || existing.plan?.digest !== digest)) {
    const message = requestMessage(plan.runId, digest);
    const sig = typeof keyFile === "string" ? signApproval(message, keyFile, ctx) : keyFile(message);
    plan.requester = sig.approver;
    await ledger.append({
      type: "run.plan",
      subject: plan.runId,
      actor: sig.approver,
      payload: { ...plan, digest, requesterSig: sig, ...submitted(o) },
    });
  } else if (requesters.identities.size > 0) {
    plan.requester = [...requesters.identities][0]!;
  } else if (!existing.plans.some((p) => p.digest === digest)) {
    await ledger.append({ type: "run.plan", subject: plan.runId, payload: { ...plan, digest, ...submitted(o) } });
  }
  return evaluate(ledger, plan, config, ctx);
}

/** Signs the requester's message (run ID and plan digest) for recordPlan, e.g. with a signature made elsewhere. */
export type PlanSigner = (message: string) => Signature;

const submitted = (o: { submittedBy?: string }) => (o.submittedBy ? { submittedBy: o.submittedBy } : {});

/**
 * Record a plan built and signed elsewhere (the HTTP service's POST /v1/runs): with `sig`, it must
 * verify over the plan's request message against the trusted keys, and the requester recorded is
 * the identity the key proves (never the `approver` field sent); ApprovalRefused (bad-signature)
 * otherwise, and nothing is written. Without it the plan is recorded unsigned, as `run` without --key.
 */
export async function recordSignedPlan(
  ledger: Ledger,
  plan: Plan,
  sig: Signature | undefined,
  config: Config,
  ctx: VerifyContext,
  o: { submittedBy?: string } = {},
): Promise<Evaluation> {
  checkRunId(plan.runId);
  if (!sig) return recordPlan(ledger, plan, config, ctx, undefined, o);
  const v = verifyApproval(requestMessage(plan.runId, planDigest(plan)), sig, ctx);
  if (!v.ok)
    throw new ApprovalRefused({ code: "bad-signature", reason: `the plan's signature does not verify: ${v.reason}` });
  const verified: Signature = {
    ...sig,
    approver: v.approver,
    ...(sig.method === "ssh" ? { keyId: v.approver } : {}),
    fingerprint: v.fingerprint,
  };
  return recordPlan(ledger, plan, config, ctx, () => verified, o);
}

/** What a plan still lacks before it may execute, one phrase each (what `run` prints as "missing"). */
export function planMissing(plan: Plan, evaluation: Evaluation): string[] {
  return [
    ...(evaluation.environmentAllowed
      ? []
      : [`environment ${plan.environment} is not allowed by the environment policy`]),
    ...(evaluation.requiredApprovals > 0 && !evaluation.requester
      ? ["a plan signed by the requester's key (run it with --key)"]
      : []),
    ...(evaluation.validApprovers.length < evaluation.requiredApprovals
      ? [
          `${evaluation.requiredApprovals - evaluation.validApprovers.length} more approval(s) (need ${evaluation.requiredApprovals} distinct approvers other than ${plan.requester})`,
        ]
      : []),
    ...evaluation.missingChecks.map(
      (c) => `check "${c}" has not passed for HEAD ${plan.head?.slice(0, 12) ?? "(no repository)"}`,
    ),
    ...(evaluation.alreadyExecuted ? ["this run ID has already executed"] : []),
  ];
}

/** A signed approval as the ledger records it (payload of a run.approval entry). */
export interface SignedApproval extends Signature {
  digest: string;
  expiresAt: string;
  signedAt: string;
}

/** Why an approval cannot be recorded; each maps to one CLI exit code and one HTTP status. */
export type ApprovalRefusal =
  | { code: "no-run"; reason: string }
  | { code: "executed"; reason: string }
  | { code: "no-requester"; reason: string }
  | { code: "stale"; reason: string }
  | { code: "expiry"; reason: string }
  | { code: "bad-signature"; reason: string }
  | { code: "own-run"; reason: string };

export class ApprovalRefused extends Error {
  constructor(readonly refusal: ApprovalRefusal) {
    super(refusal.reason);
    this.name = "ApprovalRefused";
  }
}

/** Allowed clock difference between a remote signer and the recorder when checking an approval's expiry against the maximum TTL. */
const CLOCK_SKEW_MS = 5 * 60_000;

/** The plan an approval of `runId` is for: the latest plan a trusted requester key signed (and whose digest matches what it shows), never a hand-appended one. */
async function approvablePlan(
  ledger: Ledger,
  runId: string,
  ctx: VerifyContext,
): Promise<{ plan: RunState["plans"][number]; requesters: ReturnType<typeof verifiedRequesters> }> {
  const state = await readRun(ledger, runId);
  if (!state.plan)
    throw new ApprovalRefused({
      code: "no-run",
      reason: `no plan recorded for run ${runId} (run it without --approve first)`,
    });
  if (state.events.length) throw new ApprovalRefused({ code: "executed", reason: `run ${runId} has already executed` });
  let unverifiable = false;
  for (const p of [...state.plans].reverse()) {
    const r = verifiedRequesters({ ...state, plans: [p] }, p.digest, ctx);
    unverifiable ||= r.unverifiable;
    if (r.identities.size) return { plan: p, requesters: verifiedRequesters(state, p.digest, ctx) };
  }
  throw new ApprovalRefused({
    code: "no-requester",
    reason: unverifiable
      ? `cannot verify the requester's signature on run ${runId} without allowed signers (allowedSignersFile in .gitops-health.yml, or --allowed-signers)`
      : `run ${runId} has no plan signed by a trusted requester key (the requester records it with run --key); nothing to approve`,
  });
}

const shownPlan = (plan: RunState["plans"][number], requesters: ReturnType<typeof verifiedRequesters>): Plan => {
  const { seq: _seq, requesterSig: _sig, digest: _digest, ...shown } = plan;
  return { ...shown, requester: [...requesters.identities].join(", ") };
};

/** When an approval signed `now` for `ttl` expires; refuses a TTL of zero or over `maxTtl`. */
export function approvalExpiry(ttl: string, maxTtl = DEFAULT_MAX_TTL, now = new Date()): string {
  const ttlMs = parseDuration(ttl);
  if (ttlMs <= 0) throw new UserError(`--ttl must be longer than 0 (got "${ttl}")`);
  if (ttlMs > parseDuration(maxTtl))
    throw new UserError(`--ttl ${ttl} is longer than the maximum ${maxTtl} (approvals.maxTtl)`);
  return new Date(now.getTime() + ttlMs).toISOString();
}

/** Sign the approvable plan of a run without recording anything (`approve --print-only`): the approver's identity comes from the key. */
export async function signRunApproval(
  ledger: Ledger,
  runId: string,
  keyFile: string,
  ttl: string,
  ctx: VerifyContext,
  now = new Date(),
  maxTtl = DEFAULT_MAX_TTL,
): Promise<{ runId: string; approval: SignedApproval; plan: Plan }> {
  checkRunId(runId);
  const expiresAt = approvalExpiry(ttl, maxTtl, now);
  const { plan, requesters } = await refusalsAsErrors(() => approvablePlan(ledger, runId, ctx));
  const sig = signApproval(approvalMessage(runId, plan.digest, expiresAt), keyFile, ctx);
  if (requesters.identities.has(sig.approver) || (sig.fingerprint && requesters.fingerprints.has(sig.fingerprint)))
    throw new GateFailure(`${sig.approver} requested run ${runId} and cannot approve it`);
  return {
    runId,
    approval: { ...sig, digest: plan.digest, expiresAt, signedAt: now.toISOString() },
    plan: shownPlan(plan, requesters),
  };
}

/**
 * Verify a signed approval of run `runId` and record it: it must sign the run's approvable plan,
 * expire in the future and within `maxTtl`, verify against the trusted keys (the identity is the
 * one the key proves, never the `approver` field) and not come from the requester. Throws
 * ApprovalRefused otherwise; nothing is written then. `submittedBy` (e.g. the HTTP caller) is recorded
 * beside it as information, never as the approver.
 */
export async function recordApproval(
  ledger: Ledger,
  runId: string,
  approval: SignedApproval,
  ctx: VerifyContext,
  o: { now?: Date; maxTtl?: string; submittedBy?: string } = {},
): Promise<{ approver: string; expiresAt: string; digest: string; plan: Plan; seq: number }> {
  const now = o.now ?? new Date();
  const maxTtl = o.maxTtl ?? DEFAULT_MAX_TTL;
  checkRunId(runId);
  const { plan, requesters } = await approvablePlan(ledger, runId, ctx);
  if (approval.digest !== plan.digest)
    throw new ApprovalRefused({
      code: "stale",
      reason: `the approval signs plan ${String(approval.digest).slice(0, 16)}…, not the run's current plan ${plan.digest.slice(0, 16)}… (re-planned)`,
    });
  const expires = Date.parse(approval.expiresAt);
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(approval.expiresAt) || !(expires > now.getTime()))
    throw new ApprovalRefused({
      code: "expiry",
      reason: `the approval expired or has no valid expiry (${approval.expiresAt})`,
    });
  if (expires - now.getTime() > parseDuration(maxTtl) + CLOCK_SKEW_MS)
    throw new ApprovalRefused({
      code: "expiry",
      reason: `the approval is valid for longer than the maximum ${maxTtl} (approvals.maxTtl)`,
    });
  const sig: Signature = {
    method: approval.method,
    approver: approval.approver,
    signature: approval.signature,
    keyId: approval.keyId,
    ...(approval.fingerprint ? { fingerprint: approval.fingerprint } : {}),
  };
  const v = verifyApproval(approvalMessage(runId, plan.digest, approval.expiresAt), sig, ctx);
  if (!v.ok) throw new ApprovalRefused({ code: "bad-signature", reason: `the approval does not verify: ${v.reason}` });
  if (requesters.identities.has(v.approver) || requesters.fingerprints.has(v.fingerprint))
    throw new ApprovalRefused({
      code: "own-run",
      reason: `${v.approver} requested run ${runId} and cannot approve it`,
    });
  // What is recorded is what verified: the identity and fingerprint come from the key.
  const entry = await ledger.append({
    type: "run.approval",
    subject: runId,
    actor: v.approver,
    payload: {
      ...sig,
      approver: v.approver,
      ...(sig.method === "ssh" ? { keyId: v.approver } : {}),
      fingerprint: v.fingerprint,
      digest: plan.digest,
      expiresAt: approval.expiresAt,
      signedAt: now.toISOString(),
      ...(o.submittedBy ? { submittedBy: o.submittedBy } : {}),
    },
  });
  return {
    approver: v.approver,
    expiresAt: approval.expiresAt,
    digest: plan.digest,
    plan: shownPlan(plan, requesters),
    seq: entry.seq,
  };
}

/** ApprovalRefused as the CLI reports it: a failed gate (exit 1) for an executed run or the requester approving, else a usage error (exit 2). */
async function refusalsAsErrors<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    if (!(err instanceof ApprovalRefused)) throw err;
    throw err.refusal.code === "executed" || err.refusal.code === "own-run"
      ? new GateFailure(err.message)
      : new UserError(err.message);
  }
}

/** Sign the recorded plan of a run and record the approval; the approver's identity comes from the key. */
export async function approveRun(
  ledger: Ledger,
  runId: string,
  keyFile: string,
  ttl: string,
  ctx: VerifyContext,
  now = new Date(),
  maxTtl = DEFAULT_MAX_TTL,
): Promise<{ approver: string; expiresAt: string; digest: string; plan: Plan }> {
  const signed = await signRunApproval(ledger, runId, keyFile, ttl, ctx, now, maxTtl);
  const r = await refusalsAsErrors(() => recordApproval(ledger, runId, signed.approval, ctx, { now, maxTtl }));
  return { approver: r.approver, expiresAt: r.expiresAt, digest: r.digest, plan: r.plan };
}

/**
 * Execute an approved plan exactly once, recording STARTED and COMPLETED or FAILED. With `keyFile`
 * each event is signed by the executor's key (run events count in `runs list/show` only when signed
 * by a trusted key). A command runs in a throwaway worktree of the approved commit (see workspace.ts).
 */
export async function executeRun<T = Outcome>(
  ledger: Ledger,
  plan: Plan,
  config: Config,
  ctx: VerifyContext,
  operation?: () => Promise<T>,
  keyFile?: string,
): Promise<{ evaluation: Evaluation; outcome?: Outcome; result?: T }> {
  const evaluation = await evaluate(ledger, plan, config, ctx);
  if (!evaluation.ok) return { evaluation };
  const digest = evaluation.digest;
  const entry = (type: "run.started" | "run.completed" | "run.failed", payload: Record<string, unknown>) => {
    const body = { ...payload, digest };
    const sig: Signature | undefined = keyFile
      ? signApproval(eventMessage(type, plan.runId, digest, body), keyFile, ctx)
      : undefined;
    return {
      type,
      subject: plan.runId,
      ...(sig ? { actor: sig.approver } : {}),
      payload: sig ? { ...body, sig } : body,
    };
  };
  const record = async (type: "run.completed" | "run.failed", payload: Record<string, unknown>) =>
    void (await ledger.append(entry(type, payload)));
  // Signed before the claim, so a key that cannot sign (or is not trusted) does not use up the run ID.
  const started = entry("run.started", { approvers: evaluation.validApprovers, requester: evaluation.requester });
  const workspace = operation ? undefined : await prepareWorkspace(plan, repoRoot(plan.cwd));
  try {
    if (!(await claim(ledger, plan.runId, digest)))
      return { evaluation: { ...evaluation, alreadyExecuted: true, ok: false } };
    await ledger.append(started);
    let outcome: Outcome;
    let result: T | undefined;
    if (operation) {
      const t0 = Date.now();
      try {
        result = await operation();
        outcome = { exitCode: 0, durationMs: Date.now() - t0, outputSha256: "" };
      } catch (err) {
        outcome = { exitCode: 1, durationMs: Date.now() - t0, outputSha256: "" };
        await record("run.failed", { ...outcome, error: (err as Error).name });
        throw err;
      }
    } else {
      outcome = await execute(workspace!.plan);
    }
    await record(outcome.exitCode === 0 ? "run.completed" : "run.failed", { ...outcome });
    return { evaluation, outcome, result };
  } finally {
    await workspace?.dispose();
  }
}

export interface GuardOptions {
  classification: "personal" | "business" | "clinical";
  environment?: "local" | "staging" | "production";
  runId?: string;
  approve?: boolean;
  ledger: Ledger;
  config: Config;
  description: string;
  /** what the operation depends on (inputs, parameters); part of the plan digest */
  digestInput?: unknown;
  allowedSignersFile?: string;
  /** the requester's key (SSH private key or signed-note key); required when the plan needs approvals */
  key?: string;
}

/**
 * Wrap any operation with the same semantics as `gitops-health run`: a dry run unless
 * `approve`, approvals and checks enforced by classification, every step in the ledger.
 * Returns `{ executed: false, evaluation }` for a dry run or an unmet policy.
 */
export async function guard<T>(
  operation: () => Promise<T>,
  o: GuardOptions,
): Promise<{ executed: boolean; runId: string; evaluation: Evaluation; result?: T }> {
  const plan = buildPlan({
    command: ["(library operation)"],
    classification: o.classification,
    environment: o.environment,
    runId: o.runId,
    library: true,
    description: `${o.description}\n${JSON.stringify(o.digestInput ?? null)}`,
  });
  requireKey(plan, o.config, o.key);
  const ctx = verifyContext(o.config, plan.cwd, o.allowedSignersFile);
  const evaluation = await recordPlan(o.ledger, plan, o.config, ctx, o.key);
  if (!o.approve) return { executed: false, runId: plan.runId, evaluation };
  const r = await executeRun(o.ledger, plan, o.config, ctx, operation, o.key);
  return { executed: r.outcome !== undefined, runId: plan.runId, evaluation: r.evaluation, result: r.result };
}
