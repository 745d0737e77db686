// The disk's floor under the ledger's commit: `npx tsx bench/ledger-sync-floor.ts [count] [dir...]`.
// For each directory (default: the OS temporary directory and .gitops-health/ in this checkout, where the
// embedded ledger lives by default), appends 4 KB to a fresh file `count` times (default 2000), each append
// followed by an fdatasync on the thread pool (as the ledger's append does), and prints the sync's latency
// distribution; then the same with two files synced at once (the ledger's entries.log and leaves.bin: a 4 KB
// frame and a 40-byte row), and paced at 500/s (a sync every 2 ms, as the service's decisions at 500/s under
// `disk` durability) against back to back. Nothing else: no ledger, no server, so the lead can re-measure
// the disk alone on a quiet machine and compare it with the decisions' p99.
import { closeSync, fdatasync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const fdatasyncAsync = promisify(fdatasync);
const COUNT = Number(process.argv[2] ?? 2000);
const dirs = process.argv.slice(3);
if (dirs.length === 0) dirs.push(tmpdir(), join(import.meta.dirname, "..", ".gitops-health"));

const q = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
const fmt = (xs: number[]) => {
  xs.sort((a, b) => a - b);
  const us = (v: number) => `${(v * 1000).toFixed(0)}`;
  return `p50 ${us(q(xs, 0.5))} µs, p90 ${us(q(xs, 0.9))}, p99 ${us(q(xs, 0.99))}, p99.9 ${us(q(xs, 0.999))}, max ${us(xs.at(-1)!)}`;
};

async function run(dir: string, files: 1 | 2, paceMs: number): Promise<string> {
  const d = mkdtempSync(join(dir, "gh-syncfloor-"));
  try {
    const a = openSync(join(d, "entries.log"), "a");
    const b = files === 2 ? openSync(join(d, "leaves.bin"), "a") : undefined;
    const frame = Buffer.alloc(4096, 0x61);
    const row = Buffer.alloc(40, 0x62);
    const lat: number[] = [];
    let next = performance.now();
    for (let i = 0; i < COUNT; i++) {
      if (paceMs > 0) {
        next += paceMs;
        const wait = next - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      writeSync(a, frame);
      if (b !== undefined) writeSync(b, row);
      const t0 = performance.now();
      await (b === undefined ? fdatasyncAsync(a) : Promise.all([fdatasyncAsync(a), fdatasyncAsync(b)]));
      lat.push(performance.now() - t0);
    }
    closeSync(a);
    if (b !== undefined) closeSync(b);
    return fmt(lat);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
}

console.log(
  `load average at start ${loadavg()
    .map((x) => x.toFixed(2))
    .join("/")}`,
);
for (const dir of dirs) {
  mkdirSync(dir, { recursive: true });
  for (const [files, pace] of [
    [1, 0],
    [2, 0],
    [2, 2],
  ] as const) {
    const line = await run(dir, files, pace);
    console.log(
      `${dir}: ${files === 1 ? "one file" : "two files at once"}, ${pace ? "paced at 500/s" : "back to back"}, ${COUNT} × 4 KB append + fdatasync: ${line} (load ${loadavg()[0]!.toFixed(2)})`,
    );
  }
}
