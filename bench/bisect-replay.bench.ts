// Forensics bisect replayed on real histories ("oracle replay"): real fix commits that changed a
// test, their bug-introducing commit found by SZZ, the real commit graph and changed files between
// the last release tag before the bug and the fix's parent. The test itself is an oracle (fails
// exactly when the bug-introducing commit is an ancestor of the commit under test), because the
// projects' own test suites cannot be installed per commit offline; the oracle's command line names
// the real test files the fix touched, so the relevance prior sees what a developer's command would
// show it. Both `git bisect run` and `gitops-health forensics bisect` run with the same oracle on
// the same range, in the same run.
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gitBisectSteps } from "../src/forensics/search.js";
import { listCandidates, relevancePrior } from "../src/forensics/bisect.js";
import { writeBenchSection } from "./lib/report.js";
import { gitBisectRun, ourBisect } from "./lib/bisect-tools.js";

const root = new URL("..", import.meta.url).pathname;
const CLI = join(root, "dist", "cli.js");
const REPOS = (
  process.env.REPLAY_REPOS ?? "commitlint,semantic-release,conventional-changelog,vite,vue-core,h3,angular-cli"
).split(",");
const PER_REPO = Number(process.env.REPLAY_PER_REPO ?? 5);
const MIN_N = 8;
const MAX_N = 4000;
const env = {
  ...process.env,
  GIT_AUTHOR_NAME: "b",
  GIT_AUTHOR_EMAIL: "b@b.invalid",
  GIT_COMMITTER_NAME: "b",
  GIT_COMMITTER_EMAIL: "b@b.invalid",
  GIT_CONFIG_NOSYSTEM: "1",
};

const TEST = /(^|\/)(test|tests|__tests__|spec)\/|\.(test|spec)\.[cm]?[jt]sx?$/;
const SOURCE = /\.(?:[cm]?[jt]sx?|vue)$/;
const TRIVIAL = /^\s*(?:$|\/\/|#(?!include)|\/\*|\*|\*\/|<!--|--\s)/; // as src/risk/szz.ts

function g(cwd: string, args: string[]): string {
  return execFileSync("git", args, {
    cwd,
    env,
    encoding: "utf8",
    maxBuffer: 1 << 28,
    stdio: ["ignore", "pipe", "pipe"],
  });
}
function tryG(cwd: string, args: string[]): string | undefined {
  try {
    return g(cwd, args).trim();
  } catch {
    return undefined;
  }
}

interface Fix {
  sha: string;
  subject: string;
  tests: string[];
  sources: string[];
}

/** Non-merge `fix:` commits, newest first, that changed at least one test file and one source file. */
function fixes(dir: string): Fix[] {
  const out: Fix[] = [];
  let cur: Fix | undefined;
  for (const line of g(dir, [
    "log",
    "--no-merges",
    "--first-parent",
    "--name-only",
    "--format=\u0001%H%x09%s",
    "HEAD",
  ]).split("\n")) {
    if (line.startsWith("\u0001")) {
      const [sha, subject] = line.slice(1).split("\t");
      cur = /^fix(\([^)]*\))?!?:/.test(subject ?? "")
        ? { sha: sha!, subject: subject!, tests: [], sources: [] }
        : undefined;
      if (cur) out.push(cur);
    } else if (line && cur && SOURCE.test(line)) (TEST.test(line) ? cur.tests : cur.sources).push(line);
  }
  return out.filter((f) => f.tests.length > 0 && f.sources.length > 0);
}

/**
 * SZZ restricted to the fix's non-test source files: lines the fix removed or changed (ignoring
 * blank and comment lines) are blamed at its parent with `-w -C -M`, as src/risk/szz.ts does.
 */
function szzSources(dir: string, fix: Fix): string[] {
  const found = new Set<string>();
  for (const path of fix.sources) {
    const diff = tryG(dir, ["diff", "-U0", "--no-renames", "--no-color", `${fix.sha}^`, fix.sha, "--", path]);
    if (!diff) continue;
    const lines: number[] = [];
    let old = 0;
    for (const l of diff.split("\n")) {
      const h = /^@@ -(\d+)(?:,\d+)? /.exec(l);
      if (h) old = Number(h[1]);
      else if (l.startsWith("-") && !l.startsWith("---")) {
        if (!TRIVIAL.test(l.slice(1))) lines.push(old);
        old++;
      }
    }
    if (lines.length === 0) continue;
    const spans = lines.flatMap((l) => ["-L", `${l},${l}`]);
    const blame = tryG(dir, ["blame", "--porcelain", "-w", "-C", "-M", ...spans, `${fix.sha}^`, "--", path]);
    for (const m of (blame ?? "").matchAll(/^([0-9a-f]{40}) \d+ \d+/gm)) if (m[1] !== fix.sha) found.add(m[1]!);
  }
  return [...found];
}

interface Case {
  repo: string;
  fix: Fix;
  culprit: string;
  fpCulprit: string;
  introducers: number;
  good: string;
  goodName: string;
  bad: string;
  n: number;
  named: string[];
}

/** Build a replay case from a fix, or say why it cannot be one. */
function makeCase(repo: string, dir: string, fix: Fix): Case | string {
  const intro = szzSources(dir, fix);
  if (intro.length === 0) return "no blamable source lines";
  // The bug the fix removes needs every blamed line, so it exists from the newest blamed commit on.
  const byTime = intro
    .map((s) => ({ s, t: Number(tryG(dir, ["show", "-s", "--format=%ct", s]) ?? 0) }))
    .sort((a, b) => b.t - a.t);
  const culprit = byTime[0]!.s;
  if (tryG(dir, ["rev-parse", "-q", "--verify", `${culprit}^`]) === undefined) return "blamed the root commit";
  const goodName = tryG(dir, ["describe", "--tags", "--abbrev=0", `${culprit}^`]);
  if (!goodName) return "no release tag before the bug";
  const good = g(dir, ["rev-parse", `${goodName}^{commit}`]).trim();
  const bad = `${fix.sha}^`;
  const badSha = g(dir, ["rev-parse", bad]).trim();
  const fp = g(dir, ["rev-list", "--first-parent", "--reverse", `${good}..${badSha}`])
    .trim()
    .split("\n")
    .filter(Boolean);
  const n = fp.length;
  if (n < MIN_N || n > MAX_N) return `range of ${n} first-parent commits`;
  // First-parent search names the first mainline commit containing the culprit (itself, or the merge that brought it).
  const fpCulprit = fp.find((s) => tryG(dir, ["merge-base", "--is-ancestor", culprit, s]) !== undefined);
  if (!fpCulprit) return "culprit not reachable from the fix's parent";
  const tracked = new Set(g(dir, ["ls-tree", "-r", "--name-only", badSha]).split("\n"));
  const named = fix.tests.filter((t) => tracked.has(t));
  return { repo, fix, culprit, fpCulprit, introducers: intro.length, good, goodName, bad: badSha, n, named };
}

function oracleScript(dir: string, culprit: string): string {
  const file = join(dir, `oracle-${culprit.slice(0, 12)}.sh`);
  // args are the test files (unused by the oracle; they are what the relevance prior reads)
  writeFileSync(
    file,
    `#!/bin/sh\n# fails exactly when ${culprit} is in the history of the commit under test\ngit merge-base --is-ancestor ${culprit} HEAD && exit 1\nexit 0\n`,
  );
  chmodSync(file, 0o755);
  return file;
}

const gitBisect = gitBisectRun;

function ours(dir: string, good: string, bad: string, cmd: string[], extra: string[] = []) {
  const { report: j, stderr, ms } = ourBisect(CLI, dir, good, bad, cmd, extra);
  if (j.searchRuns === undefined) console.error(`  gitops-health failed: ${stderr.trim().split("\n").pop()}`);
  return {
    culprit: j.culprit?.sha,
    runs: j.searchRuns ?? NaN,
    total: j.runs?.length ?? 0,
    prior: j.prior ?? "?",
    candidates: j.candidates ?? 0,
    ms,
  };
}

interface Row {
  c: Case;
  git: ReturnType<typeof gitBisect>;
  rel: ReturnType<typeof ours>;
  uni: ReturnType<typeof ours>;
  points: boolean;
  bound: number;
}
const rows: Row[] = [];
const skipped = new Map<string, number>();
const unreadable: string[] = [];
const work = mkdtempSync(join(tmpdir(), "gh-replay-"));
try {
  for (const repo of REPOS) {
    const src = join("/work/bench-repos", repo);
    if (!existsSync(join(src, ".git"))) {
      console.error(`${repo}: not cloned, skipped`);
      continue;
    }
    // A private clone (objects shared read-only): bisect and worktrees never touch the shared checkout.
    const dir = join(work, repo);
    g(work, ["clone", "-q", "--shared", "--no-checkout", src, dir]);
    let list: Fix[];
    try {
      list = fixes(dir);
    } catch (err) {
      // a local clone with objects missing (the fetch snapshots may omit the largest) cannot be walked
      unreadable.push(
        `${repo} (${
          String((err as { stderr?: string }).stderr ?? err)
            .trim()
            .split("\n")[0]
        })`,
      );
      continue;
    }
    let taken = 0;
    for (const fix of list) {
      if (taken >= PER_REPO) break;
      const c = makeCase(repo, dir, fix);
      if (typeof c === "string") {
        const why = c.replace(/\d+/g, "n");
        skipped.set(why, (skipped.get(why) ?? 0) + 1);
        continue;
      }
      taken++;
      g(dir, ["checkout", "-q", "--detach", c.bad]);
      const cmd = ["sh", oracleScript(work, c.culprit), ...c.named];
      const cands = await listCandidates(dir, c.good, c.bad, true);
      const prior = await relevancePrior(dir, c.bad, c.named, cands);
      const ci = cands.findIndex((x) => x.sha === c.fpCulprit);
      // "points at": the named test or a file it imports was changed by the culprit (the prior raised it)
      const points = prior !== undefined && ci >= 0 && prior[ci]! > 1;
      const git = gitBisect(dir, c.good, c.bad, cmd);
      const rel = ours(dir, c.good, c.bad, cmd);
      const uni = ours(dir, c.good, c.bad, cmd, ["--prior", "uniform"]);
      if (Number.isNaN(rel.runs) || Number.isNaN(uni.runs)) {
        // e.g. a clone whose large blobs are absent: `git worktree add` cannot check the commit out
        skipped.set(
          "gitops-health could not run (see stderr)",
          (skipped.get("gitops-health could not run (see stderr)") ?? 0) + 1,
        );
        continue;
      }
      const row = { c, git, rel, uni, points, bound: gitBisectSteps(c.n) };
      rows.push(row);
      console.error(
        `${repo} ${fix.sha.slice(0, 10)} N=${c.n} points=${points} git ${git.runs}${git.culprit === c.fpCulprit ? "✓" : "✗"} ours ${rel.runs}${rel.culprit === c.fpCulprit ? "✓" : "✗"} uniform ${uni.runs}${uni.culprit === c.fpCulprit ? "✓" : "✗"}`,
      );
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const ok = (r: Row, x: { culprit?: string }) => x.culprit === r.c.fpCulprit;
function summary(sel: Row[]) {
  const git = mean(sel.map((r) => r.git.runs));
  const rel = mean(sel.map((r) => r.rel.runs));
  const uni = mean(sel.map((r) => r.uni.runs));
  return {
    n: sel.length,
    git,
    rel,
    uni,
    fewer: 1 - rel / git,
    fewerUni: 1 - uni / git,
    N: mean(sel.map((r) => r.c.n)),
  };
}
const groups = [
  { name: "test points at the culprit's files", sel: rows.filter((r) => r.points) },
  { name: "test named, culprit not among its files", sel: rows.filter((r) => !r.points && r.c.named.length > 0) },
  {
    name: "no test file of the fix exists at the bad commit (uniform prior)",
    sel: rows.filter((r) => r.c.named.length === 0),
  },
  { name: "all cases", sel: rows },
];
const over = rows.map((r) => Math.max(r.rel.runs, r.uni.runs) - r.bound);
const worst = Math.max(...over);
const overBound = rows.filter((r) => Math.max(r.rel.runs, r.uni.runs) > r.bound + 2);
const wrong = {
  git: rows.filter((r) => !ok(r, r.git)).length,
  rel: rows.filter((r) => !ok(r, r.rel)).length,
  uni: rows.filter((r) => !ok(r, r.uni)).length,
};
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const pct = (x: number) =>
  Number.isFinite(x) ? `${x >= 0 ? "" : "+"}${Math.abs(x * 100).toFixed(0)}% ${x >= 0 ? "fewer" : "more"}` : "–";
const sideBranch = rows.filter((r) => r.c.culprit !== r.c.fpCulprit).length;

writeBenchSection(
  "bisect-replay",
  "npm run build && npm run bench -- bisect-replay",
  `
**Oracle replay on real histories** (not a re-run of the projects' own tests, which cannot be installed per commit offline). For each repository in \`/work/bench-repos\` (local clones, newest first): the ${PER_REPO} most recent non-merge \`fix:\` commits on the first-parent line that changed a test file and a source file, whose bug-introducing commit SZZ can find. SZZ here blames the lines the fix removed or changed in its non-test source files at its parent (\`git blame -w -C -M\`, blank and comment lines ignored, as \`src/risk/szz.ts\`); when several commits are blamed, the newest is the culprit (the removed code exists in full only from then on). Range: **good** = the newest release tag before the culprit (\`git describe --tags --abbrev=0 culprit^\`), **bad** = the fix's parent; ranges of ${MIN_N} to ${MAX_N} first-parent commits. The commit graph and every commit's changed files are real.

The test command is \`sh oracle.sh <test files>\`: the oracle fails exactly when the culprit is an ancestor of the commit under test (\`git merge-base --is-ancestor\`), and its arguments are the **real test files the fix touched** that exist at the bad commit, so the relevance prior reads them and their relative imports as it would for \`npx vitest run <file>\`. What the oracle does not model: tests that fail for unrelated reasons, build breaks (skips), and bugs whose SZZ blame is wrong. Both tools search the first-parent line (\`git bisect start --first-parent\`; gitops-health's default); the expected answer is the first first-parent commit containing the culprit${sideBranch ? ` (${sideBranch} culprit(s) came in through a merge, so the merge is the answer)` : ""}. \`git bisect run\` counts are its "running" lines, from actually running it with the same oracle; gitops-health counts are search runs, plus 2 endpoint checks it always makes (good must pass, bad must fail) that git bisect does not.

| repository | fix | N | test points at culprit | \`git bisect run\` runs (wall) | gitops-health, relevance prior (wall) | uniform prior | ceil(log2 N) |
| --- | --- | --- | --- | --- | --- | --- | --- |
${rows.map((r) => `| ${r.c.repo} | \`${r.c.fix.sha.slice(0, 10)}\` ${r.c.fix.subject.replace(/\|/g, "\\|").slice(0, 60)} | ${r.c.n} | ${r.points ? "yes" : r.c.named.length ? "no" : "no test at bad"} | ${r.git.runs} (${secs(r.git.ms)}) ${ok(r, r.git) ? "✓" : "✗"} | ${r.rel.runs} + 2 (${secs(r.rel.ms)}) ${ok(r, r.rel) ? "✓" : "✗"} | ${r.uni.runs} ${ok(r, r.uni) ? "✓" : "✗"} | ${r.bound} |`).join("\n")}

| cases | count | mean N | \`git bisect run\` | gitops-health, relevance | vs git bisect | uniform prior | vs git bisect |
| --- | --- | --- | --- | --- | --- | --- | --- |
${groups
  .map(({ name, sel }) => {
    const s = summary(sel);
    return `| ${name} | ${s.n} | ${s.N.toFixed(0)} | ${s.git.toFixed(1)} | **${s.rel.toFixed(1)}** | ${pct(s.fewer)} | ${s.uni.toFixed(1)} | ${pct(s.fewerUni)} |`;
  })
  .join("\n")}

Target: ≥ 25% fewer runs when the failing test points at the changed files: **${pct(summary(groups[0]!.sel).fewer)}** over ${groups[0]!.sel.length} case(s) (search runs; counting the 2 endpoint checks too: ${pct(1 - (summary(groups[0]!.sel).rel + 2) / summary(groups[0]!.sel).git)}). Bound: never more than ceil(log2 N) + 2 search runs without flakiness: worst case ${worst >= 0 ? "+" : ""}${worst} over either prior${overBound.length ? `, **exceeded in ${overBound.length} case(s)**` : ", held in every case"}. Wrong culprit: git bisect ${wrong.git}, gitops-health relevance ${wrong.rel}, uniform ${wrong.uni}, of ${rows.length}. Mean wall time per case: git bisect ${secs(mean(rows.map((r) => r.git.ms)))}, gitops-health ${secs(mean(rows.map((r) => r.rel.ms)))}. gitops-health makes a throwaway \`git worktree\` per parallel job (created once, then checked out and cleaned between runs) and runs endpoints and a prior first; git bisect checks out in place in the user's checkout.

Fixes considered but not replayable: ${[...skipped].map(([k, v]) => `${v} × ${k}`).join("; ") || "none"}.${unreadable.length ? ` Repositories whose local clone could not be read: ${unreadable.join("; ")}.` : ""} The local vitest clone is left out: some of its blobs are absent, so \`git worktree add\` fails on older commits.
`,
);
for (const { name, sel } of groups) console.error(name, JSON.stringify(summary(sel)));
console.error(`worst over bound ${worst}; wrong ${JSON.stringify(wrong)}`);
