// The pre-commit case, started as early as possible: `git diff --cached` runs while the CLI
// loads the scanner. Imports only the git adapter; the scan itself loads on demand.
import { existsSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { UserError } from "../core/errors.js";
import { requireRepoRoot, startGitLines } from "../git/exec.js";
import type { ScanReport } from "../report/findings.js";
import type { ScanOptions } from "./prepare.js";
import { STAGED_DIFF_ARGS } from "./diff-args.js";

/**
 * True when `cwd` is plainly inside a work tree: a `.git` above it, `cwd` not inside a git
 * directory, and no GIT_DIR or GIT_WORK_TREE to change how git finds the repository. Then
 * `git diff --cached` needs no `git rev-parse --show-toplevel` before it; anything else (bare
 * repositories, no repository) goes the way scanStaged goes.
 */
function plainWorkTree(cwd: string): boolean {
  // eslint-disable-next-line no-restricted-properties -- git's own variables decide where the repository is
  if (process.env.GIT_DIR || process.env.GIT_WORK_TREE) return false;
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (basename(dir) === ".git") return false;
    if (existsSync(join(dir, ".git"))) return true;
    if (dirname(dir) === dir) return false;
  }
}

/**
 * Start reading the lines added in the index, from `cwd` (default: the working directory), and
 * scan them later with `scan` (same report as scanStaged); `cancel` ends git if `scan` was not
 * called or did not finish. One git process fewer than scanStaged on every commit: no
 * `git rev-parse --show-toplevel` first, as `git diff --cached` shows the whole index from any
 * directory of the work tree (diff.relative turned off), with paths from the top level. When git
 * fails, the repository is looked up, to report "needs a git repository" as scanStaged does.
 */
export function startStagedDiff(cwd: string = process.cwd()): {
  scan(options: ScanOptions): Promise<ScanReport>;
  cancel(): void;
} {
  if (!plainWorkTree(cwd))
    return { scan: async (options) => (await import("./diff-scan.js")).scanStaged({ ...options, cwd }), cancel() {} };
  const diff = startGitLines(["-c", "diff.relative=false", ...STAGED_DIFF_ARGS], { cwd });
  return {
    async scan(options) {
      const { scanDiffLines } = await import("./diff-scan.js");
      // a relative gitleaks config path is resolved from the top level, as scanStaged does
      const gitleaks = options.gitleaksConfig ?? options.scan?.gitleaksConfig;
      try {
        return await scanDiffLines(diff.batches, {
          ...options,
          cwd: gitleaks ? requireRepoRoot(cwd, "--staged") : cwd,
        });
      } catch (err) {
        // outside a repository (as git saw it) report that first, as scanStaged does
        if (err instanceof UserError) requireRepoRoot(cwd, "--staged");
        throw err;
      }
    },
    cancel: diff.cancel,
  };
}
