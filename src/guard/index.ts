import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import type { Config } from "../config/schema.js";
import type { Ledger } from "../audit/types.js";
import { UserError, GateFailure } from "../core/errors.js";
import { repoRoot } from "../git/exec.js";
import { defaultActor } from "../audit/ledger.js";
import { approvalMessage, checkClassification, checkEnvironment, checkRunId, newRunId, parseDuration, planDigest, type Plan } from "./plan.js";
import { signApproval, type VerifyContext } from "./signing.js";
import { claim, evaluate, execute, readRun, type Evaluation, type Outcome } from "./runs.js";

export { planDigest, approvalMessage, parseDuration, type Plan } from "./plan.js";
export { readRun, listRuns, evaluate, type RunState, type Evaluation } from "./runs.js";

export interface RunRequest {
  command: string[];
  classification: string;
  environment?: string;
  runId?: string;
  cwd?: string;
  /** names of environment variables passed to the command (their values are part of the digest) */
  envVars?: string[];
  description?: string;
}

function head(cwd: string): string | null {
  if (!repoRoot(cwd)) return null;
  try {
    return execFileSync("git", ["rev-parse", "HEAD"], { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return null; // repository without commits
  }
}

export function verifyContext(config: Config, cwd: string, allowedSigners?: string): VerifyContext {
  const file = allowedSigners ?? config.allowedSignersFile;
  return {
    allowedSignersFile: file ? resolve(repoRoot(cwd) ?? cwd, file) : undefined,
    noteApprovers: config.approvers.filter((a) => a.key && !a.key.startsWith("ssh-")).map((a) => ({ identity: a.email ?? a.name, vkey: a.key!.trim() })),
  };
}

/** Build the plan for a request (validating every input first; nothing runs). */
export function buildPlan(req: RunRequest): Plan {
  if (req.command.length === 0 || !req.command[0]) throw new UserError("missing command: give it after --, e.g. gitops-health run --classification personal -- ./report.sh");
  const classification = checkClassification(req.classification);
  const environment = checkEnvironment(req.environment ?? "local");
  const runId = req.runId === undefined ? newRunId() : checkRunId(req.runId);
  const cwd = resolve(req.cwd ?? process.cwd());
  const env: Record<string, string> = {};
  for (const name of req.envVars ?? []) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new UserError(`invalid environment variable name "${name}"`);
    if (process.env[name] !== undefined) env[name] = process.env[name]!;
  }
  return { runId, command: req.command[0], args: req.command.slice(1), cwd, env, classification, environment, head: head(cwd), requester: defaultActor(), ...(req.description ? { description: req.description } : {}) };
}

/** Dry run: record the plan and report what is missing. Never executes. */
export async function recordPlan(ledger: Ledger, plan: Plan, config: Config, ctx: VerifyContext): Promise<Evaluation> {
  const digest = planDigest(plan);
  const existing = await readRun(ledger, plan.runId);
  if (existing.started) return evaluate(ledger, plan, config, ctx); // reports alreadyExecuted
  if (!existing.plan || existing.plan.digest !== digest) await ledger.append({ type: "run.plan", subject: plan.runId, payload: { ...plan, digest } });
  return evaluate(ledger, plan, config, ctx);
}

/** Sign the recorded plan of a run; the approver's identity comes from the key. */
export async function approveRun(ledger: Ledger, runId: string, keyFile: string, ttl: string, ctx: VerifyContext, now = new Date()): Promise<{ approver: string; expiresAt: string; digest: string }> {
  checkRunId(runId);
  const ttlMs = parseDuration(ttl);
  const state = await readRun(ledger, runId);
  if (!state.plan) throw new UserError(`no plan recorded for run ${runId} (run it without --approve first)`);
  if (state.started) throw new GateFailure(`run ${runId} has already executed`);
  const expiresAt = new Date(now.getTime() + ttlMs).toISOString();
  const sig = signApproval(approvalMessage(runId, state.plan.digest, expiresAt), keyFile, ctx);
  if (sig.approver === state.plan.requester) throw new GateFailure(`${sig.approver} requested run ${runId} and cannot approve it`);
  await ledger.append({ type: "run.approval", subject: runId, actor: sig.approver, payload: { ...sig, digest: state.plan.digest, expiresAt, signedAt: now.toISOString() } });
  return { approver: sig.approver, expiresAt, digest: state.plan.digest };
}

/** Execute an approved plan exactly once, recording STARTED and COMPLETED or FAILED. */
export async function executeRun<T = Outcome>(ledger: Ledger, plan: Plan, config: Config, ctx: VerifyContext, operation?: () => Promise<T>): Promise<{ evaluation: Evaluation; outcome?: Outcome; result?: T }> {
  const evaluation = await evaluate(ledger, plan, config, ctx);
  if (!evaluation.ok) return { evaluation };
  if (!(await claim(ledger, plan.runId, evaluation.digest))) return { evaluation: { ...evaluation, alreadyExecuted: true, ok: false } };
  await ledger.append({ type: "run.started", subject: plan.runId, payload: { digest: evaluation.digest, approvers: evaluation.validApprovers } });
  let outcome: Outcome;
  let result: T | undefined;
  if (operation) {
    const t0 = Date.now();
    try {
      result = await operation();
      outcome = { exitCode: 0, durationMs: Date.now() - t0, outputSha256: "" };
    } catch (err) {
      outcome = { exitCode: 1, durationMs: Date.now() - t0, outputSha256: "" };
      await ledger.append({ type: "run.failed", subject: plan.runId, payload: { ...outcome, error: (err as Error).name } });
      throw err;
    }
  } else {
    outcome = await execute(plan);
  }
  await ledger.append({ type: outcome.exitCode === 0 ? "run.completed" : "run.failed", subject: plan.runId, payload: outcome });
  return { evaluation, outcome, result };
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
}

/**
 * Wrap any operation with the same semantics as `gitops-health run`: a dry run unless
 * `approve`, approvals and checks enforced by classification, every step in the ledger.
 * Returns `{ executed: false, evaluation }` for a dry run or an unmet policy.
 */
export async function guard<T>(operation: () => Promise<T>, o: GuardOptions): Promise<{ executed: boolean; runId: string; evaluation: Evaluation; result?: T }> {
  const plan = buildPlan({ command: ["(library operation)"], classification: o.classification, environment: o.environment, runId: o.runId, description: `${o.description}\n${JSON.stringify(o.digestInput ?? null)}` });
  const ctx = verifyContext(o.config, plan.cwd, o.allowedSignersFile);
  const evaluation = await recordPlan(o.ledger, plan, o.config, ctx);
  if (!o.approve) return { executed: false, runId: plan.runId, evaluation };
  const r = await executeRun(o.ledger, plan, o.config, ctx, operation);
  return { executed: r.outcome !== undefined, runId: plan.runId, evaluation: r.evaluation, result: r.result };
}
