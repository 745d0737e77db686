/**
 * Signed approvals of a change: a guarded-run approval (`gitops-health approve RUN --key`) is
 * review evidence for the commits its plan's HEAD contains. The approver signs the run ID, the
 * plan digest and an expiry; the digest binds the plan's `head`, so the signature says "this key
 * approved the repository as of that commit". Anyone can append a `run.plan` or `run.approval`
 * entry, so an approval counts only when:
 *
 * - its signature verifies against a configured approver key (`approvers[]` signed-note keys or the
 *   allowed-signers file), over the digest of a recorded plan that shows that digest;
 * - it is not the requester's: a key or identity that signed the plan's request (or, unsigned, the
 *   plan's requester name) does not approve its own change.
 *
 * Which commits it covers, whether it is current, and whether the approver is the commit's author
 * are decided against git by the gate (`signedApprovalViews`). The expiry bounds when the run may
 * execute; it does not withdraw the review it records. Reads the ledger and verifies; writes nothing.
 */
import type { Ledger } from "../audit/types.js";
import { verifyApproval, type Signature, type VerifyContext } from "../core/signing.js";
import { approvalMessage, planDigest, requestMessage, type Plan } from "../core/plan.js";

export interface SignedChangeApproval {
  runId: string;
  /** ledger seq of the run.approval entry */
  seq: number;
  /** the identity the key proves (allowed-signers principal or configured approver) */
  approver: string;
  /** SHA256 fingerprint of the approver's public key */
  fingerprint: string;
  /** the commit the approved plan names as HEAD */
  head: string;
  digest: string;
  /** who asked for it: verified requester identities and the plan's requester names */
  requesters: string[];
  requesterKeys: string[];
}

export interface RejectedSignedApproval {
  seq: number;
  runId: string;
  reason: string;
}

type RecordedPlan = Plan & { digest: string; requesterSig?: Signature };
const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

function showsDigest(p: RecordedPlan): boolean {
  try {
    return planDigest(p) === p.digest;
  } catch {
    return false;
  }
}

/** Every run approval in the ledger that verifies over a recorded plan of a commit, and those that do not. */
export async function readSignedApprovals(
  ledger: Ledger,
  ctx: VerifyContext,
): Promise<{ approvals: SignedChangeApproval[]; rejected: RejectedSignedApproval[] }> {
  const plans = new Map<string, RecordedPlan[]>();
  for await (const e of ledger.query({ type: "run.plan" })) {
    const p = e.payload as RecordedPlan | null;
    if (!e.subject || !p || typeof p !== "object" || typeof p.digest !== "string") continue;
    plans.set(e.subject, [...(plans.get(e.subject) ?? []), p]);
  }
  const approvals: SignedChangeApproval[] = [];
  const rejected: RejectedSignedApproval[] = [];
  for await (const e of ledger.query({ type: "run.approval" })) {
    const a = e.payload as (Signature & { digest?: unknown; expiresAt?: unknown }) | null;
    const runId = e.subject ?? "";
    if (!a || typeof a !== "object" || typeof a.digest !== "string" || typeof a.expiresAt !== "string") {
      rejected.push({ seq: e.seq, runId, reason: "malformed approval entry" });
      continue;
    }
    const digest = a.digest;
    const matching = (plans.get(runId) ?? []).filter((p) => p.digest === digest && showsDigest(p));
    const plan = matching.find((p) => typeof p.head === "string" && SHA.test(p.head));
    // A run outside a repository (or of a library operation) approves no commit: not review evidence.
    if (!plan) {
      if (!matching.length) rejected.push({ seq: e.seq, runId, reason: "no recorded plan shows this digest" });
      continue;
    }
    const v = verifyApproval(approvalMessage(runId, digest, a.expiresAt), a, ctx);
    if (!v.ok) {
      rejected.push({ seq: e.seq, runId, reason: v.reason });
      continue;
    }
    const requesters = new Set<string>();
    const requesterKeys = new Set<string>();
    for (const p of matching) {
      if (typeof p.requester === "string" && p.requester) requesters.add(p.requester);
      if (!p.requesterSig) continue;
      const r = verifyApproval(requestMessage(runId, digest), p.requesterSig, ctx);
      if (r.ok) {
        requesters.add(r.approver);
        requesterKeys.add(r.fingerprint);
      }
    }
    approvals.push({
      runId,
      seq: e.seq,
      approver: v.approver,
      fingerprint: v.fingerprint,
      head: plan.head!,
      digest,
      requesters: [...requesters],
      requesterKeys: [...requesterKeys],
    });
  }
  return { approvals, rejected };
}

/** The email in an identity such as `Ann Lee <ann@example.org>` or `ann@example.org`, lower-cased. */
export const emailOfIdentity = (s: string) => (/<([^>]+)>/.exec(s)?.[1] ?? s).trim().toLowerCase();

/** What git says about one approved head: the range commits it contains, and those pushed after it. */
export interface SignedCoverage {
  covers: ReadonlySet<string>;
  after: ReadonlySet<string>;
}
