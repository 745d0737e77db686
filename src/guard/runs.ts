import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import type { Ledger, LedgerEntry } from "../audit/types.js";
import type { Config } from "../config/schema.js";
import { loadBuiltinPack } from "../policy/packs.js";
import { producerTrust, readCheckEvidence, type ProducerTrust } from "../evidence/checks.js";
import { approvalMessage, planDigest, type Environment, type Plan } from "./plan.js";
import { verifyApproval, type Signature, type VerifyContext } from "./signing.js";

/** Everything the ledger knows about one run ID. Run state lives only in the ledger. */
export interface RunState {
  runId: string;
  plan?: Plan & { digest: string };
  approvals: (Signature & { digest: string; expiresAt: string; signedAt: string; seq: number })[];
  claims: { seq: number; nonce: string }[];
  started?: LedgerEntry;
  finished?: LedgerEntry;
  state: "unknown" | "planned" | "approved" | "running" | "completed" | "failed";
}

export async function readRun(ledger: Ledger, runId: string): Promise<RunState> {
  const s: RunState = { runId, approvals: [], claims: [], state: "unknown" };
  for await (const e of ledger.query({ subject: runId })) {
    const p = e.payload as Record<string, unknown>;
    if (e.type === "run.plan") s.plan = p as unknown as RunState["plan"];
    else if (e.type === "run.approval") s.approvals.push({ ...(p as unknown as RunState["approvals"][number]), seq: e.seq });
    else if (e.type === "run.claim") s.claims.push({ seq: e.seq, nonce: String(p.nonce) });
    else if (e.type === "run.started") s.started = e;
    else if (e.type === "run.completed" || e.type === "run.failed") s.finished = e;
  }
  s.state = s.finished ? (s.finished.type === "run.completed" ? "completed" : "failed") : s.started ? "running" : s.approvals.length ? "approved" : s.plan ? "planned" : "unknown";
  return s;
}

export async function listRuns(ledger: Ledger): Promise<RunState[]> {
  const ids: string[] = [];
  for await (const e of ledger.query({ type: "run.plan" })) if (e.subject && !ids.includes(e.subject)) ids.push(e.subject);
  return Promise.all(ids.map((id) => readRun(ledger, id)));
}

export interface EnvironmentRule {
  allowed: boolean;
  approvalRequired: boolean;
  minApprovals: number;
}

/** Environment policy from config; production is refused unless the config allows it. */
export function environmentRule(config: Config, env: Environment): EnvironmentRule {
  const c = config.environments[env];
  const def = env === "production" ? { allowed: false, approvalRequired: true } : { allowed: true, approvalRequired: false };
  return { allowed: c?.allowed ?? def.allowed, approvalRequired: c?.approvalRequired ?? def.approvalRequired, minApprovals: c?.minApprovals ?? 0 };
}

export interface Evaluation {
  digest: string;
  requiredApprovals: number;
  validApprovers: string[];
  rejected: { approver: string; reason: string }[];
  requiredChecks: string[];
  missingChecks: string[];
  environmentAllowed: boolean;
  alreadyExecuted: boolean;
  ok: boolean;
}

/** Does this plan, as it stands now, satisfy its pack, its environment and the recorded approvals and checks? */
export async function evaluate(ledger: Ledger, plan: Plan, config: Config, ctx: VerifyContext, now = new Date()): Promise<Evaluation> {
  const digest = planDigest(plan);
  const state = await readRun(ledger, plan.runId);
  const pack = loadBuiltinPack(plan.classification);
  const envRule = environmentRule(config, plan.environment);
  const requiredApprovals = Math.max(pack.approval.required, envRule.minApprovals, envRule.approvalRequired ? 1 : 0);
  const valid = new Set<string>();
  const rejected: Evaluation["rejected"] = [];
  for (const a of state.approvals) {
    if (a.digest !== digest) {
      rejected.push({ approver: a.approver, reason: "approved a different plan (command, environment or HEAD changed)" });
      continue;
    }
    if (Date.parse(a.expiresAt) <= now.getTime()) {
      rejected.push({ approver: a.approver, reason: `expired at ${a.expiresAt}` });
      continue;
    }
    const v = verifyApproval(approvalMessage(plan.runId, digest, a.expiresAt), a, ctx);
    if (!v.ok) {
      rejected.push({ approver: a.approver, reason: v.reason });
      continue;
    }
    if (v.approver === plan.requester) {
      rejected.push({ approver: v.approver, reason: "the requester cannot approve their own run" });
      continue;
    }
    valid.add(v.approver); // the same approver twice counts once
  }
  const requiredChecks = config.policy.requiredChecks ?? pack.requiredChecks;
  const passed = plan.head ? await passedChecks(ledger, plan.head, producerTrust(config, plan.cwd)) : new Set<string>();
  const missingChecks = requiredChecks.filter((c) => !passed.has(c));
  const alreadyExecuted = Boolean(state.started) || state.claims.length > 0;
  return {
    digest,
    requiredApprovals,
    validApprovers: [...valid],
    rejected,
    requiredChecks,
    missingChecks,
    environmentAllowed: envRule.allowed,
    alreadyExecuted,
    ok: envRule.allowed && valid.size >= requiredApprovals && missingChecks.length === 0 && !alreadyExecuted,
  };
}

/** Checks that passed for a commit, counting only results signed by a trusted producer; the latest of each wins. */
export async function passedChecks(ledger: Ledger, commit: string, trust: ProducerTrust): Promise<Set<string>> {
  return new Set((await readCheckEvidence(ledger, commit, trust)).passed);
}

/**
 * Claim the right to execute: append a claim and read back all claims for the run ID. Ledger
 * appends are totally ordered, so exactly one process sees its own claim first, on any backend.
 */
export async function claim(ledger: Ledger, runId: string, digest: string): Promise<boolean> {
  const nonce = randomBytes(12).toString("hex");
  await ledger.append({ type: "run.claim", subject: runId, payload: { nonce, digest } });
  const s = await readRun(ledger, runId);
  return s.claims[0]?.nonce === nonce && !s.started;
}

export interface Outcome {
  exitCode: number;
  durationMs: number;
  outputSha256: string;
}

/** Run the command without a shell, passing output through while hashing it (the ledger keeps only the hash). */
export function execute(plan: Plan): Promise<Outcome> {
  return new Promise((resolveRun) => {
    const t0 = Date.now();
    const hash = createHash("sha256");
    const child = spawn(plan.command, plan.args, { cwd: plan.cwd, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...plan.env }, stdio: ["inherit", "pipe", "pipe"] });
    child.stdout.on("data", (d: Buffer) => {
      hash.update(d);
      process.stdout.write(d);
    });
    child.stderr.on("data", (d: Buffer) => {
      hash.update(d);
      process.stderr.write(d);
    });
    child.on("error", (err) => {
      hash.update(String(err.message));
      resolveRun({ exitCode: 127, durationMs: Date.now() - t0, outputSha256: hash.digest("hex") });
    });
    child.on("close", (code, signal) => resolveRun({ exitCode: code ?? (signal ? 128 : 1), durationMs: Date.now() - t0, outputSha256: hash.digest("hex") }));
  });
}
