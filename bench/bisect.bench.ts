// Forensics bisect against real `git bisect run` on generated repositories (same cases, same run),
// plus flaky-test accuracy: simulated over many trials with the search logic, and a smaller number
// of real end-to-end trials for both tools.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CulpritSearch, gitBisectSteps } from "../src/forensics/search.js";
import { writeBenchSection } from "./lib/report.js";

const root = new URL("..", import.meta.url).pathname;
const CLI = join(root, "dist", "cli.js");
const N = Number(process.env.BISECT_N ?? 200);
const env = {
  ...process.env,
  GIT_AUTHOR_NAME: "b",
  GIT_AUTHOR_EMAIL: "b@b.invalid",
  GIT_COMMITTER_NAME: "b",
  GIT_COMMITTER_EMAIL: "b@b.invalid",
};

/** N commits over src/<area>/<module>.js with tests importing them; commit `culprit` breaks src/billing/core.js. */
function makeRepo(culprit: number): { dir: string; good: string; bad: string; culpritSha: string } {
  const dir = mkdtempSync(join(tmpdir(), "gh-bisect-bench-"));
  const areas = ["auth", "billing", "fhir", "ui", "reports", "audit"];
  let stream = "";
  let mark = 0;
  const blob = (content: string) => {
    mark++;
    stream += `blob\nmark :${mark}\ndata ${Buffer.byteLength(content)}\n${content}\n`;
    return mark;
  };
  const commit = (msg: string, files: Record<string, string>, t: number) => {
    const marks = Object.entries(files).map(([p, c]) => [p, blob(c)] as const);
    stream += `commit refs/heads/main\ncommitter b <b@b.invalid> ${1700000000 + t * 60} +0000\ndata ${msg.length}\n${msg}\n`;
    for (const [p, m] of marks) stream += `M 100644 :${m} ${p}\n`;
  };
  const base: Record<string, string> = {
    "test.sh":
      '#!/bin/sh\n# usage: test.sh <test file>; fails when the module under test is broken\nfor f in "$@"; do grep -q BROKEN "$(dirname "$f")/$(basename "$f" .test.js).js" && exit 1; done\nexit 0\n',
  };
  for (const a of areas) {
    base[`src/${a}/core.js`] = `export function ${a}() { return 1; }\n`;
    base[`src/${a}/core.test.js`] = `import { ${a} } from "./core.js";\nif (${a}() !== 1) throw new Error("x");\n`;
  }
  commit("chore: base", base, 0);
  for (let i = 1; i <= N; i++) {
    const a = areas[i % areas.length]!;
    const files: Record<string, string> = { [`src/${a}/m${i}.js`]: `export const v${i} = ${i};\n` };
    if (i === culprit) files["src/billing/core.js"] = "export function billing() { return 2; } // BROKEN\n";
    commit(`feat(${a}): change ${i}`, files, i);
  }
  execFileSync("git", ["init", "-q", "-b", "main", dir], { env });
  execFileSync("git", ["fast-import", "--quiet"], { cwd: dir, input: stream, env });
  execFileSync("git", ["checkout", "-q", "main"], { cwd: dir, env });
  const revs = execFileSync("git", ["rev-list", "--reverse", "main"], { cwd: dir, encoding: "utf8" })
    .trim()
    .split("\n");
  return { dir, good: revs[0]!, bad: revs[revs.length - 1]!, culpritSha: revs[culprit]! };
}

function gitBisect(
  dir: string,
  good: string,
  bad: string,
  cmd: string[],
): { culprit?: string; runs: number; ms: number } {
  const t0 = performance.now();
  execFileSync("git", ["bisect", "start", bad, good], { cwd: dir, env });
  const r = spawnSync("git", ["bisect", "run", ...cmd], { cwd: dir, env, encoding: "utf8" });
  const ms = performance.now() - t0;
  const runs = (r.stdout.match(/^running /gm) ?? []).length;
  const culprit = /^([0-9a-f]{40}) is the first bad commit/m.exec(r.stdout)?.[1];
  execFileSync("git", ["bisect", "reset"], { cwd: dir, env, stdio: "ignore" });
  return { culprit, runs, ms };
}

function ours(dir: string, good: string, bad: string, cmd: string[], extra: string[] = []) {
  const t0 = performance.now();
  const r = spawnSync(
    process.execPath,
    [CLI, "forensics", "bisect", "--good", good, "--bad", bad, "--format", "json", ...extra, "--", ...cmd],
    { cwd: dir, encoding: "utf8" },
  );
  const ms = performance.now() - t0;
  const j = JSON.parse(r.stdout || "{}") as { culprit?: { sha: string }; searchRuns: number; runs: unknown[] };
  return { culprit: j.culprit?.sha, runs: j.searchRuns, total: j.runs?.length ?? 0, ms };
}

const cases = [17, 42, 88, 120, 151, 199, 3, 64];
const rows: string[] = [];
let sumOurs = 0;
let sumGit = 0;
let worstOver = -Infinity;
for (const c of cases) {
  const { dir, good, bad, culpritSha } = makeRepo(c);
  const cmd = ["sh", "test.sh", "src/billing/core.test.js"];
  const g = gitBisect(dir, good, bad, cmd);
  const o = ours(dir, good, bad, cmd);
  const u = ours(dir, good, bad, cmd, ["--prior", "uniform"]);
  sumOurs += o.runs;
  sumGit += g.runs;
  worstOver = Math.max(worstOver, u.runs - gitBisectSteps(N), o.runs - gitBisectSteps(N));
  rows.push(
    `| ${c} | ${g.runs} (${(g.ms / 1000).toFixed(1)} s) ${g.culprit === culpritSha ? "✓" : "✗"} | ${o.runs} + 2 endpoint checks (${(o.ms / 1000).toFixed(1)} s) ${o.culprit === culpritSha ? "✓" : "✗"} | ${u.runs} ${u.culprit === culpritSha ? "✓" : "✗"} |`,
  );
  console.error(`culprit ${c}: git ${g.runs}, ours ${o.runs} (uniform ${u.runs})`);
  rmSync(dir, { recursive: true, force: true });
}

// Flaky accuracy, simulated: spurious failure rate f on good commits, known rate, 1000 trials each.
function simulate(f: number, trials: number, gitStyle: boolean) {
  let correct = 0;
  let runs = 0;
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let t = 0; t < trials; t++) {
    const c = Math.floor(rand() * N);
    const test = (i: number) => i >= c || rand() < f;
    if (gitStyle) {
      // git bisect: trusts every result
      let lo = -1;
      let hi = N - 1;
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        runs++;
        if (test(mid)) hi = mid;
        else lo = mid;
      }
      if (hi === c) correct++;
    } else {
      const s = new CulpritSearch(N, undefined, { flakeRate: f, confidence: 0.99, noCulpritPrior: 0.02 });
      s.observe(N - 1, "fail");
      let k = 0;
      while (!s.done() && k < 200) {
        const [i] = s.next();
        if (i === undefined) break;
        s.observe(i, test(i) ? "fail" : "pass");
        k++;
      }
      runs += k;
      if (s.best().index === c) correct++;
    }
  }
  return { acc: correct / trials, runs: runs / trials };
}
const flaky = [0.1, 0.2].map((f) => ({ f, ours: simulate(f, 1000, false), git: simulate(f, 1000, true) }));

// A few real end-to-end flaky trials (counter-based spurious failures every 5th run ≈ 0.2).
let realOurs = 0;
let realGit = 0;
const REAL = 4;
for (let t = 0; t < REAL; t++) {
  const c = 30 + t * 37;
  const { dir, good, bad, culpritSha } = makeRepo(c);
  const counter = join(dir, ".count");
  writeFileSync(
    join(dir, "..", `flaky-${t}.sh`),
    `#!/bin/sh\nn=$(cat ${counter} 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${counter}\n[ $((n % 5)) -eq 3 ] && exit 1\nsh test.sh src/billing/core.test.js\n`,
  );
  const cmd = ["sh", join(dir, "..", `flaky-${t}.sh`)];
  writeFileSync(counter, "10");
  if (gitBisect(dir, good, bad, cmd).culprit === culpritSha) realGit++;
  writeFileSync(counter, "10");
  if (ours(dir, good, bad, cmd, ["--flaky", "0.2"]).culprit === culpritSha) realOurs++;
  rmSync(dir, { recursive: true, force: true });
}

writeBenchSection(
  "bisect",
  "npm run build && npm run bench -- bisect",
  `
Generated repositories: ${N} commits over six areas (\`src/<area>/m<i>.js\`, each area with \`core.js\` and a \`core.test.js\` that imports it), built with \`git fast-import\`; commit *c* breaks \`src/billing/core.js\`. The test command names the failing test (\`sh test.sh src/billing/core.test.js\`). Both tools run on the same repository in the same run; git bisect's count is its "running" lines.

| culprit | \`git bisect run\` runs (wall) | gitops-health search runs, relevance prior (wall) | gitops-health, uniform prior |
| --- | --- | --- | --- |
${rows.join("\n")}

Search runs on average: **${(sumOurs / cases.length).toFixed(1)}** against git bisect's **${(sumGit / cases.length).toFixed(1)}** (**${((1 - sumOurs / sumGit) * 100).toFixed(0)}% fewer**; target ≥ 25%). gitops-health also runs the two endpoints first (2 more runs, in parallel) to refuse a range whose good commit fails or bad commit passes; git bisect does not check them. Worst case over these cases, with either prior: ${worstOver >= 0 ? "+" : ""}${worstOver} runs against ceil(log2 N) = ${gitBisectSteps(N)} (bound: +2). Wall time includes setting up one throwaway \`git worktree\` per parallel job (reused, checked out and cleaned between runs).

Flaky test, spurious failure rate *f* on good commits, known to the tool (\`--flaky f\`), ${N} candidates, 1,000 simulated trials each (search logic with a simulated oracle; git bisect modelled as plain binary search that trusts every result):

| f | gitops-health correct | mean runs | git bisect correct | runs |
| --- | --- | --- | --- | --- |
${flaky.map((x) => `| ${x.f} | **${(x.ours.acc * 100).toFixed(1)}%** | ${x.ours.runs.toFixed(1)} | ${(x.git.acc * 100).toFixed(1)}% | ${x.git.runs.toFixed(1)} |`).join("\n")}

Real end-to-end flaky trials (every 5th test run fails spuriously, ≈ 0.2): gitops-health found the culprit in ${realOurs}/${REAL}, \`git bisect run\` in ${realGit}/${REAL}. Replays on real histories follow in the next two sections.
`,
);
console.error(
  `ours ${sumOurs / cases.length} vs git ${sumGit / cases.length}; flaky ${JSON.stringify(flaky)}; real ${realOurs}/${REAL} vs ${realGit}/${REAL}`,
);
