import { describe, expect, it } from "vitest";
import {
  allowedType,
  branchOfMergeSubject,
  checkHeader,
  CONVENTIONAL_COMMITS,
  fixEvidence,
  formatConventionHeader,
  inferConvention,
  parseAnyHeader,
  typeFromBranch,
  withOverride,
} from "../src/commit/convention.js";
import { readHistory, type HistoryCommit } from "../src/commit/generate/vocabulary-cache.js";
import { generateOffline } from "../src/commit/generate/offline.js";
import { collectStaged } from "../src/commit/generate/changes.js";
import { repoConvention } from "../src/commit/convention-io.js";
import { makeRepo, runCli } from "./helpers/repo.js";
import { generateCommitMessages } from "../src/commit/generate/index.js";
import { Vocabulary } from "../src/commit/generate/vocabulary.js";

const repeat = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i));

describe("commit conventions", () => {
  it("parse every header family", () => {
    expect(parseAnyHeader("feat(api)!: drop v1")).toMatchObject({
      style: "conventional",
      type: "feat",
      scope: "api",
      breaking: true,
      subject: "drop v1",
    });
    expect(parseAnyHeader("(fix) O3-1234: Patient banner overflows")).toMatchObject({
      style: "paren",
      type: "fix",
      subject: "O3-1234: Patient banner overflows",
      keys: ["O3-1234"],
    });
    expect(parseAnyHeader("(feat) : Adjust triage")).toMatchObject({
      style: "paren",
      type: "feat",
      subject: "Adjust triage",
    });
    expect(parseAnyHeader("[FIX] Null visit")).toMatchObject({ style: "bracket", type: "fix", raw: "FIX" });
    expect(parseAnyHeader(":bug: wrong dose unit")).toMatchObject({ style: "gitmoji", type: "fix" });
    expect(parseAnyHeader("✨ new vitals chart")).toMatchObject({ style: "gitmoji", type: "feat" });
    expect(parseAnyHeader("CDR-2305 template caches")).toMatchObject({ style: "tracker", keys: ["CDR-2305"] });
    expect(parseAnyHeader("[CDR-1466] Fix AQL on Media (#1380)")).toMatchObject({
      style: "tracker",
      keys: ["CDR-1466"],
    });
    expect(parseAnyHeader("CDR-12 fix: tracker then type")).toMatchObject({
      style: "conventional",
      type: "fix",
      keys: ["CDR-12"],
    });
    expect(parseAnyHeader("Fix showing green card (#923)")).toMatchObject({ style: "free" });
    expect(parseAnyHeader("release 2.31.0: updated version")).toMatchObject({ style: "free" });
  });

  it("infer the dominant family, its types and tracker keys from history", () => {
    const paren = inferConvention([
      ...repeat(40, (i) => `(${["fix", "feat", "chore", "enhc"][i % 4]}) O3-${i}: change ${i}`),
      ...repeat(10, (i) => `Fix thing ${i}`),
      ...repeat(5, (i) => `fix: conventional ${i}`),
    ]);
    expect(paren).toMatchObject({ style: "paren", trackerKeys: ["O3"] });
    expect(paren.types.sort()).toEqual(["chore", "enhc", "feat", "fix"]);
    expect(
      inferConvention(repeat(30, (i) => `CDR-${i} change ${i}`).concat(repeat(20, (i) => `Update ${i}`))),
    ).toMatchObject({ style: "tracker", trackerKeys: ["CDR"], types: [] });
    expect(inferConvention(repeat(30, (i) => `Add feature ${i} (#${i})`))).toMatchObject({ style: "free" });
    expect(inferConvention(repeat(30, (i) => `[${i % 2 ? "FIX" : "FEATURE"}] thing ${i}`))).toMatchObject({
      style: "bracket",
      types: ["feature", "fix"],
    });
    expect(inferConvention(repeat(30, (i) => (i % 2 ? ":bug: x" : "✨ y")))).toMatchObject({ style: "gitmoji" });
  });

  it("recognise fixes in every style: by type, fix words of untyped headers, closing keywords, trailers, bug-tracker keys", () => {
    const c = CONVENTIONAL_COMMITS;
    expect(fixEvidence(c, "(fix) O3-1: x")).toEqual({ fix: true, by: "type" });
    expect(fixEvidence(c, "[BUGFIX] x")).toEqual({ fix: true, by: "type" });
    expect(fixEvidence(c, "🐛 x")).toEqual({ fix: true, by: "type" });
    expect(fixEvidence(c, "CDR-2253 Fix broken query")).toEqual({ fix: true, by: "keyword" });
    expect(fixEvidence(c, "Fixes security issue with Avatar Edit Modal (#8917)")).toEqual({ fix: true, by: "keyword" });
    expect(fixEvidence(c, "Add export (closes #12)")).toEqual({ fix: false });
    expect(fixEvidence(c, "Handle wrong input, resolves #12")).toEqual({ fix: true, by: "closing" });
    expect(fixEvidence(c, "feat: add prefix, fixes #44")).toEqual({ fix: true, by: "closing" });
    expect(fixEvidence(c, "feat: fix the wording of a new feature")).toEqual({ fix: false });
    expect(fixEvidence(c, "(feat) Add triage")).toEqual({ fix: false });
    expect(fixEvidence(c, "Prefix matching", 'Fixes: 0123456789ab ("x")')).toEqual({ fix: true, by: "trailer" });
    expect(fixEvidence(c, "Assigned patients list")).toEqual({ fix: false });
    const jira = withOverride(inferConvention(repeat(30, (i) => `CDR-${i} change`)), { fixKeys: ["BUG"] });
    expect(fixEvidence(jira, "BUG-77 dose rounding")).toEqual({ fix: true, by: "tracker" });
    expect(fixEvidence(jira, "CDR-77 dose rounding")).toEqual({ fix: false });
  });

  it("write headers in the repository's grammar with its own types, and every one passes its check", () => {
    const paren = inferConvention(
      repeat(40, (i) => `(${["fix", "feat", "chore", "enhc", "test", "docs"][i % 6]}) change ${i}`),
    );
    expect(allowedType(paren, "build")).toBe("chore");
    expect(allowedType(paren, "ci")).toBe("chore");
    expect(allowedType(paren, "refactor")).toBe("chore");
    expect(allowedType(paren, "perf")).toBe("enhc");
    const withRelease = inferConvention(repeat(40, (i) => `(${["fix", "feat", "release"][i % 3]}) change ${i}`));
    expect(allowedType(withRelease, "chore", "release")).toBe("release");
    expect(formatConventionHeader(withRelease, { type: "chore", subject: "release v5.4.2" })).toBe(
      "(release) release v5.4.2",
    );
    expect(allowedType(paren, "chore", "release")).toBe("chore");
    expect(formatConventionHeader(paren, { type: "fix", subject: "correct dose unit" })).toBe(
      "(fix) correct dose unit",
    );
    const bracket = inferConvention(repeat(30, (i) => `[${i % 2 ? "FIX" : "FEATURE"}] thing ${i}`));
    expect(formatConventionHeader(bracket, { type: "feat", subject: "add chart" })).toBe("[FEATURE] add chart");
    const tracker = inferConvention(repeat(30, (i) => `CDR-${i} change ${i}`));
    expect(formatConventionHeader(tracker, { type: "fix", subject: "handle nulls", key: "CDR-9" })).toBe(
      "CDR-9 handle nulls",
    );
    for (const conv of [
      paren,
      bracket,
      CONVENTIONAL_COMMITS,
      inferConvention(repeat(30, (i) => (i % 2 ? ":bug: x" : "✨ y"))),
    ])
      for (const type of ["feat", "fix", "docs", "style", "refactor", "perf", "test", "build", "ci", "chore", "revert"])
        expect(
          checkHeader(conv, formatConventionHeader(conv, { type, scope: "api", subject: "change things" })),
          `${conv.style} ${type}`,
        ).toEqual([]);
    // ... and a header in another family, or with a type the repository does not use, fails it.
    expect(checkHeader(paren, "fix: x")[0]).toMatch(/must be written as `\(type\) subject`/);
    expect(checkHeader(paren, "(build) x")[0]).toMatch(/type "build" is not one of this repository's types/);
    expect(checkHeader(tracker, "handle nulls")[0]).toMatch(/tracker key \(CDR-123\)/);
  });

  it("come from .gitops-health.yml over the commitlint config over the history", async () => {
    const repo = makeRepo();
    for (let i = 0; i < 25; i++) repo.commit(`(${i % 2 ? "fix" : "feat"}) change ${i}`, { [`f${i}.txt`]: "x\n" });
    expect(await repoConvention(repo.dir)).toMatchObject({
      style: "paren",
      types: ["feat", "fix"],
      source: "history (25 headers)",
    });
    repo.write(
      ".github/workflows/pr-title.yml",
      "on: pull_request_target\njobs:\n  lint:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: amannn/action-semantic-pull-request@v5\n        with:\n          types: |\n            feat\n            fix\n            docs\n",
    );
    expect(await repoConvention(repo.dir)).toMatchObject({
      style: "conventional",
      types: ["feat", "fix", "docs"],
      source: "PR-title check (.github/workflows/pr-title.yml)",
    });
    repo.write(".commitlintrc.json", JSON.stringify({ rules: { "type-enum": [2, "always", ["feat", "fix", "ops"]] } }));
    expect(await repoConvention(repo.dir)).toMatchObject({
      style: "conventional",
      types: ["feat", "fix", "ops"],
      source: "commitlint (.commitlintrc.json)",
    });
    expect(await repoConvention(repo.dir, { commits: { style: "bracket", types: ["FIX", "FEATURE"] } })).toMatchObject({
      style: "bracket",
      types: ["fix", "feature"],
      source: ".gitops-health.yml",
    });
  });

  it("drive generation, history learning and lint in a `(type) Summary` repository", async () => {
    const repo = makeRepo();
    for (let i = 0; i < 24; i++)
      repo.commit(`(${["fix", "feat", "chore"][i % 3]}) change ${i}`, {
        [`src/f${i}.ts`]: `export const v${i} = ${i};\n`,
      });
    // The history reader learns types from `(type)` headers (it learnt nothing from them before).
    const v = new Vocabulary();
    v.add("(fix) O3-1: dose", ["src/a.ts"]);
    v.add("[FEATURE] chart", ["src/b.ts"]);
    v.add("Fix thing", ["src/c.ts"]);
    expect(v.state.types).toEqual({ fix: 1, feat: 1 });
    // Generated headers use the repository's grammar and types (no `build`, `ci`, `refactor` where it has none).
    repo.write(".github/workflows/ci.yml", "on: push\njobs: {}\n");
    repo.git("add", "-A");
    const r = await generateCommitMessages({ cwd: repo.dir, n: 3 });
    for (const c of r.candidates) {
      expect(c.header).toMatch(/^\((?:fix|feat|chore)\) \S/);
      expect(c.lint.valid).toBe(true);
    }
    expect(r.lintConfig).toMatch(/paren convention \(history/);
    // commit lint checks the repository's convention, not Conventional Commits.
    const ok = runCli(["commit", "lint", "-"], { cwd: repo.dir, input: "(fix) correct dose unit\n" });
    expect(ok.code, ok.stderr).toBe(0);
    const bad = runCli(["commit", "lint", "-"], { cwd: repo.dir, input: "fix: correct dose unit\n" });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/header must be written as `\(type\) subject`/);
    const declared = makeRepo();
    declared.write(".gitops-health.yml", "commits:\n  style: conventional\n  types: [feat, fix]\n");
    declared.commit("feat: start", { "a.ts": "x\n" });
    expect(runCli(["commit", "lint", "-"], { cwd: declared.dir, input: "fix: correct dose unit\n" }).code).toBe(0);
    const undeclared = runCli(["commit", "lint", "-"], { cwd: declared.dir, input: "chore: tidy\n" });
    expect(undeclared.code).toBe(1);
    expect(undeclared.stderr).toMatch(/type must be one of \[feat, fix\]/);
  });

  it("read the type a branch name states, and the branch a merge names", () => {
    expect(typeFromBranch("fix/dose-unit")).toBe("fix");
    expect(typeFromBranch("rithviknishad/bugfix/7856-edit")).toBe("fix");
    expect(typeFromBranch("feature/O3-1234-chart")).toBe("feat");
    expect(typeFromBranch("cohort-workspace-fix")).toBe("fix");
    expect(typeFromBranch("EncounterListRefactor")).toBe("refactor");
    expect(typeFromBranch("chore/bump-node")).toBe("chore");
    expect(typeFromBranch("dependabot/npm_and_yarn/vite-5.0.1")).toBe("build");
    for (const b of ["develop", "main", "patch-1", "issue-1404", "prefix-fixture", undefined])
      expect(typeFromBranch(b), String(b)).toBeUndefined();
    expect(branchOfMergeSubject("Merge pull request #8101 from coronasafe/rithviknishad/fix/7856-x")).toBe(
      "rithviknishad/fix/7856-x",
    );
    expect(branchOfMergeSubject("Merge branch 'fix/dose' into develop")).toBe("fix/dose");
    expect(branchOfMergeSubject("Merge remote-tracking branch 'origin/feature/chart'")).toBe("feature/chart");
    expect(branchOfMergeSubject("(fix) Summary (#12)")).toBeUndefined();
  });

  it("write a type in the repository's most frequent spelling", () => {
    const conv = inferConvention(
      repeat(40, (i) => `(${["feat", "fix", "tests", "tests", "test"][i % 5]}) change ${i}`),
    );
    expect(allowedType(conv, "test")).toBe("tests");
    expect(allowedType(conv, "feat")).toBe("feat");
    const enhc = inferConvention(repeat(40, (i) => `(${["enhc", "enhc", "fix", "feat"][i % 4]}) change ${i}`));
    expect(allowedType(enhc, "feat")).toBe("enhc");
  });

  it("learn from history which branch names predict a type, and weigh the current branch by it", async () => {
    const repo = makeRepo();
    repo.commit("(chore) start", { "src/app.ts": "export const a = 1;\n" });
    let n = 0;
    const branch = (name: string, type: string, merge: string) => {
      repo.git("checkout", "-q", "-b", name);
      for (let i = 0; i < 2; i++, n++)
        repo.commit(`(${type}) change ${n}`, {
          [`src/m${n}.ts`]: `export function f${n}(x: number) {\n  if (x > ${n}) return ${n};\n  return x;\n}\n`,
        });
      repo.git("checkout", "-q", "main");
      repo.git("merge", "-q", "--no-ff", "-m", merge, name);
    };
    repo.git("branch", "-M", "main");
    for (let i = 0; i < 6; i++) {
      branch(`fix/thing-${i}`, "fix", `Merge pull request #${i} from owner/fix/thing-${i}`);
      branch(`feature/other-${i}`, "feat", `Merge branch 'feature/other-${i}'`);
      for (let j = 0; j < 2; j++, n++)
        repo.commit(`(feat) direct ${n}`, { [`src/d${n}.ts`]: `export const d${n} = 1;\n` });
    }
    const history: HistoryCommit[] = [];
    for await (const c of readHistory(repo.dir)) history.push(c);
    expect(history.filter((c) => c.header.startsWith("(fix)")).every((c) => c.branch?.startsWith("fix/"))).toBe(true);
    expect(
      history
        .filter((c) => c.header.includes("change") && c.header.startsWith("(feat)"))
        .every((c) => c.branch?.startsWith("feature/other-")),
    ).toBe(true);
    expect(history.filter((c) => c.header.includes("direct")).every((c) => c.branch === undefined)).toBe(true);
    expect(history.some((c) => c.header.startsWith("Merge"))).toBe(false);

    const vocab = new Vocabulary();
    for (const c of [...history].reverse()) vocab.add(c.header, c.paths, c.statuses, c.branch);
    // Every commit on a fix/ branch was a fix here: a fix/ branch raises fix and lowers feat.
    expect(vocab.branchRatio("fix", "fix")).toBeGreaterThan(2);
    expect(vocab.branchRatio("fix", "feat")).toBeLessThan(0.3);
    // Nothing learnt about chore/ branches: no evidence either way.
    expect(vocab.branchRatio("chore", "fix")).toBe(1);
    // A git-flow history (every branch feature/, whatever the type) says little about the type.
    const flow = new Vocabulary();
    for (let i = 0; i < 40; i++)
      flow.add(`(${i % 2 ? "fix" : "feat"}) c${i}`, [`src/f${i}.ts`], ["M"], `feature/x-${i}`);
    expect(Math.abs(flow.branchRatio("feat", "feat") - 1)).toBeLessThan(0.1);

    // The current branch moves the generated type where the history says branch names predict it.
    repo.write("src/app.ts", "export const a = 1;\nexport function g(x: number) {\n  return x + 1;\n}\n");
    repo.git("add", "-A");
    const change = await collectStaged(repo.dir);
    const plain = generateOffline(change, vocab);
    const onFix = generateOffline(change, vocab, { branch: "fix/app" });
    expect(onFix.message.type).toBe("fix");
    expect(plain.message.type).not.toBe("fix");
    expect(onFix.inference.reasons.join(" ")).toMatch(/branch "fix\/app" states fix/);
    // `commit generate` reads the branch and the history's branch habits itself.
    const onMain = await generateCommitMessages({ cwd: repo.dir });
    expect(onMain.candidates[0]!.header).not.toMatch(/^\(fix\)/);
    repo.git("checkout", "-q", "-b", "fix/app");
    const generated = await generateCommitMessages({ cwd: repo.dir });
    expect(generated.candidates[0]!.header).toMatch(/^\(fix\) /);
    expect(generated.inference.reasons.join(" ")).toMatch(/branch "fix\/app" states fix/);
    // An issue of a tracker project declared as a bug tracker (`commits.fixKeys`) makes a source change a fix.
    expect(generateOffline(change, vocab, { bug: "BUG-12" }).message.type).toBe("fix");
    repo.cleanup();
  });
});
