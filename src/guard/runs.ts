import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import type { Ledger, LedgerEntry } from "../audit/types.js";
import type { Config } from "../config/schema.js";
import { loadBuiltinPack } from "../policy/packs.js";
import { producerTrust, readCheckEvidence, type ProducerTrust } from "../evidence/checks.js";
import { approvalMessage, eventMessage, planDigest, requestMessage, type Environment, type Plan } from "./plan.js";
import { NO_ALLOWED_SIGNERS, verifyApproval, type Signature, type VerifyContext } from "../core/signing.js";

/** Everything the ledger knows about one run ID, unverified. Run state lives only in the ledger. */
export interface RunState {
  runId: string;
  /** the latest recorded plan */
  plan?: Plan & { digest: string; requesterSig?: Signature };
  /** every recorded plan, each possibly signed by its requester */
  plans: (Plan & { digest: string; requesterSig?: Signature; seq: number })[];
  approvals: (Signature & { digest: string; expiresAt: string; signedAt: string; seq: number })[];
  claims: { seq: number; nonce: string }[];
  /** run.started / run.completed / run.failed entries as written, signed or not */
  events: LedgerEntry[];
  started?: LedgerEntry;
  finished?: LedgerEntry;
  /** raw state from unverified entries; `verifiedRun` is what to show */
  state: "unknown" | "planned" | "approved" | "running" | "completed" | "failed";
}

export async function readRun(ledger: Ledger, runId: string): Promise<RunState> {
  const s: RunState = { runId, plans: [], approvals: [], claims: [], events: [], state: "unknown" };
  for await (const e of ledger.query({ subject: runId })) {
    const p = (e.payload && typeof e.payload === "object" ? e.payload : {}) as Record<string, unknown>;
    if (e.type === "run.plan") {
      s.plan = p as unknown as RunState["plan"];
      s.plans.push({ ...(p as unknown as RunState["plans"][number]), seq: e.seq });
    } else if (e.type === "run.approval")
      s.approvals.push({ ...(p as unknown as RunState["approvals"][number]), seq: e.seq });
    else if (e.type === "run.claim") s.claims.push({ seq: e.seq, nonce: String(p.nonce) });
    else if (e.type === "run.started" || e.type === "run.completed" || e.type === "run.failed") {
      s.events.push(e);
      if (e.type === "run.started") s.started ??= e;
      else s.finished ??= e;
    }
  }
  s.state = s.finished
    ? s.finished.type === "run.completed"
      ? "completed"
      : "failed"
    : s.started
      ? "running"
      : s.approvals.length
        ? "approved"
        : s.plan
          ? "planned"
          : "unknown";
  return s;
}

export async function listRuns(ledger: Ledger): Promise<RunState[]> {
  const ids: string[] = [];
  for await (const e of ledger.query({ type: "run.plan" }))
    if (e.subject && !ids.includes(e.subject)) ids.push(e.subject);
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
  const def =
    env === "production" ? { allowed: false, approvalRequired: true } : { allowed: true, approvalRequired: false };
  return {
    allowed: c?.allowed ?? def.allowed,
    approvalRequired: c?.approvalRequired ?? def.approvalRequired,
    minApprovals: c?.minApprovals ?? 0,
  };
}

/** Approvals a plan needs: the classification's pack, raised by the environment policy. */
export function requiredApprovalsFor(plan: Pick<Plan, "classification" | "environment">, config: Config): number {
  const pack = loadBuiltinPack(plan.classification);
  const envRule = environmentRule(config, plan.environment);
  return Math.max(pack.approval.required, envRule.minApprovals, envRule.approvalRequired ? 1 : 0);
}

/** A recorded plan counts only if its digest is the digest of what it shows (a signature over a digest binds nothing else). */
function showsDigest(p: Plan & { digest: string }): boolean {
  try {
    return planDigest(p) === p.digest;
  } catch {
    return false;
  }
}

/** The requesters of a plan: every trusted key that signed a recorded plan with this digest. */
export function verifiedRequesters(
  state: RunState,
  digest: string,
  ctx: VerifyContext,
): { identities: Set<string>; fingerprints: Set<string>; unverifiable: boolean } {
  const identities = new Set<string>();
  const fingerprints = new Set<string>();
  let unverifiable = false;
  for (const p of state.plans) {
    if (p.digest !== digest || !p.requesterSig || !showsDigest(p)) continue;
    const v = verifyApproval(requestMessage(state.runId, digest), p.requesterSig, ctx);
    if (v.ok) {
      identities.add(v.approver);
      fingerprints.add(v.fingerprint);
    } else if (v.reason === NO_ALLOWED_SIGNERS) unverifiable = true;
  }
  return { identities, fingerprints, unverifiable };
}

export interface Evaluation {
  digest: string;
  requiredApprovals: number;
  /** the requester's identity proven by the key that signed this plan, or null if no trusted key signed it */
  requester: string | null;
  validApprovers: string[];
  rejected: { approver: string; reason: string }[];
  requiredChecks: string[];
  missingChecks: string[];
  environmentAllowed: boolean;
  alreadyExecuted: boolean;
  /** some signatures could not be checked because no allowed-signers file is configured */
  unverifiable: boolean;
  /** approvals (and the signed request they need) satisfy the policy; checks and execution state aside */
  approved: boolean;
  ok: boolean;
}

/** Does this plan, as it stands now, satisfy its pack, its environment and the recorded approvals and checks? */
export async function evaluate(
  ledger: Ledger,
  plan: Plan,
  config: Config,
  ctx: VerifyContext,
  now = new Date(),
  beforeSeq = Infinity,
): Promise<Evaluation> {
  const digest = planDigest(plan);
  const all = await readRun(ledger, plan.runId);
  // As of a point in the log (a run's start): later requests and approvals do not count for it.
  const state = {
    ...all,
    plans: all.plans.filter((p) => p.seq < beforeSeq),
    approvals: all.approvals.filter((a) => a.seq < beforeSeq),
  };
  const pack = loadBuiltinPack(plan.classification);
  const envRule = environmentRule(config, plan.environment);
  const requiredApprovals = requiredApprovalsFor(plan, config);
  const requesters = verifiedRequesters(state, digest, ctx);
  let unverifiable = requesters.unverifiable;
  // Identities are keys: an approval counts once per key and once per identity, never from a requester's key or identity.
  const valid = new Set<string>();
  const seenKeys = new Set<string>();
  const rejected: Evaluation["rejected"] = [];
  for (const a of state.approvals) {
    const name = typeof a.approver === "string" ? a.approver : "(unnamed)";
    if (a.digest !== digest) {
      rejected.push({
        approver: name,
        reason: "approved a different plan (command, files, environment or HEAD changed)",
      });
      continue;
    }
    if (!(Date.parse(a.expiresAt) > now.getTime())) {
      rejected.push({ approver: name, reason: `expired at ${a.expiresAt}` });
      continue;
    }
    const v = verifyApproval(approvalMessage(plan.runId, digest, a.expiresAt), a, ctx);
    if (!v.ok) {
      if (v.reason === NO_ALLOWED_SIGNERS) unverifiable = true;
      rejected.push({ approver: name, reason: v.reason });
      continue;
    }
    if (
      requesters.fingerprints.has(v.fingerprint) ||
      requesters.identities.has(v.approver) ||
      (requesters.identities.size === 0 && v.approver === plan.requester)
    ) {
      rejected.push({ approver: v.approver, reason: "the requester cannot approve their own run" });
      continue;
    }
    if (seenKeys.has(v.fingerprint) || valid.has(v.approver)) {
      if (!valid.has(v.approver))
        rejected.push({ approver: v.approver, reason: "the same key already approved under another name" });
      continue; // the same approver twice counts once
    }
    seenKeys.add(v.fingerprint);
    valid.add(v.approver);
  }
  const requesterOk = requiredApprovals === 0 || requesters.identities.size > 0;
  const requiredChecks = config.policy.requiredChecks ?? pack.requiredChecks;
  const passed = plan.head ? await passedChecks(ledger, plan.head, producerTrust(config, plan.cwd)) : new Set<string>();
  const missingChecks = requiredChecks.filter((c) => !passed.has(c));
  const alreadyExecuted = state.events.length > 0 || state.claims.length > 0;
  const approved = envRule.allowed && requesterOk && valid.size >= requiredApprovals;
  return {
    digest,
    requiredApprovals,
    requester: [...requesters.identities][0] ?? null,
    validApprovers: [...valid],
    rejected,
    requiredChecks,
    missingChecks,
    environmentAllowed: envRule.allowed,
    alreadyExecuted,
    unverifiable,
    approved,
    ok: approved && missingChecks.length === 0 && !alreadyExecuted,
  };
}

/** A run as the evidence supports it: run events count only when signed by a trusted key, and only for an approved plan. */
export interface VerifiedRun {
  run: RunState;
  state: RunState["state"] | "unverified";
  evaluation?: Evaluation;
  /** the signed outcome (run.completed / run.failed payload), if any */
  outcome?: unknown;
  executedBy?: string;
  /** why entries were not counted, or why the state cannot be established */
  notes: string[];
}

export async function verifiedRun(
  ledger: Ledger,
  runId: string,
  config: Config,
  ctx: VerifyContext,
  now = new Date(),
): Promise<VerifiedRun> {
  const run = await readRun(ledger, runId);
  if (!run.plan)
    return {
      run,
      state: "unknown",
      notes: run.events.length ? [`${run.events.length} run event(s) without a recorded plan not counted`] : [],
    };
  const notes: string[] = [];
  let unverifiable = false;
  const signed: { e: LedgerEntry; by: string; fingerprint: string; digest: string }[] = [];
  for (const e of run.events) {
    const { sig, ...rest } = (e.payload && typeof e.payload === "object" ? e.payload : {}) as Record<
      string,
      unknown
    > & { sig?: Signature };
    const digest = typeof rest.digest === "string" ? rest.digest : "";
    const v = sig
      ? verifyApproval(eventMessage(e.type, runId, digest, rest), sig, ctx)
      : ({ ok: false, reason: "not signed" } as const);
    if (v.ok) signed.push({ e, by: v.approver, fingerprint: v.fingerprint, digest });
    else {
      if (v.reason === NO_ALLOWED_SIGNERS) unverifiable = true;
      notes.push(
        `${e.type} (seq ${e.seq}) not counted: ${v.reason === "not signed" ? "not signed by a trusted key" : v.reason}`,
      );
    }
  }
  const started = signed.find((x) => x.e.type === "run.started");
  const plan = (started && run.plans.find((p) => p.digest === started.digest)) || run.plan;
  const evaluation = await evaluate(
    ledger,
    plan,
    config,
    ctx,
    started ? new Date(started.e.time) : now,
    started ? started.e.seq : Infinity,
  );
  unverifiable ||= evaluation.unverifiable;
  let state: VerifiedRun["state"] = evaluation.approved && evaluation.requiredApprovals > 0 ? "approved" : "planned";
  let outcome: unknown;
  let executedBy: string | undefined;
  if (started) {
    if (!evaluation.approved)
      notes.push(`run.started (seq ${started.e.seq}) not counted: the plan it ran lacked the required approvals`);
    else {
      executedBy = started.by;
      const finished = signed.find(
        (x) =>
          x.e.seq > started.e.seq &&
          x.e.type !== "run.started" &&
          x.digest === started.digest &&
          x.fingerprint === started.fingerprint,
      );
      state = finished ? (finished.e.type === "run.completed" ? "completed" : "failed") : "running";
      if (finished) {
        const { sig: _sig, ...payload } = finished.e.payload as Record<string, unknown>;
        outcome = payload;
      }
    }
  }
  if (unverifiable) {
    notes.push(
      "cannot verify approvals without allowed signers (allowedSignersFile in .gitops-health.yml, or --allowed-signers)",
    );
    if (!started || !evaluation.approved) state = "unverified";
  } else if (!started && signed.length === 0 && run.events.length > 0) state = "unverified";
  return { run, state, evaluation, outcome, executedBy, notes };
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
  return s.claims[0]?.nonce === nonce && s.events.length === 0;
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
    const child = spawn(plan.command, plan.args, {
      cwd: plan.cwd,
      // eslint-disable-next-line no-restricted-properties -- the run's child gets PATH and HOME, nothing else
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...plan.env },
      stdio: ["inherit", "pipe", "pipe"],
    });
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
    child.on("close", (code, signal) =>
      resolveRun({
        exitCode: code ?? (signal ? 128 : 1),
        durationMs: Date.now() - t0,
        outputSha256: hash.digest("hex"),
      }),
    );
  });
}
