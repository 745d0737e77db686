// Where the shared data (../shared: the PHI corpora) is, for every benchmark and script that reads
// it: bench/run.mjs (which skips a benchmark whose data is missing), bench/lib/phi-corpora.ts and
// scripts/phi-digest.ts. GITOPS_HEALTH_SHARED wins; else `shared` next to this checkout; else, in a
// git worktree, `shared` next to the main checkout (a worktree's own parent folder rarely has it).
import { existsSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";

/** @param {string} root the checkout's root folder @returns {string} */
export function sharedDir(root) {
  if (process.env.GITOPS_HEALTH_SHARED) return process.env.GITOPS_HEALTH_SHARED;
  const beside = join(root, "..", "shared");
  if (existsSync(beside)) return beside;
  try {
    const common = execFileSync("git", ["rev-parse", "--git-common-dir"], {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
    const main = join(dirname(resolve(root, common)), "..", "shared");
    if (existsSync(main)) return main;
  } catch {
    // not a git checkout: the default below
  }
  return beside;
}
