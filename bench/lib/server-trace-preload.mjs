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
const eld = monitorEventLoopDelay({ resolution: 1 });
eld.enable();
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gc.push([t0 + e.startTime, e.duration, e.detail?.kind ?? e.kind]);
}).observe({ entryTypes: ["gc"] });
// event-loop stalls: a 1 ms interval timer, gaps over 3 ms recorded with their time
let last = now();
setInterval(() => {
  const t = now();
  if (t - last > 3) stalls.push([last, t - last]);
  last = t;
}, 1).unref();
for (const name of ["fdatasync", "fsync"]) {
  const orig = fs[name];
  fs[name] = function (fd, cb) {
    const s = now();
    return orig.call(fs, fd, (err) => {
      syncs.push([s, now() - s, name]);
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
      heap: process.memoryUsage(),
    }),
  );
});
