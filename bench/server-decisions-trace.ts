// Where the open loop's tail comes from: `npx tsx bench/server-decisions-trace.ts [seconds] [rate] [--database-url URL]`.
// Starts the built `gitops-health serve` (SERVE_CLI, default dist/cli.js) with bench/lib/server-trace-preload.mjs
// and --trace-gc, runs the open loop at `rate` decisions/s, then joins the client's latencies (scheduled send to
// answer) with the server's own record: request time inside the server, GC pauses, event-loop stalls, fdatasync/
// fsync times. For the slow requests (over 5 ms) it prints what overlapped them; and the event-loop delay histogram,
// GC totals by kind and the syncs' percentiles. SERVE_ARGS adds server flags; NODE_ARGS adds node flags;
// VARY_INPUT=1 sends a different input with every request.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { openServiceStores } from "../src/server/stores.js";
import { createToken, FileTokenStore, tokenFileFor } from "../src/server/tokens.js";
import { openPool } from "../src/server/db.js";
import { cpuMs } from "./lib/open-loop.js";

const argv = process.argv.slice(2);
const dbAt = argv.indexOf("--database-url");
const DATABASE_URL = dbAt >= 0 ? argv.splice(dbAt, 2)[1] : undefined;
const SECONDS = Number(argv[0] ?? 8);
const RATE = Number(argv[1] ?? 500);
const SLOW = Number(process.env.SLOW_MS ?? 5);
const CLI = process.env.SERVE_CLI ?? join(import.meta.dirname, "..", "dist", "cli.js");
const dir = mkdtempSync(join(tmpdir(), "gh-dtrace-"));
const prefix = `dtrace${process.pid}_`;
let token: string;
let storeArgs: string[];
if (DATABASE_URL) {
  const url = `${DATABASE_URL}${DATABASE_URL.includes("?") ? "&" : "?"}table_prefix=${prefix}`;
  const stores = await openServiceStores({ databaseUrl: url, migrate: true });
  token = (await createToken(stores.tokens, { name: "b", scopes: ["decide"] })).token;
  await stores.close();
  storeArgs = ["--database-url", url];
} else {
  const ledger = join(dir, "ledger");
  token = (await createToken(new FileTokenStore(tokenFileFor(ledger)), { name: "b", scopes: ["decide"] })).token;
  storeArgs = ["--ledger", ledger];
}
const traceOut = join(dir, "trace.json");
const gcLog = join(dir, "trace-gc.txt");
const child = spawn(
  process.execPath,
  [
    "--trace-gc",
    "--import",
    join(import.meta.dirname, "lib", "server-trace-preload.mjs"),
    ...(process.env.NODE_ARGS ?? "").split(" ").filter(Boolean),
    CLI,
    "serve",
    "--port",
    "0",
    "--log-level",
    "silent",
    "--rate-limit",
    "0",
    ...storeArgs,
    ...(process.env.SERVE_ARGS ?? "").split(" ").filter(Boolean),
  ],
  { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, SERVER_TRACE_OUT: traceOut } },
);
let gcText = "";
child.stdout!.on("data", (d: Buffer) => (gcText += d.toString()));
let err = "";
const base: string = await new Promise((res, rej) => {
  child.stderr!.on("data", (d: Buffer) => {
    err += d.toString();
    const m = /serving on (http:\/\/[\d.:]+)/.exec(err);
    if (m) res(m[1]!);
  });
  child.on("exit", () => rej(new Error(err)));
});
const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
const body = JSON.stringify({
  input: {
    commit: { message: "feat(api): add endpoint\n\nApproved-by: Ann <ann@example.com>", signature: "G" },
    checks: { passed: ["tests", "phi-scan"] },
  },
});
// VARY_INPUT=1: every request's input differs (a build number in its checks), as in service use, so its
// keyed digest is new text for the ledger's screen each time; default: the same input every request
const VARY = process.env.VARY_INPUT === "1";
let sent = 0;
const bodyOf = () =>
  VARY
    ? JSON.stringify({
        input: {
          commit: { message: "feat(api): add endpoint\n\nApproved-by: Ann <ann@example.com>", signature: "G" },
          checks: { passed: ["tests", "phi-scan", `build-${sent++}`] },
        },
      })
    : body;
const target = new URL(`${base}/v1/decisions/business`);
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
const clientEld = monitorEventLoopDelay({ resolution: 1 });

async function run(rate: number, seconds: number, record: boolean) {
  const lat: [number, number][] = [];
  const n = Math.round(rate * seconds);
  const t0 = performance.now() + 50;
  const one = (due: number) =>
    new Promise<void>((resolve) => {
      const req = httpRequest(
        { agent, host: target.hostname, port: target.port, path: target.pathname, method: "POST", headers },
        (res) => {
          res.resume();
          res.on("end", () => {
            if (record) lat.push([performance.timeOrigin + due, performance.now() - due]);
            resolve();
          });
        },
      );
      req.on("error", () => resolve());
      req.end(bodyOf());
    });
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < n;) {
    const now = performance.now();
    for (; i < n && t0 + (i * 1000) / rate <= now; i++) inflight.push(one(t0 + (i * 1000) / rate));
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(inflight);
  return lat;
}

await run(RATE, 2, false); // warm-up
const load0 = loadavg()[0]!;
const c0 = cpuMs(child.pid!);
clientEld.enable();
const lat = await run(RATE, SECONDS, true);
clientEld.disable();
const cpu = (cpuMs(child.pid!) - c0) / lat.length;
const exited = new Promise((r) => child.once("exit", r));
child.kill("SIGTERM");
await exited;
agent.destroy();
writeFileSync(gcLog, gcText);
if (DATABASE_URL) {
  const { pool } = await openPool(DATABASE_URL);
  await pool.query(
    `DROP TABLE IF EXISTS ${prefix}entries, ${prefix}checkpoints, ${prefix}once, ${prefix}tokens, ${prefix}repos, ${prefix}schema_migrations CASCADE`,
  );
  await pool.query(`DROP FUNCTION IF EXISTS ${prefix}append_only() CASCADE`);
  await pool.query(`DROP SCHEMA IF EXISTS ${prefix}jobs CASCADE`);
  await pool.end();
}

type T = {
  eld: Record<string, number>;
  gc: [number, number, number][];
  syncs: [number, number, string, number?][];
  reqs: [number, number][];
  stalls: [number, number, number?, number?][];
  slowSync?: [number, number, string, number?, number?][];
  clock?: { hrUs: number; epochMs: number };
  heap: Record<string, number>;
};
const tr = JSON.parse(readFileSync(traceOut, "utf8")) as T;
const from = lat[0]![0];
const to = Math.max(...lat.map(([s, l]) => s + l));
const inRun = <X extends [number, number, ...unknown[]]>(xs: X[]) => xs.filter(([s]) => s >= from && s <= to);
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
};
const f = (x: number) => x.toFixed(2);
const ls = lat.map(([, l]) => l);
const gcs = inRun(tr.gc);
const syncs = inRun(tr.syncs);
const reqs = inRun(tr.reqs);
const stalls = inRun(tr.stalls);
const slowSync = inRun(tr.slowSync ?? []);
const kinds = new Map<number, { n: number; ms: number; max: number }>();
for (const [, d, k] of gcs) {
  const e = kinds.get(k) ?? { n: 0, ms: 0, max: 0 };
  e.n++;
  e.ms += d;
  e.max = Math.max(e.max, d);
  kinds.set(k, e);
}
const KIND: Record<number, string> = {
  1: "scavenge",
  2: "minor-mc",
  4: "mark-compact",
  8: "incremental",
  16: "weak-cb",
};
console.log(
  `${CLI}${DATABASE_URL ? " (PostgreSQL)" : " (embedded)"}: ${lat.length} decisions at ${RATE}/s; client p50 ${f(pct(ls, 0.5))} ms, p99 ${f(pct(ls, 0.99))} ms, p99.9 ${f(pct(ls, 0.999))}, max ${f(Math.max(...ls))}; server CPU ${cpu.toFixed(3)} ms a decision; load ${load0.toFixed(2)} -> ${loadavg()[0]!.toFixed(2)}`,
);
const rd = reqs.map(([, d]) => d);
console.log(
  `server-side request time (arrival to finish): p50 ${f(pct(rd, 0.5))}, p99 ${f(pct(rd, 0.99))}, max ${f(Math.max(...rd))} ms`,
);
console.log(
  `server event-loop delay (1 ms resolution, whole life): p50 ${f(tr.eld.p50!)}, p99 ${f(tr.eld.p99!)}, p99.9 ${f(tr.eld.p999!)}, max ${f(tr.eld.max!)} ms; stalls > 3 ms in the run: ${stalls.length} (max ${f(Math.max(0, ...stalls.map(([, d]) => d)))} ms)`,
);
console.log(
  `client event-loop delay: p50 ${f(clientEld.percentile(50) / 1e6)}, p99 ${f(clientEld.percentile(99) / 1e6)}, max ${f(clientEld.max / 1e6)} ms`,
);
console.log(
  `GC in the run: ${[...kinds].map(([k, e]) => `${KIND[k] ?? k} ${e.n}x ${f(e.ms)} ms (max ${f(e.max)})`).join(", ")}; ${f(gcs.reduce((a, [, d]) => a + d, 0) / lat.length)} ms a decision; heap used ${(tr.heap.heapUsed! / 1e6).toFixed(1)} MB, total ${(tr.heap.heapTotal! / 1e6).toFixed(1)} MB, rss ${(tr.heap.rss! / 1e6).toFixed(1)} MB`,
);
for (const kind of ["fdatasync", "fsync"]) {
  const d = syncs.filter(([, , k]) => k === kind).map(([, x]) => x);
  if (d.length)
    console.log(`${kind}: ${d.length}, p50 ${f(pct(d, 0.5))}, p99 ${f(pct(d, 0.99))}, max ${f(Math.max(...d))} ms`);
}
// what the stalls were made of: the main thread on a core, waiting for one, or neither (blocked in the kernel)
{
  const tot = stalls.reduce((a, [, d]) => a + d, 0);
  const cpuIn = stalls.reduce((a, [, , c]) => a + (c ?? 0), 0);
  const waitIn = stalls.reduce((a, [, , , w]) => a + (w ?? 0), 0);
  const kind = { cpu: 0, runq: 0, blocked: 0 };
  for (const [, d, c = 0, w = 0] of stalls) {
    const b = d - c - w;
    if (c >= w && c >= b) kind.cpu++;
    else if (w >= b) kind.runq++;
    else kind.blocked++;
  }
  console.log(
    `stalls > 3 ms: ${stalls.length} per ${lat.length} requests, ${f(tot)} ms in all: main thread on a core ${f(cpuIn)} ms, waiting for a core ${f(waitIn)} ms, neither (blocked in a syscall or idle) ${f(tot - cpuIn - waitIn)} ms; mostly CPU ${kind.cpu}, mostly run queue ${kind.runq}, mostly blocked ${kind.blocked}`,
  );
  const by = new Map<string, { n: number; ms: number; max: number; inStall: number; blocked: number }>();
  for (const [s, d, name, c = 0, w = 0] of slowSync) {
    const e = by.get(name) ?? { n: 0, ms: 0, max: 0, inStall: 0, blocked: 0 };
    e.n++;
    e.ms += d;
    e.blocked += Math.max(0, d - c - w);
    e.max = Math.max(e.max, d);
    if (stalls.some(([a, sd]) => s >= a && s < a + sd)) e.inStall++;
    by.set(name, e);
  }
  console.log(
    `synchronous fs calls on the event loop >= 0.5 ms: ${slowSync.length}${[...by].map(([k, e]) => `; ${k} ${e.n}x ${f(e.ms)} ms (blocked in the kernel ${f(e.blocked)} ms, max ${f(e.max)}, ${e.inStall} inside a stall)`).join("")}`,
  );
  const gcIn = (xs: [number, number, ...unknown[]][]) =>
    stalls.filter(([a, d]) => xs.some(([s, gd]) => s < a + d && s + gd > a)).length;
  console.log(
    `stalls overlapping a GC pause: ${gcIn(gcs)}, a synchronous fs call >= 0.5 ms: ${gcIn(slowSync)}; GC pauses >= 1 ms: ${gcs.filter(([, d]) => d >= 1).length}`,
  );
}
// the mechanism counts per 1,000 requests (what survives a loaded machine better than latencies)
{
  const k = 1000 / lat.length;
  const n = (x: number) => (x * k).toFixed(1);
  const fds = syncs.filter(([, , kd]) => kd === "fdatasync");
  console.log(
    `per 1,000 requests: scavenges ${n(gcs.filter(([, , kd]) => kd === 1).length)}, GC pause ${n(gcs.reduce((a, [, d]) => a + d, 0))} ms, GC pauses >= 1 ms ${n(gcs.filter(([, d]) => d >= 1).length)}; fdatasync ${n(fds.length)} (>= 2 ms ${n(fds.filter(([, d]) => d >= 2).length)}), directory fsync ${n(syncs.length - fds.length)}; event-loop stalls > 3 ms ${n(stalls.length)} (mostly on a core ${n(stalls.filter(([, d, c = 0, w = 0]) => c >= w && c >= d - c - w).length)}); synchronous fs calls >= 0.5 ms ${n(slowSync.length)}; requests > 5 ms ${n(lat.filter(([, l]) => l > SLOW).length)}`,
  );
}
// CPU_PROF_DIR (set with NODE_ARGS="--cpu-prof --cpu-prof-dir=<dir> --cpu-prof-interval 200"): what the
// main thread ran during the stalls, from the profile's samples inside each stall
if (process.env.CPU_PROF_DIR && tr.clock) {
  const { readdirSync } = await import("node:fs");
  const { frameGroup } = await import("./lib/cpuprofile.js");
  const file = readdirSync(process.env.CPU_PROF_DIR).find((n) => n.endsWith(".cpuprofile"));
  if (file) {
    type N = { id: number; callFrame: { functionName: string; url: string }; children?: number[] };
    const p = JSON.parse(readFileSync(join(process.env.CPU_PROF_DIR, file), "utf8")) as {
      nodes: N[];
      samples: number[];
      timeDeltas: number[];
      startTime: number;
    };
    const parent = new Map<number, number>();
    for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const toEpoch = (us: number) => tr.clock!.epochMs + (us - tr.clock!.hrUs) / 1000;
    const leaf = new Map<string, number>();
    const group = new Map<string, number>();
    const task = new Map<string, number>();
    let t = p.startTime;
    let inStalls = 0;
    let si = 0;
    const st = [...stalls].sort((a, b) => a[0] - b[0]);
    for (let i = 0; i < p.samples.length; i++) {
      t += p.timeDeltas[i]!;
      const at = toEpoch(t);
      while (si < st.length && st[si]![0] + st[si]![1] < at) si++;
      if (si >= st.length) break;
      if (at < st[si]![0]) continue;
      const n = byId.get(p.samples[i]!)!;
      const fnName = n.callFrame.functionName || "(anon)";
      const g = frameGroup(n.callFrame.url, fnName);
      leaf.set(`${fnName} ${g}`, (leaf.get(`${fnName} ${g}`) ?? 0) + 1);
      group.set(g, (group.get(g) ?? 0) + 1);
      // the macrotask: the outermost JS frame under the root (timers, I/O callbacks, microtasks...)
      let id = n.id;
      const chain: N[] = [];
      while (parent.has(id)) {
        chain.push(byId.get(id)!);
        id = parent.get(id)!;
      }
      const outer = chain.reverse().slice(0, 3);
      const k = outer.map((x) => x.callFrame.functionName || "(anon)").join(" > ") || fnName;
      task.set(k, (task.get(k) ?? 0) + 1);
      inStalls++;
    }
    const top = (m: Map<string, number>, k: number) =>
      [...m]
        .sort((a, b) => b[1] - a[1])
        .slice(0, k)
        .map(([x, c]) => `${((100 * c) / Math.max(1, inStalls)).toFixed(1)}% ${x}`)
        .join("; ");
    console.log(`profile samples inside stalls: ${inStalls}`);
    console.log(`  by package/file: ${top(group, 12)}`);
    console.log(`  by function: ${top(leaf, 15)}`);
    console.log(`  by task (outermost frames): ${top(task, 10)}`);
  }
}
// syncs started while others were in flight (the libuv pool has 4 threads by default)
{
  const inFl = new Map<number, number>();
  for (const x of syncs) inFl.set((x[3] as number) ?? 0, (inFl.get((x[3] as number) ?? 0) ?? 0) + 1);
  console.log(
    `syncs by how many were already in flight when each started: ${[...inFl]
      .sort((a, b) => a[0] - b[0])
      .map(([k, v]) => `${k}: ${v}`)
      .join(", ")}`,
  );
}
// what overlapped each slow request (its interval: scheduled send .. answer)
const slow = lat.filter(([, l]) => l > SLOW);
const overl = (s: number, e: number, xs: [number, number, ...unknown[]][], min = 0) =>
  xs.filter(([a, d]) => d >= min && a < e && a + d > s);
let withGc = 0;
let withStall = 0;
let withSlowSync = 0;
let withDirSync = 0;
let none = 0;
for (const [s, l] of slow) {
  const e = s + l;
  const g = overl(s, e, gcs, 1).length > 0;
  const st = overl(s, e, stalls).length > 0;
  const sy =
    overl(
      s,
      e,
      syncs.filter(([, , k]) => k === "fdatasync"),
      2,
    ).length > 0;
  const ds =
    overl(
      s,
      e,
      syncs.filter(([, , k]) => k === "fsync"),
    ).length > 0;
  if (g) withGc++;
  if (st) withStall++;
  if (sy) withSlowSync++;
  if (ds) withDirSync++;
  if (!g && !st && !sy) none++;
}
console.log(
  `slow requests (> ${SLOW} ms): ${slow.length} of ${lat.length}; overlapping a GC pause >= 1 ms: ${withGc}, an event-loop stall > 3 ms: ${withStall}, an fdatasync >= 2 ms: ${withSlowSync}, a directory fsync: ${withDirSync}, none of GC/stall/slow fdatasync: ${none}`,
);
console.log(`trace: ${traceOut}, --trace-gc output: ${gcLog}`);
