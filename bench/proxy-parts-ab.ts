// Same-run A/B of the proxy's own per-call steps (issue 18) against a base checkout: the ledger entry's
// build (`proxyLedgerEntry`), the SHA-256 digests of prompt and completion, and the upstream client's
// round trip (`upstreamClient().fetch` + `text()` against a local server answering the fake upstream's
// JSON). CPU time of the process per operation, blocks alternating base and new in rotating order,
// median block. These steps are microseconds against a proxied call's milliseconds: the end-to-end A/B
// is bench/proxy-latency.ts (PROXY_LAT_BASE_APP).
//   PROXY_PARTS_BASE=<checkout of the base commit> npx tsx bench/proxy-parts-ab.ts [rounds]
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { loadavg } from "node:os";
import { join } from "node:path";
import * as fresh from "../src/proxy/audit.js";
import * as freshUp from "../src/server/upstream.js";

const BASE = process.env.PROXY_PARTS_BASE;
if (!BASE) throw new Error("set PROXY_PARTS_BASE to a checkout of the base commit");
const base = (await import(join(BASE, "src/proxy/audit.ts"))) as typeof fresh;
const baseUp = (await import(join(BASE, "src/server/upstream.ts"))) as typeof freshUp;
const ROUNDS = Number(process.argv[2] ?? 15);

const ANSWER = JSON.stringify({
  id: "c",
  object: "chat.completion",
  created: 0,
  model: "fast",
  choices: [{ index: 0, message: { role: "assistant", content: "The plan is unchanged." }, finish_reason: "stop" }],
  usage: { prompt_tokens: 500, completion_tokens: 5, total_tokens: 505 },
});
const server = createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(ANSWER);
  });
});
await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/chat/completions`;

const rec: fresh.ProxyCallRecord = {
  caller: "token:bench#0a1b2c",
  route: "POST /v1/chat/completions",
  classification: "business",
  mode: "live",
  upstream: "fake",
  model: { requested: "fast", resolved: "fast", reported: "fast" },
  stream: false,
  decision: "ok",
  status: 200,
  latencyMs: 3,
  prompt: {
    sha256: "ab".repeat(32),
    findings: { name: 20, phone: 8, date: 16, id: 8 },
    masked: { name: 20, phone: 8, date: 16, id: 8 },
    allowed: {},
    blocked: {},
  },
  usage: { inputTokens: 500, outputTokens: 5, totalTokens: undefined },
  completion: { sha256: "cd".repeat(32), findings: {} },
  restored: false,
};
const NOTE = JSON.stringify({ model: "fast", messages: [{ role: "user", content: "Patient note. ".repeat(150) }] });

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
type Impl = { audit: typeof fresh; up: ReturnType<typeof freshUp.upstreamClient> };
const impls: Record<"base" | "new", Impl> = {
  base: { audit: base, up: baseUp.upstreamClient() },
  new: { audit: fresh, up: freshUp.upstreamClient() },
};
let sink = 0;
// the entry and both digests of one call; then one upstream round trip
const steps = {
  entry: async (i: Impl) => {
    for (let k = 0; k < 2000; k++) i.audit.proxyLedgerEntry(rec);
    return 2000;
  },
  digests: async (i: Impl) => {
    for (let k = 0; k < 2000; k++)
      sink += i.audit.sha256(NOTE).length + i.audit.sha256("The plan is unchanged.").length;
    return 2000;
  },
  upstream: async (i: Impl) => {
    for (let k = 0; k < 200; k++) {
      const r = await i.up.fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: NOTE,
        timeoutMs: 5000,
      });
      JSON.parse(await r.text());
    }
    return 200;
  },
};
// the new entry equals the base's (same payload, undefined members left out as JSON did)
if (JSON.stringify(fresh.proxyLedgerEntry(rec)) !== JSON.stringify(base.proxyLedgerEntry(rec)))
  throw new Error("entries differ");
const out: Record<string, { base: number[]; new: number[] }> = {};
for (const [name, step] of Object.entries(steps)) {
  const r = (out[name] = { base: [] as number[], new: [] as number[] });
  for (const n of ["base", "new"] as const) await step(impls[n]); // warm-up
  for (let round = 0; round < ROUNDS; round++)
    for (const n of round % 2 ? (["new", "base"] as const) : (["base", "new"] as const)) {
      const c = cpu();
      const ops = await step(impls[n]);
      r[n].push(((cpu() - c) * 1000) / ops);
    }
}
for (const i of Object.values(impls)) i.up.close();
server.close();
console.log(
  JSON.stringify({
    load: +loadavg()[0]!.toFixed(2),
    rounds: ROUNDS,
    sink: sink > 0,
    usPerOp: Object.fromEntries(
      Object.entries(out).map(([k, v]) => [k, { base: +median(v.base).toFixed(2), new: +median(v.new).toFixed(2) }]),
    ),
  }),
);
