// Forensics bisect on real regressions with real tests: the regression test a fix commit added,
// run with vitest at every commit a bisect visits. Dependencies cannot be installed per commit
// offline, so the checkout borrows this project's node_modules (a symlink) and a minimal vitest
// config; a fix is used only when its test fails at the fix's parent and passes at the fix, and
// an older release tag exists where it passes (a regression, not a bug that was always there).
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gitBisectSteps } from "../src/forensics/search.js";
import { writeBenchSection } from "./lib/report.js";
import { gitBisectRun, ourBisect } from "./lib/bisect-tools.js";

const root = new URL("..", import.meta.url).pathname;
const CLI = join(root, "dist", "cli.js");
const MODULES = join(root, "node_modules"); // a symlink to the main checkout's in worktrees
const REPOS = (process.env.REAL_REPOS ?? "commitlint").split(",");
const SCREEN = Number(process.env.REAL_SCREEN ?? 40); // most recent fixes screened per repository
// conventional-changelog was tried too: its tests import packages that are not installed here
// (e.g. @simple-libs/child-process-utils), so none of its fixes' tests could run.
const TAGS_BACK = 4;
const HISTORY = 1500; // first-parent commits searched for fixes
const env = {
  ...process.env,
  GIT_AUTHOR_NAME: "b",
  GIT_AUTHOR_EMAIL: "b@b.invalid",
  GIT_COMMITTER_NAME: "b",
  GIT_COMMITTER_EMAIL: "b@b.invalid",
  GIT_CONFIG_NOSYSTEM: "1",
};
const g = (cwd: string, args: string[]) =>
  execFileSync("git", args, {
    cwd,
    env,
    encoding: "utf8",
    maxBuffer: 1 << 28,
    stdio: ["ignore", "pipe", "pipe"],
  }).trim();
const tryG = (cwd: string, args: string[]) => {
  try {
    return g(cwd, args);
  } catch {
    return undefined;
  }
};

const work = mkdtempSync(join(tmpdir(), "gh-real-"));
const vitestConfig = join(work, "vitest.config.mjs");
// The projects' own configs name custom environments and plugins that are not installed here.
// cacheDir keeps vite's cache out of the borrowed node_modules.
writeFileSync(
  vitestConfig,
  `export default { cacheDir: ${JSON.stringify(join(work, "cache"))}, test: { testTimeout: 15000, include: ['**/*.test.*', '**/*.spec.*'] } };\n`,
);

/**
 * The test command: put the fix's version of the test files in place, run them with vitest, and
 * restore the checkout (git bisect checks out in place). Arguments are the test paths, so the
 * relevance prior sees them exactly as in `npx vitest run <file>`.
 */
function testScript(name: string, store: string, tests: string[]): string {
  const file = join(work, `test-${name}.sh`);
  const copy = tests.map((t) => `mkdir -p "$(dirname '${t}')"; cp '${join(store, t)}' '${t}'`).join("\n");
  const restore = tests.map((t) => `git checkout -q -- '${t}' 2>/dev/null || rm -f '${t}'`).join("\n");
  writeFileSync(
    file,
    `#!/bin/sh\n[ -e node_modules ] || ln -s '${MODULES}' node_modules\n${copy}\nnode node_modules/vitest/vitest.mjs run --config '${vitestConfig}' --root . "$@" >/dev/null 2>&1\nrc=$?\n${restore}\n[ -L node_modules ] && rm -f node_modules\n[ $rc -gt 1 ] && rc=1\nexit $rc\n`,
  );
  chmodSync(file, 0o755);
  return file;
}

function runAt(dir: string, rev: string, script: string, tests: string[]): number {
  g(dir, ["checkout", "-q", "--detach", rev]);
  return spawnSync("sh", [script, ...tests], { cwd: dir, env, stdio: "ignore", timeout: 180_000 }).status ?? -1;
}

const gitBisect = gitBisectRun;

function ours(dir: string, good: string, bad: string, cmd: string[], extra: string[] = []) {
  const { report: j, stderr, ms } = ourBisect(CLI, dir, good, bad, cmd, extra);
  return {
    culprit: j.outcome === "culprit" ? j.culprit?.sha : undefined,
    runs: j.searchRuns ?? NaN,
    outcome: j.outcome ?? stderr.trim().split("\n").pop() ?? "error",
    prior: j.prior ?? "?",
    ms,
  };
}

interface Row {
  repo: string;
  fix: string;
  subject: string;
  tag: string;
  n: number;
  tests: string[];
  git: ReturnType<typeof gitBisect>;
  rel: ReturnType<typeof ours>;
  uni: ReturnType<typeof ours>;
  verified?: string;
}
const rows: Row[] = [];
const screened: string[] = [];
try {
  for (const repo of REPOS) {
    const src = join("/work/bench-repos", repo);
    if (!existsSync(join(src, ".git"))) continue;
    const dir = join(work, repo);
    g(work, ["clone", "-q", "--shared", "--no-checkout", src, dir]);
    const fixes: { sha: string; subject: string; tests: string[]; fixtures: string[] }[] = [];
    let cur: (typeof fixes)[number] | undefined;
    for (const line of g(dir, [
      "log",
      "--no-merges",
      "--first-parent",
      "--name-only",
      "--format=\u0001%H%x09%s",
      "-n",
      String(HISTORY),
      "HEAD",
    ]).split("\n")) {
      if (line.startsWith("\u0001")) {
        const [sha, subject] = line.slice(1).split("\t");
        cur = /^fix(\([^)]*\))?!?:/.test(subject ?? "")
          ? { sha: sha!, subject: subject!, tests: [], fixtures: [] }
          : undefined;
        if (cur) fixes.push(cur);
      } else if (cur && /\.(test|spec)\.[cm]?[jt]s$/.test(line) && !/(^|\/)(cli|e2e)\//.test(line))
        cur.tests.push(line);
      else if (cur && /(^|\/)(__)?fixtures(__)?\//.test(line)) cur.fixtures.push(line);
    }
    let seen = 0;
    for (const fix of fixes) {
      if (fix.tests.length === 0) continue;
      if (seen++ >= SCREEN) break;
      const store = join(work, "store", fix.sha);
      const exists = (t: string) => tryG(dir, ["cat-file", "-e", `${fix.sha}:${t}`]) !== undefined;
      const tests = fix.tests.filter(exists);
      if (tests.length === 0) continue;
      // fixture files the fix added or changed travel with its test (they are test data, not the fix)
      const files = [...tests, ...fix.fixtures.filter(exists)];
      for (const t of files) {
        mkdirSync(dirname(join(store, t)), { recursive: true });
        writeFileSync(
          join(store, t),
          execFileSync("git", ["show", `${fix.sha}:${t}`], { cwd: dir, maxBuffer: 1 << 26 }),
        );
      }
      const script = testScript(fix.sha.slice(0, 12), store, files);
      const id = `${repo} ${fix.sha.slice(0, 10)}`;
      if (runAt(dir, fix.sha, script, tests) !== 0) {
        screened.push(`${id}: the fix's test does not pass at the fix here`);
        continue;
      }
      if (runAt(dir, `${fix.sha}^`, script, tests) !== 1) {
        screened.push(`${id}: the fix's test does not fail at the fix's parent`);
        continue;
      }
      // The newest of the last few release tags where the test passes: the regression came after it.
      let tag: string | undefined;
      let at = `${fix.sha}^`;
      for (let k = 0; k < TAGS_BACK && !tag; k++) {
        const t = tryG(dir, ["describe", "--tags", "--abbrev=0", at]);
        if (!t) break;
        if (runAt(dir, t, script, tests) === 0) tag = t;
        at = `${t}^`;
      }
      if (!tag) {
        screened.push(`${id}: fails at the last ${TAGS_BACK} release tags too (not a regression in reach)`);
        continue;
      }
      const good = g(dir, ["rev-parse", `${tag}^{commit}`]);
      const bad = g(dir, ["rev-parse", `${fix.sha}^`]);
      const n = Number(g(dir, ["rev-list", "--count", "--first-parent", `${good}..${bad}`]));
      g(dir, ["checkout", "-q", "--detach", bad]);
      const cmd = ["sh", script, ...tests];
      const git = gitBisect(dir, good, bad, cmd);
      const rel = ours(dir, good, bad, cmd);
      const uni = ours(dir, good, bad, cmd, ["--prior", "uniform"]);
      // Independent check of an answer: fails there, passes at its first parent.
      const answer = git.culprit ?? rel.culprit;
      const verified = answer
        ? runAt(dir, answer, script, tests) === 1 && runAt(dir, `${answer}^`, script, tests) === 0
          ? answer
          : undefined
        : undefined;
      rows.push({ repo, fix: fix.sha, subject: fix.subject, tag, n, tests, git, rel, uni, verified });
      console.error(
        `${id} ${tag} N=${n}: git ${git.runs} ${git.culprit?.slice(0, 10)} ours ${rel.runs} ${rel.culprit?.slice(0, 10)} uniform ${uni.runs} ${uni.culprit?.slice(0, 10)} verified ${verified?.slice(0, 10)}`,
      );
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const mark = (r: Row, c?: string) =>
  c === undefined ? "✗ none" : c === r.verified ? `✓ \`${c.slice(0, 10)}\`` : `? \`${c.slice(0, 10)}\``;
const secs = (ms: number) => `${(ms / 1000).toFixed(0)} s`;
const gm = mean(rows.map((r) => r.git.runs));
const rm = mean(rows.map((r) => r.rel.runs));
writeBenchSection(
  "bisect-real",
  "npm run build && npm run bench -- bisect-real",
  `
**Real tests on real regressions**, a small set. For up to ${SCREEN} \`fix:\` commits among the last ${HISTORY} first-parent commits of ${REPOS.join(", ")} that changed a vitest test file (${screened.length + rows.length} found), the fix's version of those test files (and of any fixture files it changed) is copied into each checkout and run with vitest (\`sh test.sh <test files>\`; the checkout borrows this project's \`node_modules\` by symlink and a minimal vitest config, since dependencies cannot be installed per commit offline, so workspace packages resolve to the published versions installed here). A fix is replayed only if its test passes at the fix, fails at its parent, and passes at one of the ${TAGS_BACK} release tags before it (good = the newest such tag, bad = the fix's parent). Both tools search the first-parent line; an answer is **verified** (✓) when the test fails there and passes at its parent; other answers are ?. gitops-health search runs exclude its 2 endpoint checks.

| repository | fix | good tag | N | \`git bisect run\` runs (wall) | gitops-health, relevance (wall) | uniform prior | ceil(log2 N) |
| --- | --- | --- | --- | --- | --- | --- | --- |
${rows.map((r) => `| ${r.repo} | \`${r.fix.slice(0, 10)}\` ${r.subject.replace(/\|/g, "\\|").slice(0, 50)} | ${r.tag} | ${r.n} | ${r.git.runs} (${secs(r.git.ms)}) ${mark(r, r.git.culprit)} | ${r.rel.runs} + 2 (${secs(r.rel.ms)}) ${mark(r, r.rel.culprit)} | ${r.uni.runs} ${mark(r, r.uni.culprit)} | ${gitBisectSteps(r.n)} |`).join("\n") || "| (no fix qualified) | | | | | | | |"}

${rows.length ? `Mean search runs: gitops-health (relevance) **${rm.toFixed(1)}** against git bisect's **${gm.toFixed(1)}** (${((1 - rm / gm) * 100).toFixed(0)}% fewer) over ${rows.length} regression(s); uniform prior ${mean(rows.map((r) => r.uni.runs)).toFixed(1)}. Same culprit as git bisect: ${rows.filter((r) => r.rel.culprit === r.git.culprit).length}/${rows.length}.` : ""} Too few cases for a rate; the oracle replay above is the larger sample.

Fixes screened out: ${[...new Set(screened.map((x) => x.replace(/^\S+ \S+: /, "")))].map((why) => `${screened.filter((x) => x.endsWith(why)).length} × ${why}`).join("; ") || "none"} (${screened.map((x) => `\`${x.split(" ")[1]!.replace(":", "")}\``).join(", ")}). "Does not pass at the fix here" means the test cannot run in this environment (a dependency or workspace package version that is not installed); "fails at the last release tags too" means the fix covers behaviour that never worked in reach, so there is no regression to bisect.
`,
);
console.error(
  JSON.stringify(
    rows.map((r) => ({
      fix: r.fix.slice(0, 10),
      n: r.n,
      git: r.git.runs,
      rel: r.rel.runs,
      uni: r.uni.runs,
      same: r.rel.culprit === r.git.culprit,
      verified: r.verified?.slice(0, 10),
    })),
  ),
);
