/**
 * The evidence report's review section: per change (pull or merge request observed in the period),
 * the request, its approvers and whether each approval was current for the final head and counted
 * (not the author's). Only review records signed by a trusted producer count; the others are
 * reported as a number. Pure over the ledger entries the report already read.
 */
import type { LedgerEntry } from "../audit/types.js";
import type { TrustList } from "../core/signing.js";
import { latestPulls, pullReviews, type PullApproval, type PullReview } from "../review/approvals.js";
import { verifyReviewEntry } from "../review/evidence.js";
import type { PullRecord, PushRecord, ReviewRecord } from "../review/model.js";

/** A pull request as the report shows it: `PullReview` without its commit list and account ids. */
export type ReviewSectionChange = Omit<PullReview, "commits" | "approvals"> & {
  approvals: Omit<PullApproval, "id">[];
};

export interface ReviewSection {
  changes: ReviewSectionChange[];
  /** review entries in the ledger that do not count (unsigned, untrusted producer, malformed) */
  rejected: number;
}

export function collectReviewSection(
  entries: LedgerEntry[],
  period: { from: string; to: string },
  trust: TrustList,
  namespace: string,
): ReviewSection {
  const pulls: PullRecord[] = [];
  const reviews: ReviewRecord[] = [];
  const pushes: PushRecord[] = [];
  let rejected = 0;
  for (const e of entries) {
    if (!e.type.startsWith("review.")) continue;
    const v = verifyReviewEntry(e, trust, namespace);
    if ("reason" in v) {
      rejected++;
      continue;
    }
    if (v.kind === "pull") pulls.push(v.record as PullRecord);
    else if (v.kind === "review") reviews.push(v.record as ReviewRecord);
    else if (v.kind === "push") pushes.push(v.record as PushRecord);
  }
  // observed in the period: the latest record of each pull request decides
  const observed = new Map(latestPulls(pulls, pushes).map((p) => [`${p.forge}:${p.repo}#${p.number}`, p.observedAt]));
  const changes = pullReviews({ pulls, reviews, pushes })
    .filter((c) => {
      const at = observed.get(`${c.forge}:${c.repo}#${c.number}`) ?? "";
      return at >= period.from && at < period.to;
    })
    .map((c): ReviewSectionChange => ({
      forge: c.forge,
      repo: c.repo,
      number: c.number,
      state: c.state,
      author: c.author,
      head: c.head,
      mergeCommit: c.mergeCommit,
      approvals: c.approvals.map(({ reviewer, commit, current, counted, reason }) => ({
        reviewer,
        commit,
        current,
        counted,
        reason,
      })),
    }));
  return { changes, rejected };
}

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** The section as HTML (a heading, a table, a note on records that do not count). */
export function reviewSectionHtml(s: ReviewSection): string {
  const rows = s.changes
    .map((c) => {
      const approvals =
        c.approvals
          .map(
            (a) =>
              `<span class="${a.counted ? "met" : "failed"}">${esc(a.reviewer)}</span> <small>${a.current ? "current" : "not current"}${a.counted ? "" : ", not counted"}: ${esc(a.reason)}</small>`,
          )
          .join("<br>") || `<small class="none">none</small>`;
      return `<tr data-change="${esc(`${c.repo}#${c.number}`)}"><td><code>${esc(c.repo)}#${c.number}</code> <small>${esc(c.forge)}</small></td><td>${esc(c.state)}</td><td>${esc(c.author)}</td><td><code>${esc(c.head.slice(0, 10))}</code>${c.mergeCommit ? ` <small>merged as</small> <code>${esc(c.mergeCommit.slice(0, 10))}</code>` : ""}</td><td>${approvals}</td></tr>`;
    })
    .join("\n");
  return `<h2>Reviews</h2>
<p>Pull and merge requests observed in the period, from review records signed by a trusted producer: each approver, whether the approval was of the final head (or only base-branch merges followed it) and whether it counted.${s.rejected ? ` ${s.rejected} review record(s) in the ledger do not count (unsigned or not from a trusted producer).` : ""}</p>
<table><thead><tr><th>change</th><th>state</th><th>author</th><th>head</th><th>approvals</th></tr></thead>
<tbody>
${rows}
</tbody></table>
`;
}
