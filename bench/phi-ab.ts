// A/B throughput of two builds of the PHI engine in one process: the engine at a base revision
// (default: main) against this checkout's, on clinical notes (prose) and on source code. The base
// is extracted with `git archive` into a temp dir and imported from there, so both engines see the
// same texts, the same JIT and the same machine load; runs alternate (A, B, A, B ...), and the
// median of CPU seconds per run is reported (steadier than wall time on a shared machine).
//
//   npx tsx bench/phi-ab.ts [runs=5] [base=main]
//   PHI_AB_FINDINGS_MAY_DIFFER=1 ...   a change that moves findings on purpose (the counts are shown)
// Writes section "phi-ab" of docs/BENCHMARKS.md. Used to show that a refactor of src/phi keeps
// throughput (and scripts/phi-digest.ts that it keeps findings).
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { loadavg, tmpdir } from "node:os";
import { pathToFileURL } from "node:url";
import { codeCorpus } from "./lib/code-corpus.js";
import { median, writeBenchSection } from "./lib/report.js";

const runs = Number(process.argv[2] ?? 5);
const base = process.argv[3] ?? "main";
const root = new URL("..", import.meta.url).pathname;
const baseSha = execFileSync("git", ["rev-parse", "--short", base], { cwd: root, encoding: "utf8" }).trim();
const headSha = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).trim();

const dir = mkdtempSync(join(tmpdir(), "gh-phi-ab-"));
// node_modules too: src/phi/data/names.ts reads the @stdlib given-name lists from it
execFileSync("sh", ["-c", `git archive ${base} src package.json tsconfig.json | tar -x -C ${dir}`], { cwd: root });
symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
type Engine = typeof import("../src/phi/engine.js");
const builds: { name: string; engine: Engine }[] = [
  {
    name: `base (${base} ${baseSha})`,
    engine: (await import(pathToFileURL(join(dir, "src/phi/engine.ts")).href)) as Engine,
  },
  {
    name: `this checkout (${headSha})`,
    engine: (await import(pathToFileURL(join(root, "src/phi/engine.ts")).href)) as Engine,
  },
];

const notesFile = [
  join(root, "..", "shared", "testdata", "phi", "physionet-deid", "id.text"),
  "/work/shared/testdata/phi/physionet-deid/id.text",
].find(existsSync);
if (!notesFile) throw new Error("needs ../shared/testdata/phi/physionet-deid/id.text");
const notes = [...readFileSync(notesFile, "latin1").matchAll(/\|\|\|\|\n([\s\S]*?)\|\|\|\|END_OF_RECORD/g)].map(
  (m) => ({ text: m[1]!, path: undefined as string | undefined }),
);
const code = codeCorpus(root, { maxBytes: Number(process.env.PHI_AB_CODE_MB ?? 6) * 1e6, every: 3 });
// the code corpus scans in tens of milliseconds: several passes make one run long enough to time
const corpora = [
  { name: "clinical notes (prose)", docs: notes, passes: 1 },
  { name: "node_modules source (code)", docs: code, passes: Number(process.env.PHI_AB_CODE_PASSES ?? 10) },
];

const load0 = loadavg()[0]!;
const rows: string[] = [];
const ratios: string[] = [];
for (const corpus of corpora) {
  const bytes = corpus.docs.reduce((n, d) => n + Buffer.byteLength(d.text), 0);
  const scanners = builds.map((b) => new b.engine.Scanner());
  // warm-up: every build scans the whole corpus once (lexicons decoded, JIT warm, prefilters on)
  const found = scanners.map((s) => corpus.docs.reduce((n, d) => n + s.scan(d.text, { path: d.path }).length, 0));
  if (found[0] !== found[1] && !process.env.PHI_AB_FINDINGS_MAY_DIFFER)
    throw new Error(`${corpus.name}: the builds disagree, ${found[0]} vs ${found[1]} findings`);
  const cpu: number[][] = builds.map(() => []);
  const wall: number[][] = builds.map(() => []);
  for (let r = 0; r < runs; r++) {
    // A B, then B A: neither build always runs right after the other's garbage
    for (const b of r % 2 === 0 ? [0, 1] : [1, 0]) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (let p = 0; p < corpus.passes; p++) for (const d of corpus.docs) scanners[b]!.scan(d.text, { path: d.path });
      const c = process.cpuUsage(c0);
      wall[b]!.push((performance.now() - t0) / 1000);
      cpu[b]!.push((c.user + c.system) / 1e6);
    }
  }
  const mb = (bytes * corpus.passes) / 1e6;
  const mbs = builds.map((_, b) => mb / median(cpu[b]!));
  builds.forEach((b, i) =>
    rows.push(
      `| ${corpus.name} | ${b.name} | ${(bytes / 1e6).toFixed(2)} × ${corpus.passes} | ${found[i]} | ${median(cpu[i]!).toFixed(3)} | ${mbs[i]!.toFixed(2)} | ${(mb / median(wall[i]!)).toFixed(2)} |`,
    ),
  );
  ratios.push(`${corpus.name}: ${(mbs[1]! / mbs[0]!).toFixed(3)}`);
  console.error(
    `${corpus.name}: base ${mbs[0]!.toFixed(2)} MB/s, this ${mbs[1]!.toFixed(2)} MB/s (CPU, median of ${runs})`,
  );
}
rmSync(dir, { recursive: true, force: true });
const load1 = loadavg()[0]!;

writeBenchSection(
  "phi-ab",
  `npx tsx bench/phi-ab.ts ${runs} ${base}`,
  [
    `Two builds of the PHI engine in one process, alternating (A B, B A, ...), ${runs} runs each after one warm-up pass; a run is one pass over the notes or ${corpora[1]!.passes} over the code corpus; default \`Scanner()\` ("auto" prefilters), one scan per document. MB/s from the median CPU seconds of a run (wall-clock MB/s beside it). Load average ${load0.toFixed(1)} → ${load1.toFixed(1)} on ${(await import("node:os")).cpus().length} cores.`,
    "",
    "| corpus | build | MB × passes | findings | CPU s (median) | MB/s (CPU) | MB/s (wall) |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ...rows,
    "",
    `This checkout / base throughput (CPU): ${ratios.join("; ")}. Under this load a ratio within about ±5% is noise (two runs of the same code have differed by that much).`,
    "",
    "Findings are checked apart from speed: `npx tsx scripts/phi-digest.ts --check scripts/phi-digest.json` scans the PhysioNet notes (one by one and joined), presidio-synth (prose and code profile), this repository's tests, examples, docs and sources at a fixed commit, and the source of twelve node_modules packages at pinned versions (the same corpus in every checkout), each with the prefilters on, off and auto, and compares SHA-256 digests of the full findings JSON with the recorded ones (scripts/phi-digest.json).",
  ].join("\n"),
);
