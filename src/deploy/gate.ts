/**
 * The approval gate a progressive rollout asks before promotion (Argo `web` metric, Flagger
 * `confirm-promotion` webhook), answered from the ledger with src/guard's verification. Reads only.
 */
import type { Ledger } from "../audit/types.js";
import type { Config } from "../config/schema.js";
import { evaluate, readRun } from "../guard/runs.js";
import { planDigest, type Plan } from "../guard/plan.js";
import type { VerifyContext } from "../core/signing.js";

export type GateStatus = "pending" | "approved" | "invalidated";

export interface GateAnswer {
  runId: string;
  status: GateStatus;
  /** digest of the run's recorded plan (null when no plan is recorded) */
  digest: string | null;
  required: number;
  approvers: string[];
  rejected: { approver: string; reason: string }[];
  reason: string;
}

/** The first line of a deploy run's description; the rest is the canonical JSON of the plan inputs. */
export const DEPLOY_RUN_HEADER = "gitops-health deploy plan v1";

/** Plan inputs bound into a deploy run (see plan.ts); null when the run is not a deploy run. */
export function deployInputs(
  plan: Pick<Plan, "description">,
): ({ approvals?: number } & Record<string, unknown>) | null {
  const d = plan.description ?? "";
  if (!d.startsWith(`${DEPLOY_RUN_HEADER}\n`)) return null;
  try {
    return JSON.parse(d.slice(DEPLOY_RUN_HEADER.length + 1)) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/**
 * Is run `runId` approved for the plan with `digest`? `invalidated` when the recorded plan is not that
 * digest (re-planned: image, strategy or inputs changed) or, given the current `head`, when HEAD moved
 * since the plan; `approved` when enough distinct, unexpired, verified approvals signed this digest;
 * otherwise `pending`.
 */
export async function approvalGateStatus(
  ledger: Ledger,
  runId: string,
  digest: string | undefined,
  o: { config: Config; ctx: VerifyContext; head?: string | null; now?: Date },
): Promise<GateAnswer> {
  const state = await readRun(ledger, runId);
  const answer = (status: GateStatus, reason: string, extra: Partial<GateAnswer> = {}): GateAnswer => ({
    runId,
    status,
    digest: state.plan?.digest ?? null,
    required: 0,
    approvers: [],
    rejected: [],
    reason,
    ...extra,
  });
  if (!state.plan) return answer("pending", "no plan recorded for this run");
  const { digest: recordedField, ...plan } = state.plan;
  // The digest is recomputed from the recorded plan, never taken from the entry's own field.
  const recorded = planDigest(plan);
  if (recordedField !== recorded) return answer("invalidated", "the recorded plan does not match its digest");
  if (digest && digest !== recorded)
    return answer("invalidated", "the run was re-planned: its recorded plan is not the one this gate was built for");
  if (o.head !== undefined && planDigest({ ...plan, head: o.head }) !== recorded)
    return answer("invalidated", `HEAD moved since the plan (planned at ${plan.head?.slice(0, 12) ?? "none"})`);
  const ev = await evaluate(ledger, plan, o.config, o.ctx, o.now);
  const inputs = deployInputs(plan);
  const required = Math.max(ev.requiredApprovals, Number(inputs?.approvals ?? 0), 1);
  const extra = { required, approvers: ev.validApprovers, rejected: ev.rejected };
  if (!ev.requester)
    return answer("pending", "the plan is not signed by a trusted requester key (deploy plan --key)", extra);
  if (ev.validApprovers.length >= required)
    return answer("approved", `${ev.validApprovers.length} of ${required} approval(s) signed over this plan`, extra);
  return answer("pending", `${ev.validApprovers.length} of ${required} approval(s)`, extra);
}
