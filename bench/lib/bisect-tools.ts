// Shared by the bisect benchmarks: run `git bisect run` and `gitops-health forensics bisect` on the
// same repository, range and command, and report what each found, with its run count and wall time.
import { execFileSync, spawnSync } from "node:child_process";

export const BENCH_GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: "b",
  GIT_AUTHOR_EMAIL: "b@b.invalid",
  GIT_COMMITTER_NAME: "b",
  GIT_COMMITTER_EMAIL: "b@b.invalid",
  GIT_CONFIG_NOSYSTEM: "1",
};

/** Real `git bisect run` (first-parent), counting its "running" lines. */
export function gitBisectRun(
  dir: string,
  good: string,
  bad: string,
  cmd: string[],
): { culprit?: string; runs: number; ms: number } {
  const git = (args: string[]) =>
    execFileSync("git", args, { cwd: dir, env: BENCH_GIT_ENV, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const t0 = performance.now();
  git(["bisect", "start", "--first-parent", bad, good]);
  const r = spawnSync("git", ["bisect", "run", ...cmd], {
    cwd: dir,
    env: BENCH_GIT_ENV,
    encoding: "utf8",
    maxBuffer: 1 << 26,
  });
  const ms = performance.now() - t0;
  const runs = (r.stdout.match(/^running /gm) ?? []).length;
  const culprit = /^([0-9a-f]{40}) is the first bad commit/m.exec(r.stdout)?.[1];
  git(["bisect", "reset"]);
  return { culprit, runs, ms };
}

export interface OurReport {
  culprit?: { sha: string };
  searchRuns?: number;
  runs?: unknown[];
  outcome?: string;
  prior?: string;
  candidates?: number;
}

/** The built CLI's `forensics bisect --format json`; `report` is empty when it printed no JSON. */
export function ourBisect(
  cli: string,
  dir: string,
  good: string,
  bad: string,
  cmd: string[],
  extra: string[] = [],
): { report: OurReport; stderr: string; ms: number } {
  const t0 = performance.now();
  const r = spawnSync(
    process.execPath,
    [cli, "forensics", "bisect", "--good", good, "--bad", bad, "--format", "json", ...extra, "--", ...cmd],
    { cwd: dir, encoding: "utf8", maxBuffer: 1 << 26 },
  );
  const ms = performance.now() - t0;
  let report: OurReport = {};
  try {
    report = JSON.parse(r.stdout || "{}") as OurReport;
  } catch {
    /* the caller reports the failure from stderr */
  }
  return { report, stderr: r.stderr, ms };
}
