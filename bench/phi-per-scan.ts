// CPU cost per scan of short prose, two builds of the PHI engine in one process (issue 14 §2, issue
// 18): what the service pays for a 1 KB note and the LLM proxy for a 2 KB prompt. The base build is
// extracted with `git archive` (as bench/phi-ab.ts does), both default `Scanner()`s are warmed up on
// every text (lexicons decoded, JIT warm, the "auto" prefilters switched on, as in a long-running
// server), then runs alternate A B, B A, ...; the median CPU microseconds per scan is reported.
//
//   npx tsx bench/phi-per-scan.ts [runs=7] [base=main]
// Texts: the PhysioNet notes of ../shared joined and cut at whitespace into pieces of about 1 KB and
// 2 KB (every piece, so the figures are over the whole corpus); the proxy bench's 2 KB prompt
// (bench/proxy-cpu.ts); one short system prompt (the fixed cost of a scan).
// Writes section "phi-per-scan" of docs/BENCHMARKS.md.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { cpus, loadavg, tmpdir } from "node:os";
import { pathToFileURL } from "node:url";
import { median, writeBenchSection } from "./lib/report.js";

const runs = Number(process.argv[2] ?? 7);
const base = process.argv[3] ?? "main";
const root = new URL("..", import.meta.url).pathname;
const baseSha = execFileSync("git", ["rev-parse", "--short", base], { cwd: root, encoding: "utf8" }).trim();
const headSha = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).trim();
const dirty = execFileSync("git", ["status", "--porcelain", "--", "src"], { cwd: root, encoding: "utf8" }).trim();

const dir = mkdtempSync(join(tmpdir(), "gh-phi-per-scan-"));
execFileSync("sh", ["-c", `git archive ${base} src package.json tsconfig.json | tar -x -C ${dir}`], { cwd: root });
symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
type Engine = typeof import("../src/phi/engine.js");
type ScannerModule = typeof import("../src/phi/scanner.js");
type PrefilterModule = typeof import("../src/phi/prefilter.js");
const load = async (at: string) => ({
  engine: (await import(pathToFileURL(join(at, "src/phi/engine.ts")).href)) as Engine,
  scanner: (await import(pathToFileURL(join(at, "src/phi/scanner.ts")).href)) as ScannerModule,
  prefilter: (await import(pathToFileURL(join(at, "src/phi/prefilter.ts")).href)) as PrefilterModule,
});
const builds = [
  { name: `base (${base} ${baseSha})`, ...(await load(dir)) },
  { name: `this checkout (${headSha}${dirty ? "+" : ""})`, ...(await load(root)) },
];

const notesFile = [
  join(root, "..", "shared", "testdata", "phi", "physionet-deid", "id.text"),
  "/work/shared/testdata/phi/physionet-deid/id.text",
].find(existsSync);
if (!notesFile) throw new Error("needs ../shared/testdata/phi/physionet-deid/id.text");
const all = [...readFileSync(notesFile, "latin1").matchAll(/\|\|\|\|\n([\s\S]*?)\|\|\|\|END_OF_RECORD/g)]
  .map((m) => m[1]!)
  .join("\n");

/** The corpus cut into pieces of about `size` characters, each ending at a whitespace character. */
function pieces(size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < all.length;) {
    let j = Math.min(all.length, i + size);
    while (j < all.length && !/\s/.test(all[j]!)) j++;
    out.push(all.slice(i, j));
    i = j;
  }
  return out;
}
const PROMPT = (
  "Patient Maria Gonzalez (MRN 4481923, DOB 03/14/1962) was seen on 2024-02-11 at Mercy General for chest pain radiating to the left arm. " +
  "History of hypertension and type 2 diabetes. Phone 415-373-0132. Plan: troponin series, ECG, aspirin 325 mg, follow up with Dr. Alan Cho in two weeks. "
)
  .repeat(8)
  .slice(0, 2048);
const sets = [
  { name: "PhysioNet notes cut to ~1 KB", texts: pieces(1024), passes: 1 },
  { name: "PhysioNet notes cut to ~2 KB", texts: pieces(2048), passes: 1 },
  { name: "proxy bench's 2 KB prompt", texts: [PROMPT], passes: 400 },
  { name: 'short system prompt ("Summarise the note.")', texts: ["Summarise the note."], passes: 20000 },
];

const scanners = builds.map((b) => new b.engine.Scanner());
const load0 = loadavg()[0]!;
const rows: string[] = [];
for (const set of sets) {
  const chars = set.texts.reduce((n, t) => n + t.length, 0);
  // warm-up: the whole set twice (and the first set switches "auto" to the prefilters)
  const found = scanners.map((s) => {
    let n = 0;
    for (let w = 0; w < 2; w++) for (const t of set.texts) n += s.scan(t, { profile: "prose" }).length;
    return n;
  });
  if (found[0] !== found[1]) throw new Error(`${set.name}: the builds disagree, ${found[0]} vs ${found[1]} findings`);
  const us: number[][] = builds.map(() => []);
  for (let r = 0; r < runs; r++)
    for (const b of r % 2 === 0 ? [0, 1] : [1, 0]) {
      const c0 = process.cpuUsage();
      for (let p = 0; p < set.passes; p++) for (const t of set.texts) scanners[b]!.scan(t, { profile: "prose" });
      const c = process.cpuUsage(c0);
      us[b]!.push((c.user + c.system) / (set.texts.length * set.passes));
    }
  const m = us.map(median);
  rows.push(
    `| ${set.name} | ${set.texts.length} × ${set.passes} | ${Math.round(chars / set.texts.length)} | ${m[0]!.toFixed(1)} | ${m[1]!.toFixed(1)} | ${(m[0]! / m[1]!).toFixed(2)}× | ${(chars / set.texts.length / m[1]!).toFixed(2)} |`,
  );
  console.error(`${set.name}: base ${m[0]!.toFixed(1)} µs, this ${m[1]!.toFixed(1)} µs per scan (median of ${runs})`);
}

// The stages this work changed, alone: the regex rules with their text index (prose, prefilters on;
// `runRules` is private, reached here as the scanner runs it) and `toFindings` (line, column, masked
// preview, keyed fingerprint) on the candidates of a full scan.
interface Internals {
  runRules(text: string, profile: "prose", out: unknown[], idx: unknown): void;
}
const stageRows: string[] = [];
const stageSets = [
  { name: "PhysioNet notes (1,624, one pass)", texts: notesOf(), passes: 1 },
  { name: "proxy bench's 2 KB prompt (400 passes)", texts: [PROMPT], passes: 400 },
];
function notesOf(): string[] {
  return [...readFileSync(notesFile!, "latin1").matchAll(/\|\|\|\|\n([\s\S]*?)\|\|\|\|END_OF_RECORD/g)].map(
    (m) => m[1]!,
  );
}
for (const set of stageSets) {
  const per = builds.map((b, i) => {
    const spec = (b.scanner as { INDEX_SPECS?: Record<string, unknown> }).INDEX_SPECS?.prose ?? b.scanner.INDEX_SPEC;
    const s = scanners[i]! as unknown as Internals & { candidates(t: string, p: "prose"): unknown[] };
    const cands = set.texts.map((t) => s.candidates(t, "prose"));
    const rules = () => {
      for (let p = 0; p < set.passes; p++)
        for (const t of set.texts) s.runRules(t, "prose", [], new b.prefilter.TextIndex(t, spec as never));
    };
    const findings = () => {
      for (let p = 0; p < set.passes; p++)
        set.texts.forEach((t, k) => b.scanner.toFindings(t, cands[k] as never, { path: "notes/x.txt" }));
    };
    return { rules, findings, nCands: cands.reduce((n, c) => n + c.length, 0) };
  });
  const cpu = (f: () => void) => {
    const c0 = process.cpuUsage();
    f();
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1000;
  };
  for (const stage of ["rules", "findings"] as const) {
    per.forEach((p) => p[stage]()); // warm-up
    const ms: number[][] = builds.map(() => []);
    for (let r = 0; r < runs; r++) for (const b of r % 2 === 0 ? [0, 1] : [1, 0]) ms[b]!.push(cpu(per[b]![stage]));
    const m = ms.map(median);
    const what = stage === "rules" ? "regex rules + text index" : `toFindings (${per[1]!.nCands} candidates per pass)`;
    stageRows.push(
      `| ${set.name} | ${what} | ${m[0]!.toFixed(1)} | ${m[1]!.toFixed(1)} | ${(m[0]! / m[1]!).toFixed(2)}× |`,
    );
    console.error(`${set.name} ${what}: base ${m[0]!.toFixed(1)} ms, this ${m[1]!.toFixed(1)} ms`);
  }
}
rmSync(dir, { recursive: true, force: true });
const load1 = loadavg()[0]!;

writeBenchSection(
  "phi-per-scan",
  `npx tsx bench/phi-per-scan.ts ${runs} ${base}`,
  [
    `CPU microseconds per scan of short prose, two builds in one process, alternating, median of ${runs} runs after two warm-up passes (default \`Scanner()\`, prose profile, prefilters on as in a long-running server). Load average ${load0.toFixed(1)} → ${load1.toFixed(1)} on ${cpus().length} cores. Builds: ${builds.map((b) => b.name).join(" vs ")}.`,
    "",
    "| texts | count × passes | chars per text | base µs/scan | this µs/scan | speed-up | this MB/s (CPU) |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows,
    "",
    `The stages this work changed, alone (same process, alternating, median of ${runs}; CPU ms per pass):`,
    "",
    "| texts | stage | base ms | this ms | speed-up |",
    "| --- | --- | ---: | ---: | ---: |",
    ...stageRows,
  ].join("\n"),
);
