// Added latency of the LLM safety proxy (issue 18), by part, in one run: the proxy bench's 2 KB note
// sent one call at a time to the fake upstream directly and through proxies that differ in one part
// each, in blocks of 20 calls in rotating order (so every case sees the same load):
//   direct        the fake upstream, no proxy
//   proxy         the proxy as served (scan, forward, scan the answer, durable ledger entry)
//   no-scan       the same with a scanner that finds nothing (what the prompt and reply scans cost)
//   memory-ledger the same with a ledger that keeps entries in memory (what the durable append costs)
//   no-cache      (only when named in PROXY_LAT_CASES) the proxy without its prompt scan cache
//   proxy-process (only when named in PROXY_LAT_CASES) the proxy over a ledger with `process` durability
//                 (entries written before the answer, their fdatasyncs grouped in the background)
// Then a conversation (PROXY_LAT_CHAT=0 leaves it out): a 1.5 KB system prompt, the previous call's
// note, an assistant answer and this call's note, as chat clients resend the history with every call,
// through the proxy with and without its prompt scan cache (src/proxy/scan-cache.ts), and directly.
// PROXY_LAT_BASE=<checkout of an earlier commit> adds a case "proxy, base store": the same proxy over that
// checkout's src/audit/dir-store.ts (same process, same rotation: an A/B of the directory ledger).
// PROXY_LAT_BASE_APP=<checkout> adds "base proxy": that checkout's whole proxy (its buildApp, ledger and scanner)
// in this process, same rotation (an A/B of everything the proxy does), and "base proxy, memory ledger" the same
// over a memory ledger (an A/B of the proxy's own work, the append left out).
// Every call sends a different note (its MRN and phone number change), so nothing can be answered from
// a cache of earlier scans; PROXY_LAT_SAME=1 sends the same note every time (the proxy bench's loop).
// Prints wall p50/p99 per case and the added p50/p99 over direct, the added median paired by rotation round
// (steadier when the machine's load drifts), and CPU time of the process per call (median block).
//   npx tsx bench/proxy-latency.ts [N]
// first: it patches node:fs before the ledger modules load
import { syncCounts } from "./lib/count-syncs.js";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { AuditLedger, openLedger } from "../src/audit/index.js";
import type { LedgerStore } from "../src/audit/store.js";
import { hashLeaf } from "../src/audit/merkle.js";
import { ProxyConfig } from "../src/config/schema.js";
import { buildApp } from "../src/server/app.js";
import { createToken, FileTokenStore } from "../src/server/tokens.js";
import { startFakeUpstream } from "./lib/fake-upstream.js";

const N = Number(process.argv[2] ?? 400);
const SAME = process.env.PROXY_LAT_SAME === "1";
const load0 = loadavg()[0]!;
const { server: upstream, url: upstreamURL } = await startFakeUpstream();
const dir = mkdtempSync(join(tmpdir(), "gh-proxy-lat-"));
const tokens = new FileTokenStore(join(dir, "tokens.json"));
const { token } = await createToken(tokens, { name: "bench", scopes: ["llm"] });
const config = ProxyConfig.parse({
  upstreams: [{ name: "fake", type: "openai-compatible", baseURL: upstreamURL, models: ["fast"] }],
});

/** A ledger store that keeps entries in memory: no lock file, no write, no fsync. */
function memoryStore(): LedgerStore {
  const leaves: Buffer[] = [];
  return {
    location: "memory",
    warnings: [],
    async append(build) {
      const datas = build(leaves.length);
      return datas.map((d) => {
        const leafHash = hashLeaf(d);
        leaves.push(leafHash);
        return { seq: leaves.length - 1, leafHash };
      });
    },
    async size() {
      return leaves.length;
    },
    async leaves() {
      return { size: leaves.length, leaf: (i: number) => leaves[i]! };
    },
    async *records() {},
    async saveCheckpoint() {},
    async checkpoints() {
      return [];
    },
    async close() {},
  };
}

const mkApp = async (
  ledger: AuditLedger,
  scanner?: (t: string) => [],
  scanCache?: number,
  build: typeof buildApp = buildApp,
) => {
  const app = await build({
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
      ...(scanner ? { scanner } : {}),
      ...(scanCache !== undefined ? { scanCache } : {}),
    },
  });
  return { app, url: `${await app.listen({ host: "127.0.0.1", port: 0 })}/v1` };
};
const ledger = await openLedger(join(dir, "ledger"));
const ledger2 = await openLedger(join(dir, "ledger2"));
const full = await mkApp(ledger);
const noScan = await mkApp(ledger2, () => []);
const mem = await mkApp(new AuditLedger(memoryStore()));
const ledger3 = await openLedger(join(dir, "ledger3"));
const noCache = await mkApp(ledger3, undefined, 0);
const wantProcess = process.env.PROXY_LAT_CASES?.split("|").includes("proxy-process");
const ledger5 = wantProcess ? await openLedger(join(dir, "ledger5"), { durability: "process" }) : undefined;
const processApp = ledger5 ? await mkApp(ledger5) : undefined;
const BASE_TREE = process.env.PROXY_LAT_BASE;
const baseStore = BASE_TREE
  ? (
      (await import(join(BASE_TREE, "src/audit/dir-store.ts"))) as {
        DirStore: { open(l: string): Promise<LedgerStore> };
      }
    ).DirStore
  : undefined;
const ledger4 = baseStore ? new AuditLedger(await baseStore.open(join(dir, "ledger4"))) : undefined;
const withBase = ledger4 ? await mkApp(ledger4) : undefined;
const BASE_APP = process.env.PROXY_LAT_BASE_APP;
const baseMods = BASE_APP
  ? {
      app: (await import(join(BASE_APP, "src/server/app.ts"))) as { buildApp: typeof buildApp },
      audit: (await import(join(BASE_APP, "src/audit/index.ts"))) as { openLedger: typeof openLedger },
    }
  : undefined;
const ledger6 = baseMods ? await baseMods.audit.openLedger(join(dir, "ledger6")) : undefined;
const baseApp = baseMods ? await mkApp(ledger6!, undefined, undefined, baseMods.app.buildApp) : undefined;
const baseMem = baseMods
  ? await mkApp(new AuditLedger(memoryStore()), undefined, undefined, baseMods.app.buildApp)
  : undefined;
const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
const BASE =
  "Patient Maria Gonzalez (MRN 4481923, DOB 03/14/1962) was seen on 2024-02-11 at Mercy General for chest pain radiating to the left arm. " +
  "History of hypertension and type 2 diabetes. Phone 415-373-0132. Plan: troponin series, ECG, aspirin 325 mg, follow up with Dr. Alan Cho in two weeks. ";
let seq = 0;
/** The 2 KB note; unless PROXY_LAT_SAME, with this call's own MRN and phone number (same length). */
const note = () => {
  const i = SAME ? 0 : ++seq;
  const text = BASE.repeat(8).slice(0, 2048);
  if (SAME) return text;
  return text
    .replaceAll("4481923", String(4481923 + i).padStart(7, "0"))
    .replaceAll("0132", String(1000 + (i % 9000)).padStart(4, "0"));
};
const bodyOf = () =>
  JSON.stringify({
    model: "fast",
    messages: [
      { role: "system", content: "Summarise the note." },
      { role: "user", content: note() },
    ],
  });
const SYSTEM = (
  "You are a clinical documentation assistant. Summarise the note for the care team in plain language: " +
  "the reason for the visit, the findings, the plan and the follow-up. Keep medication names and doses " +
  "exactly as written, list open questions separately, and do not add facts that are not in the note. "
)
  .repeat(6)
  .slice(0, 1536);
let previous = note();
const chatBodyOf = () => {
  const now = note();
  const body = JSON.stringify({
    model: "fast",
    messages: [
      { role: "system", content: SYSTEM },
      { role: "user", content: previous },
      { role: "assistant", content: "The plan is unchanged." },
      { role: "user", content: now },
    ],
  });
  previous = now;
  return body;
};
const call = async (base: string, make: () => string = bodyOf) => {
  const body = make();
  const t = performance.now();
  const r = await fetch(`${base}/chat/completions`, { method: "POST", headers, body });
  await r.arrayBuffer();
  if (!r.ok) throw new Error(`HTTP ${r.status}`);
  return performance.now() - t;
};
const syncs = syncCounts;
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const pct = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const median = (xs: number[]) => pct(xs, 0.5);

type Case = {
  name: string;
  url: string;
  wall: number[];
  cpu: number[];
  blocks: number[];
  syncs?: { fdatasync: number; fsync: number; slow: number };
};
const run = async (cases: Case[], make?: () => string) => {
  for (let i = 0; i < 40; i++) for (const c of cases) await call(c.url, make);
  for (let b = 0; b < N / 20; b++)
    for (let k = 0; k < cases.length; k++) {
      const c = cases[(b + k) % cases.length]!;
      const c0 = cpu();
      const s0 = { ...syncs };
      const w: number[] = [];
      for (let j = 0; j < 20; j++) w.push(await call(c.url, make));
      c.cpu.push((cpu() - c0) / 20);
      c.syncs ??= { fdatasync: 0, fsync: 0, slow: 0 };
      for (const k of ["fdatasync", "fsync", "slow"] as const) c.syncs[k] += syncs[k] - s0[k];
      c.wall.push(...w);
      c.blocks.push(median(w));
    }
};
const cases: Case[] = [
  { name: "direct", url: upstreamURL, wall: [], cpu: [], blocks: [] },
  { name: "proxy", url: full.url, wall: [], cpu: [], blocks: [] },
  { name: "no-scan", url: noScan.url, wall: [], cpu: [], blocks: [] },
  { name: "memory-ledger", url: mem.url, wall: [], cpu: [], blocks: [] },
  // only when named in PROXY_LAT_CASES: the proxy without its prompt scan cache (every note is new here)
  ...(process.env.PROXY_LAT_CASES?.split("|").includes("no-cache")
    ? [{ name: "no-cache", url: noCache.url, wall: [], cpu: [], blocks: [] }]
    : []),
  ...(processApp ? [{ name: "proxy-process", url: processApp.url, wall: [], cpu: [], blocks: [] }] : []),
  ...(baseApp ? [{ name: "base proxy", url: baseApp.url, wall: [], cpu: [], blocks: [] }] : []),
  ...(baseMem ? [{ name: "base proxy, memory-ledger", url: baseMem.url, wall: [], cpu: [], blocks: [] }] : []),
  ...(withBase ? [{ name: "proxy, base store", url: withBase.url, wall: [], cpu: [], blocks: [] }] : []),
];
// PROXY_LAT_CASES=name|name: only these cases (and direct), e.g. "proxy|base proxy"
const only = process.env.PROXY_LAT_CASES?.split("|");
if (only) cases.splice(0, cases.length, ...cases.filter((c, i) => i === 0 || only.includes(c.name)));
await run(cases);
const chatCases: Case[] =
  process.env.PROXY_LAT_CHAT === "0"
    ? []
    : [
        { name: "chat: direct", url: upstreamURL, wall: [], cpu: [], blocks: [] },
        { name: "chat: proxy", url: full.url, wall: [], cpu: [], blocks: [] },
        { name: "chat: proxy without scan cache", url: noCache.url, wall: [], cpu: [], blocks: [] },
      ];
if (chatCases.length) await run(chatCases, chatBodyOf);
for (const a of [full, noScan, mem, noCache, ...(withBase ? [withBase] : [])]) await a.app.close();
await processApp?.app.close();
await ledger5?.close();
await baseApp?.app.close();
await baseMem?.app.close();
await ledger6?.close();
await ledger4?.close();
await ledger.close();
await ledger2.close();
await ledger3.close();
upstream.close();
rmSync(dir, { recursive: true, force: true });
const f2 = (x: number) => +x.toFixed(2);
const report = (cs: Case[]) => {
  const d = cs[0]!;
  return Object.fromEntries(
    cs.map((c) => [
      c.name,
      {
        p50: f2(pct(c.wall, 0.5)),
        p99: f2(pct(c.wall, 0.99)),
        addedP50: f2(pct(c.wall, 0.5) - pct(d.wall, 0.5)),
        addedP99: f2(pct(c.wall, 0.99) - pct(d.wall, 0.99)),
        // median over rotation rounds of (this case's block median - direct's block median in the same round)
        pairedAddedP50: f2(median(c.blocks.map((x, i) => x - d.blocks[i]!))),
        cpuMs: f2(median(c.cpu)),
        // per 1,000 calls: data syncs, directory syncs, syncs of 2 ms or more (deferred syncs may land in the next block)
        syncsPer1k: c.syncs
          ? [c.syncs.fdatasync, c.syncs.fsync, c.syncs.slow].map((x) => f2((x * 1000) / c.wall.length))
          : undefined,
      },
    ]),
  );
};
console.log(
  JSON.stringify({
    calls: N,
    notes: SAME ? "same" : "varied",
    load: [f2(load0), f2(loadavg()[0]!)],
    cases: report(cases),
    ...(chatCases.length ? { conversation: report(chatCases) } : {}),
  }),
);
