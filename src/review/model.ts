/**
 * Forge review evidence: what a pull (merge) request was, who reviewed which head commit and
 * how, and who is in a team. Each record is signed by the producer that read it from the forge
 * (the service for webhooks, the CI key for `review import`), as check results are: the author
 * of a change can write a ledger entry, not a producer's signature. Pure: no env, no I/O.
 */
import { createHash } from "node:crypto";
import canonicalize from "canonicalize";
import { z } from "zod";

export const REVIEW_STATEMENT_HEADER = "gitops-health review v1";
/** Ledger entry types (reserved: `review.` is a reserved prefix). */
export const REVIEW_ENTRY = {
  pull: "review.pull",
  review: "review.review",
  team: "review.team",
  push: "review.push",
} as const;

const Sha = z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/);
export const Forge = z.enum(["github", "gitlab"]);
export type Forge = z.infer<typeof Forge>;
/** A forge account: the login is a label, the numeric id is the identity (logins can be renamed). */
export const Identity = z.object({ login: z.string().min(1).max(100), id: z.number().int().nonnegative() }).strict();
export type Identity = z.infer<typeof Identity>;
const Repo = z
  .string()
  .min(1)
  .max(300)
  .regex(/^[A-Za-z0-9._/-]+$/);
const Time = z.string().datetime({ offset: true });

export const PullCommit = z
  .object({
    sha: Sha,
    parents: z.array(Sha),
    /** forge accounts the commit's author and committer emails resolve to, when the forge knows them */
    author: Identity.nullable(),
    committer: Identity.nullable(),
    /** `authorFingerprint` of the commit: a rebase keeps it, so rebased copies can be recognised */
    fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
  })
  .strict();
export type PullCommit = z.infer<typeof PullCommit>;

export const PullRecord = z
  .object({
    forge: Forge,
    repo: Repo,
    number: z.number().int().positive(),
    author: Identity,
    state: z.enum(["open", "closed", "merged"]),
    base: z.string().min(1).max(255),
    /** the pull request's head commit when observed (its last head if merged) */
    head: Sha,
    /** merged: the merge commit, the squash commit, or the last rebased commit */
    mergeCommit: Sha.nullable(),
    /** the pull request's commits, oldest first (null: not known, e.g. from a webhook) */
    commits: z.array(PullCommit).max(10_000).nullable(),
    observedAt: Time,
    source: z.enum(["api", "webhook"]),
  })
  .strict();
export type PullRecord = z.infer<typeof PullRecord>;

export const ReviewState = z.enum(["approved", "changes_requested", "dismissed", "commented"]);
export type ReviewState = z.infer<typeof ReviewState>;

export const ReviewRecord = z
  .object({
    forge: Forge,
    repo: Repo,
    number: z.number().int().positive(),
    /** the forge's review id (GitHub), null where the forge has none (GitLab approvals) */
    reviewId: z.number().int().nonnegative().nullable(),
    reviewer: Identity,
    state: ReviewState,
    /** the head commit the review was given on */
    commit: Sha,
    submittedAt: Time,
    source: z.enum(["api", "webhook"]),
  })
  .strict();
export type ReviewRecord = z.infer<typeof ReviewRecord>;

export const TeamRecord = z
  .object({
    forge: Forge,
    org: z.string().min(1).max(100),
    slug: z.string().min(1).max(100),
    members: z.array(Identity).max(10_000),
    observedAt: Time,
  })
  .strict();
export type TeamRecord = z.infer<typeof TeamRecord>;

/**
 * A push to a branch as the forge's push webhook lists it: the commits (oldest first) taking the
 * branch from `before` to `after`. A pull request known only from webhooks gets its commits from
 * the chain of pushes ending at its head, so its rebased or merged commits map back to it.
 */
export const PushRecord = z
  .object({
    forge: Forge,
    repo: Repo,
    ref: z.string().min(1).max(255),
    before: Sha,
    after: Sha,
    /** a force push: the commits before it are not the branch's history */
    forced: z.boolean(),
    commits: z.array(z.object({ sha: Sha, fingerprint: z.string().regex(/^[0-9a-f]{64}$/) }).strict()).max(10_000),
    /**
     * the forge listed only the latest of the pushed commits (GitLab lists 20 and counts the rest in
     * `total_commits_count`): the first listed commit's parent is not known, so the chain stops there
     */
    truncated: z.boolean().optional(),
    observedAt: Time,
  })
  .strict();
export type PushRecord = z.infer<typeof PushRecord>;

export type ReviewKind = keyof typeof REVIEW_ENTRY;
export type AnyReviewRecord = PullRecord | ReviewRecord | TeamRecord | PushRecord;
export type RecordOf<K extends ReviewKind> = K extends "pull"
  ? PullRecord
  : K extends "review"
    ? ReviewRecord
    : K extends "push"
      ? PushRecord
      : TeamRecord;
export const RECORD_SCHEMA = { pull: PullRecord, review: ReviewRecord, team: TeamRecord, push: PushRecord } as const;

/** The exact bytes a producer signs: a header line and the canonical JSON (RFC 8785) of kind and record. */
export function reviewStatement(kind: ReviewKind, record: AnyReviewRecord): string {
  return `${REVIEW_STATEMENT_HEADER}\n${canonicalize({ kind, record })!}\n`;
}

/** The ledger subject of a record: `github:owner/repo#12`, `github:team:org/slug`, `github:owner/repo@refs/heads/x`. */
export function reviewSubject(kind: ReviewKind, record: AnyReviewRecord): string {
  if (kind === "push") {
    const p = record as PushRecord;
    return `${p.forge}:${p.repo}@${p.ref}`;
  }
  if (kind === "team") {
    const t = record as TeamRecord;
    return `${t.forge}:team:${t.org}/${t.slug}`;
  }
  const r = record as PullRecord | ReviewRecord;
  return `${r.forge}:${r.repo}#${r.number}`;
}

/**
 * What a rebase keeps of a commit: author email, author time (seconds) and message. Hashed, so
 * the record carries neither the email nor the message; compared, it recognises the rebased copy.
 */
export function authorFingerprint(email: string, date: string | number, message: string): string {
  const seconds = typeof date === "number" ? date : Math.floor(Date.parse(date) / 1000);
  return createHash("sha256")
    .update(`${email.trim().toLowerCase()}\0${seconds}\0${message.replace(/\s+$/, "")}`)
    .digest("hex");
}
