/**
 * Forge webhooks to review records. The signature is checked on the raw body before anything is
 * parsed (`verifyGithubSignature`, `verifyGitlabToken`, both constant-time); the payload shapes
 * are the ones GitHub (`pull_request`, `pull_request_review`, `push`) and GitLab (Merge Request Hook
 * with its approval and update actions, Push Hook) document. Pure apart from crypto.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { authorFingerprint, PullRecord, PushRecord, ReviewRecord, type ReviewKind, type ReviewState } from "./model.js";

export type WebhookRecord =
  | { kind: "pull"; record: PullRecord }
  | { kind: "review"; record: ReviewRecord }
  | { kind: "push"; record: PushRecord };
export type WebhookResult = { records: WebhookRecord[]; ignored?: string };

/** `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>` */
export function verifyGithubSignature(secret: string, body: Buffer, header: string | undefined): boolean {
  if (!secret || !header || !header.startsWith("sha256=")) return false;
  const given = Buffer.from(header.slice(7), "hex");
  const want = createHmac("sha256", secret).update(body).digest();
  return given.length === want.length && timingSafeEqual(given, want);
}

/** `X-Gitlab-Token` is the shared secret itself: compared by digest, so in constant time whatever its length. */
export function verifyGitlabToken(secret: string, header: string | undefined): boolean {
  if (!secret || header === undefined) return false;
  const d = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(d(secret), d(header));
}

const User = z.object({ login: z.string(), id: z.number().int() }).passthrough();
const GhPull = z
  .object({
    number: z.number().int().positive(),
    state: z.string(),
    merged: z.boolean().nullish(),
    merge_commit_sha: z.string().nullish(),
    user: User,
    head: z.object({ sha: z.string() }).passthrough(),
    base: z.object({ ref: z.string() }).passthrough(),
  })
  .passthrough();
const GhRepo = z.object({ full_name: z.string() }).passthrough();
const GhPullEvent = z.object({ action: z.string(), pull_request: GhPull, repository: GhRepo }).passthrough();
const GhReviewEvent = z
  .object({
    action: z.string(),
    review: z
      .object({
        id: z.number().int(),
        user: User,
        state: z.string(),
        commit_id: z.string(),
        submitted_at: z.string().nullish(),
      })
      .passthrough(),
    pull_request: GhPull,
    repository: GhRepo,
  })
  .passthrough();

function ghPull(pr: z.infer<typeof GhPull>, repo: string, now: string): PullRecord {
  const merged = Boolean(pr.merged);
  return PullRecord.parse({
    forge: "github",
    repo,
    number: pr.number,
    author: { login: pr.user.login, id: pr.user.id },
    state: merged ? "merged" : pr.state === "open" ? "open" : "closed",
    base: pr.base.ref,
    head: pr.head.sha,
    mergeCommit: merged ? (pr.merge_commit_sha ?? null) : null,
    commits: null,
    observedAt: now,
    source: "webhook",
  });
}

const GH_STATES: Record<string, ReviewState> = {
  approved: "approved",
  changes_requested: "changes_requested",
  dismissed: "dismissed",
  commented: "commented",
};

/** The commits of a push, as both forges list them (id, message, time, author e-mail). */
const PushCommits = z.array(
  z
    .object({
      id: z.string(),
      message: z.string(),
      timestamp: z.string(),
      author: z.object({ email: z.string() }).passthrough(),
    })
    .passthrough(),
);

const GhPush = z
  .object({
    ref: z.string(),
    before: z.string(),
    after: z.string(),
    forced: z.boolean().optional(),
    deleted: z.boolean().optional(),
    commits: PushCommits,
    repository: z.object({ full_name: z.string(), default_branch: z.string().optional() }).passthrough(),
  })
  .passthrough();

/**
 * A push to a branch (not the default branch, not a tag, not a deletion): its commits' ids and the
 * fingerprints a rebase keeps (author email and time, message: hashed, never copied).
 */
function ghPush(body: unknown, at: string): WebhookResult {
  const e = GhPush.parse(body);
  if (!e.ref.startsWith("refs/heads/")) return { records: [], ignored: "push to a tag" };
  if (e.deleted || /^0+$/.test(e.after)) return { records: [], ignored: "branch deleted" };
  if (e.repository.default_branch && e.ref === `refs/heads/${e.repository.default_branch}`)
    return { records: [], ignored: "push to the default branch" };
  if (!e.commits.length) return { records: [], ignored: "push without commits" };
  const record = PushRecord.parse({
    forge: "github",
    repo: e.repository.full_name,
    ref: e.ref,
    before: e.before,
    after: e.after,
    forced: Boolean(e.forced),
    commits: e.commits.map((c) => ({
      sha: c.id,
      fingerprint: authorFingerprint(c.author.email, c.timestamp, c.message),
    })),
    observedAt: at,
  });
  return { records: [{ kind: "push", record }] };
}

/** A GitHub delivery (`X-GitHub-Event` and the parsed body) as records. Throws ZodError on a malformed body. */
export function githubWebhookRecords(event: string, body: unknown, now: Date): WebhookResult {
  const at = now.toISOString();
  if (event === "ping") return { records: [], ignored: "ping" };
  if (event === "push") return ghPush(body, at);
  if (event === "pull_request") {
    const e = GhPullEvent.parse(body);
    return { records: [{ kind: "pull", record: ghPull(e.pull_request, e.repository.full_name, at) }] };
  }
  if (event === "pull_request_review") {
    const e = GhReviewEvent.parse(body);
    const pull = ghPull(e.pull_request, e.repository.full_name, at);
    const state = e.action === "dismissed" ? "dismissed" : GH_STATES[e.review.state.toLowerCase()];
    if (!state) return { records: [{ kind: "pull", record: pull }], ignored: `review state ${e.review.state}` };
    const review = ReviewRecord.parse({
      forge: "github",
      repo: pull.repo,
      number: pull.number,
      reviewId: e.review.id,
      reviewer: { login: e.review.user.login, id: e.review.user.id },
      state,
      commit: e.review.commit_id,
      submittedAt: e.review.submitted_at ?? at,
      source: "webhook",
    });
    return {
      records: [
        { kind: "pull", record: pull },
        { kind: "review", record: review },
      ],
    };
  }
  return { records: [], ignored: `event ${event}` };
}

const GlEvent = z
  .object({
    object_kind: z.literal("merge_request"),
    user: z.object({ id: z.number().int(), username: z.string() }).passthrough(),
    project: z.object({ path_with_namespace: z.string() }).passthrough(),
    object_attributes: z
      .object({
        iid: z.number().int().positive(),
        action: z.string().optional(),
        state: z.string(),
        author_id: z.number().int(),
        target_branch: z.string(),
        last_commit: z.object({ id: z.string() }).passthrough(),
        merge_commit_sha: z.string().nullish(),
        squash_commit_sha: z.string().nullish(),
        updated_at: z.string().optional(),
      })
      .passthrough(),
  })
  .passthrough();

const isoOr = (s: string | undefined, fallback: string) => {
  const t = s ? Date.parse(s.replace(/ UTC$/, "Z").replace(/^(\d{4}-\d\d-\d\d) /, "$1T")) : NaN;
  return Number.isFinite(t) ? new Date(t).toISOString() : fallback;
};

const GlPush = z
  .object({
    object_kind: z.literal("push"),
    ref: z.string(),
    before: z.string(),
    after: z.string(),
    total_commits_count: z.number().int().nonnegative().optional(),
    commits: PushCommits,
    project: z.object({ path_with_namespace: z.string(), default_branch: z.string().optional() }).passthrough(),
  })
  .passthrough();

/**
 * A GitLab Push Hook to a branch (not the default branch, not a deletion), recorded as GitHub's
 * push is: the commits taking the branch from `before` to `after`, oldest first, with the
 * fingerprints a rebase keeps. GitLab lists at most the latest 20 commits of a push and counts
 * them all in `total_commits_count`: a shorter list is recorded as `truncated`, so the commits it
 * leaves out are not made up (an approval of one of them is then stale: fail closed). GitLab's
 * hook does not say whether a push was forced; the gate takes a commit's parents from git where
 * the clone has it, which shows a rewritten history for what it is.
 */
function glPush(body: unknown, at: string): WebhookResult {
  const e = GlPush.parse(body);
  if (!e.ref.startsWith("refs/heads/")) return { records: [], ignored: "push to a tag" };
  if (/^0+$/.test(e.after)) return { records: [], ignored: "branch deleted" };
  if (e.project.default_branch && e.ref === `refs/heads/${e.project.default_branch}`)
    return { records: [], ignored: "push to the default branch" };
  if (!e.commits.length) return { records: [], ignored: "push without commits" };
  // Oldest first, as GitLab lists them; the last is the new tip.
  const commits = e.commits.map((c) => ({
    sha: c.id,
    fingerprint: authorFingerprint(c.author.email, c.timestamp, c.message),
  }));
  if (commits.at(-1)!.sha !== e.after) return { records: [], ignored: "push whose last listed commit is not its tip" };
  const truncated = (e.total_commits_count ?? commits.length) > commits.length;
  const record = PushRecord.parse({
    forge: "gitlab",
    repo: e.project.path_with_namespace,
    ref: e.ref,
    before: e.before,
    after: e.after,
    forced: false,
    commits,
    ...(truncated ? { truncated: true } : {}),
    observedAt: at,
  });
  return { records: [{ kind: "push", record }] };
}

/**
 * A GitLab delivery (`X-Gitlab-Event` and the parsed body) as records: a Push Hook records the
 * push (its commits make earlier approvals stale), a Merge Request Hook records the merge request
 * as it now is (an `update` that moved its head included); `approved`/`approval` record an
 * approval, `unapproved`/`unapproval` withdraw it.
 */
export function gitlabWebhookRecords(event: string | undefined, body: unknown, now: Date): WebhookResult {
  const at = now.toISOString();
  if (event === "Push Hook") return glPush(body, at);
  if (event !== "Merge Request Hook") return { records: [], ignored: `event ${event ?? "(none)"}` };
  const e = GlEvent.parse(body);
  const a = e.object_attributes;
  const merged = a.state === "merged";
  const pull = PullRecord.parse({
    forge: "gitlab",
    repo: e.project.path_with_namespace,
    number: a.iid,
    // The hook names the author by id only.
    author: { login: `id:${a.author_id}`, id: a.author_id },
    state: merged ? "merged" : a.state === "opened" ? "open" : "closed",
    base: a.target_branch,
    head: a.last_commit.id,
    mergeCommit: merged ? (a.merge_commit_sha ?? a.squash_commit_sha ?? null) : null,
    commits: null,
    observedAt: at,
    source: "webhook",
  });
  const records: WebhookRecord[] = [{ kind: "pull", record: pull }];
  const action = a.action ?? "";
  const state: ReviewState | undefined =
    action === "approved" || action === "approval"
      ? "approved"
      : action === "unapproved" || action === "unapproval"
        ? "dismissed"
        : undefined;
  if (state) {
    records.push({
      kind: "review",
      record: ReviewRecord.parse({
        forge: "gitlab",
        repo: pull.repo,
        number: pull.number,
        reviewId: null,
        reviewer: { login: e.user.username, id: e.user.id },
        state,
        commit: a.last_commit.id,
        submittedAt: isoOr(a.updated_at, at),
        source: "webhook",
      }),
    });
  }
  return { records };
}

export type { ReviewKind };
