/**
 * Which forge approvals count for a commit. Pure: the gate passes the commits of its range, the
 * verified review evidence and what git says about merges inside pull requests.
 *
 * 1. Map the commit to its pull request: one of the pull request's own commits (merge commit or
 *    fast-forward), its squash commit (the merge commit the forge recorded), or a rebased copy
 *    (the first-parent chain ending at the recorded merge commit whose author fingerprints match
 *    the pull request's commits).
 * 2. Per reviewer, the latest decisive review (approved, changes requested, dismissed) stands.
 * 3. An approval counts when the reviewer is neither the pull request's author nor an author or
 *    committer of its commits, and it is current: it approved the final head, or every commit
 *    pushed after it is a merge that only brought in the base branch (GitHub's "dismiss stale
 *    approvals", which keeps approvals across base-branch updates).
 * 4. Signed approvals (`approve RUN --key`, src/review/signed.ts) count for the commits the
 *    approved plan's HEAD contains, when the key is not the commit's signing key and its identity is
 *    not the commit's author, committer or the run's requester; a commit pushed after the approved
 *    HEAD is not covered (stale). A forge account and a key cannot be proven to be different people,
 *    so the count is the larger of the two sets of approvers, never their sum.
 * 5. Code owners: each changed path the policy names needs a counted approval from one of the
 *    owners of its last matching CODEOWNERS line (`@login`, `@org/team` with recorded members, or
 *    an email owner matched by a signed approval's identity).
 */
import type { CodeOwners } from "./codeowners.js";
import { ownersOf } from "./codeowners.js";
import type { PullCommit, PullRecord, PushRecord, ReviewRecord, TeamRecord } from "./model.js";
import { emailOfIdentity, type SignedChangeApproval, type SignedCoverage } from "./signed.js";

export interface RangeCommit {
  sha: string;
  parents: string[];
  authorEmail: string;
  committerEmail: string;
  /** `authorFingerprint(author email, author date, message)` */
  fingerprint: string;
  files: string[];
  /** fingerprint of the key that signed the commit (SSH signatures), when signed */
  signingKey?: string;
}

export interface ReviewEvidenceSet {
  pulls: PullRecord[];
  reviews: ReviewRecord[];
  teams: TeamRecord[];
  /** branch pushes from webhooks: the commits of pull requests known only from webhooks */
  pushes?: PushRecord[];
}

/** What git says about a merge commit inside a pull request pushed after an approval. */
export type MergeFact = "base-merge" | "changed" | "unknown";

export interface ReviewGateOptions {
  /** which changed paths need a code owner's approval (none when absent) */
  ownerPaths?: (path: string) => boolean;
  codeOwners?: CodeOwners;
  mergeFacts?: Record<string, MergeFact>;
  /**
   * A pull request's commits' parents as git has them, where the clone has the commit (a sha names
   * its parents, so this is a fact, not a claim): a push lists commits without parents, so a merge
   * pushed into a branch known only from webhooks is a merge only once git says so.
   */
  parents?: ReadonlyMap<string, string[]>;
  /**
   * Commits listed with a pull request that git shows on its base branch: what a base merge
   * brought in (a push lists them with the merge). Not the pull request's content: not mapped to it,
   * and not "pushed after" an approval.
   */
  onBase?: ReadonlySet<string>;
  /** verified signed approvals and, per approved head, what git says it covers */
  signed?: { approvals: SignedChangeApproval[]; coverage: ReadonlyMap<string, SignedCoverage> };
}

export type MergeHow = "merge" | "squash" | "rebase";

export interface ApprovalView {
  /** forge: a pull-request review; signed: a guarded-run approval signed by a configured key */
  via: "forge" | "signed";
  /** forge login, or the identity the signing key proves */
  reviewer: string;
  /** forge account id (0 for a signed approval) */
  id: number;
  /** the run whose plan was approved (signed approvals) */
  run?: string;
  /** the head commit approved */
  commit: string;
  current: boolean;
  counted: boolean;
  reason: string;
}

export interface CommitReview {
  sha: string;
  pull: { forge: string; repo: string; number: number; how: MergeHow; author: string } | null;
  approvals: ApprovalView[];
  /** forge logins and key identities whose approval counts */
  approvers: string[];
  /** distinct approvals that count: the larger of the forge and the signed sets (see 4 above) */
  count: number;
  /** paths that need a code owner's approval and lack one, with why */
  ownersMissing: string[];
  summary: string;
}

const short = (s: string) => s.slice(0, 10);
const keyOf = (r: { forge: string; repo: string; number: number }) => `${r.forge}:${r.repo}#${r.number}`;

const ZERO = /^0+$/;

/**
 * A pull request's commits from the recorded pushes: the chain of pushes ending at its head, each
 * taking its branch from `before` to `after`, followed back until a force push or the branch's
 * creation. Parents are as the pushes imply (each commit on the one before): a merge pushed into the
 * branch looks like a plain commit, so an approval before it is stale (fail closed). Null: no push
 * ends at the head.
 */
export function commitsFromPushes(pull: PullRecord, pushes: PushRecord[]): PullCommit[] | null {
  const byAfter = new Map<string, PushRecord>();
  for (const p of [...pushes].sort((a, b) => Date.parse(a.observedAt) - Date.parse(b.observedAt)))
    if (p.forge === pull.forge && p.repo === pull.repo && p.commits.length && p.commits.at(-1)!.sha === p.after)
      byAfter.set(p.after, p);
  const chain: PullCommit[] = [];
  const seen = new Set<string>();
  for (let at = pull.head, p = byAfter.get(at); p && !seen.has(at); at = p.before, p = byAfter.get(at)) {
    seen.add(at);
    const list = p.commits;
    const cut = p.truncated === true;
    chain.unshift(
      ...list.map((c, i) => ({
        sha: c.sha,
        parents: i ? [list[i - 1]!.sha] : ZERO.test(p!.before) || cut ? [] : [p!.before],
        author: null,
        committer: null,
        fingerprint: c.fingerprint,
      })),
    );
    if (p.forced || cut || ZERO.test(p.before)) break;
  }
  return chain.length ? chain : null;
}

/** The latest record of each pull request; a record without a commit list borrows the last list recorded for the same head, or the pushes'. */
export function latestPulls(pulls: PullRecord[], pushes: PushRecord[] = []): PullRecord[] {
  const by = new Map<string, PullRecord[]>();
  for (const p of pulls) by.set(keyOf(p), [...(by.get(keyOf(p)) ?? []), p]);
  return [...by.values()].map((unordered) => {
    // Latest by the signed observation time, not by ledger position: a genuine old record copied to
    // the end of the ledger (or a replayed delivery) cannot bring back an older head.
    const list = unordered
      .map((p, i) => ({ p, i }))
      .sort((a, b) => Date.parse(a.p.observedAt) - Date.parse(b.p.observedAt) || a.i - b.i)
      .map((x) => x.p);
    let last = list[list.length - 1]!;
    // A merge is final: a snapshot delivered after it (a late review event's copy of the PR) cannot undo it.
    const merged = [...list].reverse().find((p) => p.state === "merged");
    if (merged && last.state !== "merged")
      last = { ...last, state: "merged", mergeCommit: merged.mergeCommit, head: merged.head };
    if (last.commits) return last;
    const withList = [...list].reverse().find((p) => p.commits && p.head === last.head);
    if (withList) return { ...last, commits: withList.commits };
    const pushed = pushes.length ? commitsFromPushes(last, pushes) : null;
    return pushed ? { ...last, commits: pushed } : last;
  });
}

/** The pull request with its commits' parents as git has them (see `ReviewGateOptions.parents`). */
export function withParents(pull: PullRecord, parents?: ReadonlyMap<string, string[]>): PullRecord {
  if (!parents?.size || !pull.commits?.some((c) => parents.has(c.sha))) return pull;
  return {
    ...pull,
    commits: pull.commits.map((c) => (parents.has(c.sha) ? { ...c, parents: parents.get(c.sha)! } : c)),
  };
}

/** Map each commit of the range to the pull request that brought it in, and how. */
export function mapCommitsToPulls(
  range: RangeCommit[],
  pulls: PullRecord[],
  pushes: PushRecord[] = [],
  parents?: ReadonlyMap<string, string[]>,
  onBase?: ReadonlySet<string>,
): Map<string, { pull: PullRecord; how: MergeHow }> {
  const inRange = new Map(range.map((c) => [c.sha, c]));
  const out = new Map<string, { pull: PullRecord; how: MergeHow }>();
  const latest = latestPulls(pulls, pushes).map((p) => withParents(p, parents));
  for (const pull of latest) {
    const own = pull.commits ? pull.commits.map((c) => c.sha) : [pull.head];
    for (const sha of own)
      if (inRange.has(sha) && !out.has(sha) && !onBase?.has(sha)) out.set(sha, { pull, how: "merge" });
  }
  for (const pull of latest) {
    if (pull.state !== "merged" || !pull.mergeCommit) continue;
    const tip = inRange.get(pull.mergeCommit);
    if (!tip || out.has(tip.sha)) continue;
    const fps = new Map<string, number>();
    for (const c of pull.commits ?? [])
      if (c.parents.length < 2) fps.set(c.fingerprint, (fps.get(c.fingerprint) ?? 0) + 1);
    if (!fps.get(tip.fingerprint)) {
      out.set(tip.sha, { pull, how: "squash" });
      continue;
    }
    // Rebased: walk the first-parent chain while the commits are copies of the pull request's.
    let c: RangeCommit | undefined = tip;
    while (c && !out.has(c.sha) && (fps.get(c.fingerprint) ?? 0) > 0) {
      fps.set(c.fingerprint, fps.get(c.fingerprint)! - 1);
      out.set(c.sha, { pull, how: "rebase" });
      c = c.parents[0] ? inRange.get(c.parents[0]) : undefined;
    }
  }
  return out;
}

/** Is an approval of `approved` still current for the pull request's final head? */
export function approvalCurrency(
  pull: PullRecord,
  approved: string,
  mergeFacts: Record<string, MergeFact> = {},
  onBase?: ReadonlySet<string>,
): { current: boolean; reason: string } {
  if (approved === pull.head) return { current: true, reason: `approved the head ${short(approved)}` };
  if (!pull.commits)
    return {
      current: false,
      reason: `stale: approved ${short(approved)}, the head is ${short(pull.head)} and the pull request's commits are not recorded (run review import)`,
    };
  const byId = new Map(pull.commits.map((c) => [c.sha, c]));
  if (!byId.has(approved))
    return {
      current: false,
      reason: `stale: approved ${short(approved)}, which is no longer in the pull request (force-pushed)`,
    };
  const before = new Set<string>();
  const todo = [approved];
  while (todo.length) {
    const s = todo.pop()!;
    if (before.has(s)) continue;
    before.add(s);
    for (const p of byId.get(s)?.parents ?? []) if (byId.has(p)) todo.push(p);
  }
  const later = pull.commits.filter((c) => !before.has(c.sha) && !onBase?.has(c.sha));
  for (const c of later) {
    const outside = c.parents.filter((p) => !byId.has(p) || onBase?.has(p));
    // A merge counts as a base merge only when it continues the pull request's history (one parent
    // in it) and brings in something from outside; anything else is new content.
    if (c.parents.length < 2 || outside.length === 0 || outside.length === c.parents.length)
      return { current: false, reason: `stale: approved ${short(approved)}, then ${short(c.sha)} was pushed` };
    const fact = mergeFacts[c.sha] ?? "unknown";
    if (fact === "changed")
      return {
        current: false,
        reason: `stale: approved ${short(approved)}, then merge ${short(c.sha)} changed more than the base branch brought in`,
      };
    if (fact === "unknown")
      return {
        current: false,
        reason: `stale: approved ${short(approved)}, then merge ${short(c.sha)}, which could not be checked (not in this clone, or its other parent is not on the base branch)`,
      };
  }
  return { current: true, reason: `approved ${short(approved)}; later commits only merge the base branch` };
}

/** Per reviewer, the review that stands: the latest decisive one (a dismissal or a request for changes replaces an approval). */
export function standingReviews(reviews: ReviewRecord[]): ReviewRecord[] {
  const byReviewId = new Map<string, ReviewRecord>();
  // A forge review is submitted once and can only be dismissed after: a dismissal of a review id is
  // final, whatever the ledger order (a copied or replayed record of the approval does not undo it).
  reviews.forEach((r, i) => {
    const id = r.reviewId === null ? `n${i}` : `${r.forge}:${r.repo}#${r.number}:${r.reviewId}`;
    if (byReviewId.get(id)?.state !== "dismissed") byReviewId.set(id, r);
  });
  const by = new Map<number, ReviewRecord>();
  const ordered = [...byReviewId.values()]
    .map((r, i) => ({ r, i }))
    .sort((a, b) => Date.parse(a.r.submittedAt) - Date.parse(b.r.submittedAt) || a.i - b.i);
  for (const { r } of ordered) if (r.state !== "commented") by.set(r.reviewer.id, r);
  return [...by.values()];
}

const noreply = (email: string) => /^(?:(\d+)\+)?([^@]+)@users\.noreply\.github\.com$/i.exec(email);

/** Does this reviewer account contribute to the change (PR author, commit author/committer)? */
function selfReason(
  pull: PullRecord,
  commit: RangeCommit,
  reviewer: { login: string; id: number },
): string | undefined {
  if (reviewer.id === pull.author.id) return "self-approval: the pull request's author";
  for (const c of pull.commits ?? []) {
    if (c.author?.id === reviewer.id) return `self-approval: author of ${short(c.sha)}`;
    if (c.committer?.id === reviewer.id) return `self-approval: committer of ${short(c.sha)}`;
  }
  for (const email of [commit.authorEmail, commit.committerEmail]) {
    const m = noreply(email);
    if (m && ((m[1] && Number(m[1]) === reviewer.id) || m[2]!.toLowerCase() === reviewer.login.toLowerCase()))
      return "self-approval: author or committer of the commit";
  }
  return undefined;
}

function ownerApproved(
  owner: string,
  approvers: { login: string; id: number }[],
  teams: TeamRecord[],
  forge: string,
  signedEmails: string[] = [],
): boolean | "unresolved" {
  const team = /^@([^/]+)\/(.+)$/.exec(owner);
  if (team) {
    const t = [...teams]
      .reverse()
      .find(
        (x) =>
          x.forge === forge &&
          x.org.toLowerCase() === team[1]!.toLowerCase() &&
          x.slug.toLowerCase() === team[2]!.toLowerCase(),
      );
    if (!t) return "unresolved";
    return approvers.some((a) => t.members.some((m) => m.id === a.id));
  }
  if (owner.startsWith("@")) return approvers.some((a) => a.login.toLowerCase() === owner.slice(1).toLowerCase());
  // An email owner: the forge does not say which account it is, a signed approval's key does.
  return signedEmails.includes(owner.toLowerCase());
}

/** Signed approvals for one commit: those covering it (current) and those of a head it was pushed after (stale). */
export function signedApprovalViews(
  commit: RangeCommit,
  signed: NonNullable<ReviewGateOptions["signed"]>,
): ApprovalView[] {
  const out: ApprovalView[] = [];
  const seen = new Set<string>();
  const authorEmails = [commit.authorEmail, commit.committerEmail].map((e) => e.trim().toLowerCase());
  for (const a of signed.approvals) {
    const cov = signed.coverage.get(a.head);
    if (!cov) continue;
    const covers = cov.covers.has(commit.sha);
    if (!covers && !cov.after.has(commit.sha)) continue;
    const who = emailOfIdentity(a.approver);
    const self =
      commit.signingKey && commit.signingKey === a.fingerprint
        ? "self-approval: the key that signed the commit"
        : authorEmails.includes(who)
          ? "self-approval: the commit's author or committer"
          : a.requesterKeys.includes(a.fingerprint) || a.requesters.some((r) => emailOfIdentity(r) === who)
            ? `self-approval: requested run ${a.runId}`
            : undefined;
    const reason = covers
      ? `signed approval of run ${a.runId} at ${short(a.head)}, which contains this commit`
      : `stale: signed approval of run ${a.runId} at ${short(a.head)}, then ${short(commit.sha)} was pushed`;
    // One view per key and per identity: the same approver twice counts once.
    const dedupe = `${a.fingerprint}|${who}|${covers}`;
    if (seen.has(dedupe)) continue;
    seen.add(dedupe);
    out.push({
      via: "signed",
      reviewer: a.approver,
      id: 0,
      run: a.runId,
      commit: a.head,
      current: covers,
      counted: covers && !self,
      reason: self ?? reason,
    });
  }
  // A key or identity counts once even when it approved several covering runs.
  const keys = new Set<string>();
  return out.map((v) => {
    if (!v.counted) return v;
    const a = signed.approvals.find((x) => x.runId === v.run && x.approver === v.reviewer)!;
    const ids = [a.fingerprint, emailOfIdentity(a.approver)];
    if (ids.some((i) => keys.has(i)))
      return { ...v, counted: false, reason: "the same key or identity already approved" };
    ids.forEach((i) => keys.add(i));
    return v;
  });
}

/** The review verdict for every commit of the range. */
export function reviewCommits(
  range: RangeCommit[],
  evidence: ReviewEvidenceSet,
  o: ReviewGateOptions = {},
): CommitReview[] {
  const mapped = mapCommitsToPulls(range, evidence.pulls, evidence.pushes, o.parents, o.onBase);
  return range.map((commit) => {
    const m = mapped.get(commit.sha);
    const ownerPaths = o.ownerPaths ? commit.files.filter(o.ownerPaths) : [];
    const signedViews = o.signed ? signedApprovalViews(commit, o.signed) : [];
    const forgeViews: ApprovalView[] = [];
    if (m) {
      const { pull } = m;
      const reviews = standingReviews(evidence.reviews.filter((r) => keyOf(r) === keyOf(pull)));
      for (const r of reviews.filter((x) => x.state === "approved")) {
        const self = selfReason(pull, commit, r.reviewer);
        const cur = approvalCurrency(pull, r.commit, o.mergeFacts, o.onBase);
        forgeViews.push({
          via: "forge",
          reviewer: r.reviewer.login,
          id: r.reviewer.id,
          commit: r.commit,
          current: cur.current,
          counted: !self && cur.current,
          reason: self ?? cur.reason,
        });
      }
    }
    const approvals = [...forgeViews, ...signedViews];
    const forgeCounted = forgeViews.filter((a) => a.counted);
    const signedCounted = signedViews.filter((a) => a.counted);
    const counted = [...forgeCounted, ...signedCounted];
    const count = Math.max(forgeCounted.length, signedCounted.length);
    const ownersMissing: string[] = [];
    for (const path of ownerPaths) {
      if (!m && !signedCounted.length) {
        ownersMissing.push(`${path} (no reviewed pull request or signed approval)`);
        continue;
      }
      if (!o.codeOwners) {
        ownersMissing.push(`${path} (no CODEOWNERS file)`);
        continue;
      }
      const { owners } = ownersOf(o.codeOwners, path);
      if (!owners.length) {
        ownersMissing.push(`${path} (no code owner)`);
        continue;
      }
      const answers = owners.map((ow) =>
        ownerApproved(
          ow,
          forgeCounted.map((a) => ({ login: a.reviewer, id: a.id })),
          evidence.teams,
          m?.pull.forge ?? "",
          signedCounted.map((a) => emailOfIdentity(a.reviewer)),
        ),
      );
      if (answers.includes(true)) continue;
      const unresolved = owners.filter((_, i) => answers[i] === "unresolved");
      ownersMissing.push(
        `${path} (owners ${owners.join(" ")} have not approved${unresolved.length ? `; team membership not recorded for ${unresolved.join(" ")}` : ""})`,
      );
    }
    const notCounted = approvals.filter((a) => !a.counted).map((a) => `${a.reviewer}: ${a.reason}`);
    const names = (list: ApprovalView[]) => list.map((a) => a.reviewer).join(", ");
    const signedPart = signedCounted.length ? `signed approval(s) from ${names(signedCounted)}` : "";
    const head = m
      ? `${m.pull.repo}#${m.pull.number} (${m.how}): ${forgeCounted.length} current approval(s) from others${forgeCounted.length ? ` (${names(forgeCounted)})` : ""}${signedPart ? `; ${signedPart}` : ""}`
      : signedPart
        ? `no recorded pull request; ${signedPart}`
        : "no recorded pull request brought this commit in";
    const mixed =
      forgeCounted.length && signedCounted.length
        ? `; counted ${count}, the larger set (a forge account and a key may be the same person)`
        : "";
    const summary = `${head}${mixed}${notCounted.length ? `; not counted: ${notCounted.join("; ")}` : ""}`;
    return {
      sha: commit.sha,
      pull: m
        ? { forge: m.pull.forge, repo: m.pull.repo, number: m.pull.number, how: m.how, author: m.pull.author.login }
        : null,
      approvals,
      approvers: counted.map((a) => a.reviewer),
      count,
      ownersMissing,
      summary,
    };
  });
}

/** One approval of a pull request as the evidence report and the dashboard show it. */
export interface PullApproval {
  reviewer: string;
  /** forge account id */
  id: number;
  /** the head commit approved */
  commit: string;
  /** of the final head, or only base-branch merges followed it (as far as the facts given show) */
  current: boolean;
  /** current and not the author's or a committer's */
  counted: boolean;
  reason: string;
}

/** A pull (merge) request with its approvers and whether each approval was current and counted. */
export interface PullReview {
  forge: string;
  repo: string;
  number: number;
  state: PullRecord["state"];
  author: string;
  head: string;
  mergeCommit: string | null;
  /** the pull request's commits as recorded (its own list, or the pushes'), for finding it by commit */
  commits: string[];
  approvals: PullApproval[];
}

/**
 * Per pull request (its latest record, commits from the pushes when the forge gave none), the
 * standing approvals: whether each is current for the final head and whether it counts. The same
 * rules as the gate's (`approvalCurrency`, `standingReviews`), over the records alone: without
 * git's merge facts a merge pushed after an approval cannot be shown to be a base merge, so it
 * leaves the approval not current (the gate, which has git, decides). Pure.
 */
export function pullReviews(
  evidence: Pick<ReviewEvidenceSet, "pulls" | "reviews" | "pushes">,
  o: Pick<ReviewGateOptions, "mergeFacts" | "onBase"> = {},
): PullReview[] {
  const byPull = new Map<string, ReviewRecord[]>();
  for (const r of evidence.reviews) byPull.set(keyOf(r), [...(byPull.get(keyOf(r)) ?? []), r]);
  return latestPulls(evidence.pulls, evidence.pushes ?? [])
    .map((p): PullReview => {
      const ids = new Set([p.author.id, ...(p.commits ?? []).flatMap((c) => [c.author?.id, c.committer?.id])]);
      const approvals = standingReviews(byPull.get(keyOf(p)) ?? [])
        .filter((r) => r.state === "approved")
        .map((r) => {
          const cur = approvalCurrency(p, r.commit, o.mergeFacts, o.onBase);
          const self = ids.has(r.reviewer.id);
          return {
            reviewer: r.reviewer.login,
            id: r.reviewer.id,
            commit: r.commit,
            current: cur.current,
            counted: cur.current && !self,
            reason: self ? "self-approval: the author or a committer of the change" : cur.reason,
          };
        });
      return {
        forge: p.forge,
        repo: p.repo,
        number: p.number,
        state: p.state,
        author: p.author.login,
        head: p.head,
        mergeCommit: p.mergeCommit,
        commits: (p.commits ?? []).map((c) => c.sha),
        approvals,
      };
    })
    .sort((a, b) => a.repo.localeCompare(b.repo) || a.number - b.number);
}

/**
 * The pull request a commit belongs to, among `reviews`: the one merged as it (merge or squash
 * commit, the last rebased copy), else the one whose head or one of whose commits it is.
 */
export function pullReviewOfCommit(reviews: PullReview[], sha: string): PullReview | undefined {
  return (
    reviews.find((r) => r.mergeCommit === sha) ??
    reviews.find((r) => r.head === sha) ??
    reviews.find((r) => r.commits.includes(sha))
  );
}
