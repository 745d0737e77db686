// Throughput of the LLM safety proxy at 50 concurrent clients (issue 18), this checkout against another in the same
// process: autocannon (in this process too) sends the proxy bench's 2 KB note, a new one for every request, to each
// proxy in turn for S seconds, R rounds alternating; each proxy has its own directory ledger. Prints requests/s and
// the process's CPU time per request (client, proxies and fake upstream share the process) per round, and medians.
//   PROXY_TP_BASE=<checkout> npx tsx bench/proxy-throughput.ts [R] [S]
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { openLedger } from "../src/audit/index.js";
import { ProxyConfig } from "../src/config/schema.js";
import { buildApp } from "../src/server/app.js";
import { createToken, FileTokenStore } from "../src/server/tokens.js";
import { startFakeUpstream } from "./lib/fake-upstream.js";

const R = Number(process.argv[2] ?? 3);
const S = Number(process.argv[3] ?? 5);
const load0 = loadavg()[0]!;
const { server: upstream, url: upstreamURL } = await startFakeUpstream();
const dir = mkdtempSync(join(tmpdir(), "gh-proxy-tp-"));
const tokens = new FileTokenStore(join(dir, "tokens.json"));
const { token } = await createToken(tokens, { name: "bench", scopes: ["llm"] });
const config = ProxyConfig.parse({
  upstreams: [{ name: "fake", type: "openai-compatible", baseURL: upstreamURL, models: ["fast"] }],
});
type Build = typeof buildApp;
type Open = typeof openLedger;
const mk = async (build: Build, open: Open, name: string) => {
  const ledger = await open(join(dir, name));
  const app = await build({
    ledger,
    tokens,
    digestKey: "bench",
    logStream: false,
    bodyLimit: 4 * 1024 * 1024,
    proxy: { config, defaultClassification: "business", keys: {}, sandbox: false },
  });
  return { name, ledger, app, url: `${await app.listen({ host: "127.0.0.1", port: 0 })}/v1` };
};
const proxies = [await mk(buildApp, openLedger, "this")];
const BASE = process.env.PROXY_TP_BASE;
if (BASE) {
  const a = (await import(join(BASE, "src/server/app.ts"))) as { buildApp: Build };
  const l = (await import(join(BASE, "src/audit/index.ts"))) as { openLedger: Open };
  proxies.push(await mk(a.buildApp, l.openLedger, "base"));
}
const NOTE =
  "Patient Maria Gonzalez (MRN 4481923, DOB 03/14/1962) was seen on 2024-02-11 at Mercy General for chest pain radiating to the left arm. " +
  "History of hypertension and type 2 diabetes. Phone 415-373-0132. Plan: troponin series, ECG, aspirin 325 mg, follow up with Dr. Alan Cho in two weeks. ";
let seq = 0;
const body = () => {
  const i = ++seq;
  const text = NOTE.repeat(8)
    .slice(0, 2048)
    .replaceAll("4481923", String(4481923 + i).padStart(7, "0"))
    .replaceAll("0132", String(1000 + (i % 9000)).padStart(4, "0"));
  return JSON.stringify({
    model: "fast",
    messages: [
      { role: "system", content: "Summarise the note." },
      { role: "user", content: text },
    ],
  });
};
const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const cannon = async (url: string, seconds: number) => {
  const c0 = cpu();
  const r = await autocannon({
    url: `${url}/chat/completions`,
    method: "POST",
    headers,
    requests: [{ setupRequest: (q) => ({ ...q, body: body() }) }],
    connections: 50,
    duration: seconds,
  });
  const n = r.requests.total;
  return {
    rps: r.requests.average,
    cpuMsPerRequest: (cpu() - c0) / Math.max(1, n),
    bad: r.non2xx + r.errors + r.timeouts,
  };
};
const results: Record<string, { rps: number; cpuMsPerRequest: number; bad: number }[]> = {};
for (const p of proxies) await cannon(p.url, 2); // warm-up
for (let i = 0; i < R; i++)
  for (let k = 0; k < proxies.length; k++) {
    const p = proxies[(i + k) % proxies.length]!;
    (results[p.name] ??= []).push(await cannon(p.url, S));
  }
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const f2 = (x: number) => +x.toFixed(2);
console.log(
  JSON.stringify({
    rounds: R,
    seconds: S,
    load: [f2(load0), f2(loadavg()[0]!)],
    ...Object.fromEntries(
      Object.entries(results).map(([k, v]) => [
        k,
        {
          rps: f2(med(v.map((x) => x.rps))),
          cpuMsPerRequest: f2(med(v.map((x) => x.cpuMsPerRequest))),
          bad: v.reduce((a, x) => a + x.bad, 0),
          rounds: v.map((x) => [f2(x.rps), f2(x.cpuMsPerRequest)]),
        },
      ]),
    ),
  }),
);
for (const p of proxies) {
  await p.app.close();
  await p.ledger.close();
}
upstream.close();
rmSync(dir, { recursive: true, force: true });
