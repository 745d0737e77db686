// LLM safety proxy benchmark: added latency (p50/p99) for a 2 KB prompt against calling the fake
// upstream directly in the same run; added time to first streamed token; throughput at 50
// concurrent clients (autocannon); leak rate per class over the PHI corpora of ../shared
// (presidio-synth, PhysioNet deid) sent as prompts, against the scanner's own miss rate.
// Proxy, fake upstream and load generator share this process and this machine's cores.
import { mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { openLedger } from "../src/audit/index.js";
import { ProxyConfig } from "../src/config/schema.js";
import { scanText } from "../src/phi/index.js";
import { buildApp } from "../src/server/app.js";
import { createToken, FileTokenStore } from "../src/server/tokens.js";
import { existsSync } from "node:fs";
import { loadPhysionet, loadPresidio, PHYSIONET_MAP, PRESIDIO_MAP, SHARED, type Doc } from "./lib/phi-corpora.js";
import { writeBenchSection } from "./lib/report.js";

const N = Number(process.env.PROXY_BENCH_N ?? 400);
const SECONDS = Number(process.env.PROXY_BENCH_SECONDS ?? 8);
const LEAK_DOCS = Number(process.env.PROXY_BENCH_LEAK_DOCS ?? Infinity);
const load0 = loadavg()[0]!;

// ---- the fake upstream: answers at once, or streams 40 chunks (paced: 10 ms apart)
const REPLY_WORDS =
  "The patient was reviewed and the plan is unchanged; continue the current medication and review in two weeks with the usual labs and a follow-up call. "
    .repeat(2)
    .split(/(?<= )/);
let received: string[] = [];
let record = false;
const upstream: Server = createServer((req, res) => {
  const parts: Buffer[] = [];
  req.on("data", (c: Buffer) => parts.push(c));
  req.on("end", () => {
    const raw = Buffer.concat(parts).toString("utf8");
    const body = JSON.parse(raw) as { model: string; stream?: boolean };
    if (record) received.push(raw);
    if (body.stream !== true) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          id: "c",
          object: "chat.completion",
          created: 0,
          model: body.model,
          choices: [
            { index: 0, message: { role: "assistant", content: "The plan is unchanged." }, finish_reason: "stop" },
          ],
          usage: { prompt_tokens: 500, completion_tokens: 5, total_tokens: 505 },
        }),
      );
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream" });
    const paced = body.model === "paced";
    const chunk = (delta: unknown, finish: string | null) =>
      `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 0, model: body.model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    let i = 0;
    const next = () => {
      if (i < REPLY_WORDS.length) {
        res.write(chunk({ content: REPLY_WORDS[i++] }, null));
        if (paced) setTimeout(next, 10);
        else setImmediate(next);
        return;
      }
      res.write(chunk({}, "stop"));
      res.end("data: [DONE]\n\n");
    };
    next();
  });
});
await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
const upstreamURL = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`;

const dir = mkdtempSync(join(tmpdir(), "gh-proxy-bench-"));
const ledger = await openLedger(join(dir, "ledger"));
const tokens = new FileTokenStore(join(dir, "tokens.json"));
const { token } = await createToken(tokens, { name: "bench", scopes: ["llm"] });
const config = ProxyConfig.parse({
  upstreams: [{ name: "fake", type: "openai-compatible", baseURL: upstreamURL, models: ["fast", "paced"] }],
});
const app = await buildApp({
  ledger,
  tokens,
  digestKey: "bench",
  logStream: false,
  bodyLimit: 4 * 1024 * 1024,
  proxy: { config, defaultClassification: "business", keys: {}, sandbox: false },
});
const proxyURL = `${await app.listen({ host: "127.0.0.1", port: 0 })}/v1`;
const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };

const NOTE = (
  "Patient Maria Gonzalez (MRN 4481923, DOB 03/14/1962) was seen on 2024-02-11 at Mercy General for chest pain radiating to the left arm. " +
  "History of hypertension and type 2 diabetes. Phone 415-373-0132. Plan: troponin series, ECG, aspirin 325 mg, follow up with Dr. Alan Cho in two weeks. "
)
  .repeat(8)
  .slice(0, 2048);
/**
 * The note with the n-th call's own MRN and phone number (same length): every call is a new prompt, as
 * in use, so the proxy's prompt scan cache (src/proxy/scan-cache.ts, for text resent across calls) never
 * answers for the note and every timing below includes its scan.
 */
let calls = 0;
const noteFor = (n: number) =>
  NOTE.replaceAll("4481923", String(4481923 + n).padStart(7, "0")).replaceAll(
    "0132",
    String(1000 + (n % 9000)).padStart(4, "0"),
  );
const chat = (model: string, stream: boolean) =>
  JSON.stringify({
    model,
    stream,
    messages: [
      { role: "system", content: "Summarise the note." },
      { role: "user", content: noteFor(++calls) },
    ],
  });

const pct = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const ms = (x: number) => x.toFixed(2);

async function timeCall(base: string, body: string): Promise<number> {
  const t = performance.now();
  const r = await fetch(`${base}/chat/completions`, { method: "POST", headers, body });
  await r.arrayBuffer();
  if (!r.ok) throw new Error(`HTTP ${r.status}`);
  return performance.now() - t;
}

/** Time to the first non-empty content delta, and to the end of the stream. */
async function timeStream(base: string, body: string): Promise<{ ttft: number; total: number }> {
  const t = performance.now();
  const r = await fetch(`${base}/chat/completions`, { method: "POST", headers, body });
  const reader = r.body!.getReader();
  const dec = new TextDecoder();
  let buf = "";
  let ttft = -1;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buf += dec.decode(value, { stream: true });
    if (ttft < 0 && /"content":"[^"]/.test(buf)) ttft = performance.now() - t;
  }
  return { ttft, total: performance.now() - t };
}

// ---- 1. added latency, alternating direct and proxied calls
for (let i = 0; i < 30; i++) {
  const body = chat("fast", false);
  await timeCall(upstreamURL, body);
  await timeCall(proxyURL, body);
}
const direct: number[] = [];
const proxied: number[] = [];
// CPU time of this process (all threads) per call: steadier than wall time on a shared machine
let cpuDirect = 0;
let cpuProxied = 0;
const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
for (let i = 0; i < N; i++) {
  const body = chat("fast", false);
  let c = cpuNow();
  direct.push(await timeCall(upstreamURL, body));
  cpuDirect += cpuNow() - c;
  c = cpuNow();
  proxied.push(await timeCall(proxyURL, body));
  cpuProxied += cpuNow() - c;
}
const added = (q: number) => pct(proxied, q) - pct(direct, q);
console.error(
  `latency direct p50 ${ms(pct(direct, 0.5))} p99 ${ms(pct(direct, 0.99))}; proxy p50 ${ms(pct(proxied, 0.5))} p99 ${ms(pct(proxied, 0.99))}`,
);

// where the added time goes: the scanner on the same prompt, and one durable ledger append, alone
for (let i = 0; i < 20; i++) scanText(NOTE, { profile: "prose" });
const scanMs: number[] = [];
for (let i = 0; i < 100; i++) {
  const t0 = performance.now();
  scanText(NOTE, { profile: "prose" });
  scanMs.push(performance.now() - t0);
}
const side = await openLedger(join(dir, "side-ledger"));
const appendMs: number[] = [];
for (let i = 0; i < 50; i++) {
  const t0 = performance.now();
  await side.append({
    type: "llm.proxy",
    actor: "token:bench#0",
    subject: "POST /v1/chat/completions",
    payload: { decision: "ok", prompt: { sha256: "ab".repeat(32) }, i },
  });
  appendMs.push(performance.now() - t0);
}
await side.close();

// ---- 2. time to first token
type Times = { direct: number[]; proxied: number[]; totalD: number[]; totalP: number[] };
const ttft: Record<string, Times> = {};
for (const model of ["fast", "paced"]) {
  const x: Times = { direct: [], proxied: [], totalD: [], totalP: [] };
  ttft[model] = x;
  const reps = model === "paced" ? 20 : 100;
  for (let i = 0; i < reps; i++) {
    const b = chat(model, true);
    const d = await timeStream(upstreamURL, b);
    const p = await timeStream(proxyURL, b);
    x.direct.push(d.ttft);
    x.proxied.push(p.ttft);
    x.totalD.push(d.total);
    x.totalP.push(p.total);
  }
  console.error(`ttft ${model}: direct ${ms(pct(x.direct, 0.5))} proxy ${ms(pct(x.proxied, 0.5))}`);
}

// ---- 3. throughput at 50 concurrent clients
async function cannon(base: string) {
  const r = await autocannon({
    url: `${base}/chat/completions`,
    method: "POST",
    headers,
    // a new note for every request (see noteFor)
    requests: [{ setupRequest: (r) => ({ ...r, body: chat("fast", false) }) }],
    connections: 50,
    duration: SECONDS,
  });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, bad: r.non2xx + r.errors + r.timeouts };
}
const tDirect = await cannon(upstreamURL);
const ledgerBefore = await ledger.size();
const tProxy = await cannon(proxyURL);
await new Promise((r) => setTimeout(r, 500));
const ledgerAfter = await ledger.size();
console.error(`throughput direct ${tDirect.rps.toFixed(0)} rps, proxy ${tProxy.rps.toFixed(0)} rps`);

// ---- 4. leak rate over the corpora
interface ClassStat {
  gold: number;
  leaked: number;
  partly: number;
  scannerMissed: number;
}
/**
 * Which characters of `orig` were masked in `sent` (orig with spans replaced by `[CAT_n]`
 * placeholders): walk both; at a placeholder, the masked span runs to where the text after it
 * resumes in `orig`.
 */
function maskedChars(orig: string, sent: string): Uint8Array {
  const masked = new Uint8Array(orig.length);
  let i = 0;
  let j = 0;
  const PH = /^(?:\[[A-Z][A-Z0-9_]*_\d+\])+/;
  while (i < orig.length && j < sent.length) {
    const m = sent[j] === "[" ? PH.exec(sent.slice(j)) : null;
    if (!m || orig.startsWith(m[0], i)) {
      i++;
      j++;
      continue;
    }
    j += m[0].length;
    const rest = sent.slice(j);
    const anchor = rest.slice(
      0,
      Math.max(
        0,
        Math.min(16, rest.search(/\[[A-Z][A-Z0-9_]*_\d+\]/) < 0 ? rest.length : rest.search(/\[[A-Z][A-Z0-9_]*_\d+\]/)),
      ),
    );
    let k = anchor ? orig.indexOf(anchor, i + 1) : orig.length;
    if (k < 0) k = orig.length;
    masked.fill(1, i, k);
    i = k;
  }
  return masked;
}

const leakTotals: string[] = [];
async function leakRun(name: string, docs: Doc[], map: Record<string, string | undefined>) {
  const stats = new Map<string, ClassStat>();
  let refused = 0;
  let mismatched = 0;
  for (const d of docs) {
    received = [];
    record = true;
    const r = await fetch(`${proxyURL}/chat/completions`, {
      method: "POST",
      headers,
      body: JSON.stringify({ model: "fast", messages: [{ role: "user", content: d.text }] }),
    });
    await r.arrayBuffer();
    record = false;
    let mask: Uint8Array;
    if (r.status === 403) {
      refused++;
      mask = new Uint8Array(d.text.length).fill(1); // nothing reached the upstream
    } else {
      const sent = (JSON.parse(received[0]!) as { messages: { content: string }[] }).messages[0]!.content;
      mask = maskedChars(d.text, sent);
      // check the alignment: unmasked characters rebuild the non-placeholder text exactly
      const kept = [...d.text].filter((_, i) => !mask[i]).join("");
      if (kept !== sent.replace(/\[[A-Z][A-Z0-9_]*_\d+\]/g, "")) mismatched++;
    }
    const findings = scanText(d.text, { profile: "prose" }).filter((f) => !f.synthetic);
    for (const g of d.gold) {
      const cls = map[g.type];
      if (!cls) continue;
      const s = stats.get(cls) ?? { gold: 0, leaked: 0, partly: 0, scannerMissed: 0 };
      stats.set(cls, s);
      s.gold++;
      let m = 0;
      let n = 0;
      for (let i = g.start; i < g.end; i++) {
        if (!/\S/.test(d.text[i]!)) continue;
        n++;
        m += mask[i]!;
      }
      if (n > 0 && m === 0) s.leaked++;
      if (m < n) s.partly++;
      if (!findings.some((f) => f.start < g.end && f.end > g.start)) s.scannerMissed++;
    }
  }
  const total = [...stats.values()].reduce(
    (a, s) => ({
      gold: a.gold + s.gold,
      leaked: a.leaked + s.leaked,
      partly: a.partly + s.partly,
      scannerMissed: a.scannerMissed + s.scannerMissed,
    }),
    { gold: 0, leaked: 0, partly: 0, scannerMissed: 0 },
  );
  const p = (a: number, b: number) => (b ? ((100 * a) / b).toFixed(1) : "-");
  let md = `#### ${name} (${docs.length.toLocaleString("en-US")} prompts; ${refused} refused outright, e.g. a secret; ${mismatched} alignment mismatches)\n\n| class | gold identifiers | reached upstream whole | some part reached upstream | scanner miss rate (no finding overlaps it) |\n| --- | --- | --- | --- | --- |\n`;
  for (const [cls, s] of [...stats].sort((a, b) => b[1].gold - a[1].gold))
    md += `| ${cls} | ${s.gold} | ${p(s.leaked, s.gold)}% | ${p(s.partly, s.gold)}% | ${p(s.scannerMissed, s.gold)}% |\n`;
  md += `| **all** | ${total.gold} | **${p(total.leaked, total.gold)}%** | ${p(total.partly, total.gold)}% | **${p(total.scannerMissed, total.gold)}%** |\n`;
  console.error(
    `${name}: leaked ${p(total.leaked, total.gold)}% vs scanner miss ${p(total.scannerMissed, total.gold)}%`,
  );
  leakTotals.push(
    `leak ${p(total.leaked, total.gold)}% vs miss ${p(total.scannerMissed, total.gold)}%: **${total.leaked === total.scannerMissed ? "equal" : total.leaked < total.scannerMissed ? "lower" : `higher by ${total.leaked - total.scannerMissed} identifier(s)`}**`,
  );
  return md;
}
// Without the shared corpora the leak rate is left out, visibly (the timings need no data).
const corpora = existsSync(join(SHARED, "testdata", "phi"));
if (!corpora)
  console.error(
    `skip leak rate: the PHI corpora are not at ${join(SHARED, "testdata", "phi")} (put ../shared next to the repository or set GITOPS_HEALTH_SHARED)`,
  );
const leakMd = corpora
  ? (await leakRun("presidio-synth", loadPresidio().slice(0, LEAK_DOCS), PRESIDIO_MAP)) +
    "\n" +
    (await leakRun("PhysioNet deid", loadPhysionet().slice(0, LEAK_DOCS), PHYSIONET_MAP))
  : "_Not measured in this run: the PHI corpora of ../shared were not found._\n";

await app.close();
await ledger.close();
upstream.close();
const load1 = loadavg()[0]!;

const t = ttft.fast!;
const tp = ttft.paced!;
const ok = (x: number, target: number) => (x < target ? "met" : "not met");
const md = `Proxy (\`buildApp\` with the proxy routes, directory ledger with one \`llm.proxy\` entry per call, classification business), a fake OpenAI-compatible upstream and the client (fetch) in one Node process on 127.0.0.1. ${Math.max(load0, load1) > cpus().length ? "**Shared, loaded machine:** " : ""}1-minute load average ${load0.toFixed(1)} at the start and ${load1.toFixed(1)} at the end on ${cpus().length} cores${Math.max(load0, load1) > cpus().length ? " (other jobs running, so absolute times are inflated)" : ""}; direct and proxied calls alternate, so both see the same load.

**Added latency**, 2 KB clinical note as the user message, a new one for every call (its MRN and phone number change, so the proxy's prompt scan cache never answers for it; ${N} calls each, alternating): direct p50 ${ms(pct(direct, 0.5))} ms, p99 ${ms(pct(direct, 0.99))} ms; through the proxy p50 ${ms(pct(proxied, 0.5))} ms, p99 ${ms(pct(proxied, 0.99))} ms. Added: **p50 ${ms(added(0.5))} ms** (target < 3: ${ok(added(0.5), 3)}), **p99 ${ms(added(0.99))} ms** (target < 10: ${ok(added(0.99), 10)}). The proxy's work per call: scan and redact the prompt, forward, scan the answer, append the ledger entry before answering (group commit; entries.log and leaves.bin made durable together, two fdatasyncs at once on the thread pool). Measured alone in the same run: the scanner on this 2 KB prompt p50 ${ms(pct(scanMs, 0.5))} ms (p99 ${ms(pct(scanMs, 0.99))}), one durable ledger append p50 ${ms(pct(appendMs, 0.5))} ms (p99 ${ms(pct(appendMs, 0.99))}); CPU time of this process per call (client, proxy and upstream together, all threads): direct ${ms(cpuDirect / N)} ms, through the proxy ${ms(cpuProxied / N)} ms, so the proxy costs ${ms((cpuProxied - cpuDirect) / N)} ms of CPU per call (fsync waits included where they block the thread); the rest of the added wall time is waiting for a core on this loaded machine. So the proxy's added latency is bounded below by the scanner's time on the prompt plus the two data syncs of the append: the targets need a faster scanner on 2 KB prose or an unloaded machine (the phi-accuracy and scan-perf sections give its speed), and the audit entry is written before the answer on purpose (a call is never answered unrecorded).

**Time to first streamed token** (first non-empty content delta; ${t.direct.length} streams of ${REPLY_WORDS.length} chunks): upstream sending all chunks at once: direct ${ms(pct(t.direct, 0.5))} ms, proxy ${ms(pct(t.proxied, 0.5))} ms, added **${ms(pct(t.proxied, 0.5) - pct(t.direct, 0.5))} ms** (target < 5: ${ok(pct(t.proxied, 0.5) - pct(t.direct, 0.5), 5)}). Upstream pacing chunks 10 ms apart (${tp.direct.length} streams): direct ${ms(pct(tp.direct, 0.5))} ms, proxy ${ms(pct(tp.proxied, 0.5))} ms, added ${ms(pct(tp.proxied, 0.5) - pct(tp.direct, 0.5))} ms: this is the sliding window, by design: no text leaves before it was scanned with \`proxy.streamHoldChars\` (${config.streamHoldChars}) characters of right context, so the first words wait for the ~${config.streamHoldChars} characters after them; whole-stream time direct ${ms(pct(tp.totalD, 0.5))} ms vs proxy ${ms(pct(tp.totalP, 0.5))} ms.

**Throughput at 50 concurrent clients** (autocannon, ${SECONDS} s, the 2 KB note, a new one for every request): direct to the fake upstream ${tDirect.rps.toFixed(0)} requests/s (p50 ${tDirect.p50} ms, p99 ${tDirect.p99} ms); through the proxy **${tProxy.rps.toFixed(0)} requests/s** (p50 ${tProxy.p50} ms, p99 ${tProxy.p99} ms), ${tProxy.bad} errors; ${ledgerAfter - ledgerBefore} ledger entries written during the run. The proxy's CPU cost per call measured above (${ms((cpuProxied - cpuDirect) / N)} ms, of which the scanner ${ms(pct(scanMs, 0.5))} ms, the rest the extra HTTP hop, the answer's scan and the ledger append, whose syncs group commit shares between concurrent calls) caps one core at about ${Math.round(1000 / Math.max(0.001, (cpuProxied - cpuDirect) / N))} calls/s; on this shared machine the process got a fraction of a core.

**Leak rate**: every document of the corpora sent as a prompt (business: every non-synthetic finding masked, secrets refuse the call); the fake upstream records what it received, and each gold identifier is checked against the characters that reached it (placeholders aligned back to the original text). "Reached upstream whole" is the issue's leak rate (no character of it masked) and compares with the scanner's miss rate (no finding overlaps it, all severities but known synthetic values); "some part" also counts identifiers only partly masked (e.g. a first name found, the surname not).

${leakMd}
Target (issue 18): leak rate equal to the scanner's miss rate. This run: presidio-synth ${leakTotals[0] ?? "not measured"}, PhysioNet ${leakTotals[1] ?? "not measured"}. The proxy masks exactly the spans the scanner finds (known synthetic values such as 555 numbers and example.org addresses pass, and count as misses in both columns), so what leaks is what the scanner misses: bare dates and ages ≤ 89 in presidio-synth (Safe Harbor allows ages ≤ 89; the engine flags dates in clinical forms), names and places without cues (see the phi-accuracy section). "Some part" is higher than "whole" mostly for addresses, where the scanner finds the street but not the whole span.
`;
writeBenchSection("proxy", "npm run bench -- proxy", md);
console.error(md);
