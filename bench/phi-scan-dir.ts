// `scan DIR` over the shared PhysioNet notes written out one file per note: CPU time (user + sys
// of the whole process, /usr/bin/time) of this build's dist/cli.js against another build's,
// alternated, one thread. Findings are compared (fingerprints aside: outside a repository each
// process keys its own).
//   GITOPS_HEALTH_SHARED=/work/shared npx tsx bench/phi-scan-dir.ts [runs=5] [baseDist] [copies=3]
// baseDist: a built base, e.g. `git archive c582f23 | tar -x -C /tmp/base && (cd /tmp/base && npx tsup)`
// then /tmp/base/dist. Both builds must be current (`npx tsup`).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { loadavg, tmpdir } from "node:os";
import { median } from "./lib/report.js";

const runs = Number(process.argv[2] ?? 5);
const baseDist = process.argv[3];
const copies = Number(process.argv[4] ?? 3);
const shared = process.env.GITOPS_HEALTH_SHARED ?? "/work/shared";
const notesFile = join(shared, "testdata", "phi", "physionet-deid", "id.text");
const notes = [...readFileSync(notesFile, "latin1").matchAll(/\|\|\|\|\n([\s\S]*?)\|\|\|\|END_OF_RECORD/g)].map(
  (m) => m[1]!,
);
const dir = mkdtempSync(join(tmpdir(), "phi-scan-dir-"));
let bytes = 0;
for (let c = 0; c < copies; c++) {
  mkdirSync(join(dir, `c${c}`));
  notes.forEach((t, i) => {
    writeFileSync(join(dir, `c${c}`, `note${i}.txt`), t, "latin1");
    bytes += Buffer.byteLength(t, "latin1");
  });
}
const thisDist = new URL("../dist", import.meta.url).pathname;
const builds = baseDist ? [["base", baseDist] as const, ["this", thisDist] as const] : [["this", thisDist] as const];

function run(dist: string): { cpu: number; findings: string } {
  const r = spawnSync(
    "/usr/bin/time",
    ["-f", "%U %S", "node", join(dist, "cli.js"), "scan", dir, "--format", "json", "--fail-on", "high"],
    {
      cwd: dir,
      env: { ...process.env, GITOPS_HEALTH_SCAN_THREADS: "1" },
      encoding: "utf8",
      maxBuffer: 1 << 30,
    },
  );
  const times = r.stderr.trim().split("\n").pop()!.split(" ").map(Number);
  const report = JSON.parse(r.stdout) as { findings: Record<string, unknown>[] };
  const findings = JSON.stringify(report.findings.map(({ fingerprint: _f, ...rest }) => rest));
  return { cpu: times[0]! + times[1]!, findings };
}

const load0 = loadavg()[0]!;
const cpu: Record<string, number[]> = {};
const found: Record<string, string> = {};
for (let i = 0; i < runs; i++)
  for (const [name, dist] of i % 2 ? [...builds].reverse() : builds) {
    const r = run(dist);
    (cpu[name] ??= []).push(r.cpu);
    if (found[name] !== undefined && found[name] !== r.findings) throw new Error(`${name}: findings vary`);
    found[name] = r.findings;
  }
rmSync(dir, { recursive: true, force: true });
const n = (JSON.parse(found.this!) as unknown[]).length;
console.log(
  `scan DIR: ${notes.length * copies} files, ${(bytes / 1e6).toFixed(2)} MB, ${n} findings; load ${load0.toFixed(1)} -> ${loadavg()[0]!.toFixed(1)}`,
);
for (const [name] of builds) {
  const m = median(cpu[name]!);
  console.log(
    `${name}: median ${m.toFixed(2)} CPU s (${cpu[name]!.map((x) => x.toFixed(2)).join(" ")}), ${(bytes / 1e6 / m).toFixed(2)} MB/s`,
  );
}
if (baseDist) {
  console.log(
    `findings ${found.base === found.this ? "equal" : "DIFFER"}; speed-up ${(median(cpu.base!) / median(cpu.this!)).toFixed(2)}x`,
  );
}
