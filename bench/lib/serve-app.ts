// Our service built from src for bench/server-floor.ts (which bundles this file with esbuild, as dist is bundled):
// `serve-app.mjs <ledger dir> [memo|timed]`. With `memo` the scan engine is stubbed: each distinct text's findings are
// computed once by the real engine, then returned from a map, so a request costs the service everything but the scan.
// Same options as the bench's `gitops-health serve` (logging off, rate limit off, 30 s timeout).
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { buildApp } from "../../src/server/app.js";
import { openServiceStores } from "../../src/server/stores.js";
import { scanTexts } from "../../src/phi/index.js";
import type { Finding } from "../../src/phi/types.js";

const [ledger, stub] = process.argv.slice(2);
if (ledger === "--loop") {
  // The in-process reference in a process of its own: `serve-app.ts --loop <body.json> <ms>` scans the body's text
  // (500 copies parsed from the body, as the server gets a new string per request) for <ms> and prints the CPU
  // per scan; this process runs nothing else (the bench process also runs the HTTP client).
  const body = JSON.parse(readFileSync(stub!, "utf8")) as { text: string; profile: "code" | "prose" };
  const raw = JSON.stringify(body);
  const copies = Array.from({ length: 500 }, () => (JSON.parse(raw) as { text: string }).text);
  const ms = Number(process.argv[4] ?? 2000);
  for (let i = 0; i < 200; i++) scanTexts([copies[i % 500]!], { profile: body.profile });
  const c0 = process.cpuUsage();
  const end = performance.now() + ms;
  const times: number[] = [];
  while (performance.now() < end) {
    const t0 = process.hrtime.bigint();
    scanTexts([copies[times.length % 500]!], { profile: body.profile });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const c = process.cpuUsage(c0);
  // CPU ms a scan, then the median wall ms of one call (robust to the preemption a loaded machine adds)
  process.stdout.write(`${(c.user + c.system) / 1000 / times.length} ${median(times)}\n`);
  process.exit(0);
}
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1] ?? 0;
}

const stores = await openServiceStores({ ledger: ledger! });
// `timed`: the real engine, each call's wall time kept; SIGTERM prints the median ms of a call (to compare with
// --loop's: the same scan inside the server, between requests, against back to back in a process of its own).
const calls: number[] = [];
const timedScan: typeof scanTexts = (texts, options, paths) => {
  const t0 = process.hrtime.bigint();
  const r = scanTexts(texts, options, paths);
  calls.push(Number(process.hrtime.bigint() - t0) / 1e6);
  return r;
};
// Keyed by profile and length only (a map keyed by the whole text would hash 4 KB a request): the bench sends
// one text per profile and size.
const memo = new Map<string, Finding[]>();
const memoScan: typeof scanTexts = (texts, options = {}, paths) =>
  texts.map((t, i) => {
    const key = `${options.profile ?? ""}:${t.length}`;
    let f = memo.get(key);
    if (!f) memo.set(key, (f = scanTexts([t], options, [paths?.[i]])[0]!));
    return f;
  });
const app = await buildApp({
  ledger: stores.ledger,
  tokens: stores.tokens,
  digestKey: randomBytes(32).toString("hex"),
  logLevel: "silent",
  requestTimeoutMs: 30_000,
  ...(stub === "memo" ? { scanTexts: memoScan } : stub === "timed" ? { scanTexts: timedScan } : {}),
});
const address = await app.listen({ host: "127.0.0.1", port: 0 });
process.stderr.write(`serving on ${address}\n`);
process.on("SIGTERM", () => {
  if (stub === "timed") process.stdout.write(`scan calls ${calls.length}, median ${median(calls.slice(-5000))} ms\n`);
  void app.close().then(() => stores.close().then(() => process.exit(0)));
});
