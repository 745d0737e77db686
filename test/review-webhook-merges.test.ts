/**
 * Pull requests known only from webhooks (no `review import`): `push` deliveries list the branch's
 * commits, so the gate maps a merge commit's, a squash's and a rebase's commits to their pull
 * request and can tell a stale approval. Payloads shaped as GitHub documents them, turned into
 * records by `githubWebhookRecords`, signed with a real producer key; real git, the business pack.
 */
import { afterEach, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { openLedger } from "../src/audit/index.js";
import { parseConfigText } from "../src/config/load.js";
import { complianceCheck } from "../src/policy/check.js";
import { keyFileSigner, recordReviewEvidence } from "../src/review/evidence.js";
import { githubWebhookRecords } from "../src/review/webhooks.js";
import { makeProducer } from "./helpers/producer.js";
import { makeRepo, makeTempDir, type TempRepo } from "./helpers/repo.js";

const DANA = { login: "dana-dev", id: 101 };
const ANN = { login: "ann-lee", id: 202 };
const DANA_GIT = "Dana Dev <101+dana-dev@users.noreply.github.com>";
const ZERO = "0".repeat(40);

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

function scenario() {
  const producer = makeProducer();
  const repo = makeRepo();
  cleanups.push(() => repo.cleanup());
  repo.write(".gitops-health.yml", `classification: business\npolicy:\n  requiredChecks: []\n${producer.yaml}`);
  const base = repo.commit("chore: init", { "README.md": "x\n" });
  const ledgerDir = join(makeTempDir("gh-wh-merges-"), "ledger");
  let clock = Date.parse("2026-12-06T09:00:00Z");
  /** Deliver events in order (each observed a minute after the last), as the service records them. */
  const deliver = async (...events: [string, unknown][]) => {
    const l = await openLedger(ledgerDir);
    try {
      for (const [event, body] of events) {
        clock += 60_000;
        const { records } = githubWebhookRecords(event, body, new Date(clock));
        await recordReviewEvidence(l, records, keyFileSigner(producer.keyFile, "gitops-health-producer"));
      }
    } finally {
      await l.close();
    }
  };
  const gate = async (range: string) => {
    const l = await openLedger(ledgerDir);
    try {
      const config = parseConfigText(readFileSync(join(repo.dir, ".gitops-health.yml"), "utf8"));
      return await complianceCheck({ cwd: repo.dir, config, range, ledger: l });
    } finally {
      await l.close();
    }
  };
  return { repo, base, deliver, gate };
}

/** A `push` delivery of `shas` (oldest first) taking refs/heads/feature from `before`. */
function push(repo: TempRepo, before: string, shas: string[], forced = false) {
  return {
    ref: "refs/heads/feature",
    before,
    after: shas.at(-1),
    created: before === ZERO,
    deleted: false,
    forced,
    compare: "https://github.com/acme/ehr/compare/x...y",
    commits: shas.map((id) => {
      const [ae, aI, body] = repo.git("log", "-1", "--format=%ae%x00%aI%x00%B", id).split("\x00");
      return {
        id,
        tree_id: repo.git("rev-parse", `${id}^{tree}`).trim(),
        distinct: true,
        message: body!.replace(/\n+$/, ""),
        timestamp: aI,
        url: `https://github.com/acme/ehr/commit/${id}`,
        author: { name: "Dana Dev", email: ae, username: "dana-dev" },
        committer: { name: "Dana Dev", email: ae, username: "dana-dev" },
        added: [],
        removed: [],
        modified: [],
      };
    }),
    head_commit: null,
    repository: { id: 1, full_name: "acme/ehr", default_branch: "main" },
    pusher: { name: "dana-dev", email: "dana@example.invalid" },
    sender: { login: "dana-dev", id: 101 },
  };
}

const pr = (head: string, merged: string | null) => ({
  action: merged ? "closed" : "synchronize",
  number: 7,
  pull_request: {
    number: 7,
    state: merged ? "closed" : "open",
    merged: Boolean(merged),
    merge_commit_sha: merged,
    user: { ...DANA, type: "User" },
    head: { sha: head, ref: "feature" },
    base: { ref: "main", sha: "x" },
  },
  repository: { full_name: "acme/ehr" },
});

let reviewId = 900;
const review = (commit: string, head: string) => ({
  action: "submitted",
  review: {
    id: reviewId++,
    user: { ...ANN, type: "User" },
    state: "approved",
    commit_id: commit,
    submitted_at: "2026-12-06T09:30:00Z",
  },
  pull_request: pr(head, null).pull_request,
  repository: { full_name: "acme/ehr" },
});

/** Feature branch with two commits, pushed one at a time (so the gate follows a chain of pushes). */
function feature(repo: TempRepo): [string, string] {
  repo.git("checkout", "-q", "-b", "feature");
  const c1 = repo.commit("feat: a", { "src/a.js": "1\n" }, { author: DANA_GIT, date: "2026-12-06T08:00:00Z" });
  const c2 = repo.commit("feat: b", { "src/b.js": "2\n" }, { author: DANA_GIT, date: "2026-12-06T08:10:00Z" });
  repo.git("checkout", "-q", "main");
  return [c1, c2];
}

const rule = (r: Awaited<ReturnType<typeof complianceCheck>>) => r.rules.find((x) => x.id === "approved-by-another")!;

describe("webhook-only pull requests: pushes map merged commits to their pull request", () => {
  it("merge commit: both commits map to #7 through the pushes; without the pushes the first does not", async () => {
    const s = scenario();
    const [c1, c2] = feature(s.repo);
    s.repo.git("merge", "-q", "--no-ff", "-m", "Merge pull request #7", "feature");
    const m = s.repo.git("rev-parse", "HEAD").trim();
    await s.deliver(
      ["pull_request", pr(c2, null)],
      ["pull_request_review", review(c2, c2)],
      ["pull_request", pr(c2, m)],
    );
    const before = await s.gate(`${s.base}..${m}`);
    expect(rule(before).failedCommits).toEqual([c1]);
    await s.deliver(["push", push(s.repo, ZERO, [c1])], ["push", push(s.repo, c1, [c2])]);
    const r = await s.gate(`${s.base}..${m}`);
    expect(rule(r).result).toBe("pass");
    expect(r.reviews.commits.map((c) => [c.commit, c.pull?.how])).toEqual([
      [c2, "merge"],
      [c1, "merge"],
    ]);
  });

  it("rebase merge: the rebased copies map to #7 by the fingerprints the pushes carry", async () => {
    const s = scenario();
    const [c1, c2] = feature(s.repo);
    const b1 = s.repo.commit("chore: base moves on", { "docs/x.md": "x\n" });
    s.repo.git("checkout", "-q", "-b", "rebased", "feature");
    s.repo.git("rebase", "-q", "main");
    const r2 = s.repo.git("rev-parse", "HEAD").trim();
    const r1 = s.repo.git("rev-parse", "HEAD^").trim();
    s.repo.git("checkout", "-q", "main");
    s.repo.git("merge", "-q", "--ff-only", "rebased");
    expect([r1, r2]).not.toContain(c1);
    await s.deliver(
      ["push", push(s.repo, ZERO, [c1, c2])],
      ["pull_request_review", review(c2, c2)],
      ["pull_request", pr(c2, r2)],
    );
    const r = await s.gate(`${b1}..${r2}`);
    expect(rule(r).result).toBe("pass");
    expect(r.reviews.commits.map((c) => [c.commit, c.pull?.how])).toEqual([
      [r2, "rebase"],
      [r1, "rebase"],
    ]);
  });

  it("squash merge: the squash commit maps to #7; an approval before the last push is stale", async () => {
    const s = scenario();
    const [c1, c2] = feature(s.repo);
    s.repo.git("merge", "--squash", "-q", "feature");
    const sq = s.repo.commit("feat: a and b (#7)", {}, { author: DANA_GIT });
    await s.deliver(
      ["push", push(s.repo, ZERO, [c1])],
      ["pull_request_review", review(c1, c1)],
      ["push", push(s.repo, c1, [c2])],
      ["pull_request", pr(c2, sq)],
    );
    const r = await s.gate(`${s.base}..${sq}`);
    expect(rule(r).result).toBe("fail");
    expect(r.reviews.commits[0]).toMatchObject({ pull: { number: 7, how: "squash" } });
    expect(r.reviews.commits[0]!.approvals[0]!.reason).toBe(
      `stale: approved ${c1.slice(0, 10)}, then ${c2.slice(0, 10)} was pushed`,
    );
    await s.deliver(["pull_request_review", review(c2, c2)]);
    expect(rule(await s.gate(`${s.base}..${sq}`)).result).toBe("pass");
  });

  it("a pushed merge of main into the branch (parents from git) keeps the approval; the main commit it lists is not #7's", async () => {
    const s = scenario();
    s.repo.git("checkout", "-q", "-b", "feature");
    const c1 = s.repo.commit("feat: a", { "src/a.js": "1\n" }, { author: DANA_GIT, date: "2026-12-06T08:00:00Z" });
    s.repo.git("checkout", "-q", "main");
    const m1 = s.repo.commit("fix: on main", { "src/main.js": "m\n" });
    s.repo.git("checkout", "-q", "feature");
    s.repo.git("merge", "-q", "--no-edit", "main");
    const merge = s.repo.git("rev-parse", "HEAD").trim();
    s.repo.git("checkout", "-q", "main");
    s.repo.git("merge", "-q", "--no-ff", "-m", "Merge pull request #7", "feature");
    const landed = s.repo.git("rev-parse", "HEAD").trim();
    await s.deliver(
      ["push", push(s.repo, ZERO, [c1])],
      ["pull_request_review", review(c1, c1)],
      // GitHub lists the commits new to the branch: main's commit and the merge
      ["push", push(s.repo, c1, [m1, merge])],
      ["pull_request", pr(merge, landed)],
    );
    const r = await s.gate(`${s.base}..${landed}`);
    const view = r.reviews.commits.find((c) => c.commit === c1)!;
    expect(view.pull).toMatchObject({ number: 7 });
    expect(view.approvals[0]).toMatchObject({ current: true, counted: true });
    expect(view.approvals[0]!.reason).toContain("later commits only merge the base branch");
    // m1 went to main directly: no pull request brought it in, so it fails on its own
    expect(r.reviews.commits.find((c) => c.commit === m1)!.pull).toBeNull();
    expect(rule(r).failedCommits).toEqual([m1]);
  });

  it("pushes to the default branch, tags and deletions are not recorded", () => {
    const now = new Date("2026-12-06T10:00:00Z");
    const repo = makeRepo();
    cleanups.push(() => repo.cleanup());
    const c = repo.commit("feat: x", { "a.js": "1\n" });
    const main = { ...push(repo, ZERO, [c]), ref: "refs/heads/main" };
    expect(githubWebhookRecords("push", main, now)).toEqual({ records: [], ignored: "push to the default branch" });
    expect(githubWebhookRecords("push", { ...main, ref: "refs/tags/v1" }, now).ignored).toBe("push to a tag");
    const del = { ...push(repo, c, [c]), after: ZERO, deleted: true, commits: [] };
    expect(githubWebhookRecords("push", del, now).ignored).toBe("branch deleted");
    const rec = githubWebhookRecords("push", push(repo, ZERO, [c]), now).records[0]!;
    expect(rec.kind).toBe("push");
    // Only ids and hashed fingerprints: no message, email or name.
    expect(JSON.stringify(rec.record)).not.toMatch(/feat: x|example\.invalid|Dana/);
  });
});
