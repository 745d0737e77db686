/**
 * The forge adapter for `review import --github`: reads a pull request, its commits and reviews,
 * and the members of CODEOWNERS teams through the GitHub REST API (`@octokit/rest`; `baseUrl`
 * for GitHub Enterprise Server and tests). Returns records to sign; the caller passes the token.
 */
import { UserError } from "../core/errors.js";
import {
  authorFingerprint,
  type Identity,
  type PullCommit,
  type PullRecord,
  type ReviewRecord,
  type ReviewState,
  type TeamRecord,
} from "./model.js";

export interface GithubReviewOptions {
  owner: string;
  repo: string;
  pull: number;
  token?: string;
  /** API root, e.g. https://ghe.example.com/api/v3 (default https://api.github.com) */
  baseUrl?: string;
  /** `@org/team` owners to resolve, as [org, slug] */
  teams?: [string, string][];
  now?: () => Date;
}

export interface GithubReviewRecords {
  pull: PullRecord;
  reviews: ReviewRecord[];
  teams: TeamRecord[];
}

const STATES: Record<string, ReviewState | undefined> = {
  APPROVED: "approved",
  CHANGES_REQUESTED: "changes_requested",
  DISMISSED: "dismissed",
  COMMENTED: "commented",
};
const ident = (u: { login?: string; id?: number } | null | undefined): Identity | null =>
  u && typeof u.login === "string" && typeof u.id === "number" ? { login: u.login, id: u.id } : null;

export async function fetchGithubReviews(o: GithubReviewOptions): Promise<GithubReviewRecords> {
  const { Octokit } = await import("@octokit/rest");
  const octokit = new Octokit({
    ...(o.token ? { auth: o.token } : {}),
    ...(o.baseUrl ? { baseUrl: o.baseUrl.replace(/\/+$/, "") } : {}),
    userAgent: "gitops-health",
    log: { debug() {}, info() {}, warn() {}, error() {} },
  });
  const where = { owner: o.owner, repo: o.repo };
  const observedAt = (o.now?.() ?? new Date()).toISOString();
  try {
    const { data: pr } = await octokit.rest.pulls.get({ ...where, pull_number: o.pull });
    const rawCommits = await octokit.paginate(octokit.rest.pulls.listCommits, {
      ...where,
      pull_number: o.pull,
      per_page: 100,
    });
    const rawReviews = await octokit.paginate(octokit.rest.pulls.listReviews, {
      ...where,
      pull_number: o.pull,
      per_page: 100,
    });
    const author = ident(pr.user);
    if (!author) throw new UserError(`pull request ${o.owner}/${o.repo}#${o.pull} has no author account`);
    const commits: PullCommit[] = rawCommits.map((c) => ({
      sha: c.sha,
      parents: c.parents.map((p) => p.sha),
      author: ident(c.author as { login?: string; id?: number } | null),
      committer: ident(c.committer as { login?: string; id?: number } | null),
      fingerprint: authorFingerprint(c.commit.author?.email ?? "", c.commit.author?.date ?? "", c.commit.message),
    }));
    const merged = Boolean(pr.merged) || Boolean(pr.merged_at);
    const pull: PullRecord = {
      forge: "github",
      repo: `${o.owner}/${o.repo}`,
      number: o.pull,
      author,
      state: merged ? "merged" : pr.state === "open" ? "open" : "closed",
      base: pr.base.ref,
      head: pr.head.sha,
      // Before the merge, merge_commit_sha is GitHub's test merge: not a commit of the base branch.
      mergeCommit: merged ? (pr.merge_commit_sha ?? null) : null,
      commits,
      observedAt,
      source: "api",
    };
    const reviews: ReviewRecord[] = [];
    for (const r of rawReviews) {
      const state = STATES[r.state];
      const reviewer = ident(r.user);
      if (!state || !reviewer || !r.commit_id || !r.submitted_at) continue; // pending reviews have no submission
      reviews.push({
        forge: "github",
        repo: pull.repo,
        number: o.pull,
        reviewId: r.id,
        reviewer,
        state,
        commit: r.commit_id,
        submittedAt: r.submitted_at,
        source: "api",
      });
    }
    const teams: TeamRecord[] = [];
    for (const [org, slug] of o.teams ?? []) {
      const members = await octokit.paginate(octokit.rest.teams.listMembersInOrg, {
        org,
        team_slug: slug,
        per_page: 100,
      });
      teams.push({
        forge: "github",
        org,
        slug,
        members: members.map(ident).filter((x): x is Identity => x !== null),
        observedAt,
      });
    }
    return { pull, reviews, teams };
  } catch (err) {
    if (err instanceof UserError) throw err;
    const status = (err as { status?: number }).status;
    if (status === 401 || status === 403)
      throw new UserError(
        `GitHub refused the request (${status}): the token needs pull-requests: read${o.teams?.length ? " and, for team owners, members: read (organization)" : ""}`,
      );
    if (status === 404) throw new UserError(`GitHub has no ${o.owner}/${o.repo}#${o.pull} visible to this token (404)`);
    throw new UserError(`GitHub API: ${(err as Error).message.split("\n")[0]}`);
  }
}
