// Profile the service's request path: `npx tsx bench/server-profile.ts <code|note|decide|append|health> [requests] [connections]`.
// (PROFILE_WARMUP=<n>: requests sent before the measured ones, default 2000.)
// Starts the built `gitops-health serve` with --cpu-prof in a child process (npm run build first), sends the
// requests with autocannon from this process, reports the server's CPU per request (/proc) and writes a
// .cpuprofile summarised by bench/lib/cpuprofile.ts (self time by package and by function).
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { createToken, FileTokenStore, tokenFileFor } from "../src/server/tokens.js";
import { openServiceStores } from "../src/server/stores.js";
import { openPool } from "../src/server/db.js";
import { summarise } from "./lib/cpuprofile.js";
import { openLoop } from "./lib/open-loop.js";

const CLI = process.env.SERVE_CLI ?? join(import.meta.dirname, "..", "dist", "cli.js");
const PG = process.env.GITOPS_HEALTH_TEST_PG ?? "postgres://postgres@127.0.0.1:5432/test";
const what = process.argv[2] ?? "code";
const N = Number(process.argv[3] ?? 20000);
const CONNECTIONS = Number(process.argv[4] ?? 8);
const dir = mkdtempSync(join(tmpdir(), "gh-prof-"));
const ledgerDir = join(dir, "ledger");
const prefix = `svcprof${process.pid}_`;
let token: string;
let target: string[];
if (what === "append") {
  const url = `${PG}?table_prefix=${prefix}`;
  const stores = await openServiceStores({ databaseUrl: url, migrate: true });
  token = (await createToken(stores.tokens, { name: "p", scopes: ["ledger:append"] })).token;
  await stores.close();
  target = ["--database-url", url];
} else {
  token = (await createToken(new FileTokenStore(tokenFileFor(ledgerDir)), { name: "p", scopes: ["admin"] })).token;
  target = ["--ledger", ledgerDir];
}
const profDir = join(dir, "prof");
const extra = (process.env.SERVE_ARGS ?? "").split(" ").filter(Boolean);
const child = spawn(
  process.execPath,
  [
    "--cpu-prof",
    "--cpu-prof-dir",
    profDir,
    CLI,
    "serve",
    "--port",
    "0",
    "--log-level",
    "silent",
    "--rate-limit",
    "0",
    ...target,
    ...extra,
  ],
  { stdio: ["ignore", "ignore", "pipe"] },
);
let err = "";
const base: string = await new Promise((res, rej) => {
  child.stderr!.on("data", (d: Buffer) => {
    err += d.toString();
    const m = /serving on (http:\/\/[\d.:]+)/.exec(err);
    if (m) res(m[1]!);
  });
  child.on("exit", () => rej(new Error(err)));
});
const CODE = (
  "export async function loadPatient(id: string) {\n  const res = await fetch(`${BASE}/fhir/Patient/${id}`, { headers: { authorization: `Bearer ${token}` } });\n" +
  '  if (!res.ok) throw new Error(`patient ${id}: ${res.status}`);\n  const p = (await res.json()) as { name?: { given?: string[]; family?: string }[] };\n  return p.name?.[0]?.family ?? "unknown";\n}\n'
)
  .repeat(12)
  .slice(0, 4096);
const NOTE = (
  "Patient Maria Gonzalez (MRN 4481923, DOB 03/14/1962) was seen on 2024-02-11 at Mercy General for chest pain radiating to the left arm. " +
  "History of hypertension and type 2 diabetes. Phone 415-555-0132. Plan: troponin series, ECG, aspirin 325 mg, follow up with Dr. Alan Cho in two weeks. "
)
  .repeat(4)
  .slice(0, 1024);
const requests: Record<string, [string, string]> = {
  code: ["/v1/scan", JSON.stringify({ text: CODE, profile: "code" })],
  note: ["/v1/scan", JSON.stringify({ text: NOTE, profile: "prose" })],
  decide: [
    "/v1/decisions/business",
    JSON.stringify({
      input: {
        commit: { message: "feat(api): add endpoint\n\nApproved-by: Ann <ann@example.com>", signature: "G" },
        checks: { passed: ["tests", "phi-scan"] },
      },
    }),
  ],
  append: [
    "/v1/ledger/entries",
    JSON.stringify({ type: "deployment", subject: "svc@1.2.3", payload: { env: "prod" } }),
  ],
  health: ["/health", ""],
};
const [path, body] = requests[what]!;
const tick = () => {
  const f = readFileSync(`/proc/${child.pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
};
// Per-thread user/system CPU (main thread, libuv pool, V8 GC helpers...): where the CPU that the profile does not see goes.
const threads = () => {
  const m = new Map<string, [number, number]>();
  for (const t of readdirSync(`/proc/${child.pid}/task`)) {
    try {
      const name = readFileSync(`/proc/${child.pid}/task/${t}/comm`, "utf8").trim();
      const comm = t === String(child.pid) ? "main" : name === "node" ? "other" : name;
      const f = readFileSync(`/proc/${child.pid}/task/${t}/stat`, "utf8").split(") ")[1]!.split(" ");
      const prev = m.get(comm) ?? [0, 0];
      m.set(comm, [prev[0] + Number(f[11]) * 10, prev[1] + Number(f[12]) * 10]);
    } catch {
      /* thread exited */
    }
  }
  return m;
};
// PROFILE_WARMUP=<n> (default 2000): requests sent first and left out of the CPU figures and of the profile's summary
// (start-up and JIT warm-up), so the summary is the steady state.
const warmup = Number(process.env.PROFILE_WARMUP ?? 2000);
if (warmup > 0)
  await autocannon({
    url: base + path,
    method: body ? "POST" : "GET",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    ...(body ? { body } : {}),
    connections: CONNECTIONS,
    amount: warmup,
  });
const since = Number(process.hrtime.bigint() / 1000n);
const t0 = threads();
const c0 = tick();
// RATE=<requests/s>: an open loop at that rate (N requests) instead of autocannon's closed loop
const RATE = Number(process.env.RATE ?? 0);
const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
const r = RATE
  ? await openLoop({ base, url: path, body, headers, rate: RATE, seconds: N / RATE, pid: child.pid! }).then((o) => ({
      requests: { total: o.sent, average: RATE },
      latency: { p50: o.p50.toFixed(2), p99: o.p99.toFixed(2) },
      non2xx: o.bad,
      errors: 0,
    }))
  : await autocannon({
      url: base + path,
      method: body ? "POST" : "GET",
      headers,
      ...(body ? { body } : {}),
      connections: CONNECTIONS,
      amount: N,
    });
const cpu = (tick() - c0) / r.requests.total;
console.log(
  `${what}: ${r.requests.total} requests, ${r.requests.average} /s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, server CPU ${cpu.toFixed(3)} ms a request, non-2xx ${r.non2xx}, errors ${r.errors}`,
);
const t1 = threads();
console.log(
  "-- server CPU by thread during the run, ms per request (user + system): " +
    [...t1]
      .map(([k, [u, sy]]) => {
        const [u0, s0] = t0.get(k) ?? [0, 0];
        return `${k} ${((u - u0) / r.requests.total).toFixed(3)} + ${((sy - s0) / r.requests.total).toFixed(3)}`;
      })
      .join(", "),
);
const exited = new Promise((res) => child.once("exit", res));
child.kill("SIGTERM");
await exited;
const file = join(profDir, readdirSync(profDir)[0]!);
const s = summarise(file, 25, since);
const us = (v: number) => `${(v / r.requests.total).toFixed(1).padStart(6)} µs`;
console.log(
  `${file}\n-- self time by package/file after the warm-up (${us(s.total)} a request in all; the profiler inflates it)`,
);
for (const [k, v] of s.byGroup)
  console.log(`${((100 * v) / s.total).toFixed(1).padStart(5)}% ${us(v)}  ${k.slice(0, 120)}`);
console.log("-- by function");
for (const [k, v] of s.byFn)
  console.log(`${((100 * v) / s.total).toFixed(1).padStart(5)}% ${us(v)}  ${k.slice(0, 120)}`);
if (what === "append") {
  const { pool } = await openPool(PG);
  for (const t of ["entries", "checkpoints", "tokens", "repos", "schema_migrations"])
    await pool.query(`DROP TABLE IF EXISTS ${prefix}${t} CASCADE`);
  await pool.query(`DROP FUNCTION IF EXISTS ${prefix}append_only() CASCADE`);
  await pool.query(`DROP SCHEMA IF EXISTS ${prefix}jobs CASCADE`).catch(() => undefined);
  await pool.end();
}
