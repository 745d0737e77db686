// A/B CPU time of single stages of prose PHI scanning, two builds in one process (like
// bench/phi-ab.ts): the names detector alone, the tagger alone (features + decoding, given the
// rules' resolved candidates), the places and dates detectors alone, all detectors in registry
// order ("detectors") and the whole default `Scanner()`, over the PhysioNet notes.
// Runs alternate (A B, B A, ...); medians of CPU seconds per pass; outputs must agree.
//
//   npx tsx bench/phi-stages.ts [runs=7] [base=main] [stages=names,tagger,scan]
// stages: names, places, dates, detectors, tagger, scan
// Prints a table (markdown) on stdout; nothing is written to docs.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { loadavg, tmpdir } from "node:os";
import { pathToFileURL } from "node:url";
import { median } from "./lib/report.js";

const runs = Number(process.argv[2] ?? 7);
const base = process.argv[3] ?? "main";
const stages = (process.argv[4] ?? "names,tagger,scan").split(",");
const root = new URL("..", import.meta.url).pathname;
const rev = (r: string) => execFileSync("git", ["rev-parse", "--short", r], { cwd: root, encoding: "utf8" }).trim();

const dir = mkdtempSync(join(tmpdir(), "gh-phi-stages-"));
execFileSync("sh", ["-c", `git archive ${base} src package.json tsconfig.json | tar -x -C ${dir}`], { cwd: root });
symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));

type Engine = typeof import("../src/phi/engine.js");
type Names = typeof import("../src/phi/detect/names.js");
type Model = typeof import("../src/phi/tagger/model.js");
type Detect = typeof import("../src/phi/detect/index.js");
interface Build {
  name: string;
  engine: Engine;
  names: Names;
  model: Model;
  detect: Detect;
}
const load = async (src: string, name: string): Promise<Build> => ({
  name,
  engine: (await import(pathToFileURL(join(src, "src/phi/engine.ts")).href)) as Engine,
  names: (await import(pathToFileURL(join(src, "src/phi/detect/names.ts")).href)) as Names,
  model: (await import(pathToFileURL(join(src, "src/phi/tagger/model.ts")).href)) as Model,
  detect: (await import(pathToFileURL(join(src, "src/phi/detect/index.ts")).href)) as Detect,
});
const builds = [await load(dir, `base (${base} ${rev(base)})`), await load(root, `this checkout (${rev("HEAD")})`)];

const notesFile = [
  join(root, "..", "shared", "testdata", "phi", "physionet-deid", "id.text"),
  join(process.env.GITOPS_HEALTH_SHARED ?? "/work/shared", "testdata", "phi", "physionet-deid", "id.text"),
].find(existsSync);
if (!notesFile) throw new Error("needs ../shared/testdata/phi/physionet-deid/id.text");
const notes = [...readFileSync(notesFile, "latin1").matchAll(/\|\|\|\|\n([\s\S]*?)\|\|\|\|END_OF_RECORD/g)].map(
  (m) => m[1]!,
);
const bytes = notes.reduce((n, t) => n + Buffer.byteLength(t), 0);

// the tagger's input: each note's resolved candidates (base build, tagger off; both builds get the same)
const rulesOnly = new builds[0]!.engine.Scanner({ tagger: false });
const resolved = notes.map((t) => rulesOnly.candidates(t, "prose"));

type Stage = (b: Build) => () => string;
/** The named detectors of a build over the notes (all of them, in registry order, when none is named). */
const detectorStage =
  (names?: string[]): Stage =>
  (b) => {
    const ds = b.detect.DETECTORS.filter((d) => !names || names.includes(d.name));
    return () => {
      let h = 0;
      for (const t of notes) {
        const out: import("../src/phi/candidate.js").Candidate[] = [];
        for (const d of ds) d.detect(t, "prose", out, undefined);
        for (const c of out) h = (Math.imul(h, 31) + c.start * 7 + c.end) | 0;
      }
      return String(h);
    };
  };
const STAGES: Record<string, Stage> = {
  names: (b) => () => {
    let h = 0;
    for (const t of notes) {
      const out: import("../src/phi/candidate.js").Candidate[] = [];
      b.names.names.detect(t, "prose", out, undefined);
      for (const c of out) h = (Math.imul(h, 31) + c.start * 7 + c.end) | 0;
    }
    return String(h);
  },
  places: detectorStage(["places"]),
  dates: detectorStage(["dates"]),
  detectors: detectorStage(),
  tagger: (b) => {
    const m = b.model.shippedModel();
    return () => {
      let h = 0;
      notes.forEach((t, k) => {
        for (const s of b.model.tagText(m, t, resolved[k]!)) h = (Math.imul(h, 31) + s.start * 7 + s.end) | 0;
      });
      return String(h);
    };
  },
  scan: (b) => {
    const s = new b.engine.Scanner();
    return () => String(notes.reduce((n, t) => n + s.scan(t).length, 0));
  },
};

const load0 = loadavg()[0]!;
const rows: string[] = [];
for (const stage of stages) {
  const fns = builds.map((b) => STAGES[stage]!(b));
  const outs = fns.map((f) => f()); // warm-up, and the outputs must agree
  if (outs[0] !== outs[1]) throw new Error(`${stage}: the builds disagree (${outs[0]} vs ${outs[1]})`);
  const cpu: number[][] = [[], []];
  for (let r = 0; r < runs; r++)
    for (const b of r % 2 === 0 ? [0, 1] : [1, 0]) {
      const c0 = process.cpuUsage();
      fns[b]!();
      const c = process.cpuUsage(c0);
      cpu[b]!.push((c.user + c.system) / 1e6);
    }
  const m = cpu.map(median);
  rows.push(
    `| ${stage} | ${m[0]!.toFixed(3)} | ${m[1]!.toFixed(3)} | ${(bytes / 1e6 / m[0]!).toFixed(2)} | ${(bytes / 1e6 / m[1]!).toFixed(2)} | ${(m[0]! / m[1]!).toFixed(2)}× |`,
  );
  console.error(`${stage}: base ${m[0]!.toFixed(3)} s, this ${m[1]!.toFixed(3)} s`);
}
rmSync(dir, { recursive: true, force: true });
console.log(
  `${notes.length} notes, ${(bytes / 1e6).toFixed(2)} MB; median CPU s per pass of ${runs}; load ${load0.toFixed(1)} → ${loadavg()[0]!.toFixed(1)}`,
);
console.log(`| stage | ${builds[0]!.name} CPU s | ${builds[1]!.name} CPU s | base MB/s | this MB/s | speed-up |`);
console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
for (const r of rows) console.log(r);
