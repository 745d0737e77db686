/**
 * Forge review evidence through the real gate: real git repositories (squash, rebase and merge-commit
 * merges, base-branch merges), a real directory ledger, records signed with a real producer key
 * (src/review), evaluated by `complianceCheck` with the built-in business and clinical packs.
 */
import { afterEach, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { openLedger } from "../src/audit/index.js";
import { parseConfigText } from "../src/config/load.js";
import { generateNoteSigner } from "../src/core/note-key.js";
import { complianceCheck } from "../src/policy/check.js";
import { complianceMarkdown } from "../src/policy/report.js";
import {
  keyFileSigner,
  noteSigner,
  recordReviewEvidence,
  type AnyRecord,
  type Signer,
} from "../src/review/evidence.js";
import {
  authorFingerprint,
  type PullCommit,
  type PullRecord,
  type ReviewKind,
  type ReviewRecord,
} from "../src/review/model.js";
import { makeProducer } from "./helpers/producer.js";
import { makeRepo, makeTempDir, type TempRepo } from "./helpers/repo.js";

const DANA = { login: "dana-dev", id: 101 };
const ANN = { login: "ann-lee", id: 202 };
const RAJ = { login: "raj-rao", id: 303 };
const DANA_GIT = "Dana Dev <101+dana-dev@users.noreply.github.com>";

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

function scenario(opts: { classification?: "business" | "clinical"; extraConfig?: string } = {}) {
  const producer = makeProducer();
  const repo = makeRepo();
  cleanups.push(() => repo.cleanup());
  repo.write(
    ".gitops-health.yml",
    `classification: ${opts.classification ?? "business"}\npolicy:\n  requiredChecks: []\n${producer.yaml}${opts.extraConfig ?? ""}`,
  );
  const base = repo.commit("chore: init", { "README.md": "x\n" });
  const ledgerDir = join(makeTempDir("gh-review-ledger-"), "ledger");
  const signer = keyFileSigner(producer.keyFile, "gitops-health-producer");
  const record = async (records: { kind: ReviewKind; record: AnyRecord }[], by: Signer = signer) => {
    const l = await openLedger(ledgerDir);
    try {
      await recordReviewEvidence(l, records, by);
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
  return { repo, base, record, gate, producer };
}

/** A pull request's commits as the GitHub API describes them (parents, the fingerprint a rebase keeps). */
function pullCommits(repo: TempRepo, shas: string[], author = DANA): PullCommit[] {
  return shas.map((sha) => {
    const [parents, ae, at, body] = repo.git("log", "-1", "--format=%P%x00%ae%x00%at%x00%B", sha).split("\x00");
    const p = parents!.split(" ").filter(Boolean);
    return {
      sha,
      parents: p,
      author,
      committer: p.length > 1 ? null : author,
      fingerprint: authorFingerprint(ae!, Number(at), body!),
    };
  });
}

function pull(p: Partial<PullRecord> & { head: string; commits: PullCommit[] | null }): PullRecord {
  return {
    forge: "github",
    repo: "acme/ehr",
    number: 7,
    author: DANA,
    state: "merged",
    base: "main",
    mergeCommit: null,
    observedAt: "2026-12-06T10:00:00Z",
    source: "api",
    ...p,
  };
}

let reviewSeq = 1;
function review(
  reviewer: { login: string; id: number },
  commit: string,
  state: ReviewRecord["state"] = "approved",
  at = "2026-12-06T09:00:00Z",
): { kind: "review"; record: ReviewRecord } {
  return {
    kind: "review",
    record: {
      forge: "github",
      repo: "acme/ehr",
      number: 7,
      reviewId: reviewSeq++,
      reviewer,
      state,
      commit,
      submittedAt: at,
      source: "api",
    },
  };
}

/** Feature branch from main with the given commits (author Dana); back on main afterwards. */
function feature(repo: TempRepo, commits: [string, Record<string, string>][]): string[] {
  repo.git("checkout", "-q", "-b", "feature");
  const shas = commits.map(([m, files]) => repo.commit(m, files, { author: DANA_GIT }));
  repo.git("checkout", "-q", "main");
  return shas;
}

function squash(repo: TempRepo, message: string): string {
  repo.git("merge", "--squash", "-q", "feature");
  return repo.commit(message, {}, { author: DANA_GIT });
}

const rule = (r: Awaited<ReturnType<ReturnType<typeof scenario>["gate"]>>, id: string) =>
  r.rules.find((x) => x.id === id)?.result;
const control = (r: Awaited<ReturnType<ReturnType<typeof scenario>["gate"]>>, id: string) =>
  r.controls.find((x) => x.id === id)?.status;

describe("approvals from forge evidence (business pack)", () => {
  it("squash merge approved at its final head by someone else passes; SOX-ITGC-CM-2 and SOC2-CC8.1 are met", async () => {
    const s = scenario();
    const [c1, c2] = feature(s.repo, [
      ["feat: a", { "src/a.js": "1\n" }],
      ["feat: b", { "src/b.js": "2\n" }],
    ]);
    const sq = squash(s.repo, "feat: a and b (#7)");
    await s.record([
      { kind: "pull", record: pull({ head: c2!, mergeCommit: sq, commits: pullCommits(s.repo, [c1!, c2!]) }) },
      review(ANN, c2!),
    ]);
    const r = await s.gate(`${s.base}..${sq}`);
    expect(rule(r, "approved-by-another")).toBe("pass");
    expect(control(r, "SOX-ITGC-CM-2")).toBe("met");
    expect(control(r, "SOC2-CC8.1")).toBe("met");
    expect(r.reviews.commits[0]).toMatchObject({
      commit: sq,
      pull: { number: 7, how: "squash" },
      approvals: [{ reviewer: "ann-lee", current: true, counted: true }],
    });
    expect(r.reviews.producers).toEqual(["ci.example.invalid"]);
    // The evidence report shows, per change, the pull request, its approvers and whether each counted.
    expect(complianceMarkdown(r)).toContain(
      `| \`${sq.slice(0, 10)}\` | acme/ehr#7 (squash) | counted: ann-lee (approved the head ${c2!.slice(0, 10)}) |`,
    );
  });

  it("a Reviewed-by trailer the author wrote is reported as unverified and approves nothing", async () => {
    const s = scenario();
    const head = s.repo.commit("feat: x\n\nReviewed-by: Someone <someone@example.org>", { "src/x.js": "1\n" });
    const r = await s.gate(`${s.base}..${head}`);
    expect(rule(r, "approved-by-another")).toBe("fail");
    expect(control(r, "SOX-ITGC-CM-2")).toBe("failed");
    expect(r.reviews.commits[0]).toMatchObject({ pull: null, unverifiedTrailers: ["someone@example.org"] });
    expect(r.violations.find((v) => v.rule === "approved-by-another")!.message).toContain("no recorded pull request");
  });

  it("self-approval: the pull request's author approving does not count", async () => {
    const s = scenario();
    const [c1] = feature(s.repo, [["feat: a", { "src/a.js": "1\n" }]]);
    const sq = squash(s.repo, "feat: a (#7)");
    // The reviewer account is also the commit author (noreply email id 101), under another login.
    await s.record([
      {
        kind: "pull",
        record: pull({
          head: c1!,
          mergeCommit: sq,
          commits: pullCommits(s.repo, [c1!]),
          author: { login: "someone-else", id: 999 },
        }),
      },
      review({ login: "dana-alt", id: 101 }, c1!),
    ]);
    const r = await s.gate(`${s.base}..${sq}`);
    expect(rule(r, "approved-by-another")).toBe("fail");
    expect(control(r, "SOX-ITGC-CM-2")).toBe("failed");
    expect(r.reviews.commits[0]!.approvals[0]).toMatchObject({ reviewer: "dana-alt", counted: false });
    expect(r.reviews.commits[0]!.approvals[0]!.reason).toMatch(/self-approval/);
    await s.record([review(DANA, c1!)]);
    const again = await s.gate(`${s.base}..${sq}`);
    expect(again.reviews.commits[0]!.approvals.map((a) => a.reason)).toEqual(
      expect.arrayContaining([expect.stringMatching(/self-approval/)]),
    );
    expect(rule(again, "approved-by-another")).toBe("fail");
  });

  it("stale: an approval of an older head followed by a new push does not count", async () => {
    const s = scenario();
    const [c1, c2] = feature(s.repo, [
      ["feat: a", { "src/a.js": "1\n" }],
      ["feat: sneak", { "src/a.js": "evil\n" }],
    ]);
    const sq = squash(s.repo, "feat: a (#7)");
    await s.record([
      { kind: "pull", record: pull({ head: c2!, mergeCommit: sq, commits: pullCommits(s.repo, [c1!, c2!]) }) },
      review(ANN, c1!),
    ]);
    const r = await s.gate(`${s.base}..${sq}`);
    expect(rule(r, "approved-by-another")).toBe("fail");
    expect(control(r, "SOX-ITGC-CM-1")).toBe("failed");
    expect(r.reviews.commits[0]!.approvals[0]).toMatchObject({ reviewer: "ann-lee", current: false, counted: false });
    expect(r.reviews.commits[0]!.approvals[0]!.reason).toContain(
      `stale: approved ${c1!.slice(0, 10)}, then ${c2!.slice(0, 10)} was pushed`,
    );
  });

  it("a later dismissal or request for changes replaces the approval", async () => {
    const s = scenario();
    const [c1] = feature(s.repo, [["feat: a", { "src/a.js": "1\n" }]]);
    const sq = squash(s.repo, "feat: a (#7)");
    await s.record([
      { kind: "pull", record: pull({ head: c1!, mergeCommit: sq, commits: pullCommits(s.repo, [c1!]) }) },
      review(ANN, c1!),
      review(ANN, c1!, "changes_requested", "2026-12-06T09:30:00Z"),
    ]);
    expect(rule(await s.gate(`${s.base}..${sq}`), "approved-by-another")).toBe("fail");
  });

  it("approval, then only a clean merge from the base branch: still current; a merge that adds a change: stale", async () => {
    const s = scenario();
    const [c1] = feature(s.repo, [["feat: a", { "src/a.js": "1\n" }]]);
    const m1 = s.repo.commit("fix: on main", { "src/main.js": "m\n" });
    s.repo.git("checkout", "-q", "feature");
    s.repo.git("merge", "-q", "--no-edit", "main");
    const clean = s.repo.git("rev-parse", "HEAD").trim();
    s.repo.git("checkout", "-q", "main");
    s.repo.git("merge", "--squash", "-q", "feature");
    const sq = s.repo.commit("feat: a (#7)", {}, { author: DANA_GIT });
    const commits = pullCommits(s.repo, [c1!, clean]);
    await s.record([{ kind: "pull", record: pull({ head: clean, mergeCommit: sq, commits }) }, review(ANN, c1!)]);
    const r = await s.gate(`${m1}..${sq}`);
    expect(r.reviews.commits[0]!.approvals[0]).toMatchObject({ current: true, counted: true });
    expect(r.reviews.commits[0]!.approvals[0]!.reason).toContain("later commits only merge the base branch");
    expect(rule(r, "approved-by-another")).toBe("pass");

    // Same shape, but the merge commit carries an extra edit (an "evil merge").
    s.repo.git("checkout", "-q", "-b", "feature2", c1!);
    s.repo.git("merge", "-q", "--no-edit", "--no-commit", m1);
    s.repo.write("src/a.js", "evil\n");
    s.repo.git("add", "-A");
    s.repo.git("commit", "-q", "--no-edit");
    const evil = s.repo.git("rev-parse", "HEAD").trim();
    s.repo.git("checkout", "-q", "main");
    s.repo.git("reset", "-q", "--hard", m1);
    s.repo.git("merge", "--squash", "-q", "feature2");
    const sq2 = s.repo.commit("feat: a (#8)", {}, { author: DANA_GIT });
    await s.record([
      {
        kind: "pull",
        record: pull({ number: 8, head: evil, mergeCommit: sq2, commits: pullCommits(s.repo, [c1!, evil]) }),
      },
      { kind: "review", record: { ...review(ANN, c1!).record, number: 8 } },
    ]);
    const r2 = await s.gate(`${m1}..${sq2}`);
    expect(r2.reviews.commits[0]!.approvals[0]).toMatchObject({ current: false, counted: false });
    expect(r2.reviews.commits[0]!.approvals[0]!.reason).toContain("changed more than the base branch brought in");
    expect(rule(r2, "approved-by-another")).toBe("fail");
  });

  it("base merges judged against the base as the pull request landed (a range from before the base moved): clean merge current, edit or foreign branch stale", async () => {
    const s = scenario();
    const [c1] = feature(s.repo, [["feat: a", { "src/a.js": "1\n" }]]);
    s.repo.commit("fix: on main", { "src/main.js": "m\n" });
    // a side branch that never landed on main
    s.repo.git("checkout", "-q", "-b", "side", s.base);
    const side = s.repo.commit("feat: unreviewed side work", { "src/side.js": "s\n" }, { author: DANA_GIT });
    // #7: approved at c1, then main merged in (clean), then merged with a merge commit
    s.repo.git("checkout", "-q", "feature");
    s.repo.git("merge", "-q", "--no-edit", "main");
    const clean = s.repo.git("rev-parse", "HEAD").trim();
    s.repo.git("checkout", "-q", "main");
    s.repo.git("merge", "-q", "--no-ff", "--no-edit", "feature");
    const land7 = s.repo.git("rev-parse", "HEAD").trim();
    await s.record([
      {
        kind: "pull",
        record: pull({ head: clean, mergeCommit: land7, commits: pullCommits(s.repo, [c1!, clean]) }),
      },
      review(ANN, c1!),
    ]);
    // The range starts before m1: the merge's other parent is not under the range's base, it is under
    // the base as #7 landed on it (the merge commit's first parent).
    const r = await s.gate(`${s.base}..${land7}`);
    const c1View = r.reviews.commits.find((c) => c.commit === c1)!;
    expect(c1View.approvals[0]).toMatchObject({ current: true, counted: true });
    expect(c1View.approvals[0]!.reason).toContain("later commits only merge the base branch");

    // #8: approved at its first commit, then the unlanded side branch merged in: not the base, stale.
    s.repo.git("checkout", "-q", "-b", "f8", land7);
    const d1 = s.repo.commit("feat: d", { "src/d.js": "1\n" }, { author: DANA_GIT });
    s.repo.git("merge", "-q", "--no-edit", side);
    const foreign = s.repo.git("rev-parse", "HEAD").trim();
    s.repo.git("checkout", "-q", "main");
    s.repo.git("merge", "--squash", "-q", "f8");
    const sq8 = s.repo.commit("feat: d (#8)", {}, { author: DANA_GIT });
    await s.record([
      {
        kind: "pull",
        record: pull({ number: 8, head: foreign, mergeCommit: sq8, commits: pullCommits(s.repo, [d1, foreign]) }),
      },
      { kind: "review", record: { ...review(ANN, d1).record, number: 8 } },
    ]);
    const r8 = await s.gate(`${land7}..${sq8}`);
    expect(r8.reviews.commits[0]!.approvals[0]).toMatchObject({ current: false, counted: false });
    expect(r8.reviews.commits[0]!.approvals[0]!.reason).toContain("its other parent is not on the base branch");
    expect(rule(r8, "approved-by-another")).toBe("fail");

    // #9: approved, then main merged in with a conflict resolved by hand: new content, stale.
    s.repo.git("checkout", "-q", "-b", "f9", land7);
    const e1 = s.repo.commit("feat: e", { "src/main.js": "mine\n" }, { author: DANA_GIT });
    s.repo.git("checkout", "-q", "main");
    const m2 = s.repo.commit("fix: main again", { "src/main.js": "theirs\n" });
    s.repo.git("checkout", "-q", "f9");
    expect(() => s.repo.git("merge", "-q", "--no-edit", "main")).toThrow();
    s.repo.write("src/main.js", "resolved\n");
    s.repo.git("add", "-A");
    s.repo.git("commit", "-q", "--no-edit");
    const resolved = s.repo.git("rev-parse", "HEAD").trim();
    s.repo.git("checkout", "-q", "main");
    s.repo.git("merge", "--squash", "-q", "f9");
    const sq9 = s.repo.commit("feat: e (#9)", {}, { author: DANA_GIT });
    await s.record([
      {
        kind: "pull",
        record: pull({ number: 9, head: resolved, mergeCommit: sq9, commits: pullCommits(s.repo, [e1, resolved]) }),
      },
      { kind: "review", record: { ...review(ANN, e1).record, number: 9 } },
    ]);
    const r9 = await s.gate(`${land7}..${sq9}`);
    expect(r9.reviews.commits.find((c) => c.commit === sq9)!.approvals[0]!.reason).toContain(
      "changed more than the base branch brought in",
    );
    expect(m2).toBeTruthy();
  });

  it("rebase merge: the rebased copies map to the pull request and its approval", async () => {
    const s = scenario();
    const [c1, c2] = feature(s.repo, [
      ["feat: a", { "src/a.js": "1\n" }],
      ["feat: b", { "src/b.js": "2\n" }],
    ]);
    const m1 = s.repo.commit("fix: on main", { "src/main.js": "m\n" });
    s.repo.git("checkout", "-q", "-b", "rebased", "feature");
    s.repo.git("-c", "user.name=GitHub", "-c", "user.email=noreply@github.com", "rebase", "-q", "main");
    const tip = s.repo.git("rev-parse", "HEAD").trim();
    s.repo.git("checkout", "-q", "main");
    s.repo.git("merge", "-q", "--ff-only", "rebased");
    await s.record([
      { kind: "pull", record: pull({ head: c2!, mergeCommit: tip, commits: pullCommits(s.repo, [c1!, c2!]) }) },
      review(ANN, c2!),
    ]);
    const r = await s.gate(`${m1}..${tip}`);
    expect(r.reviews.commits.map((c) => c.pull?.how)).toEqual(["rebase", "rebase"]);
    expect(rule(r, "approved-by-another")).toBe("pass");
    expect(r.rules.find((x) => x.id === "approved-by-another")!.failedCommits).toEqual([]);
  });

  it("merge commit: the pull request's own commits are approved through it", async () => {
    const s = scenario();
    const [c1, c2] = feature(s.repo, [
      ["feat: a", { "src/a.js": "1\n" }],
      ["feat: b", { "src/b.js": "2\n" }],
    ]);
    s.repo.git("merge", "-q", "--no-ff", "--no-edit", "feature");
    const m = s.repo.git("rev-parse", "HEAD").trim();
    await s.record([
      { kind: "pull", record: pull({ head: c2!, mergeCommit: m, commits: pullCommits(s.repo, [c1!, c2!]) }) },
      review(ANN, c2!),
    ]);
    const r = await s.gate(`${s.base}..${m}`);
    expect(r.reviews.commits.map((c) => c.pull?.how)).toEqual(["merge", "merge"]);
    expect(rule(r, "approved-by-another")).toBe("pass");
  });

  it("records written by anyone but a trusted producer do not count, and say why", async () => {
    const s = scenario();
    const [c1] = feature(s.repo, [["feat: a", { "src/a.js": "1\n" }]]);
    const sq = squash(s.repo, "feat: a (#7)");
    const mallory = noteSigner(generateNoteSigner("laptop.example.invalid").signer);
    await s.record(
      [
        { kind: "pull", record: pull({ head: c1!, mergeCommit: sq, commits: pullCommits(s.repo, [c1!]) }) },
        review(ANN, c1!),
      ],
      mallory,
    );
    const r = await s.gate(`${s.base}..${sq}`);
    expect(rule(r, "approved-by-another")).toBe("fail");
    expect(r.reviews.rejected.map((x) => x.reason)).toEqual([
      "signed with a key that is not in the trusted list",
      "signed with a key that is not in the trusted list",
    ]);
  });
});

describe("code owners (clinical pack, critical paths)", () => {
  const extra = `criticalPaths:\n  - { pattern: "src/ehr/**", tier: 1 }\n`;
  const clinicalSetup = async () => {
    const s = scenario({ classification: "clinical", extraConfig: extra });
    // CODEOWNERS on the base: the change cannot name its own owners.
    const base2 = s.repo.commit("chore: owners", { ".github/CODEOWNERS": "* @ann-lee\n/src/ehr/ @acme/clinical\n" });
    const [c1] = feature(s.repo, [
      ["feat(ehr): store notes", { "src/ehr/store.ts": "export {};\n", "docs/x.md": "d\n" }],
    ]);
    const sq = squash(s.repo, "feat(ehr): store notes (#7)");
    await s.record([
      { kind: "pull", record: pull({ head: c1!, mergeCommit: sq, commits: pullCommits(s.repo, [c1!]) }) },
      review(ANN, c1!),
      review(RAJ, c1!),
    ]);
    return { ...s, base2, sq };
  };

  it("a critical path approved by non-owners fails code-owner-approval (21 CFR 11.10(g) failed); dual approval itself passes", async () => {
    const s = await clinicalSetup();
    const r = await s.gate(`${s.base2}..${s.sq}`);
    expect(rule(r, "dual-approval")).toBe("pass");
    expect(rule(r, "code-owner-approval")).toBe("fail");
    expect(control(r, "21CFR11.10(g)")).toBe("failed");
    expect(r.reviews.commits[0]!.ownersMissing).toEqual([
      "src/ehr/store.ts (owners @acme/clinical have not approved; team membership not recorded for @acme/clinical)",
    ]);
    expect(r.reviews.codeOwners).toMatchObject({ path: ".github/CODEOWNERS", rev: s.base2 });
  });

  it("a team owner: recorded membership of @acme/clinical makes Raj's approval an owner's approval", async () => {
    const s = await clinicalSetup();
    await s.record([
      {
        kind: "team",
        record: { forge: "github", org: "acme", slug: "clinical", members: [RAJ], observedAt: "2026-12-06T10:00:00Z" },
      },
    ]);
    const r = await s.gate(`${s.base2}..${s.sq}`);
    expect(rule(r, "code-owner-approval")).toBe("pass");
    expect(rule(r, "dual-approval")).toBe("pass");
    expect(control(r, "21CFR11.10(g)")).toBe("met");
  });

  it("a team whose members do not include an approver still fails", async () => {
    const s = await clinicalSetup();
    await s.record([
      {
        kind: "team",
        record: {
          forge: "github",
          org: "acme",
          slug: "clinical",
          members: [{ login: "zoe", id: 505 }],
          observedAt: "2026-12-06T10:00:00Z",
        },
      },
    ]);
    const r = await s.gate(`${s.base2}..${s.sq}`);
    expect(rule(r, "code-owner-approval")).toBe("fail");
    expect(r.reviews.commits[0]!.ownersMissing).toEqual(["src/ehr/store.ts (owners @acme/clinical have not approved)"]);
  });
});
