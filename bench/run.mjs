#!/usr/bin/env node
// `npm run bench [-- NAME...]`: runs bench/<name>.bench.ts (all when no name is given) with tsx.
// Each benchmark compares against its named baseline in the same run and rewrites its own
// section of docs/BENCHMARKS.md.
import { readdirSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const dir = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const all = readdirSync(dir).filter((f) => f.endsWith(".bench.ts")).map((f) => f.replace(/\.bench\.ts$/, "")).sort();
const names = wanted.length ? wanted : all;
let failed = 0;
for (const name of names) {
  if (!all.includes(name)) {
    console.error(`unknown benchmark "${name}" (have: ${all.join(", ")})`);
    process.exit(2);
  }
  console.error(`\n=== bench: ${name} ===`);
  const r = spawnSync(process.execPath, ["--import", "tsx", join(dir, `${name}.bench.ts`)], { stdio: "inherit" });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
