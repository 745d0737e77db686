// The dashboard's full ledger verification on the service's main thread (as before: `AuditLedger.verify`
// in the event loop) and in a worker thread (src/server/verify-worker.ts, as the service runs it now),
// alternating on the same ledger (DASHBOARD_VERIFY_ENTRIES, default 100,000) in the same run. Measured on
// the main thread while each verification runs: its event-loop utilisation (performance.eventLoopUtilization:
// the share of the time the loop was busy, so not answering requests), the longest time it served no
// timer (gaps between 1 ms interval ticks) and how many of those ticks it served. Both verify the same bytes;
// the numbers are for the main thread only. Wall-time figures depend on the machine's load: the A/B ratio
// is what to read.
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { AuditLedger } from "../src/audit/ledger.js";
import { DirStore } from "../src/audit/dir-store.js";
import { verifyInWorker, verifyWorkerEntry } from "../src/server/dashboard.js";
import { median, writeBenchSection } from "./lib/report.js";

const N = Number(process.env.DASHBOARD_VERIFY_ENTRIES ?? 100_000);
const REPS = Number(process.env.DASHBOARD_VERIFY_REPS ?? 3);
const dir = mkdtempSync(join(tmpdir(), "gh-dashboard-verify-bench-"));

interface Sample {
  wallMs: number;
  elu: number;
  maxDelayMs: number;
  ticks: number;
  ok: boolean;
}

async function measure(run: () => Promise<boolean>): Promise<Sample> {
  let ticks = 0;
  let maxGap = 0;
  const w0 = performance.now();
  let last = w0;
  // the longest time the loop served no timer: gaps between 1 ms ticks, and from the last tick to the end
  const t = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
    ticks++;
  }, 1);
  const e0 = performance.eventLoopUtilization();
  const ok = await run();
  const end = performance.now();
  const elu = performance.eventLoopUtilization(e0).utilization;
  clearInterval(t);
  return { wallMs: end - w0, elu, maxDelayMs: Math.max(maxGap, end - last), ticks, ok };
}

try {
  const path = join(dir, "ledger");
  const ledger = new AuditLedger(await DirStore.open(path));
  for (let i = 0; i < N; i += 1000)
    await ledger.appendBatch(
      Array.from({ length: Math.min(1000, N - i) }, (_, k) => ({
        type: k % 3 ? "note" : "compliance.check",
        actor: "bench@example.invalid",
        subject: `n${i + k}`,
        payload: { n: i + k, controls: { "SOX-ITGC-CM-1": "met" } },
      })),
    );
  const entry = verifyWorkerEntry();
  if (!entry) throw new Error("no verification worker");
  const main: Sample[] = [];
  const worker: Sample[] = [];
  for (let r = 0; r < REPS; r++) {
    main.push(await measure(async () => (await ledger.verify()).ok));
    worker.push(await measure(async () => (await verifyInWorker(path, entry)).ok));
  }
  if (![...main, ...worker].every((s) => s.ok)) throw new Error("a verification failed");
  const med = (xs: Sample[], k: keyof Omit<Sample, "ok">) => median(xs.map((s) => s[k] as number));
  const row = (name: string, xs: Sample[]) =>
    `| ${name} | ${med(xs, "wallMs").toFixed(0)} ms | ${(med(xs, "elu") * 100).toFixed(1)}% | ${med(xs, "maxDelayMs").toFixed(0)} ms | ${med(xs, "ticks").toFixed(0)} |`;
  const load = loadavg()[0]!.toFixed(1);
  const md = `Full verification of a ${N.toLocaleString("en-US")}-entry directory ledger, the two ways alternating, ${REPS} runs each (medians), load average ${load} on a shared machine: what the service's main thread does meanwhile.

| verification | wall | main-thread event-loop utilisation | longest time without a timer tick | 1 ms timer ticks served |
| --- | --- | --- | --- | --- |
${row("in the event loop (before)", main)}
${row("worker thread (now)", worker)}

A busy event loop answers no request: in the event loop the verification keeps it busy ${(med(main, "elu") * 100).toFixed(0)}% of the time and serves no timer for up to ${med(main, "maxDelayMs").toFixed(0)} ms at a time; in the worker the main thread is busy ${(med(worker, "elu") * 100).toFixed(1)}% (starting the worker, receiving its result). The worker here starts from source through tsx (the package runs dist/verify-worker.js), which adds its start-up to its wall time. Wall times include the machine's load; re-measure on a quiet machine for absolute figures.`;
  console.log(md);
  writeBenchSection("dashboard-verify", "npm run bench -- dashboard-verify", md);
  await ledger.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
