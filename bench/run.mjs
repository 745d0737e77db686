#!/usr/bin/env node
// `npm run bench [-- NAME...]`: runs bench/<name>.bench.ts (all when no name is given) with tsx.
// Each benchmark compares against its named baseline in the same run and rewrites its own
// section of docs/BENCHMARKS.md.
//
// `npm run bench -- --quick [--strict] [--record] [NAME...]`: the quick check. Runs a small form
// of every benchmark (bench/quick.ts, one process each) and prints, per headline figure, today's
// value, the recorded one (bench/quick-baseline.json) and their ratio, with a FLAG line for each
// figure that fell more than 25%. Figures with an in-run reference are compared by their ratio to
// it, so a busy machine does not flag them. Exit 0, or 1 with --strict when anything is flagged;
// a quick form that crashes always exits 1. --record stores today's figures as the baseline and
// in docs/BENCHMARKS.md (section "quick").
import { readdirSync, readFileSync, renameSync, writeFileSync, existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { cpus, loadavg } from "node:os";
import { compareQuick, fmt } from "./lib/quick-compare.mjs";
import { sharedDir } from "./lib/shared-dir.mjs";

const dir = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const flags = new Set(args.filter((a) => a.startsWith("--")));
const wanted = args.filter((a) => !a.startsWith("--"));

if (flags.has("--quick")) {
  process.exit(quick());
}
for (const f of flags) {
  console.error(`unknown option ${f} (have: --quick, --strict, --record)`);
  process.exit(2);
}

const all = readdirSync(dir)
  .filter((f) => f.endsWith(".bench.ts"))
  .map((f) => f.replace(/\.bench\.ts$/, ""))
  .sort();
const names = wanted.length ? wanted : all;
// Benchmarks that read data kept outside the repository (the same default as bench/lib/phi-corpora.ts):
// without it they are skipped with a line naming what is missing, not run into a stack trace.
const SHARED = sharedDir(join(dir, ".."));
const PHI_CORPUS = {
  path: join(SHARED, "testdata", "phi"),
  what: "the PHI corpora (PhysioNet deid notes, presidio-synth)",
  how: "put the shared data next to the repository (../shared) or set GITOPS_HEALTH_SHARED",
};
const NEEDS = { "phi-accuracy": [PHI_CORPUS], "phi-tagger": [PHI_CORPUS], jsonl: [PHI_CORPUS] };
let failed = 0;
let skipped = 0;
for (const name of names) {
  if (!all.includes(name)) {
    console.error(`unknown benchmark "${name}" (have: ${all.join(", ")})`);
    process.exit(2);
  }
  const missing = (NEEDS[name] ?? []).filter((d) => !existsSync(d.path));
  if (missing.length) {
    for (const d of missing) console.error(`skip bench ${name}: ${d.what} not found at ${d.path} (${d.how})`);
    skipped++;
    continue;
  }
  console.error(`\n=== bench: ${name} ===`);
  const r = spawnSync(process.execPath, ["--import", "tsx", join(dir, `${name}.bench.ts`)], { stdio: "inherit" });
  if (r.status !== 0) failed++;
}
if (skipped) console.error(`\n${skipped} benchmark(s) skipped for missing data (see the skip lines above)`);
process.exit(failed ? 1 : 0);

function quick() {
  for (const f of flags) {
    if (!["--quick", "--strict", "--record"].includes(f)) {
      console.error(`unknown option ${f} (have: --quick, --strict, --record)`);
      return 2;
    }
  }
  const BASELINE = join(dir, "quick-baseline.json");
  const DOCS = join(dir, "..", "docs", "BENCHMARKS.md");
  const list = spawnSync(process.execPath, ["--import", "tsx", join(dir, "quick.ts"), "--list"], { encoding: "utf8" });
  if (list.status !== 0) {
    console.error(list.stderr);
    return 1;
  }
  const available = JSON.parse(list.stdout.trim().split("\n").at(-1));
  for (const n of wanted) {
    if (!available.includes(n)) {
      console.error(`unknown quick benchmark "${n}" (have: ${available.join(", ")})`);
      return 2;
    }
  }
  if (!existsSync(join(dir, "..", "dist", "cli.js"))) {
    console.error("dist/cli.js is missing: run `npm run build` first (the quick check times the built CLI)");
    return 2;
  }
  const names = wanted.length ? wanted : available;
  const baseline = existsSync(BASELINE) ? JSON.parse(readFileSync(BASELINE, "utf8")) : { figures: {} };
  const load0 = loadavg()[0];
  const t0 = performance.now();
  const figures = [];
  let crashed = 0;
  for (const name of names) {
    const s = performance.now();
    const r = spawnSync(process.execPath, ["--import", "tsx", join(dir, "quick.ts"), name], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 150_000,
      maxBuffer: 1 << 26,
    });
    const secs = (performance.now() - s) / 1000;
    let got;
    try {
      got = JSON.parse(r.stdout.trim().split("\n").at(-1));
    } catch {
      got = undefined;
    }
    if (r.status !== 0 || !Array.isArray(got)) {
      crashed++;
      console.error(
        `FLAG ${name}: the quick form failed (exit ${r.status ?? r.signal}): ${(r.stderr || "").trim().split("\n").slice(-3).join(" | ")}`,
      );
      continue;
    }
    console.error(`${name}: ${secs.toFixed(1)} s`);
    figures.push(...got);
  }
  const totalSecs = (performance.now() - t0) / 1000;
  const load1 = loadavg()[0];

  const { rows, flagged } = compareQuick(figures, baseline);
  const header = [
    "figure",
    "today (ratio to its in-run reference)",
    `recorded ${baseline.recorded ?? "never"}`,
    "today ÷ recorded",
    "status",
  ];
  const table = [header, header.map(() => "---"), ...rows].map((r) => `| ${r.join(" | ")} |`).join("\n");
  process.stdout.write(`${table}\n\n`);
  const summary = `quick check: ${figures.length} figures from ${names.length} benchmarks in ${totalSecs.toFixed(0)} s; load average ${load0.toFixed(1)} → ${load1.toFixed(1)} on ${cpus().length} cores; ${flagged.length} flagged${crashed ? `, ${crashed} failed` : ""}`;
  for (const line of flagged) process.stdout.write(`${line}\n`);
  process.stdout.write(`${summary}\n`);
  if (flagged.length && Math.max(load0, load1) > cpus().length)
    process.stdout.write(
      `the load average exceeded the ${cpus().length} cores: rerun a flagged form alone (npm run bench -- --quick NAME) before believing its FLAG\n`,
    );

  if (flags.has("--record")) {
    const date = new Date().toISOString().slice(0, 10);
    const record = {
      recorded: date,
      node: process.version,
      machine: `${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}`,
      load: [Number(load0.toFixed(2)), Number(load1.toFixed(2))],
      seconds: Math.round(totalSecs),
      figures: { ...(wanted.length ? baseline.figures : {}) },
    };
    for (const f of figures) record.figures[f.key] = f;
    atomicWrite(BASELINE, `${JSON.stringify(record, null, 2)}\n`);
    const md = `
_Command: \`npm run build && npm run bench -- --quick --record\` · ${date} · ${record.machine} · Node ${process.version}_

A small form of every benchmark (\`bench/quick.ts\`), ${Math.round(totalSecs)} s in all${wanted.length ? ` (this recording re-ran only ${wanted.join(", ")}; the other figures are from the recording before)` : ""}, load average ${load0.toFixed(1)} → ${load1.toFixed(1)} on ${cpus().length} cores. \`npm run build && npm run bench -- --quick\` reruns it and prints each figure next to the values below (stored in \`bench/quick-baseline.json\`), flagging any that fell more than 25% (\`--strict\`: exit 1 when one did). Figures with an in-run reference are compared by their ratio to it, so they survive a busy machine; absolute values are given for the record. Run it before closing any issue that touches a measured path. On a machine loaded past its cores, whole-process and disk-bound figures still move by a third from run to run: rerun a flagged form alone (\`npm run bench -- --quick NAME\`) before believing its FLAG.

| figure | value | ratio to the in-run reference |
| --- | --- | --- |
${Object.values(record.figures)
  .map(
    (f) =>
      `| ${f.label} | ${f.skipped ? `skipped: ${f.skipped}` : fmt(f.value, f.unit)} | ${f.ratio !== undefined ? `${f.ratio.toFixed(3)} (${f.reference})` : "—"} |`,
  )
  .join("\n")}
`;
    const text = readFileSync(DOCS, "utf8");
    const start = "<!-- bench:quick:start -->";
    const end = "<!-- bench:quick:end -->";
    const i = text.indexOf(start);
    const j = text.indexOf(end);
    const next =
      i >= 0 && j > i
        ? text.slice(0, i + start.length) + md + text.slice(j)
        : `${text.trimEnd()}\n\n## Quick check\n${start}${md}${end}\n`;
    atomicWrite(DOCS, next);
    console.error(`recorded ${figures.length} figures in bench/quick-baseline.json and docs/BENCHMARKS.md`);
  }
  if (crashed) return 1;
  return flags.has("--strict") && flagged.length ? 1 : 0;
}

function atomicWrite(path, data) {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}
