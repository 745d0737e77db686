// Client CPU per entry of batched appends (1,000 a batch) to a PostgreSQL ledger, two or more source
// trees in one process, alternating, 8 rounds of 3 batches each: what the quick check's
// "PostgreSQL batched appends" figure measures, against another tree in the same run.
//
//   npx tsx bench/ledger-pg-batch-ab.ts <tree> <tree> ...   (e.g. /tmp/base-b520144 .)
// Needs PostgreSQL at postgres://postgres@127.0.0.1:5432/test; drops its tables afterwards.
// Prints lines on stdout; nothing is written to docs.
import { resolve } from "node:path";
import { checkEntry as entry, cpuSeconds as cpu } from "./lib/ledger-entries.js";

const roots = process.argv.slice(2).map((r) => resolve(r));
const PG = "postgres://postgres@127.0.0.1:5432/test";
const mods = await Promise.all(roots.map((r) => import(`${r}/src/audit/index.ts`)));
const res: number[][] = roots.map(() => []);
const ledgers = await Promise.all(mods.map((m, k) => m.openLedger(`${PG}?table_prefix=pgab${process.pid}_${k}_`)));
for (const l of ledgers) await l.appendBatch(Array.from({ length: 1000 }, (_, i) => entry(i)));
let b = 1;
for (let round = 0; round < 8; round++)
  for (let k = 0; k < roots.length; k++) {
    const c0 = cpu();
    for (let j = 0; j < 3; j++, b++)
      await ledgers[k].appendBatch(Array.from({ length: 1000 }, (_, i) => entry(b * 1000 + i)));
    res[k]!.push(((cpu() - c0) / 3000) * 1e6);
  }
for (const l of ledgers) await l.close();
roots.forEach((r, k) => {
  const s = [...res[k]!].sort((a, b) => a - b);
  console.log(r, "median µs CPU per append", s[4]!.toFixed(1), "min", s[0]!.toFixed(1));
});
const pg = (await import("pg")).default;
const c = new pg.Client({ connectionString: PG });
await c.connect();
for (let k = 0; k < roots.length; k++) {
  await c.query(`DROP TABLE IF EXISTS pgab${process.pid}_${k}_entries, pgab${process.pid}_${k}_checkpoints CASCADE`);
  await c.query(`DROP FUNCTION IF EXISTS pgab${process.pid}_${k}_append_only() CASCADE`);
}
await c.end();
