// Our service built from src (run with `node --import tsx`) for bench/server-floor.ts:
// `serve-app.ts <ledger dir> [memo]`. With `memo` the scan engine is stubbed: each distinct text's findings are
// computed once by the real engine, then returned from a map, so a request costs the service everything but the scan.
// Same options as the bench's `gitops-health serve` (logging off, rate limit off, 30 s timeout).
import { randomBytes } from "node:crypto";
import { buildApp } from "../../src/server/app.js";
import { openServiceStores } from "../../src/server/stores.js";
import { scanTexts } from "../../src/phi/index.js";
import type { Finding } from "../../src/phi/types.js";

const [ledger, stub] = process.argv.slice(2);
const stores = await openServiceStores({ ledger: ledger! });
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
  ...(stub === "memo" ? { scanTexts: memoScan } : {}),
});
const address = await app.listen({ host: "127.0.0.1", port: 0 });
process.stderr.write(`serving on ${address}\n`);
process.on("SIGTERM", () => void app.close().then(() => stores.close().then(() => process.exit(0))));
