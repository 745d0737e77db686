// CPU time of bulk prose scanning, one `scan` per note against `Scanner.scanMany` (the notes taken
// through the scanner's stages in groups, as `scan --input-format jsonl` does per batch), in one
// process, alternating, median CPU seconds per pass over the PhysioNet notes. The findings of the
// two must be the same (checked on the first pass, fingerprints included).
//
//   GITOPS_HEALTH_SHARED=/work/shared npx tsx bench/phi-scan-many.ts [runs=9]
// Prints a table (markdown) on stdout; nothing is written to docs.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadavg } from "node:os";
import { SCAN_MANY_CHARS, Scanner } from "../src/phi/scanner.js";
import { median } from "./lib/report.js";

const runs = Number(process.argv[2] ?? 9);
const root = new URL("..", import.meta.url).pathname;
const notesFile = [
  join(root, "..", "shared", "testdata", "phi", "physionet-deid", "id.text"),
  join(process.env.GITOPS_HEALTH_SHARED ?? "/work/shared", "testdata", "phi", "physionet-deid", "id.text"),
].find(existsSync);
if (!notesFile) throw new Error("needs ../shared/testdata/phi/physionet-deid/id.text");
const notes = [...readFileSync(notesFile, "latin1").matchAll(/\|\|\|\|\n([\s\S]*?)\|\|\|\|END_OF_RECORD/g)].map(
  (m) => m[1]!,
);
const bytes = notes.reduce((n, t) => n + Buffer.byteLength(t), 0);

const one = new Scanner();
const many = new Scanner();
const expected = JSON.stringify(notes.map((t) => one.scan(t)));
if (JSON.stringify(many.scanMany(notes)) !== expected) throw new Error("scanMany and scan disagree");

const cpuOf = (f: () => void) => {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6;
};
const modes = [
  () => {
    for (const t of notes) one.scan(t);
  },
  () => {
    many.scanMany(notes);
  },
];
const load0 = loadavg()[0]!;
const cpu: number[][] = [[], []];
for (let r = 0; r < runs; r++) for (const m of r % 2 === 0 ? [0, 1] : [1, 0]) cpu[m]!.push(cpuOf(modes[m]!));
const [a, b] = cpu.map(median) as [number, number];
console.log(
  `${notes.length} notes, ${(bytes / 1e6).toFixed(2)} MB; groups of ${SCAN_MANY_CHARS / 1024} KiB; median CPU s per pass of ${runs}; load ${load0.toFixed(1)} → ${loadavg()[0]!.toFixed(1)}`,
);
console.log("| mode | CPU s | MB/s (CPU) | speed-up |");
console.log("| --- | ---: | ---: | ---: |");
console.log(`| one \`scan\` per note | ${a.toFixed(3)} | ${(bytes / 1e6 / a).toFixed(2)} | 1.00× |`);
console.log(`| \`scanMany\` | ${b.toFixed(3)} | ${(bytes / 1e6 / b).toFixed(2)} | ${(a / b).toFixed(2)}× |`);
