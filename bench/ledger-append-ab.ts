// Cost of one embedded-ledger append in a long-running process, before/after in one process:
// `npx tsx bench/ledger-append-ab.ts <src root A> [src root B] [appends] [rounds]` (B defaults to this checkout's
// src). Export the old commit's sources first: `mkdir /tmp/old && git archive <commit> src package.json | tar -x
// -C /tmp/old && ln -s "$PWD/node_modules" /tmp/old/`, then pass /tmp/old/src. Each round opens one ledger per
// side (a fresh directory under $TMPDIR) and makes `appends` sequential `appendBatch` calls of one entry each
// (what the HTTP service does at a low rate: a batch of one per decision), alternating A and B in blocks of 50.
// Prints process CPU (user + system) and wall per append for each side, medians over rounds, with the load.
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";

type Mod = typeof import("../src/audit/index.js");
const here = join(import.meta.dirname, "..", "src");
const roots = [resolve(process.argv[2] ?? here), resolve(process.argv[3] ?? here)];
const N = Number(process.argv[4] ?? 1000);
const ROUNDS = Number(process.argv[5] ?? 5);
const mods = (await Promise.all(roots.map((r) => import(join(r, "audit/index.ts"))))) as Mod[];
const entry = (i: number) => ({
  type: "policy.decision",
  subject: `d-${i}`,
  actor: "token:bench",
  payload: { pack: "business", result: true, violations: 0, input_sha256: "ab".repeat(32) },
});
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const dir = mkdtempSync(join(tmpdir(), "gh-append-ab-"));
const load0 = loadavg();
const res = roots.map(() => ({ cpu: [] as number[], wall: [] as number[] }));
const BLOCK = 50;
for (let round = 0; round < ROUNDS; round++) {
  const ledgers = await Promise.all(mods.map((m, k) => m.openLedger(join(dir, `r${round}-${k}`))));
  for (const l of ledgers) for (let i = 0; i < 20; i++) await l.appendBatch([entry(i)]); // warm-up
  const acc = roots.map(() => ({ cpu: 0, wall: 0 }));
  for (let b = 0; b < N / BLOCK; b++) {
    for (const k of b % 2 ? [1, 0] : [0, 1]) {
      const c0 = cpu();
      const t0 = performance.now();
      for (let i = 0; i < BLOCK; i++) await ledgers[k]!.appendBatch([entry(b * BLOCK + i)]);
      acc[k]!.wall += performance.now() - t0;
      acc[k]!.cpu += cpu() - c0;
    }
  }
  for (const l of ledgers) await l.close();
  for (const [k, a] of acc.entries()) {
    res[k]!.cpu.push(a.cpu / N);
    res[k]!.wall.push(a.wall / N);
  }
  console.log(
    `round ${round + 1}: ` +
      acc
        .map(
          (a, k) =>
            `${k ? "B" : "A"} ${((a.cpu / N) * 1000).toFixed(0)} µs CPU, ${((a.wall / N) * 1000).toFixed(0)} µs wall`,
        )
        .join("; ") +
      ` (load ${loadavg()[0]!.toFixed(2)})`,
  );
}
rmSync(dir, { recursive: true, force: true });
for (const [k, r] of res.entries())
  console.log(
    `median ${k ? "B" : "A"} (${roots[k]}): ${(median(r.cpu) * 1000).toFixed(0)} µs CPU, ${(median(r.wall) * 1000).toFixed(0)} µs wall per append`,
  );
console.log(
  `B/A CPU ${(median(res[1]!.cpu) / median(res[0]!.cpu)).toFixed(2)}, wall ${(median(res[1]!.wall) / median(res[0]!.wall)).toFixed(2)}; load average at start ${load0.map((x) => x.toFixed(2)).join("/")}, at end ${loadavg()
    .map((x) => x.toFixed(2))
    .join("/")}`,
);
