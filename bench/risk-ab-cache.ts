// Cache SZZ-labelled datasets of the risk bench's repositories (features + labels), so feature
// variants can be compared on the same labels without re-running SZZ. Usage:
//   RISK_REPOS_DIR=... node --import tsx bench/risk-ab-cache.ts OUTDIR repo1,repo2
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildDataset, DEFAULT_MAX_FIXES, riskConvention } from "../src/risk/index.js";

const [out, list] = process.argv.slice(2);
const base = process.env.RISK_REPOS_DIR!;
function readable(dir: string): string {
  const missing = execFileSync("git", ["rev-list", "--objects", "--missing=print", "HEAD"], {
    cwd: dir,
    encoding: "utf8",
    maxBuffer: 1 << 30,
  })
    .split("\n")
    .filter((l) => l.startsWith("?"))
    .map((l) => l.slice(1));
  if (!missing.length) return dir;
  const shell = mkdtempSync(join(tmpdir(), "risk-ab-"));
  process.on("exit", () => rmSync(shell, { recursive: true, force: true }));
  const g = (...args: string[]) => execFileSync("git", args, { cwd: shell, encoding: "utf8" }).trim();
  g("init", "-q", "--bare");
  const objects = execFileSync("git", ["rev-parse", "--path-format=absolute", "--git-path", "objects"], {
    cwd: dir,
    encoding: "utf8",
  }).trim();
  writeFileSync(join(shell, "objects", "info", "alternates"), objects + "\n");
  g("update-ref", "refs/heads/main", execFileSync("git", ["rev-parse", "HEAD"], { cwd: dir, encoding: "utf8" }).trim());
  g("symbolic-ref", "HEAD", "refs/heads/main");
  const empty = g("hash-object", "-w", "--stdin");
  for (const oid of missing) g("replace", "-f", oid, empty);
  return shell;
}
for (const r of list!.split(",")) {
  const t0 = performance.now();
  const ds = await buildDataset(readable(join(base, r)), { maxFixes: DEFAULT_MAX_FIXES, convention: riskConvention() });
  writeFileSync(
    join(out!, `${r}.json`),
    JSON.stringify(ds, (_k, v) => (v === Infinity ? 1e300 : v === -Infinity ? -1e300 : v)),
  );
  console.error(r, ((performance.now() - t0) / 1000).toFixed(0), "s", ds.commits.length, ds.fixes);
}
