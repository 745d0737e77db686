import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import { UserError } from "../core/errors.js";
import { git, gitLines, resolveRev } from "../git/exec.js";
import { CulpritSearch, gitBisectSteps, type Result } from "./search.js";

export interface BisectOptions {
  cwd: string;
  good: string;
  bad: string;
  command: string[];
  prior: "auto" | "relevance" | "risk" | "uniform";
  flaky?: number;
  passReliable: boolean;
  confidence: number;
  jobs: number;
  timeoutSec?: number;
  maxRuns?: number;
  /** without --flaky: re-run the good endpoint this many times to estimate the spurious failure rate */
  estimateRuns?: number;
  firstParent: boolean;
  onRun?: (r: TestRun) => void;
}

export interface TestRun {
  commit: string;
  index: number;
  result: Result;
  exitCode: number | null;
  durationMs: number;
  note?: string;
}

export interface Candidate {
  sha: string;
  subject: string;
  author: string;
  files: string[];
}

export interface BisectReport {
  outcome: "culprit" | "ambiguous" | "no-culprit" | "undecided";
  culprit?: Candidate & { confidence: number };
  plausible: string[];
  runs: TestRun[];
  searchRuns: number;
  candidates: number;
  gitBisectRuns: number;
  prior: string;
  flakeRate: number;
}

/** Candidates in good..bad, oldest first, with their changed files (one git log call). */
export async function listCandidates(
  cwd: string,
  good: string,
  bad: string,
  firstParent: boolean,
): Promise<Candidate[]> {
  const out: Candidate[] = [];
  let cur: Candidate | undefined;
  for await (const line of gitLines(
    [
      "log",
      "--reverse",
      ...(firstParent ? ["--first-parent"] : []),
      "-m",
      "--name-only",
      "--format=\u0001%H%x09%an%x09%s",
      `${good}..${bad}`,
    ],
    { cwd },
  )) {
    if (line.startsWith("\u0001")) {
      const [sha, author, subject] = line.slice(1).split("\t");
      if (cur?.sha === sha) continue; // -m repeats merges per parent
      cur = { sha: sha!, author: author ?? "", subject: subject ?? "", files: [] };
      out.push(cur);
    } else if (line && cur && !cur.files.includes(line)) cur.files.push(line);
  }
  return out;
}

/**
 * Relevance prior: commits that touched the files the failing test names or imports score
 * higher. The test command's arguments are checked for repository paths; those files are read
 * at the bad commit for relative import/require targets.
 */
export async function relevancePrior(
  cwd: string,
  bad: string,
  command: string[],
  cands: Candidate[],
): Promise<number[] | undefined> {
  const tracked = new Set((await git(["ls-tree", "-r", "--name-only", bad], { cwd })).split("\n").filter(Boolean));
  const related = new Set<string>();
  const named = command.map((a) => posix.normalize(a.replace(/^\.\//, ""))).filter((a) => tracked.has(a));
  if (named.length === 0) return undefined;
  for (const file of named) {
    related.add(file);
    let text = "";
    try {
      text = await git(["show", `${bad}:${file}`], { cwd });
    } catch {
      continue;
    }
    for (const m of text.matchAll(/(?:from\s+|require\(\s*|import\(\s*|import\s+)["'](\.{1,2}\/[^"']+)["']/g)) {
      const base = posix.normalize(posix.join(posix.dirname(file), m[1]!));
      // "./x.js" may name x.ts (TypeScript ESM); "./x" may name x.ts, x.js or x/index.*
      const stem = base.replace(/\.[cm]?js$/, "");
      for (const p of [
        base,
        ...["", ".ts", ".js", ".mjs", ".cjs", ".tsx", ".jsx", "/index.ts", "/index.js"].map((e) => stem + e),
      ])
        if (tracked.has(p)) related.add(p);
    }
  }
  const stems = new Set(
    [...related].map((p) =>
      posix
        .basename(p)
        .replace(/\.(test|spec)?\.?[cm]?[jt]sx?$/, "")
        .replace(/\.[^.]+$/, "")
        .toLowerCase(),
    ),
  );
  return cands.map((c) => {
    let score = 0;
    for (const f of c.files) {
      if (related.has(f)) score += 100;
      else if (
        stems.has(
          posix
            .basename(f)
            .replace(/\.[^.]+$/, "")
            .toLowerCase(),
        )
      )
        score += 10;
    }
    return 1 + score;
  });
}

async function riskPrior(cwd: string, cands: Candidate[]): Promise<number[]> {
  const { scoreChange } = await import("../risk/index.js");
  const out: number[] = [];
  for (const c of cands) out.push(1 + (await scoreChange({ cwd, rev: c.sha })).score / 10);
  return out;
}

// git serialises worktree bookkeeping with lock files: concurrent `worktree add/remove` can fail.
let worktreeQueue: Promise<unknown> = Promise.resolve();
function serialized<T>(fn: () => Promise<T>): Promise<T> {
  const next = worktreeQueue.then(fn, fn);
  worktreeQueue = next.catch(() => undefined);
  return next;
}

/**
 * Throwaway worktrees, reused between test runs: checking a commit out in an idle worktree and
 * cleaning it (`clean -ffdx`, so it is as pristine as a new one) costs what `git bisect`'s own
 * checkout costs, where adding and removing a worktree per run cost several times more. The
 * user's checkout, HEAD and index are never touched; every worktree is removed at the end.
 */
export class WorktreePool {
  private readonly idle: { dir: string; wt: string }[] = [];
  private readonly all: { dir: string; wt: string }[] = [];
  constructor(private readonly cwd: string) {}

  async acquire(sha: string): Promise<{ dir: string; wt: string }> {
    const reuse = this.idle.pop();
    if (reuse) {
      await git(["checkout", "--detach", "--force", "--quiet", sha], { cwd: reuse.wt });
      await git(["clean", "-ffdxq"], { cwd: reuse.wt });
      return reuse;
    }
    const dir = mkdtempSync(join(tmpdir(), "gh-bisect-"));
    const slot = { dir, wt: join(dir, "wt") };
    await serialized(() => git(["worktree", "add", "--detach", "--quiet", slot.wt, sha], { cwd: this.cwd }));
    this.all.push(slot);
    return slot;
  }

  release(slot: { dir: string; wt: string }): void {
    this.idle.push(slot);
  }

  async dispose(): Promise<void> {
    for (const slot of this.all.splice(0)) {
      await serialized(() => git(["worktree", "remove", "--force", slot.wt], { cwd: this.cwd })).catch(() => undefined);
      rmSync(slot.dir, { recursive: true, force: true });
    }
    this.idle.length = 0;
  }
}

/** Test one commit in a throwaway worktree (from `pool`, or its own); the user's checkout is never touched. */
export async function testCommit(
  cwd: string,
  sha: string,
  command: string[],
  timeoutSec?: number,
  pool?: WorktreePool,
): Promise<{ result: Result | "abort"; exitCode: number | null; durationMs: number; note?: string }> {
  const own = pool ? undefined : new WorktreePool(cwd);
  const slots = pool ?? own!;
  const slot = await slots.acquire(sha);
  const wt = slot.wt;
  const t0 = Date.now();
  try {
    return await new Promise((resolveRun) => {
      const child = spawn(command[0]!, command.slice(1), { cwd: wt, stdio: "ignore", detached: true });
      let timedOut = false;
      const timer = timeoutSec
        ? setTimeout(() => {
            timedOut = true;
            try {
              process.kill(-child.pid!, "SIGKILL");
            } catch {
              child.kill("SIGKILL");
            }
          }, timeoutSec * 1000)
        : undefined;
      child.on("error", () => {
        if (timer) clearTimeout(timer);
        resolveRun({ result: "abort", exitCode: null, durationMs: Date.now() - t0, note: `cannot run ${command[0]}` });
      });
      child.on("close", (code, signal) => {
        if (timer) clearTimeout(timer);
        const durationMs = Date.now() - t0;
        if (timedOut)
          resolveRun({
            result: "skip",
            exitCode: null,
            durationMs,
            note: `timed out after ${timeoutSec}s (treated as untestable)`,
          });
        else if (code === null)
          resolveRun({ result: "abort", exitCode: null, durationMs, note: `killed by ${signal}` });
        else if (code === 0) resolveRun({ result: "pass", exitCode: 0, durationMs });
        else if (code === 125) resolveRun({ result: "skip", exitCode: 125, durationMs });
        else if (code < 128) resolveRun({ result: "fail", exitCode: code, durationMs });
        else
          resolveRun({
            result: "abort",
            exitCode: code,
            durationMs,
            note: `exit ${code} (>= 128) aborts, as in git bisect run`,
          });
      });
    });
  } finally {
    slots.release(slot);
    await own?.dispose();
  }
}

export async function bisect(o: BisectOptions): Promise<BisectReport> {
  if (o.command.length === 0) throw new UserError("missing test command: give it after --");
  const good = await resolveRev(o.good, o.cwd);
  const bad = await resolveRev(o.bad, o.cwd);
  try {
    await git(["merge-base", "--is-ancestor", good, bad], { cwd: o.cwd });
  } catch {
    throw new UserError(`--good ${o.good} is not an ancestor of --bad ${o.bad}`);
  }
  const cands = await listCandidates(o.cwd, good, bad, o.firstParent);
  if (cands.length === 0) throw new UserError(`no commits between ${o.good} and ${o.bad}`);
  const pool = new WorktreePool(o.cwd);
  try {
    return await runSearch(o, cands, good, bad, pool);
  } finally {
    await pool.dispose();
  }
}

async function runSearch(
  o: BisectOptions,
  cands: Candidate[],
  good: string,
  bad: string,
  pool: WorktreePool,
): Promise<BisectReport> {
  const runs: TestRun[] = [];
  const run = async (sha: string, index: number): Promise<TestRun> => {
    const r = await testCommit(o.cwd, sha, o.command, o.timeoutSec, pool);
    if (r.result === "abort") throw new UserError(`test aborted on ${sha.slice(0, 12)}: ${r.note}`);
    const tr: TestRun = {
      commit: sha,
      index,
      result: r.result,
      exitCode: r.exitCode,
      durationMs: r.durationMs,
      ...(r.note ? { note: r.note } : {}),
    };
    runs.push(tr);
    o.onRun?.(tr);
    return tr;
  };
  // Endpoints first: the range only makes sense if good passes and bad fails.
  const [g, b] = await Promise.all([run(good, -1), run(bad, cands.length - 1)]);
  if (g.result !== "pass")
    throw new UserError(`the --good commit ${o.good} does not pass the test (${g.result}); nothing to bisect`);
  if (b.result !== "fail")
    throw new UserError(`the --bad commit ${o.bad} does not fail the test (${b.result}); nothing to bisect`);

  let priorName: string = o.prior;
  let prior: number[] | undefined;
  if (o.prior === "relevance" || o.prior === "auto") {
    prior = await relevancePrior(o.cwd, bad, o.command, cands);
    priorName = prior ? "relevance" : o.prior === "auto" ? "uniform" : "relevance (no test files named: uniform)";
  } else if (o.prior === "risk") prior = await riskPrior(o.cwd, cands);
  let flakeRate = o.flaky ?? 0;
  if (o.flaky === undefined && (o.estimateRuns ?? 0) > 0) {
    // A good commit can only fail spuriously, so repeated runs of it measure the flake rate
    // (Laplace-smoothed; zero observed failures still leaves a small rate when estimating).
    const reps = await Promise.all(Array.from({ length: o.estimateRuns! }, () => run(good, -1)));
    const fails = reps.filter((r) => r.result === "fail").length;
    flakeRate = fails === 0 ? 0 : Math.min(0.5, (fails + 0.5) / (reps.length + 1));
  }
  const search = new CulpritSearch(cands.length, prior, {
    flakeRate,
    passReliable: o.passReliable,
    confidence: o.confidence,
    noCulpritPrior: flakeRate > 0 ? 0.02 : 0,
  });
  search.observe(cands.length - 1, "fail");
  const maxRuns = o.maxRuns ?? 4 * gitBisectSteps(cands.length) + 20;
  let searchRuns = 0;
  while (!search.done() && searchRuns < maxRuns) {
    const picks = search.next(Math.max(1, o.jobs));
    if (picks.length === 0) break;
    const results = await Promise.all(picks.map((i) => run(cands[i]!.sha, i)));
    for (const r of results) search.observe(r.index, r.result);
    searchRuns += results.length;
  }
  const best = search.best();
  const plausible = search.plausible().map((i) => cands[i]!.sha);
  const base = {
    runs,
    searchRuns,
    candidates: cands.length,
    gitBisectRuns: gitBisectSteps(cands.length),
    prior: priorName,
    flakeRate,
    plausible,
  };
  if (best.noCulprit && best.p >= o.confidence) return { outcome: "no-culprit", ...base };
  if (search.done()) return { outcome: "culprit", culprit: { ...cands[best.index]!, confidence: best.p }, ...base };
  return {
    outcome: plausible.length > 1 ? "ambiguous" : "undecided",
    ...(best.noCulprit ? {} : { culprit: { ...cands[best.index]!, confidence: best.p } }),
    ...base,
  };
}
