// CPU time of each prose detector alone (dates, places, names), at a base revision against this
// checkout, in one process: the base's src is extracted with `git archive` into a temp dir and
// imported from there, the builds alternate (A B, B A, ...), and the median of CPU milliseconds per
// pass over the PhysioNet notes is printed. Each detector runs over all notes before the next one,
// so each pays the cue pass (src/phi/detect/cues.ts) that the scanner shares between them.
//
//   GITOPS_HEALTH_SHARED=../shared npx tsx bench/phi-detectors-ab.ts [runs=9] [base=main]
// Prints a table on stdout (docs/BENCHMARKS.md, phi-ab subsections, quotes it with the load).
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { loadavg, tmpdir } from "node:os";
import { pathToFileURL } from "node:url";
import { median } from "./lib/report.js";
import { sharedDir } from "./lib/shared-dir.mjs";
import type { Detector } from "../src/phi/detect/detector.js";

const runs = Number(process.argv[2] ?? 9);
const base = process.argv[3] ?? "main";
const root = new URL("..", import.meta.url).pathname;
const baseSha = execFileSync("git", ["rev-parse", "--short", base], { cwd: root, encoding: "utf8" }).trim();
const notesFile = join(sharedDir(root), "testdata", "phi", "physionet-deid", "id.text");
if (!existsSync(notesFile)) throw new Error(`needs ${notesFile} (set GITOPS_HEALTH_SHARED)`);
const notes = [...readFileSync(notesFile, "latin1").matchAll(/\|\|\|\|\n([\s\S]*?)\|\|\|\|END_OF_RECORD/g)].map(
  (m) => m[1]!,
);
const mb = notes.reduce((n, t) => n + Buffer.byteLength(t), 0) / 1e6;

const dir = mkdtempSync(join(tmpdir(), "gh-phi-det-ab-"));
execFileSync("sh", ["-c", `git archive ${base} src package.json tsconfig.json | tar -x -C ${dir}`], { cwd: root });
symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
const load = async (src: string) => {
  const index = (await import(pathToFileURL(join(src, "src/phi/detect/index.ts")).href)) as {
    DETECTORS: readonly Detector[];
  };
  return ["dates", "places", "names"].map((n) => index.DETECTORS.find((d) => d.name === n)!);
};
const builds = [
  { name: `base (${base} ${baseSha})`, detectors: await load(dir) },
  { name: "this checkout", detectors: await load(root) },
];

const load0 = loadavg()[0]!;
const pass = (d: Detector) => {
  let n = 0;
  for (const t of notes) {
    const out: unknown[] = [];
    d.detect(t, "prose", out as never, undefined);
    n += out.length;
  }
  return n;
};
// warm-up, and the same candidates from both builds
for (let k = 0; k < 3; k++) {
  const counts = builds.map((b) => pass(b.detectors[k]!));
  if (counts[0] !== counts[1]) throw new Error(`${builds[0]!.detectors[k]!.name}: ${counts[0]} vs ${counts[1]}`);
}
const ms = builds.map(() => [[], [], []] as number[][]);
for (let r = 0; r < runs; r++)
  for (const b of r % 2 === 0 ? [0, 1] : [1, 0])
    for (let k = 0; k < 3; k++) {
      const c0 = process.cpuUsage();
      pass(builds[b]!.detectors[k]!);
      const c = process.cpuUsage(c0);
      ms[b]![k]!.push((c.user + c.system) / 1e3);
    }
rmSync(dir, { recursive: true, force: true });

console.log(`| detector | ${builds.map((b) => `${b.name} CPU ms per pass (MB/s)`).join(" | ")} | ratio |`);
console.log("| --- | ---: | ---: | ---: |");
for (let k = 0; k < 3; k++) {
  const m = builds.map((_, b) => median(ms[b]![k]!));
  console.log(
    `| ${builds[0]!.detectors[k]!.name} | ${m.map((x) => `${x.toFixed(1)} (${(mb / (x / 1e3)).toFixed(1)})`).join(" | ")} | ${(m[0]! / m[1]!).toFixed(2)}× |`,
  );
}
console.log(
  `\n${notes.length} notes, ${mb.toFixed(2)} MB, median of ${runs} passes each; load average ${load0.toFixed(1)} → ${loadavg()[0]!.toFixed(1)} on 2 cores.`,
);
