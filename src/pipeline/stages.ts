/**
 * The pipeline's stages and its state machine, as pure data: which stage comes next, which stages a
 * resumed run may skip, and what a run's recorded stage outcomes mean. No I/O here (see run.ts).
 */
import { UserError } from "../core/errors.js";

/** The stages in order; rollback, incident and bisect run only after a failed verify. */
export const STAGES = [
  "checks",
  "compliance",
  "risk",
  "plan",
  "approvals",
  "deploy",
  "verify",
  "record",
  "bundle",
] as const;
export type Stage = (typeof STAGES)[number];
export const FAILURE_STAGES = ["rollback", "incident", "bisect"] as const;
export type FailureStage = (typeof FAILURE_STAGES)[number];
export type AnyStage = Stage | FailureStage;

/**
 * passed / failed: ran with that outcome; pending: waiting for approvals (the run can resume);
 * skipped: nothing to do (e.g. no approvals needed); would-run: a dry run's description of the stage.
 */
export const STAGE_STATUSES = ["passed", "failed", "pending", "skipped", "would-run"] as const;
export type StageStatus = (typeof STAGE_STATUSES)[number];

export interface StageOutcome {
  stage: AnyStage;
  status: StageStatus;
  /** one line for people: what ran and what came out (never command output) */
  detail: string;
  durationMs: number;
  /** machine fields (risk score, strategy, culprit...) */
  data?: Record<string, unknown>;
}

export function checkStage(name: string): Stage {
  if (!(STAGES as readonly string[]).includes(name))
    throw new UserError(`unknown stage "${name}" (valid: ${STAGES.join(", ")})`);
  return name as Stage;
}

/** Stages after `stage`, in order. */
export function stagesFrom(stage: Stage): Stage[] {
  return STAGES.slice(STAGES.indexOf(stage));
}

/** What a run's recorded stage outcomes say about it (the latest outcome of each stage wins). */
export interface RunProgress {
  /** latest recorded outcome per stage */
  outcomes: Partial<Record<AnyStage, StageStatus>>;
  /** the first stage of the main line that has not passed or been skipped; null when all did */
  next: Stage | null;
  state: "new" | "in-progress" | "pending-approval" | "failed" | "rolled-back" | "completed";
}

export function progressOf(recorded: { stage: AnyStage; status: StageStatus }[]): RunProgress {
  const outcomes: Partial<Record<AnyStage, StageStatus>> = {};
  for (const r of recorded) outcomes[r.stage] = r.status;
  const next = STAGES.find((s) => outcomes[s] !== "passed" && outcomes[s] !== "skipped") ?? null;
  let state: RunProgress["state"] = recorded.length === 0 ? "new" : "in-progress";
  if (next === null) state = "completed";
  else if (outcomes.verify === "failed") state = outcomes.rollback === "passed" ? "rolled-back" : "failed";
  else if (next && outcomes[next] === "pending") state = "pending-approval";
  else if (next && outcomes[next] === "failed") state = "failed";
  return { outcomes, next, state };
}

/**
 * Where a resumed run starts: `from` when given (every main-line stage before it must have passed or
 * been skipped in this run), else the first stage not yet passed. A run whose verify failed (deployed,
 * then rolled back) resumes only from an explicit stage: redeploying is a decision, not a retry.
 */
export function resumePoint(p: RunProgress, from?: Stage): Stage | null {
  if (from) {
    const missing = STAGES.slice(0, STAGES.indexOf(from)).filter(
      (s) => p.outcomes[s] !== "passed" && p.outcomes[s] !== "skipped",
    );
    if (missing.length)
      throw new UserError(`cannot resume from ${from}: stage ${missing[0]} has not passed in this run`);
    return from;
  }
  if (p.state === "failed" && p.outcomes.verify === "failed")
    throw new UserError(
      "the run's deploy failed verification and was handled (rollback, incident); resume it only with --from STAGE (e.g. --from deploy)",
    );
  if (p.state === "rolled-back")
    throw new UserError(
      "the run's deploy failed verification and was rolled back; resume it only with --from STAGE (e.g. --from deploy)",
    );
  return p.next;
}
