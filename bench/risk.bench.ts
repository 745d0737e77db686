// Risk model evaluation on real repositories' own history (time-ordered split) against the
// lines-added baseline, and feature-extraction speed against plain `git log --numstat`.
// Repositories are local clones under ../bench-repos or RISK_REPOS_DIR (not committed): set RISK_REPOS to change.
// The held-out, non-conventional histories are public repositories cloned for measurement only:
//   git clone https://github.com/palladiumkenya/kenyaemr-esm-3.x   ("(fix) Summary", "(feat): ...")
//   git clone https://github.com/ehrbase/ehrbase                   (Jira keys: "CDR-2305 Summary")
//   git clone https://github.com/ohcnetwork/care_fe                (free text: "Fix ... (#123)")
// and the development set: conventional-changelog/commitlint, semantic-release/semantic-release,
// conventional-changelog/conventional-changelog.
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { execFileSync, spawnSync } from "node:child_process";
import { join } from "node:path";
import {
  buildDataset,
  DEFAULT_MAX_FIXES,
  evaluate,
  riskConvention,
  timeSplit,
  fitDefaultModel,
  usable,
  type Dataset,
  type EvalResult,
  type RiskModel,
} from "../src/risk/index.js";
import { repoConvention } from "../src/commit/convention-io.js";
import { auc, aucInterval, predict, WITH_DEFECT_HISTORY } from "../src/risk/model.js";
import { extractFeatures, isNonSource, type CommitFeatures } from "../src/risk/features.js";
import { changeFeatures, commitAsChange } from "../src/risk/target.js";
import { szz } from "../src/risk/szz.js";
import { writeBenchSection } from "./lib/report.js";

const base = process.env.RISK_REPOS_DIR ?? join(new URL("../..", import.meta.url).pathname, "bench-repos");
// The first three are the development set (and the shipped default model's training data); the
// others are larger histories used only to check that the method carries over.
const DEV = ["commitlint", "semantic-release", "conventional-changelog"];
const repos = (
  process.env.RISK_REPOS ??
  [...DEV, "kenyaemr-esm-3.x", "ehrbase", "care_fe", "bahmniapps", "openmrs-esm-ohri", "fhir-emr"].join(",")
)
  .split(",")
  .filter((r) => existsSync(join(base, r)));
/**
 * Some local mirrors lack a few large blobs (vendored bundles, media), and `git log --numstat`
 * stops at the first one. Rather than touch the clone, build a shell repository in a temp dir that
 * borrows its objects (alternates) and replaces each missing blob with an empty one. The bench
 * reports how many paths that touches and whether any is source (a feature or label would then use it).
 */
/** The clone's origin, or for a mirror without one (`/work/.mirror/owner+name/...`) its path. */
function originOf(dir: string): string {
  try {
    return execFileSync("git", ["config", "--get", "remote.origin.url"], { cwd: dir, encoding: "utf8" }).trim();
  } catch {
    return realpathSync(dir);
  }
}
function readable(dir: string): { dir: string; replaced: number; paths: number; source: string[] } {
  const missing = execFileSync("git", ["rev-list", "--objects", "--missing=print", "HEAD"], {
    cwd: dir,
    encoding: "utf8",
    maxBuffer: 1 << 30,
  })
    .split("\n")
    .filter((l) => l.startsWith("?"))
    .map((l) => l.slice(1));
  if (!missing.length) return { dir, replaced: 0, paths: 0, source: [] as string[] };
  const shell = mkdtempSync(join(tmpdir(), "risk-bench-"));
  process.on("exit", () => rmSync(shell, { recursive: true, force: true }));
  const g = (...args: string[]) => execFileSync("git", args, { cwd: shell, encoding: "utf8" }).trim();
  g("init", "-q", "--bare");
  const objects = execFileSync("git", ["rev-parse", "--path-format=absolute", "--git-path", "objects"], {
    cwd: dir,
    encoding: "utf8",
  }).trim();
  writeFileSync(join(shell, "objects", "info", "alternates"), objects + "\n");
  g("update-ref", "refs/heads/main", execFileSync("git", ["rev-parse", "HEAD"], { cwd: dir, encoding: "utf8" }).trim());
  g("symbolic-ref", "HEAD", "refs/heads/main");
  g("config", "remote.origin.url", originOf(dir));
  const empty = g("hash-object", "-w", "--stdin");
  for (const oid of missing) g("replace", "-f", oid, empty);
  const gone = new Set(missing);
  const paths = new Set<string>();
  for (const l of execFileSync("git", ["log", "--raw", "--no-renames", "--no-abbrev", "--format=", "HEAD"], {
    cwd: shell,
    encoding: "utf8",
    maxBuffer: 1 << 30,
  }).split("\n")) {
    const m = /^:\d+ \d+ ([0-9a-f]+) ([0-9a-f]+) \w+\t(.+)$/.exec(l);
    if (m && (gone.has(m[1]!) || gone.has(m[2]!))) paths.add(m[3]!);
  }
  return { dir: shell, replaced: missing.length, paths: paths.size, source: [...paths].filter((p) => !isNonSource(p)) };
}

/** CPU seconds of this process and its finished children (git), from /proc (Linux). */
function cpuSeconds(): number {
  try {
    const f = readFileSync("/proc/self/stat", "utf8").split(") ")[1]!.split(" ");
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
  } catch {
    return NaN;
  }
}
const load = () => (readFileSync("/proc/loadavg", "utf8").split(" ")[0] ?? "?").trim();
const f3 = (x: number) => x.toFixed(3);
const f2 = (x: number) => x.toFixed(2);
const rows: string[] = [];
const notes: string[] = [];
const done: {
  withDH: EvalResult;
  r: string;
  ds: Dataset;
  e: EvalResult;
  head: string;
  url: string;
  secs: number;
  cpu: number;
  load: string;
  style: string;
}[] = [];
for (const r of repos) {
  const { dir, replaced, paths, source } = readable(join(base, r));
  if (replaced)
    notes.push(
      `${r}: ${replaced} blob(s) of ${paths} path(s) are absent from the local mirror and were read as empty; ${source.length ? `source among them: ${source.length} path(s) (their line counts read as zero)` : "none is a source file, so no feature or label depends on them"}.`,
    );
  const head = execFileSync("git", ["rev-parse", "HEAD"], { cwd: dir, encoding: "utf8" }).trim();
  const url = originOf(dir)
    .replace(/\.git$/, "")
    .replace(/^(?:https?:\/\/|git@)github\.com[/:]/, "github.com/")
    .replace(/^.*mirror\/([^+]+)\+([^/]+).*$/, "github.com/$1/$2");
  const conv = await repoConvention(join(base, r));
  const t0 = performance.now();
  const c0 = cpuSeconds();
  const l0 = load();
  // The `risk eval` defaults: every fix up to DEFAULT_MAX_FIXES (an even sample over time beyond it).
  const ds = await buildDataset(dir, { maxFixes: DEFAULT_MAX_FIXES, convention: riskConvention() });
  const e = evaluate(ds);
  // The same labels and split with the history-of-defects features (PFS, AFIX) added (not shipped).
  const withDH = evaluate(ds, 0.7, undefined, WITH_DEFECT_HISTORY);
  done.push({
    withDH,
    r,
    ds,
    e,
    head,
    url,
    secs: (performance.now() - t0) / 1000,
    cpu: cpuSeconds() - c0,
    load: `${l0}–${load()}`,
    style: `${conv.style} (${(100 * conv.share).toFixed(0)}%)`,
  });
  console.error(
    r,
    `${((performance.now() - t0) / 1000).toFixed(1)} s`,
    JSON.stringify(e),
    "with PFS, AFIX:",
    JSON.stringify(withDH.model),
  );
}

// The shipped default model: fitted on the development repositories' labelled windows, pooled in
// time order. RISK_FIT_DEFAULT=1 refits it (needed whenever features or labelling change).
const dev = done.filter((d) => DEV.includes(d.r));
if (process.env.RISK_FIT_DEFAULT === "1" && dev.length === DEV.length) {
  const pooled = dev
    .flatMap((d) => usable(d.ds).map((i) => ({ c: d.ds.commits[i]!, y: d.ds.labels[i]! })))
    .sort((a, b) => a.c.time - b.c.time);
  const model = fitDefaultModel(
    pooled.map((p) => p.c),
    pooled.map((p) => p.y),
  );
  model.trainedOn = { ...model.trainedOn!, repository: DEV.join(",") };
  writeFileSync(new URL("../src/risk/default-model.json", import.meta.url), JSON.stringify(model, null, 2) + "\n");
  console.error("refitted src/risk/default-model.json", JSON.stringify(model.trainedOn), "lambda", model.lambda);
}
const shipped = JSON.parse(
  readFileSync(new URL("../src/risk/default-model.json", import.meta.url), "utf8"),
) as RiskModel;

const fixRules = (ds: Dataset) =>
  Object.entries(ds.fixBy)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
for (const { r, ds, e, withDH, head, url, secs, cpu, load: ld, style } of done) {
  const held = !DEV.includes(r);
  // Cross-project: the shipped model on the same test commits, for repositories it never saw.
  const { teI } = timeSplit(ds);
  const teY = teI.map((i) => ds.labels[i]!);
  const crossAuc = auc(
    teI.map((i) => predict(shipped, ds.commits[i]!.values).p),
    teY,
  );
  const nPos = teY.reduce((a, b) => a + b, 0);
  const [clo, chi] = aucInterval(crossAuc, nPos, teY.length - nPos);
  const cross = held ? `${f3(crossAuc)} (${f2(clo)}–${f2(chi)})` : "—";
  const head1 = `| ${r}${held ? " ‡" : ""} (${url}) | \`${head.slice(0, 10)}\` | ${style} | ${ds.commits.length} | ${ds.fixes}${ds.sampled ? ` of ${ds.fixesFound}` : ""} (${fixRules(ds)}) / ${ds.labels.reduce((a, b) => a + b, 0)} | ${e.train} (${e.buggyTrain}) | ${e.test} (${e.buggyTest})`;
  if (e.insufficient || !e.model || !e.baseline) {
    rows.push(
      `${head1} | — | ${e.insufficient ?? "no model"} | | | ${cross} | | | | | ${secs.toFixed(0)} s (CPU ${cpu.toFixed(0)} s, load ${ld}) |`,
    );
    continue;
  }
  const [lo, hi] = aucInterval(e.model.auc, e.buggyTest, e.test - e.buggyTest);
  const [blo, bhi] = aucInterval(e.baseline.auc, e.buggyTest, e.test - e.buggyTest);
  const wins = e.model.auc > e.baseline.auc && e.model.auc >= 0.75 ? "yes" : "no";
  rows.push(
    `${head1} | ${e.lambda} | **${f3(e.model.auc)}** (${f2(lo)}–${f2(hi)}) / ${f3(e.baseline.auc)} (${f2(blo)}–${f2(bhi)}) | ${wins} | ${withDH.model ? f3(withDH.model.auc) : "—"} | ${cross} | ${e.spread!.p10}–${e.spread!.p90}${e.collapsed ? " collapsed" : ""} | ${f3(e.model.mcc)} / ${f3(e.baseline.mcc)} | ${f3(e.model.recall20)} / ${f3(e.baseline.recall20)} | ${f3(e.model.popt)} / ${f3(e.baseline.popt)} | ${secs.toFixed(0)} s (CPU ${cpu.toFixed(0)} s, load ${ld}) |`,
  );
}

// SZZ before and after, same run, same fixes (an even sample of RISK_SZZ_FIXES over the whole
// history of each RISK_SZZ_REPOS repository): the method before (one \`git diff\` per fix, one
// node spawn per blame, porcelain output, no commit-graph) against the batched one.
const szzRows: string[] = [];
for (const r of (process.env.RISK_SZZ_REPOS ?? "care_fe,bahmniapps").split(",").filter((x) => repos.includes(x))) {
  const d = done.find((x) => x.r === r)!;
  const dir = readable(join(base, r)).dir;
  const all = d.ds.commits.filter((c) => c.values.FIX === 1 && c.values.NF > 0).map((c) => c.sha);
  const n = Math.min(all.length, Number(process.env.RISK_SZZ_FIXES ?? 300));
  const fixes = Array.from({ length: n }, (_, i) => all[Math.round((i * (all.length - 1)) / Math.max(1, n - 1))]!);
  const known = new Set(d.ds.commits.map((c) => c.sha));
  const out: Record<string, { secs: number; cpu: number; load: string; bugs: string }> = {};
  for (const method of ["per-fix", "batched"] as const) {
    const l0 = load();
    const c0 = cpuSeconds();
    const t0 = performance.now();
    const bugs = await szz(dir, fixes, known, { method });
    out[method] = {
      secs: (performance.now() - t0) / 1000,
      cpu: cpuSeconds() - c0,
      load: `${l0}–${load()}`,
      bugs: JSON.stringify([...bugs].sort()),
    };
  }
  const a = out["per-fix"]!;
  const b = out.batched!;
  szzRows.push(
    `| ${r} | ${d.ds.commits.length} | ${n} of ${all.length} | ${a.cpu.toFixed(1)} s (${a.secs.toFixed(0)} s wall, load ${a.load}) | **${b.cpu.toFixed(1)} s** (${b.secs.toFixed(0)} s wall, load ${b.load}) | **${(a.cpu / b.cpu).toFixed(2)}×** | ${a.bugs === b.bugs ? "yes" : "**no**"} |`,
  );
  console.error("szz", r, JSON.stringify({ before: { ...a, bugs: undefined }, after: { ...b, bugs: undefined } }));
}
const szzTable = szzRows.length
  ? `**SZZ before and after, same run, same fixes** (an even sample over each whole history; CPU = node and its git children, user + system, from /proc; wall times on the shared machine are inflated by the load shown): the method before ran one \`git diff\` per fix and one node-spawned \`git blame --porcelain\` per file; now the fixes' diffs come from one \`git log --no-walk -p -U0\` stream (one process per 500 fixes), blames run through one long-lived \`sh\` per worker (a node spawn costs ~10 ms of CPU, a shell fork a fraction), report line groups (\`--incremental\`), and walk history with a temporary commit-graph with changed-path Bloom filters (written outside the repository when it has none).

| repository | commits | fixes blamed | CPU before (wall) | CPU now (wall) | CPU ratio | same labels |
| --- | --- | --- | --- | --- | --- | --- |
${szzRows.join("\n")}`
  : "";

// Extraction speed over 10,000 commits (or the longest available history).
const speedRepo = (process.env.RISK_SPEED_REPOS ?? "")
  .split(",")
  .filter(Boolean)
  .map((r) => join(base, r))
  .filter((d) => existsSync(d))
  .map((d) => readable(d).dir)[0]; // mirrors missing a few blobs (see readable)
let speed = "No repository with a long history was available locally.";
if (speedRepo) {
  const rev = "HEAD";
  const n = Math.min(
    10000,
    Number(execFileSync("git", ["rev-list", "--count", "--no-merges", rev], { cwd: speedRepo, encoding: "utf8" })),
  );
  const start = execFileSync("git", ["rev-list", "--no-merges", "--reverse", rev], { cwd: speedRepo, encoding: "utf8" })
    .split("\n")
    .slice(-n)[0]!;
  const range = `${start}^..${rev}`;
  const t0 = performance.now();
  spawnSync(
    "git",
    ["log", "--reverse", "--no-merges", "--numstat", "--no-renames", "--format=%H%x09%ae%x09%at%x09%s", range],
    { cwd: speedRepo, maxBuffer: 1 << 30 },
  );
  const gitSecs = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  let count = 0;
  for await (const _ of extractFeatures({ cwd: speedRepo, rev: range })) count++;
  const ourSecs = (performance.now() - t1) / 1000;
  speed = `Feature extraction over ${count.toLocaleString("en-US")} commits of ${speedRepo.split("/").pop()}: **${ourSecs.toFixed(2)} s**, against ${gitSecs.toFixed(2)} s for \`git log --numstat\` alone over the same range (**${(ourSecs / gitSecs).toFixed(2)}×**; target ≤ 2×).`;
}

// Scoring one change (what `risk score`, the commit hooks and the bisect risk prior do): targeted
// path- and author-limited reads against the baseline of one full streaming pass up to the commit.
let scoring = "";
if (speedRepo) {
  const shipped = JSON.parse(
    readFileSync(new URL("../src/risk/default-model.json", import.meta.url), "utf8"),
  ) as RiskModel;
  const revs = execFileSync("git", ["rev-list", "--no-merges", "-n", "3", "HEAD~20"], {
    cwd: speedRepo,
    encoding: "utf8",
  })
    .trim()
    .split("\n");
  let targetedMs = 0;
  let fullMs = 0;
  let maxDiff = 0;
  for (const sha of revs) {
    const t0 = performance.now();
    const { change, base: parent } = await commitAsChange(speedRepo, sha);
    const t = await changeFeatures({ cwd: speedRepo, base: parent, change, convention: riskConvention() });
    targetedMs += performance.now() - t0;
    const t1 = performance.now();
    let last: CommitFeatures | undefined;
    for await (const f of extractFeatures({ cwd: speedRepo, rev: sha, convention: riskConvention() })) last = f;
    fullMs += performance.now() - t1;
    maxDiff = Math.max(maxDiff, Math.abs(predict(shipped, t.values).p - predict(shipped, last!.values).p) * 100);
  }
  scoring = `Scoring one commit of ${speedRepo.split("/").pop()} (features of ${revs.length} recent commits, mean): **${(targetedMs / revs.length).toFixed(0)} ms** with the targeted reading (\`src/risk/target.ts\`: path-limited log of the touched files plus the author's commits), against ${(fullMs / revs.length / 1000).toFixed(2)} s for the full streaming pass up to the commit (baseline, the method before); largest score difference between the two: ${maxDiff.toFixed(2)} points of 100 (the full pass also counts commits of branches that were open at the time, the targeted one only ancestors).`;
}

writeBenchSection(
  "risk",
  "npm run bench -- risk",
  `
Time-ordered evaluation (\`risk eval\` at its defaults) over the commits that change source files (docs-, changelog- or lockfile-only commits are left out). **Fixes** are recognised in every header style (\`src/commit/convention.ts\`): by type in typed headers (\`fix:\`, \`(fix) s\`, \`[FIX] s\`, 🐛), by fix words in untyped headers (tracker-key and free-text headers: fix, bug, hotfix, defect, regression, crash, broken; the keyword rule of classic SZZ), by \`Fixes:\`/\`Bug:\` trailers and by issue-closing keywords; the fixes column gives how many each rule found. All fixes are blamed up to ${DEFAULT_MAX_FIXES} (beyond that an even sample over time), at each fix's parent with \`git blame -w -M\`, skipping blank, comment- and punctuation-only lines, non-source files (docs, changelogs, lockfiles, generated, snapshots, media), dependency manifests and the repository's \`.git-blame-ignore-revs\`. Size, diffusion and history features count source files only; ND, Entropy, NUC, REXP and SEXP are dropped as redundant; the column "with PFS, AFIX" is the same evaluation, same labels and split, with two history-of-defects features known at commit time added (PFS, the share of the touched files' earlier changes that were fixes; AFIX, the share of the author's earlier commits that were fixes): measured, not shipped (see "Risk: history-of-defects features" below). Train on the oldest 70% with recency weights (half-life 180 days) and class balancing, using only the labels known at the split; the L2 strength is chosen by time-ordered validation inside the training window, the weakest within 0.01 AUC of the best (AUC is blind to scale, so stronger regularisation only squeezes the scores together). Sensitivity coefficients (AUTH, CRYPTO, MIGRATION, INFRA, POLICY, TESTLESS, CRIT) are constrained to be ≥ 0. Test on the newest 30% against every label. Below 30 bug-introducing commits in training or 10 in test no AUC is quoted (minimum-label rule). Each AUC cell: **trained model** / lines-added-only baseline, each with its 95% Hanley–McNeil interval. ‡ = not used to develop the method nor to fit the default model; for these, "default model AUC" scores the same test commits with the shipped \`src/risk/default-model.json\` (fitted on the development repositories), a cross-project figure in the sense of Kamei et al. (2016). Spread = 10th–90th percentile of the trained model's 0–100 scores on the test commits ("collapsed" below ${25} points: \`risk train\` then keeps the default model). Time = features, SZZ and fitting (\`risk eval\` at its defaults, whole history), one process, wall and CPU (node and git children), with the 1-minute load average at start and end, on the shared 2-core machine.

| repository | HEAD | header style (share) | commits | fixes blamed (by rule) / bug-introducing | train (buggy, known) | test (buggy) | L2 | AUC (95% CI) model / baseline | AUC ≥ 0.75 and > baseline | model AUC with PFS, AFIX (not shipped) | default model AUC (95% CI) | score spread | MCC | recall@20% effort | Popt | time |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${rows.join("\n")}

Target: AUC ≥ 0.75 and above the lines-added baseline. Caveats: SZZ labels are noisy (a "fix" in a free-text history may fix a test or a build; a tracker-key history labels fixes by words only); labels in the newest months are incomplete (bugs not yet fixed); the default model is fitted on the development repositories' histories, pooled in time order, with the same training procedure and constraints; refit it with \`RISK_FIT_DEFAULT=1 npm run bench -- risk\` whenever features or labelling change, and commit the JSON.

${notes.join("\n\n")}

${szzTable}

${speed}

${scoring}
`,
);
