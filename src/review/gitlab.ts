/**
 * The forge adapter for `review import --gitlab`: reads a merge request, its commits, its current
 * approvals and the members of CODEOWNERS groups through the GitLab REST API v4 (plain `fetch`,
 * `x-next-page` pagination; `baseUrl` for self-managed GitLab and tests). Returns records to sign.
 *
 * GitLab's approvals endpoint says who approves the merge request now, not which commit each
 * approved. That commit is reconstructed from what GitLab records: the time of the reviewer's last
 * "approved this merge request" system note, and the merge request version (diff) that was
 * current then (`versions`, each with its head commit and creation time). An approver for whom
 * either is missing is not recorded (nothing is guessed), and a reviewer whose last note is an
 * "unapproved" one is recorded as dismissed. Free text (titles, descriptions, note bodies) is
 * matched, never copied into a record.
 */
import { UserError } from "../core/errors.js";
import {
  authorFingerprint,
  type Identity,
  type PullCommit,
  type PullRecord,
  type ReviewRecord,
  type TeamRecord,
} from "./model.js";

export interface GitlabReviewOptions {
  /** project path, e.g. group/subgroup/ehr */
  project: string;
  /** merge request IID */
  mr: number;
  token?: string;
  /** how the token is sent: a personal/project access token (PRIVATE-TOKEN) or the CI job token (JOB-TOKEN) */
  tokenKind?: "private" | "job";
  /** API root, e.g. https://gitlab.example.org/api/v4 (default https://gitlab.com/api/v4) */
  baseUrl?: string;
  /** CODEOWNERS `@group/subgroup` owners to resolve, as full group paths */
  groups?: string[];
  now?: () => Date;
  fetch?: typeof fetch;
}

export interface GitlabReviewRecords {
  pull: PullRecord;
  reviews: ReviewRecord[];
  teams: TeamRecord[];
  /** approvers whose approved commit GitLab's records do not establish (not recorded) */
  unresolved: string[];
}

interface GlUser {
  id: number;
  username: string;
}
interface GlMr {
  iid: number;
  state: string;
  author: GlUser;
  target_branch: string;
  sha: string;
  merge_commit_sha?: string | null;
  squash_commit_sha?: string | null;
}
interface GlCommit {
  id: string;
  parent_ids?: string[];
  author_email?: string;
  authored_date?: string;
  committer_email?: string;
  message?: string;
}
interface GlNote {
  system?: boolean;
  body?: string;
  author?: GlUser;
  created_at?: string;
}
interface GlVersion {
  head_commit_sha: string;
  created_at: string;
}

const ident = (u: GlUser | null | undefined): Identity | null =>
  u && typeof u.username === "string" && typeof u.id === "number" ? { login: u.username, id: u.id } : null;
const APPROVED = /^approved this merge request$/i;
const UNAPPROVED = /^unapproved this merge request$/i;

export async function fetchGitlabReviews(o: GitlabReviewOptions): Promise<GitlabReviewRecords> {
  const root = (o.baseUrl ?? "https://gitlab.com/api/v4").replace(/\/+$/, "");
  const f = o.fetch ?? fetch;
  const headers: Record<string, string> = { accept: "application/json", "user-agent": "gitops-health" };
  if (o.token) headers[o.tokenKind === "job" ? "JOB-TOKEN" : "PRIVATE-TOKEN"] = o.token;
  const project = encodeURIComponent(o.project);
  const mrPath = `/projects/${project}/merge_requests/${o.mr}`;
  const observedAt = (o.now?.() ?? new Date()).toISOString();
  const where = `${o.project}!${o.mr}`;

  const get = async <T>(path: string): Promise<{ body: T; next: string | null }> => {
    let res: Response;
    try {
      res = await f(`${root}${path}`, { headers, redirect: "error" });
    } catch (err) {
      throw new UserError(`GitLab API: ${(err as Error).message.split("\n")[0]}`);
    }
    if (res.status === 401 || res.status === 403)
      throw new UserError(
        `GitLab refused the request (${res.status}): the token needs read_api (or a job token allowed to read this project)`,
      );
    if (res.status === 404) {
      const group = /^\/groups\/([^/]+)/.exec(path)?.[1];
      throw new UserError(
        group
          ? `GitLab has no group ${decodeURIComponent(group)} visible to this token (404)`
          : `GitLab has no ${where} visible to this token (404)`,
      );
    }
    if (!res.ok) throw new UserError(`GitLab API answered ${res.status} for ${path.split("?")[0]}`);
    let body: T;
    try {
      body = (await res.json()) as T;
    } catch {
      throw new UserError(`GitLab API: the answer for ${path.split("?")[0]} is not JSON`);
    }
    return { body, next: res.headers.get("x-next-page") || null };
  };
  const all = async <T>(path: string): Promise<T[]> => {
    const out: T[] = [];
    let page: string | null = "1";
    for (let i = 0; page && i < 1000; i++) {
      const sep = path.includes("?") ? "&" : "?";
      const r: { body: T[]; next: string | null } = await get<T[]>(`${path}${sep}per_page=100&page=${page}`);
      if (!Array.isArray(r.body)) throw new UserError(`GitLab API: expected a list from ${path.split("?")[0]}`);
      out.push(...r.body);
      page = r.next && /^\d+$/.test(r.next) ? r.next : null;
    }
    return out;
  };

  const { body: mr } = await get<GlMr>(mrPath);
  const author = ident(mr.author);
  if (!author || typeof mr.sha !== "string") throw new UserError(`merge request ${where} has no author or head commit`);
  // GitLab lists a merge request's commits newest first.
  const raw = (await all<GlCommit>(`${mrPath}/commits`)).reverse();
  const commits: PullCommit[] = [];
  for (const c of raw) {
    let parents = c.parent_ids;
    if (!Array.isArray(parents))
      parents = (await get<GlCommit>(`/projects/${project}/repository/commits/${encodeURIComponent(c.id)}`)).body
        .parent_ids;
    commits.push({
      sha: c.id,
      parents: parents ?? [],
      author: null,
      committer: null,
      fingerprint: authorFingerprint(c.author_email ?? "", c.authored_date ?? "", c.message ?? ""),
    });
  }
  const merged = mr.state === "merged";
  const pull: PullRecord = {
    forge: "gitlab",
    repo: o.project,
    number: o.mr,
    author,
    state: merged ? "merged" : mr.state === "opened" ? "open" : "closed",
    base: mr.target_branch,
    head: mr.sha,
    // squash: the squash commit is what lands (beside a merge commit or alone); fast-forward: the commits themselves
    mergeCommit: merged ? (mr.squash_commit_sha ?? mr.merge_commit_sha ?? null) : null,
    commits,
    observedAt,
    source: "api",
  };

  const { body: approvals } = await get<{ approved_by?: { user?: GlUser }[] }>(`${mrPath}/approvals`);
  const notes = (await all<GlNote>(`${mrPath}/notes?sort=asc&order_by=created_at`)).filter(
    (n) => n.system && typeof n.body === "string" && n.author && n.created_at,
  );
  const versions = (await all<GlVersion>(`${mrPath}/versions`))
    .filter((v) => typeof v.head_commit_sha === "string" && Number.isFinite(Date.parse(v.created_at)))
    .sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
  const headAt = (t: number) => [...versions].reverse().find((v) => Date.parse(v.created_at) <= t)?.head_commit_sha;
  const lastNote = (id: number, re: RegExp) =>
    [...notes].reverse().find((n) => n.author!.id === id && re.test(n.body!.trim()));

  const reviews: ReviewRecord[] = [];
  const unresolved: string[] = [];
  const approvers = (approvals.approved_by ?? []).map((a) => ident(a.user)).filter((x): x is Identity => x !== null);
  for (const reviewer of approvers) {
    const note = lastNote(reviewer.id, APPROVED);
    const at = note ? Date.parse(note.created_at!) : NaN;
    const commit = Number.isFinite(at) ? headAt(at) : undefined;
    if (!note || !commit) {
      unresolved.push(reviewer.login);
      continue;
    }
    reviews.push({
      forge: "gitlab",
      repo: o.project,
      number: o.mr,
      reviewId: null,
      reviewer,
      state: "approved",
      commit,
      submittedAt: new Date(at).toISOString(),
      source: "api",
    });
  }
  // Withdrawn approvals: the reviewer's last approval note is followed by an unapproval and GitLab no longer lists them.
  const seen = new Set(approvers.map((a) => a.id));
  for (const n of notes) {
    const who = ident(n.author);
    if (!who || seen.has(who.id) || !UNAPPROVED.test(n.body!.trim())) continue;
    const un = lastNote(who.id, UNAPPROVED)!;
    const ap = lastNote(who.id, APPROVED);
    if (ap && Date.parse(ap.created_at!) > Date.parse(un.created_at!)) continue;
    seen.add(who.id);
    const at = Date.parse(un.created_at!);
    reviews.push({
      forge: "gitlab",
      repo: o.project,
      number: o.mr,
      reviewId: null,
      reviewer: who,
      state: "dismissed",
      commit: headAt(at) ?? mr.sha,
      submittedAt: new Date(at).toISOString(),
      source: "api",
    });
  }

  const teams: TeamRecord[] = [];
  for (const group of o.groups ?? []) {
    const members = await all<GlUser>(`/groups/${encodeURIComponent(group)}/members/all`);
    const slash = group.indexOf("/");
    teams.push({
      forge: "gitlab",
      org: slash < 0 ? group : group.slice(0, slash),
      slug: slash < 0 ? group : group.slice(slash + 1),
      members: members.map(ident).filter((x): x is Identity => x !== null),
      observedAt,
    });
  }
  return { pull, reviews, teams, unresolved };
}
