// Preloaded into a `gitops-health serve` child by bench/server-decisions-trace.ts (node --import): records,
// with absolute times (ms since the epoch), the event loop's delay histogram, every GC pause
// (PerformanceObserver "gc"), every fdatasync/fsync on the thread pool (start, duration) and every HTTP
// request's arrival and finish on the server; writes them as JSON to SERVER_TRACE_OUT at exit.
import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import http from "node:http";
import { monitorEventLoopDelay, performance, PerformanceObserver } from "node:perf_hooks";

const out = process.env.SERVER_TRACE_OUT;
const t0 = performance.timeOrigin;
const now = () => t0 + performance.now();
const gc = [];
const syncs = [];
const reqs = [];
const stalls = [];
// slow synchronous fs calls on the event loop (>= 0.5 ms): [start, duration, name]
const slowSync = [];
// the main thread's scheduler counters (/proc/thread-self/schedstat: ns on CPU, ns runnable waiting for a core)
const schedFd = (() => {
  try {
    return fs.openSync("/proc/thread-self/schedstat", "r");
  } catch {
    return undefined;
  }
})();
const schedBuf = Buffer.alloc(128);
const readSyncOrig = fs.readSync;
const sched = () => {
  if (schedFd === undefined) return [0, 0];
  const n = readSyncOrig(schedFd, schedBuf, 0, 128, 0);
  const [run, wait] = schedBuf.toString("latin1", 0, n).split(" ");
  return [Number(run) / 1e6, Number(wait) / 1e6];
};
const eld = monitorEventLoopDelay({ resolution: 1 });
eld.enable();
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gc.push([t0 + e.startTime, e.duration, e.detail?.kind ?? e.kind]);
}).observe({ entryTypes: ["gc"] });
// event-loop stalls: a 1 ms interval timer, gaps over 3 ms recorded with their time
// each stall with the main thread's CPU time and run-queue wait during it (the rest: blocked in the kernel)
let last = now();
let lastSched = sched();
setInterval(() => {
  const t = now();
  const sc = sched();
  if (t - last > 3) stalls.push([last, t - last, sc[0] - lastSched[0], sc[1] - lastSched[1]]);
  last = t;
  lastSched = sc;
}, 1).unref();
for (const name of [
  "writeSync",
  "linkSync",
  "unlinkSync",
  "statSync",
  "fstatSync",
  "openSync",
  "closeSync",
  "readSync",
  "writeFileSync",
  "readFileSync",
]) {
  const orig = fs[name];
  fs[name] = function () {
    const s = now();
    const sc = sched();
    try {
      return orig.apply(fs, arguments);
    } finally {
      const d = now() - s;
      if (d >= 0.5) {
        // how much of it the thread was on a core, waiting for one, or neither (blocked in the kernel)
        const sc2 = sched();
        const a0 = arguments[0];
        const what = typeof a0 === "string" ? `${name}(${a0.slice(a0.lastIndexOf("/") + 1)})` : name;
        slowSync.push([s, d, what, sc2[0] - sc[0], sc2[1] - sc[1]]);
      }
    }
  };
}
// syncs on the thread pool: [start, duration, name, syncs already in flight when it started]
let syncsInFlight = 0;
for (const name of ["fdatasync", "fsync"]) {
  const orig = fs[name];
  fs[name] = function (fd, cb) {
    const s = now();
    const before = syncsInFlight++;
    return orig.call(fs, fd, (err) => {
      syncsInFlight--;
      syncs.push([s, now() - s, name, before]);
      cb(err);
    });
  };
}
syncBuiltinESMExports();
const emit = http.Server.prototype.emit;
http.Server.prototype.emit = function (ev, req, res) {
  if (ev === "request") {
    const s = now();
    res.once("finish", () => reqs.push([s, now() - s]));
  }
  return emit.apply(this, arguments);
};
// SERVER_HEAP_PROF=<file>: sampled allocations (including objects the GCs collected) written at exit
let heapSession;
if (process.env.SERVER_HEAP_PROF) {
  const { Session } = await import("node:inspector");
  heapSession = new Session();
  heapSession.connect();
  heapSession.post("HeapProfiler.startSampling", {
    samplingInterval: 1024,
    // SERVER_HEAP_LIVE=1: only what no GC has collected by the end (live objects and old-space garbage)
    includeObjectsCollectedByMajorGC: !process.env.SERVER_HEAP_LIVE,
    includeObjectsCollectedByMinorGC: !process.env.SERVER_HEAP_LIVE,
  });
}
process.on("exit", () => {
  if (heapSession)
    heapSession.post("HeapProfiler.stopSampling", (err, r) => {
      if (!err) fs.writeFileSync(process.env.SERVER_HEAP_PROF, JSON.stringify(r.profile));
    });
  if (!out) return;
  const q = (p) => eld.percentile(p) / 1e6;
  fs.writeFileSync(
    out,
    JSON.stringify({
      eld: { p50: q(50), p99: q(99), p999: q(99.9), max: eld.max / 1e6, mean: eld.mean / 1e6 },
      gc,
      syncs,
      reqs,
      stalls,
      slowSync,
      // one instant on both clocks: V8 CPU profile timestamps (µs, monotonic) to the epoch ms used here
      clock: { hrUs: Number(process.hrtime.bigint() / 1000n), epochMs: now() },
      heap: process.memoryUsage(),
    }),
  );
});
