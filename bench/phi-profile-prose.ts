// Profile helper: the default Scanner() over the PhysioNet notes, several passes.
//   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/phi-profile-prose.ts [passes=4]
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Scanner } from "../src/phi/engine.js";

const shared = process.env.GITOPS_HEALTH_SHARED ?? "/work/shared";
const notes = [
  ...readFileSync(join(shared, "testdata/phi/physionet-deid/id.text"), "latin1").matchAll(
    /\|\|\|\|\n([\s\S]*?)\|\|\|\|END_OF_RECORD/g,
  ),
].map((m) => m[1]!);
const s = new Scanner();
const passes = Number(process.argv[2] ?? 4);
for (let p = 0; p < passes; p++) {
  const c0 = process.cpuUsage();
  let n = 0;
  for (const t of notes) n += s.scan(t).length;
  const c = process.cpuUsage(c0);
  console.error(`pass ${p}: ${n} findings, ${((c.user + c.system) / 1e6).toFixed(3)} CPU s`);
}
