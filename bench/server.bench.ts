// HTTP service benchmark: POST /v1/scan (1 KB notes, 4 KB code) with autocannon against
// 127.0.0.1 vs the same scans in-process; p99 at 70% of peak; POST /v1/decisions/{pack} at a
// fixed 500 requests/s; ledger appends over HTTP to PostgreSQL with concurrent clients.
// The server is the built CLI in a child process; its CPU per request is read from /proc.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir, loadavg } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { scanText } from "../src/phi/index.js";
import { openServiceStores } from "../src/server/stores.js";
import { openPool } from "../src/server/db.js";
import { createToken, FileTokenStore, tokenFileFor } from "../src/server/tokens.js";
import { writeBenchSection } from "./lib/report.js";
import { cpuMs, openLoop as openLoopAt } from "./lib/open-loop.js";
import { CODE, NOTE } from "./lib/server-payloads.js";

const openLoop = (o: { url: string; body: string; rate: number; seconds: number; pid: number }) =>
  openLoopAt({ ...o, base, headers });

const SECONDS = Number(process.env.SERVER_BENCH_SECONDS ?? 8);
const PG = process.env.GITOPS_HEALTH_TEST_PG ?? "postgres://postgres@127.0.0.1:5432/test";
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const load0 = loadavg()[0]!;

// The built `gitops-health serve` runs as a child process (npm run build first), so the load
// generator's CPU is not the server's: besides wall-clock rates and latencies (inflated on a shared
// machine), each row reports the server's CPU time per request from /proc/<pid>/stat, which load
// from other processes inflates far less. HTTP overhead (CPU) = 1 - in-process CPU per scan / server
// CPU per request: the throughput a dedicated core would lose to HTTP.
const CLI = join(import.meta.dirname, "..", "dist", "cli.js");

function startServe(args: string[]): Promise<{ child: ChildProcess; base: string }> {
  const child = spawn(
    process.execPath,
    [CLI, "serve", "--port", "0", "--log-level", "silent", "--rate-limit", "0", ...args],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  return new Promise((resolve, reject) => {
    child.stderr!.on("data", (d: Buffer) => {
      stderr += d.toString();
      const m = /serving on (http:\/\/[\d.:]+)/.exec(stderr);
      if (m) resolve({ child, base: m[1]! });
    });
    child.on("exit", (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
}

async function stopServe(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

const dir = mkdtempSync(join(tmpdir(), "gh-server-bench-"));
const ledgerDir = join(dir, "ledger");
const tokens = new FileTokenStore(tokenFileFor(ledgerDir));
const { token } = await createToken(tokens, { name: "bench", scopes: ["admin"] });
const { child, base } = await startServe(["--ledger", ledgerDir]);
const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };

/** In-process: scans per second and CPU ms per scan (process CPU over a timed loop). */
function inProcess(text: string, profile: "code" | "prose"): { rps: number; cpu: number } {
  for (let i = 0; i < 50; i++) scanText(text, { profile });
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + SECONDS * 1000;
  let n = 0;
  while (performance.now() < end) {
    scanText(text, { profile });
    n++;
  }
  const c = process.cpuUsage(c0);
  return { rps: n / ((performance.now() - t0) / 1000), cpu: (c.user + c.system) / 1000 / n };
}

async function cannon(o: {
  url: string;
  body: string;
  connections?: number;
  overallRate?: number;
  method?: "POST" | "GET";
  base?: string;
  pid?: number;
  headers?: Record<string, string>;
}) {
  const pid = o.pid ?? child.pid!;
  const c0 = cpuMs(pid);
  const r = await autocannon({
    url: (o.base ?? base) + o.url,
    method: o.method ?? "POST",
    headers: o.headers ?? headers,
    body: o.body,
    connections: o.connections ?? 16,
    duration: SECONDS,
    ...(o.overallRate ? { overallRate: o.overallRate } : {}),
  });
  const cpu = (cpuMs(pid) - c0) / Math.max(1, r.requests.total);
  const bad = r.non2xx + r.errors + r.timeouts;
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, bad, total: r.requests.total, cpu };
}

const ms = (x: number) => (x >= 1 ? x.toFixed(2) : x.toFixed(3));
const rows: string[] = [];
const BATCH = 32;
for (const [label, text, profile] of [
  ["1 KB clinical note (prose)", NOTE, "prose"],
  ["4 KB code snippet (code)", CODE, "code"],
] as const) {
  const one = JSON.stringify({ text, profile });
  const many = JSON.stringify({ records: Array.from({ length: BATCH }, (_, i) => ({ id: String(i), text })), profile });
  await cannon({ url: "/v1/scan", body: one, connections: 4 }); // warm-up
  const local = inProcess(text, profile);
  const peak = await cannon({ url: "/v1/scan", body: one });
  const at70 = await cannon({ url: "/v1/scan", body: one, overallRate: Math.max(1, Math.floor(peak.rps * 0.7)) });
  const batched = await cannon({ url: "/v1/scan", body: many, connections: 4 });
  const overhead = 100 * (1 - local.cpu / peak.cpu);
  const overheadBatched = 100 * (1 - local.cpu / (batched.cpu / BATCH));
  rows.push(
    `| POST /v1/scan, ${label} | ${fmt(local.rps)} /s, ${ms(local.cpu)} ms CPU | ${fmt(peak.rps)} /s (p50 ${peak.p50} ms, p99 ${peak.p99} ms), ${ms(peak.cpu)} ms CPU | ${overhead.toFixed(0)}% (wall ${(100 * (1 - peak.rps / local.rps)).toFixed(0)}%) | ${fmt(BATCH * batched.rps)} texts/s, ${ms(batched.cpu / BATCH)} ms CPU each: ${overheadBatched.toFixed(0)}% | ${fmt(at70.rps)} /s: p50 ${at70.p50} ms, p99 ${at70.p99} ms | ${peak.bad + at70.bad + batched.bad} |`,
  );
  console.error(rows.at(-1));
}

const decisionBody = JSON.stringify({
  input: {
    commit: { message: "feat(api): add endpoint\n\nApproved-by: Ann <ann@example.com>", signature: "G" },
    checks: { passed: ["tests", "phi-scan"] },
  },
});
await cannon({ url: "/v1/decisions/business", body: decisionBody, connections: 2 });
const decPeak = await cannon({ url: "/v1/decisions/business", body: decisionBody, connections: 16 });
const dec = await openLoop({
  url: "/v1/decisions/business",
  body: decisionBody,
  rate: 500,
  seconds: SECONDS,
  pid: child.pid!,
});
const dec100 = await openLoop({
  url: "/v1/decisions/business",
  body: decisionBody,
  rate: 100,
  seconds: SECONDS,
  pid: child.pid!,
});
const fmtMs = (x: number) => (x >= 10 ? x.toFixed(0) : x.toFixed(1));
rows.push(
  `| POST /v1/decisions/business (each decision appended to the embedded ledger, group commit, fsync) | - | peak ${fmt(decPeak.rps)} /s (p99 ${decPeak.p99} ms), ${ms(decPeak.cpu)} ms CPU | - | - | open loop 500/s: p50 ${fmtMs(dec.p50)} ms, p99 ${fmtMs(dec.p99)} ms, ${ms(dec.cpu)} ms CPU; 100/s: p50 ${fmtMs(dec100.p50)} ms, p99 ${fmtMs(dec100.p99)} ms | ${dec.bad + dec100.bad + decPeak.bad} |`,
);
console.error(rows.at(-1));
await stopServe(child);

// Ledger appends over HTTP to PostgreSQL.
let pgRow = "| POST /v1/ledger/entries to PostgreSQL | - | not measured: PostgreSQL unreachable | - | - | - | - |";
try {
  const prefix = `svcbench${process.pid}_`;
  const url = `${PG}${PG.includes("?") ? "&" : "?"}table_prefix=${prefix}`;
  const stores = await openServiceStores({ databaseUrl: url, migrate: true });
  const { token: t2 } = await createToken(stores.tokens, { name: "bench", scopes: ["ledger:append"] });
  const pg = await startServe(["--database-url", url]);
  const appendHeaders = { authorization: `Bearer ${t2}`, "content-type": "application/json" };
  const body = JSON.stringify({ type: "deployment", subject: "svc@1.2.3", payload: { env: "prod" } });
  await cannon({
    url: "/v1/ledger/entries",
    body,
    connections: 4,
    base: pg.base,
    pid: pg.child.pid,
    headers: appendHeaders,
  });
  const runs = [];
  for (const connections of [32, 128])
    runs.push({
      connections,
      r: await cannon({
        url: "/v1/ledger/entries",
        body,
        connections,
        base: pg.base,
        pid: pg.child.pid,
        headers: appendHeaders,
      }),
    });
  await stopServe(pg.child); // drains appends still in flight when autocannon stopped counting
  const size = await stores.ledger.size();
  const v = await stores.ledger.verify();
  const acked = runs.reduce((a, x) => a + x.r.total - x.r.bad, 0);
  pgRow = runs
    .map(
      ({ connections, r }, i) =>
        `| POST /v1/ledger/entries to PostgreSQL (${connections} clients) | - | ${fmt(r.rps)} /s (p50 ${r.p50} ms, p99 ${r.p99} ms), ${ms(r.cpu)} ms server CPU: ${fmt(1000 / r.cpu)} /s per core | - | - | ${i === runs.length - 1 ? `in the ledger after shutdown ${fmt(size)} (acknowledged in the measured runs ${fmt(acked)}), verify ${v.ok ? "ok" : `FAILED: ${v.problem}`}` : "-"} | ${r.bad} |`,
    )
    .join("\n");
  await stores.close();
  const { pool } = await openPool(PG);
  await pool.query(
    `DROP TABLE IF EXISTS ${prefix}entries, ${prefix}checkpoints, ${prefix}tokens, ${prefix}repos, ${prefix}schema_migrations CASCADE`,
  );
  await pool.query(`DROP FUNCTION IF EXISTS ${prefix}append_only() CASCADE`);
  await pool.end();
} catch (err) {
  console.error(`PostgreSQL part skipped: ${(err as Error).message}`);
}
rows.push(pgRow);
console.error(pgRow);
const load1 = loadavg();

writeBenchSection(
  "HTTP service",
  "npm run build && npm run bench -- server",
  `The built \`gitops-health serve\` as a child process on 127.0.0.1 (logging off, rate limit off); autocannon in the bench process; ${SECONDS} s per measurement. 1-minute load average ${load0.toFixed(1)} at start and ${load1[0]!.toFixed(1)} at the end on ${
    (await import("node:os")).cpus().length
  } cores shared with other engineers' builds and tests: wall-clock rates and latencies are inflated by that load; **CPU** is the server's user + system CPU time per request (/proc), the in-process column the bench process's CPU per scan.

| what | in-process | HTTP peak (16 connections) | HTTP overhead (CPU) | batched, ${BATCH} texts a request (CPU overhead) | at 70% of peak / fixed rate | errors |
| --- | --- | --- | --- | --- | --- | --- |
${rows.join("\n")}

Targets from issue 17: HTTP overhead <= 15% of in-process throughput and p99 < 50 ms at 70% of peak (scan);
p99 < 5 ms at 500 decisions/s; >= 2,000 appends/s to PostgreSQL. Reading the table: a request costs the server a fixed
amount of CPU for HTTP (parsing, authentication, validation, the socket write, most of it kernel time on loopback) besides
the engine's own work; the overhead target holds where the engine's work dominates (prose notes, or snippets sent in
batches: \`records\`), not for one 4 KB code snippet a request, whose scan takes a few hundredths of a millisecond.
Each decision and each append is durable (fsync or COMMIT) before it is answered; appends arriving meanwhile are
group-committed (two batches in flight). Decisions at a fixed rate are an open loop: each request sent on schedule
whether or not earlier ones were answered, its latency counted from its scheduled time. Where the CPU per request
times the rate approaches the cores left over by the machine's other load, the wall figures are queueing, not the
service: re-measure them on a quiet machine. SIGKILL under load and RSS over 100,000 requests: next section (\`npm run bench -- server-durability\`).`,
);
