// The embedded ledger's commit latency at a fixed rate, as the HTTP service sees it at 500 decisions/s
// (each decision its own batch): `npx tsx bench/ledger-append-paced.ts <src root A> [src root B] [rate] [seconds] [rounds]`.
// One process; each round opens a fresh ledger per side (under $TMPDIR) and makes one `append` of a decision-sized
// entry every 1000/rate ms through the service's group commit (src/server/group-commit.ts), open loop (an append is started on schedule even if earlier ones are still in flight;
// its latency counts from its scheduled time), A and B alternating round by round. Prints p50/p99/p99.9 and
// the process CPU per append for each side, medians over rounds, with the load average.
// first: it patches node:fs before the ledger modules load
import { syncCounts } from "./lib/count-syncs.js";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";

const syncCount = syncCounts;
type Mod = typeof import("../src/audit/index.js");
const here = join(import.meta.dirname, "..", "src");
const roots = [resolve(process.argv[2] ?? here), resolve(process.argv[3] ?? here)];
const RATE = Number(process.argv[4] ?? 500);
const SECONDS = Number(process.argv[5] ?? 6);
const ROUNDS = Number(process.argv[6] ?? 3);
const mods = (await Promise.all(roots.map((r) => import(join(r, "audit/index.ts"))))) as Mod[];
// appends go through the service's group commit, as decisions do (one batch in flight on a directory ledger)
type GC = typeof import("../src/server/group-commit.js");
const groups = (await Promise.all(roots.map((r) => import(join(r, "server/group-commit.ts"))))) as GC[];
const entry = (i: number) => ({
  type: "decision",
  subject: "pack:business",
  actor: "token:bench",
  payload: { decision: "pass", inputDigest: `hmac-sha256:${"ab".repeat(32)}`, violations: [], n: i },
});
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const q = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
const dir = mkdtempSync(join(tmpdir(), "gh-append-paced-"));
const load0 = loadavg();
const res = roots.map(() => ({ p50: [] as number[], p99: [] as number[], p999: [] as number[], cpu: [] as number[] }));

async function round(side: number, r: number) {
  const ledger = await mods[side]!.openLedger(join(dir, `${side}-${r}`));
  const group = new groups[side]!.GroupCommit(ledger);
  for (let i = 0; i < 50; i++) await ledger.append(entry(i)); // warm
  const n = Math.round(RATE * SECONDS);
  const lat: number[] = [];
  const s0 = { ...syncCount };
  const inflight: Promise<void>[] = [];
  const c0 = cpu();
  const t0 = performance.now() + 10;
  for (let i = 0; i < n;) {
    const now = performance.now();
    for (; i < n && t0 + (i * 1000) / RATE <= now; i++) {
      const due = t0 + (i * 1000) / RATE;
      inflight.push(group.append(entry(i)).then(() => void lat.push(performance.now() - due)));
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(inflight);
  const c = (cpu() - c0) / n;
  const per1k = (k: keyof typeof syncCount) => (((syncCount[k] - s0[k]) * 1000) / n).toFixed(1);
  const syncsLine = `fdatasync ${per1k("fdatasync")}, directory fsync ${per1k("fsync")}, syncs >= 2 ms ${per1k("slow")} per 1,000 appends`;
  await ledger.close();
  lat.sort((a, b) => a - b);
  const out = res[side]!;
  out.p50.push(q(lat, 0.5));
  out.p99.push(q(lat, 0.99));
  out.p999.push(q(lat, 0.999));
  out.cpu.push(c);
  console.log(
    `round ${r + 1} ${"AB"[side]}: p50 ${q(lat, 0.5).toFixed(2)} ms, p99 ${q(lat, 0.99).toFixed(2)} ms, p99.9 ${q(lat, 0.999).toFixed(2)} ms, ${(c * 1000).toFixed(0)} µs CPU an append; ${syncsLine} (load ${loadavg()[0]!.toFixed(2)})`,
  );
}

for (let r = 0; r < ROUNDS; r++) for (const side of r % 2 ? [1, 0] : [0, 1]) await round(side, r);
rmSync(dir, { recursive: true, force: true });
roots.forEach((root, side) => {
  const o = res[side]!;
  console.log(
    `median ${"AB"[side]} (${root}): ${RATE}/s p50 ${median(o.p50).toFixed(2)} ms, p99 ${median(o.p99).toFixed(2)} ms, p99.9 ${median(o.p999).toFixed(2)} ms, ${(median(o.cpu) * 1000).toFixed(0)} µs CPU an append`,
  );
});
console.log(
  `load average at start ${load0.map((x) => x.toFixed(2)).join("/")}, at end ${loadavg()
    .map((x) => x.toFixed(2))
    .join("/")}`,
);
