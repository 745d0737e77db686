// CPU time per proxied call, by part (issue 18): the proxy bench's 2 KB prompt sent to a fake upstream
// directly and through the proxy, alternating, in one process; CPU time of the process (all threads)
// per call, and the same for the parts measured alone (the scanner on the prompt and on the answer, one
// durable ledger append). CPU time is far less disturbed by other load than wall time.
//   npx tsx bench/proxy-cpu.ts [N]          (PROXY_CPU_PROFILE=1: also write a --cpu-prof-like profile)
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { Session } from "node:inspector/promises";
import { openLedger } from "../src/audit/index.js";
import { ProxyConfig } from "../src/config/schema.js";
import { scanText } from "../src/phi/index.js";
import { buildApp } from "../src/server/app.js";
import { createToken, FileTokenStore } from "../src/server/tokens.js";
import { startFakeUpstream } from "./lib/fake-upstream.js";

const N = Number(process.argv[2] ?? 400);
const { server: upstream, url: upstreamURL } = await startFakeUpstream();
const dir = mkdtempSync(join(tmpdir(), "gh-proxy-cpu-"));
const ledger = await openLedger(join(dir, "ledger"));
const tokens = new FileTokenStore(join(dir, "tokens.json"));
const { token } = await createToken(tokens, { name: "bench", scopes: ["llm"] });
const config = ProxyConfig.parse({
  upstreams: [{ name: "fake", type: "openai-compatible", baseURL: upstreamURL, models: ["fast"] }],
});
// Two proxies in this process, alternating: "fetch" forwards with the global fetch (the upstream call
// as it was before src/server/upstream.ts), "http" with the default node:http client.
const mkApp = (fetchImpl?: typeof fetch) =>
  buildApp({
    ledger,
    tokens,
    digestKey: "bench",
    logStream: false,
    bodyLimit: 4 * 1024 * 1024,
    proxy: {
      config,
      defaultClassification: "business",
      keys: {},
      sandbox: false,
      ...(fetchImpl ? { fetch: fetchImpl } : {}),
    },
  });
const appFetch = await mkApp(globalThis.fetch);
const app = await mkApp();
const proxyFetchURL = `${await appFetch.listen({ host: "127.0.0.1", port: 0 })}/v1`;
const proxyURL = `${await app.listen({ host: "127.0.0.1", port: 0 })}/v1`;
const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
const NOTE = (
  "Patient Maria Gonzalez (MRN 4481923, DOB 03/14/1962) was seen on 2024-02-11 at Mercy General for chest pain radiating to the left arm. " +
  "History of hypertension and type 2 diabetes. Phone 415-373-0132. Plan: troponin series, ECG, aspirin 325 mg, follow up with Dr. Alan Cho in two weeks. "
)
  .repeat(8)
  .slice(0, 2048);
// A new note for every call (its MRN and phone number change): the proxy's prompt scan cache
// (src/proxy/scan-cache.ts) is for text resent across calls and must not answer for the timed prompt.
let calls = 0;
const bodyOf = () => {
  const n = ++calls;
  const note = NOTE.replaceAll("4481923", String(4481923 + n).padStart(7, "0")).replaceAll(
    "0132",
    String(1000 + (n % 9000)).padStart(4, "0"),
  );
  return JSON.stringify({
    model: "fast",
    messages: [
      { role: "system", content: "Summarise the note." },
      { role: "user", content: note },
    ],
  });
};
const call = async (base: string) => {
  const body = bodyOf();
  const r = await fetch(`${base}/chat/completions`, { method: "POST", headers, body });
  await r.arrayBuffer();
  if (!r.ok) throw new Error(`HTTP ${r.status}`);
};
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

for (let i = 0; i < 50; i++) {
  await call(upstreamURL);
  await call(proxyFetchURL);
  await call(proxyURL);
}
const session = process.env.PROXY_CPU_PROFILE ? new Session() : undefined;
if (session) {
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 100 });
  await session.post("Profiler.start");
}
// Per-call CPU in blocks of 20 calls (a call is below the clock's resolution), alternating direct and proxied.
const direct: number[] = [];
const viaFetch: number[] = [];
const proxied: number[] = [];
const block = async (url: string, into: number[]) => {
  const c = cpu();
  for (let k = 0; k < 20; k++) await call(url);
  into.push((cpu() - c) / 20);
};
for (let i = 0; i < N / 20; i++) {
  // rotate the order so no case always follows another
  const order: [string, number[]][] = [
    [upstreamURL, direct],
    [proxyFetchURL, viaFetch],
    [proxyURL, proxied],
  ];
  for (let k = 0; k < 3; k++) await block(...order[(i + k) % 3]!);
}
if (session) {
  const { profile } = await session.post("Profiler.stop");
  writeFileSync(join(process.cwd(), "proxy-cpu.cpuprofile"), JSON.stringify(profile));
  session.disconnect();
}
const scanPrompt: number[] = [];
for (let i = 0; i < N / 20; i++) {
  const c = cpu();
  for (let k = 0; k < 20; k++) scanText(NOTE, { profile: "prose" });
  scanPrompt.push((cpu() - c) / 20);
}
const side = await openLedger(join(dir, "side-ledger"));
const appendCpu: number[] = [];
for (let i = 0; i < 10; i++) {
  const c = cpu();
  for (let k = 0; k < 10; k++)
    await side.append({
      type: "llm.proxy",
      actor: "token:bench#0",
      subject: "POST /v1/chat/completions",
      payload: { decision: "ok", prompt: { sha256: "ab".repeat(32) }, i, k },
    });
  appendCpu.push((cpu() - c) / 10);
}
await side.close();
await app.close();
await appFetch.close();
await ledger.close();
upstream.close();
rmSync(dir, { recursive: true, force: true });
const d = median(direct);
const f = median(viaFetch);
const p = median(proxied);
console.log(
  JSON.stringify({
    calls: N,
    load: loadavg()[0],
    cpuMsPerCall: {
      direct: +d.toFixed(3),
      proxiedFetch: +f.toFixed(3),
      proxied: +p.toFixed(3),
      proxyCostFetch: +(f - d).toFixed(3),
      proxyCost: +(p - d).toFixed(3),
    },
    alone: { scanPrompt: +median(scanPrompt).toFixed(3), ledgerAppend: +median(appendCpu).toFixed(3) },
  }),
);
