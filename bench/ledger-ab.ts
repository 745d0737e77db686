// Ledger before/after in one run, interleaved (the machine is shared, so only same-run ratios mean
// much): `node --import tsx bench/ledger-ab.ts <checkout A> <checkout B>`, each a directory with
// this project's src/ (e.g. a `git worktree add` of the commit before a change, and this one).
// Prints the best batched append rate of each (5 batches of 1,000, four rounds) and the best
// `verify` time of each over the same 100,000-entry ledger, with raw SHA-256 over its entries.
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

type Mod = typeof import("../src/audit/index.js");
const roots = process.argv.slice(2).map((r) => resolve(r));
if (roots.length !== 2) {
  console.error("usage: node --import tsx bench/ledger-ab.ts <checkout A> <checkout B>");
  process.exit(2);
}
const mods = (await Promise.all(roots.map((r) => import(join(r, "src/audit/index.js"))))) as Mod[];
const entry = (i: number) => ({
  type: "check",
  subject: `c0ffee${i.toString(16).padStart(10, "0")}`,
  actor: "ci@example.invalid",
  payload: { name: "test", status: "passed", run: i },
});
const dir = mkdtempSync(join(tmpdir(), "gh-ledger-ab-"));
const appends = [0, 0];
for (let round = 0; round < 4; round++) {
  for (const [k, m] of mods.entries()) {
    const l = await m.openLedger(join(dir, `a${k}-${round}`));
    await l.appendBatch(Array.from({ length: 1000 }, (_, i) => entry(i)));
    const t = performance.now();
    for (let b = 1; b <= 5; b++) await l.appendBatch(Array.from({ length: 1000 }, (_, i) => entry(b * 1000 + i)));
    appends[k] = Math.max(appends[k]!, 5000 / ((performance.now() - t) / 1000));
    await l.close();
  }
}
const big = join(dir, "big");
const l = await mods[1]!.openLedger(big);
for (let b = 0; b < 10; b++) await l.appendBatch(Array.from({ length: 10_000 }, (_, i) => entry(b * 10_000 + i)));
await l.close();
const bytes = readFileSync(join(big, "entries.log"));
const verify = [Infinity, Infinity];
let raw = Infinity;
for (let round = 0; round < 3; round++) {
  let t = performance.now();
  for (let p = 0; p < bytes.length;) {
    const len = bytes.readUInt32BE(p);
    createHash("sha256")
      .update(bytes.subarray(p + 4, p + 4 + len))
      .digest();
    p += 4 + len;
  }
  raw = Math.min(raw, (performance.now() - t) / 1000);
  for (const [k, m] of mods.entries()) {
    const v = await m.openLedger(big);
    t = performance.now();
    const r = await v.verify({});
    verify[k] = Math.min(verify[k]!, (performance.now() - t) / 1000);
    await v.close();
    if (!r.ok) throw new Error(`verify failed with ${roots[k]}: ${r.problem}`);
  }
}
rmSync(dir, { recursive: true, force: true });
roots.forEach((r, k) =>
  console.log(
    `${r}: batched appends ${Math.round(appends[k]!).toLocaleString("en-US")} /s; verify 100,000 entries ${verify[k]!.toFixed(2)} s (${(verify[k]! / raw).toFixed(2)}× raw SHA-256, ${raw.toFixed(2)} s)`,
  ),
);
console.log(
  `B over A: appends ${(appends[1]! / appends[0]!).toFixed(2)}×, verify ${(verify[0]! / verify[1]!).toFixed(2)}× faster`,
);
