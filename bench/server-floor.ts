// Where the CPU of one POST /v1/scan goes (issue 17): `npx tsx bench/server-floor.ts [rounds] [note|code|both]`
// (npm run build first). The same autocannon client, body, connection count and number of requests against:
//   (a) a bare node:http server and (b) a bare Fastify 5 server (bench/lib/floor-server.mjs), both parsing the same JSON
//       body and answering the same bytes our service answers: the protocol (and framework) floor;
//   (c) our app with the scan engine memoised (bench/lib/serve-app.ts memo): everything but the scan;
//   (d) our app with the real engine (the same file), and the built `gitops-health serve` (dist/cli.js);
//   (c) and (d) are bundled from src by esbuild as dist is (tsx's loader would make them slower than dist);
//   (e) optionally another build of the CLI, SERVE_CLI_BASE=<dist/cli.js>, e.g. main's, for a same-run A/B.
// Every server is a child process; its user and system CPU per request comes from /proc/<pid>/stat (10 ms ticks).
// The servers are measured in turn, the order rotated each round; medians of the rounds are reported, with the
// scan's CPU in-process measured before each round in a process of its own (bench/lib/serve-app.ts --loop).
// Env: FLOOR_CONNECTIONS (16), FLOOR_PIPELINING (1), FLOOR_BATCH (0: one text a request; n: `records` of n texts),
// FLOOR_REQUESTS (requests per measurement; default 12,000 code, 4,000 prose, divided by the batch size),
// FLOOR_ONLY (comma-separated server keys to run: http,fastify,memo,src,dist,base).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { createToken, FileTokenStore, tokenFileFor } from "../src/server/tokens.js";
import { CODE, NOTE } from "./lib/server-payloads.js";
import { bundleServeApp } from "./lib/serve-app-bundle.js";

const ROUNDS = Number(process.argv[2] ?? 3);
const KINDS = (process.argv[3] ?? "both") === "both" ? ["note", "code"] : [process.argv[3]!];
const CONNECTIONS = Number(process.env.FLOOR_CONNECTIONS ?? 16);
const PIPELINING = Number(process.env.FLOOR_PIPELINING ?? 1);
const BATCH = Number(process.env.FLOOR_BATCH ?? 0);
const ONLY = process.env.FLOOR_ONLY?.split(",");
// FLOOR_RATE=<requests/s>: every server at the same offered rate (autocannon overallRate) instead of as fast as it goes.
// In a closed loop a faster server keeps the client busy, so its socket writes rarely have to wake it: the kernel's
// share of a request depends on the server's speed. At one fixed rate both sides sleep and wake alike.
const RATE = Number(process.env.FLOOR_RATE ?? 0);
const root = join(import.meta.dirname, "..");
const CLI = join(root, "dist", "cli.js");
const BASE_CLI = process.env.SERVE_CLI_BASE;

const kinds = {
  note: { text: NOTE, profile: "prose" as const, requests: 4000 },
  code: { text: CODE, profile: "code" as const, requests: 12000 },
};
const bodyOf = (k: keyof typeof kinds) => {
  const { text, profile } = kinds[k];
  return JSON.stringify(
    BATCH
      ? { records: Array.from({ length: BATCH }, (_, i) => ({ id: String(i), text })), profile }
      : { text, profile },
  );
};

const dir = mkdtempSync(join(tmpdir(), "gh-floor-"));
const { token } = await createToken(new FileTokenStore(tokenFileFor(join(dir, "l"))), {
  name: "bench",
  scopes: ["admin"],
});
const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };

function start(args: string[]): Promise<{ child: ChildProcess; base: string }> {
  const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"], cwd: root });
  let err = "";
  return new Promise((resolve, reject) => {
    child.stderr!.on("data", (d: Buffer) => {
      err += d.toString();
      const m = /serving on (http:\/\/[\d.:]+)/.exec(err);
      if (m) resolve({ child, base: m[1]! });
    });
    child.on("exit", (code) => reject(new Error(`${args.join(" ")} exited ${code}: ${err}`)));
  });
}
const serveArgs = (cli: string, ledger: string) => [
  cli,
  "serve",
  "--port",
  "0",
  "--log-level",
  "silent",
  "--rate-limit",
  "0",
  "--ledger",
  join(dir, ledger),
];

const stat = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return { user: Number(f[11]) * 10, system: Number(f[12]) * 10 };
};

// The responses the floor servers answer: recorded from the built service, for each profile, single and batched.
const servers: { key: string; label: string; child: ChildProcess; base: string }[] = [];
const dist = await start(serveArgs(CLI, "l"));
const responses: Record<string, string> = {};
for (const k of ["note", "code"] as const) {
  const r = await fetch(`${dist.base}/v1/scan`, { method: "POST", headers, body: bodyOf(k) });
  if (r.status !== 200) throw new Error(`${k}: HTTP ${r.status} ${await r.text()}`);
  responses[`${BATCH ? "batch:" : ""}${kinds[k].profile}`] = await r.text();
}
const responsesFile = join(dir, "responses.json");
writeFileSync(responsesFile, JSON.stringify(responses));
const want = (key: string) => !ONLY || ONLY.includes(key);
const floor = join(root, "bench", "lib", "floor-server.mjs");
const app = bundleServeApp(root);
if (want("http"))
  servers.push({ key: "http", label: "(a) bare node:http", ...(await start([floor, "http", responsesFile])) });
if (want("fastify"))
  servers.push({ key: "fastify", label: "(b) bare Fastify 5", ...(await start([floor, "fastify", responsesFile])) });
if (want("memo"))
  servers.push({
    key: "memo",
    label: "(c) our app, scan memoised (src)",
    ...(await start([app, join(dir, "l"), "memo"])),
  });
if (want("src"))
  servers.push({ key: "src", label: "(d) our app, real scan (src)", ...(await start([app, join(dir, "l")])) });
if (want("dist")) servers.push({ key: "dist", label: "(d) gitops-health serve (this build)", ...dist });
else dist.child.kill("SIGTERM");
if (BASE_CLI && want("base"))
  servers.push({
    key: "base",
    label: "(e) gitops-health serve (SERVE_CLI_BASE)",
    ...(await start(serveArgs(BASE_CLI, "l"))),
  });

// Same bytes from every server (the floor servers answer the recorded response; ours must agree with it).
for (const s of servers)
  for (const k of KINDS as (keyof typeof kinds)[]) {
    const r = await fetch(`${s.base}/v1/scan`, { method: "POST", headers, body: bodyOf(k) });
    const text = await r.text();
    const rec = responses[`${BATCH ? "batch:" : ""}${kinds[k].profile}`]!;
    if (r.status !== 200 || text !== rec) throw new Error(`${s.label} ${k}: HTTP ${r.status}, ${text.length} bytes`);
  }

/** The scan alone: CPU per scan in a process of its own (the same bundle as (c) and (d), nothing else running in it). */
function inProcess(k: keyof typeof kinds, ms: number): number {
  const file = join(dir, `body-${k}.json`);
  writeFileSync(file, JSON.stringify({ text: kinds[k].text, profile: kinds[k].profile }));
  const r = spawnSync(process.execPath, [app, "--loop", file, String(ms)], { encoding: "utf8", cwd: root });
  if (r.status !== 0) throw new Error(`scan loop: ${r.stderr}`);
  return Number(r.stdout.trim().split(" ")[0]);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const load0 = loadavg()[0]!;
console.error(
  `rounds ${ROUNDS}, ${CONNECTIONS} connections, pipelining ${PIPELINING}, ${RATE ? `${RATE} requests/s` : "closed loop"}, ${BATCH ? `batches of ${BATCH} texts` : "one text a request"}, load ${load0.toFixed(1)}`,
);
for (const k of KINDS as (keyof typeof kinds)[]) {
  const body = bodyOf(k);
  const amount = Number(process.env.FLOOR_REQUESTS ?? Math.round(kinds[k].requests / Math.max(1, BATCH)));
  const texts = Math.max(1, BATCH);
  for (const s of servers)
    await autocannon({ url: `${s.base}/v1/scan`, method: "POST", headers, body, connections: 4, amount: 500 });
  const got = new Map<string, { cpu: number[]; user: number[]; system: number[]; rps: number[]; bad: number }>();
  const local: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    local.push(inProcess(k, 2000));
    const order = servers.map((_, i) => servers[(i + round) % servers.length]!);
    for (const s of order) {
      const c0 = stat(s.child.pid!);
      const t0 = performance.now();
      const r = await autocannon({
        url: `${s.base}/v1/scan`,
        method: "POST",
        headers,
        body,
        connections: CONNECTIONS,
        pipelining: PIPELINING,
        amount,
        ...(RATE ? { overallRate: RATE } : {}),
      });
      const c1 = stat(s.child.pid!);
      const wall = (performance.now() - t0) / 1000;
      const n = r.requests.total * texts;
      const g = got.get(s.key) ?? { cpu: [], user: [], system: [], rps: [], bad: 0 };
      g.user.push((c1.user - c0.user) / n);
      g.system.push((c1.system - c0.system) / n);
      g.cpu.push((c1.user - c0.user + c1.system - c0.system) / n);
      g.rps.push(r.requests.total / wall);
      g.bad += r.non2xx + r.errors + r.timeouts;
      got.set(s.key, g);
      console.error(
        `  ${k} round ${round + 1} ${s.label}: ${((c1.user - c0.user + c1.system - c0.system) / n).toFixed(4)} ms CPU a text, ${Math.round(r.requests.total / wall)} req/s`,
      );
    }
  }
  const inproc = median(local);
  console.log(
    `\n${k} (${kinds[k].text.length} chars, ${kinds[k].profile}), ${amount} requests x ${ROUNDS} rounds, ${texts} text(s) a request, ${CONNECTIONS} connections, pipelining ${PIPELINING}, ${RATE ? `${RATE} requests/s` : "closed loop"}, load ${load0.toFixed(1)} -> ${loadavg()[0]!.toFixed(1)}`,
  );
  console.log(
    `in-process scan (a process of its own, same bundle as (c)/(d)): ${inproc.toFixed(4)} ms CPU a scan (each round: ${local.map((x) => x.toFixed(4)).join(", ")})`,
  );
  console.log(
    "| server | CPU a text, ms (median) | user + system | rounds | overhead vs in-process | req/s (median) | non-2xx/errors |",
  );
  console.log("| --- | ---: | ---: | --- | ---: | ---: | ---: |");
  for (const s of servers) {
    const g = got.get(s.key)!;
    const cpu = median(g.cpu);
    console.log(
      `| ${s.label} | ${cpu.toFixed(4)} | ${median(g.user).toFixed(4)} + ${median(g.system).toFixed(4)} | ${g.cpu.map((x) => x.toFixed(4)).join(", ")} | ${(100 * (1 - inproc / cpu)).toFixed(0)}% | ${Math.round(median(g.rps))} | ${g.bad} |`,
    );
  }
}
await Promise.all(
  servers.map(
    (s) =>
      new Promise((r) => {
        s.child.once("exit", r);
        s.child.kill("SIGTERM");
      }),
  ),
);
