/**
 * The pure parts of src/review: CODEOWNERS with GitHub's documented examples, which pull-request
 * snapshot stands, the stale-approval rule on a recorded commit graph, signature checks.
 */
import { describe, expect, it } from "vitest";
import { createHmac } from "node:crypto";
import { approvalCurrency, latestPulls, standingReviews } from "../src/review/approvals.js";
import { ownersOf, parseCodeOwners, teamsIn } from "../src/review/codeowners.js";
import type { PullCommit, PullRecord, ReviewRecord } from "../src/review/model.js";
import { verifyGithubSignature, verifyGitlabToken } from "../src/review/webhooks.js";

const sha = (c: string) => c.repeat(40);

describe("CODEOWNERS (GitHub semantics)", () => {
  // The example file from GitHub's documentation (abridged), with its stated outcomes.
  const co = parseCodeOwners(`# These owners will be the default owners for everything
*       @global-owner1 @global-owner2
*.js    @js-owner #This is an inline comment.
*.go docs@example.com
/build/logs/ @doctocat
docs/*  docs@example.com
apps/ @octocat
/docs/ @doctocat
/scripts/ @doctocat @octocat
**/logs @octocat
/apps/ @octocat
/apps/github
!/negated @someone
/src/[ab].js @someone
`);
  const owners = (p: string) => ownersOf(co, p).owners;

  it("the last matching pattern wins, as GitHub's examples say", () => {
    expect(owners("README.md")).toEqual(["@global-owner1", "@global-owner2"]);
    expect(owners("src/index.js")).toEqual(["@js-owner"]);
    expect(owners("build/logs/out.txt")).toEqual(["@octocat"]); // `/build/logs/ @doctocat`, then `**/logs @octocat` later wins
    expect(owners("deep/logs/x.txt")).toEqual(["@octocat"]);
    expect(owners("scripts/deploy.sh")).toEqual(["@doctocat", "@octocat"]);
    expect(owners("docs/getting-started.md")).toEqual(["@doctocat"]);
  });

  it("a line without owners leaves the path unowned; `docs/*`-style patterns do not reach subdirectories", () => {
    expect(owners("apps/github/index.ts")).toEqual([]);
    expect(owners("apps/other/index.ts")).toEqual(["@octocat"]);
    const only = parseCodeOwners("* @everyone\ndocs/* @docs-team\n");
    expect(ownersOf(only, "docs/a.md").owners).toEqual(["@docs-team"]);
    expect(ownersOf(only, "docs/build-app/troubleshooting.md").owners).toEqual(["@everyone"]);
  });

  it("negation and character ranges are reported, not guessed; teams are listed for resolution", () => {
    expect(co.errors.map((e) => e.line)).toEqual([13, 14]);
    expect(teamsIn(parseCodeOwners("src/ @acme/clinical @ann\nlib/ @Acme/Clinical @acme/ops\n"))).toEqual([
      ["Acme", "Clinical"],
      ["acme", "ops"],
    ]);
  });
});

const commit = (c: string, parents: string[]): PullCommit => ({
  sha: sha(c),
  parents: parents.map(sha),
  author: null,
  committer: null,
  fingerprint: "0".repeat(64),
});
const pull = (p: Partial<PullRecord>): PullRecord => ({
  forge: "github",
  repo: "acme/ehr",
  number: 1,
  author: { login: "dana", id: 1 },
  state: "open",
  base: "main",
  head: sha("b"),
  mergeCommit: null,
  commits: null,
  observedAt: "2026-12-06T10:00:00Z",
  source: "webhook",
  ...p,
});

describe("approvals on a recorded commit graph", () => {
  it("a force-push makes an approval stale; so does a merge from outside whose tree git cannot confirm", () => {
    const p = pull({ head: sha("c"), commits: [commit("a", ["0"]), commit("c", ["a"])] });
    expect(approvalCurrency(p, sha("b")).reason).toContain("no longer in the pull request (force-pushed)");
    const m = pull({ head: sha("m"), commits: [commit("a", ["0"]), commit("m", ["a", "9"])] });
    expect(approvalCurrency(m, sha("a")).current).toBe(false);
    expect(approvalCurrency(m, sha("a"), { [sha("m")]: "base-merge" }).current).toBe(true);
    expect(approvalCurrency(m, sha("a"), { [sha("m")]: "changed" }).current).toBe(false);
  });

  it("a merge is final: a later snapshot of the pull request (a late review event) does not undo it", () => {
    const merged = pull({ state: "merged", mergeCommit: sha("f"), head: sha("b"), source: "webhook" });
    const late = pull({ state: "open", observedAt: "2026-12-06T11:00:00Z" });
    expect(latestPulls([merged, late])[0]).toMatchObject({ state: "merged", mergeCommit: sha("f") });
    const withCommits = pull({ head: sha("b"), commits: [commit("b", ["0"])], source: "api" });
    expect(latestPulls([withCommits, late])[0]!.commits).toHaveLength(1);
  });

  it("per reviewer the latest decisive review stands; a comment does not withdraw an approval", () => {
    const r = (id: number, state: ReviewRecord["state"], at: string, reviewId: number | null = id): ReviewRecord => ({
      forge: "github",
      repo: "acme/ehr",
      number: 1,
      reviewId,
      reviewer: { login: "ann", id: 2 },
      state,
      commit: sha("b"),
      submittedAt: at,
      source: "api",
    });
    expect(
      standingReviews([r(1, "approved", "2026-12-06T09:00:00Z"), r(2, "commented", "2026-12-06T09:10:00Z")]).map(
        (x) => x.state,
      ),
    ).toEqual(["approved"]);
    expect(
      standingReviews([
        r(1, "approved", "2026-12-06T09:00:00Z"),
        r(2, "changes_requested", "2026-12-06T09:10:00Z"),
      ]).map((x) => x.state),
    ).toEqual(["changes_requested"]);
    // The same review id dismissed later (GitHub keeps the id, changes the state).
    expect(
      standingReviews([r(1, "approved", "2026-12-06T09:00:00Z"), r(1, "dismissed", "2026-12-06T09:00:00Z")]).map(
        (x) => x.state,
      ),
    ).toEqual(["dismissed"]);
    // Attacker: the genuine signed approval copied (or replayed) after its dismissal does not bring it back.
    expect(
      standingReviews([
        r(1, "approved", "2026-12-06T09:00:00Z"),
        r(1, "dismissed", "2026-12-06T09:00:00Z"),
        r(1, "approved", "2026-12-06T09:00:00Z"),
      ]).map((x) => x.state),
    ).toEqual(["dismissed"]);
  });

  it("attacker: an old genuine pull-request snapshot copied to the end of the ledger does not bring back its head", () => {
    const old = pull({ head: sha("a"), observedAt: "2026-12-06T09:00:00Z" });
    const now = pull({ head: sha("c"), observedAt: "2026-12-06T10:00:00Z" });
    expect(latestPulls([old, now, old])[0]!.head).toBe(sha("c"));
  });

  it("attacker: an approval of another pull request's head does not count for this one", () => {
    // #1's own commits are a, b; the approval names c, the head of #2 (which the reviewer did approve there).
    const p = pull({ head: sha("b"), commits: [commit("a", ["0"]), commit("b", ["a"])] });
    const v = approvalCurrency(p, sha("c"));
    expect(v.current).toBe(false);
    expect(v.reason).toContain("no longer in the pull request");
  });
});

describe("webhook credentials", () => {
  it("GitHub: only the exact HMAC-SHA256 of the raw body verifies", () => {
    const body = Buffer.from('{"a":1}');
    const good = `sha256=${createHmac("sha256", "s3cret").update(body).digest("hex")}`;
    expect(verifyGithubSignature("s3cret", body, good)).toBe(true);
    expect(verifyGithubSignature("s3cret", Buffer.from('{"a":2}'), good)).toBe(false);
    expect(verifyGithubSignature("other", body, good)).toBe(false);
    expect(verifyGithubSignature("s3cret", body, good.slice(0, -2))).toBe(false);
    expect(verifyGithubSignature("s3cret", body, undefined)).toBe(false);
    expect(verifyGithubSignature("", body, `sha256=${createHmac("sha256", "").update(body).digest("hex")}`)).toBe(
      false,
    );
  });

  it("GitLab: the token must equal the secret; an empty secret never verifies", () => {
    expect(verifyGitlabToken("tok", "tok")).toBe(true);
    expect(verifyGitlabToken("tok", "tok2")).toBe(false);
    expect(verifyGitlabToken("tok", undefined)).toBe(false);
    expect(verifyGitlabToken("", "")).toBe(false);
  });
});
