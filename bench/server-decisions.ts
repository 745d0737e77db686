// POST /v1/decisions/{pack} before/after in one run: `npx tsx bench/server-decisions.ts [rounds] [seconds] [rate]`.
// Starts the built `gitops-health serve` (dist/cli.js, npm run build first) and, when SERVE_CLI_BEFORE names
// another build's dist/cli.js, that one too, each on its own embedded ledger; then alternates between them,
// round by round: an open loop at `rate` decisions/s (default 500) and a closed loop (16 connections, as
// many as it answers). Prints each run and the medians: p50/p99 of the open loop and the server's CPU per
// decision (/proc, user + system, all threads), with the machine's load average.
// With `--database-url URL` (e.g. postgres://postgres@127.0.0.1:5432/test) each server runs on PostgreSQL instead,
// the shared-ledger configuration, each build on its own tables (`table_prefix`, dropped at the end), migrated and
// given its token from this checkout's sources.
// NODE_ARGS adds node flags to the "after" server (e.g. --max-semi-space-size=64), NODE_ARGS_BEFORE to the
// "before" one (SERVE_CLI_BEFORE may name the same build, to A/B a flag). DECISIONS_WARMUP: requests sent to
// each server before the rounds (default 2000; 0 measures the first round right after start-up).
// Each server's start-up is printed too: spawn to "serving on", wall time and the server's CPU.
// SERVE_ARGS adds `serve` flags to the "after" server, SERVE_ARGS_BEFORE to the "before" one (the same build on
// both sides A/Bs a setting: SERVE_CLI_BEFORE=$PWD/dist/cli.js SERVE_ARGS_BEFORE="--ledger-durability disk"
// SERVE_ARGS="--ledger-durability process"). Each open-loop round also prints the ledger's fdatasyncs per 1,000
// requests (from /metrics, `gitops_health_ledger_fdatasyncs_total`, when the build has it).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { openPool } from "../src/server/db.js";
import { openServiceStores } from "../src/server/stores.js";
import { createToken, FileTokenStore, tokenFileFor } from "../src/server/tokens.js";
import { cpuMs, openLoop } from "./lib/open-loop.js";
import { median } from "./lib/report.js";

const argv = process.argv.slice(2);
const dbAt = argv.indexOf("--database-url");
const DATABASE_URL = dbAt >= 0 ? argv.splice(dbAt, 2)[1] : undefined;
if (dbAt >= 0 && !DATABASE_URL) throw new Error("--database-url needs a URL");
const ROUNDS = Number(argv[0] ?? 3);
const SECONDS = Number(argv[1] ?? 6);
const RATE = Number(argv[2] ?? 500);
const prefixes: string[] = [];
const nodeArgs = (v: string | undefined) => (v ?? "").split(" ").filter(Boolean);
const builds: [string, string, string[], string[]][] = [
  [
    "after",
    join(import.meta.dirname, "..", "dist", "cli.js"),
    nodeArgs(process.env.NODE_ARGS),
    nodeArgs(process.env.SERVE_ARGS),
  ],
];
if (process.env.SERVE_CLI_BEFORE)
  builds.unshift([
    "before",
    process.env.SERVE_CLI_BEFORE,
    nodeArgs(process.env.NODE_ARGS_BEFORE),
    nodeArgs(process.env.SERVE_ARGS_BEFORE),
  ]);
const WARMUP = Number(process.env.DECISIONS_WARMUP ?? 2000);

const body = JSON.stringify({
  input: {
    commit: { message: "feat(api): add endpoint\n\nApproved-by: Ann <ann@example.com>", signature: "G" },
    checks: { passed: ["tests", "phi-scan"] },
  },
});

async function storeArgs(): Promise<{ token: string; args: string[] }> {
  if (DATABASE_URL) {
    const prefix = `decbench${process.pid}_${prefixes.length}_`;
    prefixes.push(prefix);
    const url = `${DATABASE_URL}${DATABASE_URL.includes("?") ? "&" : "?"}table_prefix=${prefix}`;
    const stores = await openServiceStores({ databaseUrl: url, migrate: true });
    const { token } = await createToken(stores.tokens, { name: "b", scopes: ["decide"] });
    await stores.close();
    return { token, args: ["--database-url", url] };
  }
  const ledger = join(mkdtempSync(join(tmpdir(), "gh-decide-")), "ledger");
  const { token } = await createToken(new FileTokenStore(tokenFileFor(ledger)), { name: "b", scopes: ["decide"] });
  return { token, args: ["--ledger", ledger] };
}

async function start(cli: string, flags: string[], serveArgs: string[]) {
  const { token, args: storeFlags } = await storeArgs();
  const args = [...storeFlags, ...serveArgs];
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [...flags, cli, "serve", "--port", "0", "--log-level", "silent", "--rate-limit", "0", ...args],
    {
      stdio: ["ignore", "ignore", "pipe"],
    },
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
  const startup = { ms: performance.now() - t0, cpu: cpuMs(child.pid!) };
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  return { child, base, headers, startup };
}

async function closedLoop(s: { child: ChildProcess; base: string; headers: Record<string, string> }) {
  const c0 = cpuMs(s.child.pid!);
  const r = await autocannon({
    url: `${s.base}/v1/decisions/business`,
    method: "POST",
    headers: s.headers,
    body,
    connections: 16,
    duration: SECONDS,
  });
  return { rps: r.requests.average, cpu: (cpuMs(s.child.pid!) - c0) / Math.max(1, r.requests.total), bad: r.non2xx };
}

const load0 = loadavg();
const servers = [];
for (const [name, cli, flags, serveArgs] of builds) {
  const s = { name, ...(await start(cli, flags, serveArgs)) };
  servers.push(s);
  console.log(
    `${name}${serveArgs.length ? ` (serve ${serveArgs.join(" ")})` : ""}: spawn to "serving on" ${(s.startup.ms / 1000).toFixed(2)} s, ${(s.startup.cpu / 1000).toFixed(2)} s CPU (load ${loadavg()[0]!.toFixed(2)})`,
  );
}
for (const s of servers)
  if (WARMUP > 0)
    await autocannon({
      url: `${s.base}/v1/decisions/business`,
      method: "POST",
      headers: s.headers,
      body,
      amount: WARMUP,
    });
/** The ledger's fdatasyncs so far, from /metrics (undefined when the build does not count them). */
async function syncs(s: { base: string; headers: Record<string, string> }): Promise<number | undefined> {
  const r = await fetch(`${s.base}/metrics`, { headers: { authorization: s.headers.authorization! } });
  const m = /^gitops_health_ledger_fdatasyncs_total (\d+)/m.exec(await r.text());
  return m ? Number(m[1]) : undefined;
}
const res = new Map<
  string,
  { p50: number[]; p99: number[]; cpuOpen: number[]; cpuPeak: number[]; rps: number[]; syncs: number[] }
>();
for (let round = 0; round < ROUNDS; round++) {
  for (const s of round % 2 ? [...servers].reverse() : servers) {
    const s0 = await syncs(s);
    const o = await openLoop({
      base: s.base,
      url: "/v1/decisions/business",
      body,
      headers: s.headers,
      rate: RATE,
      seconds: SECONDS,
      pid: s.child.pid!,
    });
    const s1 = await syncs(s);
    const perK = s0 === undefined || s1 === undefined ? NaN : ((s1 - s0) * 1000) / o.sent;
    const c = await closedLoop(s);
    const r = res.get(s.name) ?? { p50: [], p99: [], cpuOpen: [], cpuPeak: [], rps: [], syncs: [] };
    r.syncs.push(perK);
    r.p50.push(o.p50);
    r.p99.push(o.p99);
    r.cpuOpen.push(o.cpu);
    r.cpuPeak.push(c.cpu);
    r.rps.push(c.rps);
    res.set(s.name, r);
    console.log(
      `round ${round + 1} ${s.name}: open loop ${RATE}/s p50 ${o.p50.toFixed(2)} ms, p99 ${o.p99.toFixed(2)} ms, max ${o.max.toFixed(1)} ms, ${o.cpu.toFixed(3)} ms CPU a decision, ${perK.toFixed(0)} fdatasyncs per 1,000, bad ${o.bad}; closed loop (16) ${Math.round(c.rps)} /s, ${c.cpu.toFixed(3)} ms CPU, bad ${c.bad} (load ${loadavg()[0]!.toFixed(2)})`,
    );
  }
}
for (const s of servers) {
  const exited = new Promise((r) => s.child.once("exit", r));
  s.child.kill("SIGTERM");
  await exited;
}
if (DATABASE_URL) {
  const { pool } = await openPool(DATABASE_URL);
  for (const prefix of prefixes) {
    await pool.query(
      `DROP TABLE IF EXISTS ${prefix}entries, ${prefix}checkpoints, ${prefix}once, ${prefix}tokens, ${prefix}repos, ${prefix}schema_migrations CASCADE`,
    );
    await pool.query(`DROP FUNCTION IF EXISTS ${prefix}append_only() CASCADE`);
    await pool.query(`DROP SCHEMA IF EXISTS ${prefix}jobs CASCADE`);
  }
  await pool.end();
}
const f = (xs: number[], d = 2) => median(xs).toFixed(d);
for (const [name, r] of res)
  console.log(
    `median ${name}${DATABASE_URL ? " (PostgreSQL)" : " (embedded ledger)"}: open loop ${RATE}/s p50 ${f(r.p50)} ms, p99 ${f(r.p99)} ms, ${f(r.cpuOpen, 3)} ms CPU a decision, ${f(r.syncs, 0)} fdatasyncs per 1,000; closed loop ${f(r.rps, 0)} /s, ${f(r.cpuPeak, 3)} ms CPU`,
  );
console.log(
  `load average (1/5/15 min) at start ${load0.map((x) => x.toFixed(2)).join("/")}, at end ${loadavg()
    .map((x) => x.toFixed(2))
    .join("/")}`,
);
