// CPU of the default prose engine by its statistical parts, in one process, alternating: the
// shipped tagger with its span classifier (the default), the shipped tagger's spans by union
// (`spanClassifier: false`), another tagger weights file by union (e.g. the weights shipped
// before, from a `git archive` of an earlier commit), and no tagger. Median CPU s per pass over
// the 1,624 PhysioNet notes.
//
//   GITOPS_HEALTH_SHARED=/work/shared npx tsx bench/phi-tagger-cost.ts [runs=9] [other-weights.bin.gz]
// Prints lines on stdout; nothing is written to docs.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Scanner, type ScannerOptions } from "../src/phi/scanner.js";
import { decodeModel } from "../src/phi/tagger/model.js";
import { median } from "./lib/report.js";

const runs = Number(process.argv[2] ?? 9);
const other = process.argv[3];
const file = join(process.env.GITOPS_HEALTH_SHARED ?? "/work/shared", "testdata/phi/physionet-deid/id.text");
const notes = [...readFileSync(file, "latin1").matchAll(/\|\|\|\|\n([\s\S]*?)\|\|\|\|END_OF_RECORD/g)].map(
  (m) => m[1]!,
);
const configs: [string, ScannerOptions][] = [
  ["default (shipped tagger + span classifier)", {}],
  ["shipped tagger, union", { spanClassifier: false }],
  ...(other ? [[`${other}, union`, { tagger: decodeModel(readFileSync(other)) }] as [string, ScannerOptions]] : []),
  ["no tagger", { tagger: false }],
];
const scanners = configs.map(([name, o]) => [name, new Scanner(o)] as const);
const times = new Map<string, number[]>();
for (let r = 0; r < runs; r++)
  for (const [name, s] of scanners) {
    const c0 = process.cpuUsage();
    for (const t of notes) s.scan(t);
    const c = process.cpuUsage(c0);
    times.set(name, [...(times.get(name) ?? []), (c.user + c.system) / 1e6]);
  }
for (const [name, t] of times) console.log(`${name}: ${median(t).toFixed(3)} CPU s per pass (median of ${runs})`);
