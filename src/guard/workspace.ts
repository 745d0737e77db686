import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { sha256Hex } from "../core/hash.js";
import { GateFailure, UserError } from "../core/errors.js";
import { WorktreePool } from "../forensics/bisect.js";
import type { Plan } from "./plan.js";

/** Tokens of the command line that may name a file: each argument, and its words (`sh -c "sh src/run.sh"`, `--file=x`). */
function candidates(command: string, args: string[]): string[] {
  const out = new Set<string>();
  if (command.includes("/")) out.add(command);
  for (const a of args) {
    if (a) out.add(a);
    for (const t of a.split(/[\s;|&<>()'"`=,]+/)) if (t && t !== a) out.add(t);
  }
  return [...out].slice(0, 256);
}

function isRegularFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function inside(root: string, abs: string): string | undefined {
  const rel = relative(root, abs);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : undefined;
}

/** Paths (relative to root) that HEAD tracks, among `rels`. */
function tracked(root: string, rels: string[]): Set<string> {
  if (!rels.length) return new Set();
  const r = spawnSync("git", ["-c", "core.quotePath=false", "ls-files", "-z", "--", ...rels.map((p) => `:(literal)${p}`)], { cwd: root, encoding: "utf8" });
  return new Set(r.status === 0 ? r.stdout.split("\0").filter(Boolean) : []);
}

/**
 * SHA-256 of every file the command line names that the plan's HEAD does not cover: untracked or
 * ignored files in the repository, files outside it, or every named file when there is no commit.
 */
export function namedFiles(command: string, args: string[], cwd: string, root: string | undefined, head: string | null): Record<string, string> {
  const found = candidates(command, args)
    .map((token) => ({ token, abs: resolve(cwd, token) }))
    .filter((c) => isRegularFile(c.abs));
  const inRepo = root && head ? found.map((c) => inside(root, c.abs)).filter((r): r is string => r !== undefined) : [];
  const covered = root && head ? tracked(root, inRepo) : new Set<string>();
  const files: Record<string, string> = {};
  for (const c of found) {
    const rel = root && head ? inside(root, c.abs) : undefined;
    if (rel !== undefined && covered.has(rel)) continue;
    files[c.token] = sha256Hex(readFileSync(c.abs));
  }
  return files;
}

/** Tracked files with uncommitted changes (staged or not) under root. */
export function dirtyTracked(root: string): string[] {
  const r = spawnSync("git", ["-c", "core.quotePath=false", "status", "--porcelain=v1", "-z", "--untracked-files=no", "--ignore-submodules=none"], { cwd: root, encoding: "utf8" });
  if (r.status !== 0) throw new UserError(`git status failed in ${root}`);
  return r.stdout.split("\0").filter((l) => l.length > 3).map((l) => l.slice(3));
}

export interface Workspace {
  /** the plan to execute: same command, cwd and arguments mapped into the throwaway worktree */
  plan: Plan;
  dispose(): Promise<void>;
}

/**
 * Where an approved plan executes: a throwaway worktree of the approved commit, so what runs is what
 * was approved (tracked files as committed at `plan.head`; named untracked files copied in after their
 * hash is checked against the plan). Refuses when tracked files have uncommitted changes, so nobody is
 * surprised that their edits did not run. Outside a repository the named files are re-hashed and the
 * command runs in place.
 */
export async function prepareWorkspace(plan: Plan, root: string | undefined): Promise<Workspace> {
  const files = plan.files ?? {};
  const contents = new Map<string, Buffer>();
  for (const [token, hash] of Object.entries(files)) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(resolve(plan.cwd, token));
    } catch {
      throw new GateFailure(`${token} is part of the approved plan but can no longer be read`);
    }
    if (sha256Hex(bytes) !== hash) throw new GateFailure(`${token} changed after the plan was made`);
    contents.set(token, bytes);
  }
  if (!root || !plan.head) return { plan, dispose: async () => undefined };
  const dirty = dirtyTracked(root);
  if (dirty.length) throw new UserError(`refusing to run: ${dirty.length} tracked file(s) have uncommitted changes (e.g. ${dirty[0]}); the approved plan covers commit ${plan.head.slice(0, 12)}, so commit or stash them`);
  const pool = new WorktreePool(root);
  // git locks its worktree bookkeeping; another process adding a worktree at the same moment makes `worktree add` fail.
  let slot: Awaited<ReturnType<WorktreePool["acquire"]>> | undefined;
  for (let attempt = 0; !slot; attempt++) {
    try {
      slot = await pool.acquire(plan.head);
    } catch (err) {
      await pool.dispose();
      if (attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 200 * (attempt + 1)));
    }
  }
  try {
    const cwdRel = relative(root, plan.cwd);
    const cwd = cwdRel ? join(slot.wt, cwdRel) : slot.wt;
    mkdirSync(cwd, { recursive: true });
    const map = (token: string): string => {
      const abs = resolve(plan.cwd, token);
      const rel = inside(root, abs);
      return rel !== undefined ? (isAbsolute(token) ? join(slot.wt, rel) : token) : token;
    };
    let n = 0;
    const outside = new Map<string, string>();
    for (const [token, bytes] of contents) {
      const abs = resolve(plan.cwd, token);
      const rel = inside(root, abs);
      const dest = rel !== undefined ? join(slot.wt, rel) : join(slot.dir, "files", String(n++), basename(abs));
      if (rel === undefined) outside.set(token, dest);
      mkdirSync(dirname(dest), { recursive: true });
      writeFileSync(dest, bytes);
      chmodSync(dest, statSync(abs).mode & 0o777);
    }
    // Absolute paths into the checkout, and whole arguments naming files outside it, point at the copies.
    const rewrite = (a: string) => outside.get(a) ?? map(a);
    const command = plan.command.includes("/") ? rewrite(plan.command) : plan.command;
    if (!existsSync(cwd)) mkdirSync(cwd, { recursive: true });
    return { plan: { ...plan, cwd, command, args: plan.args.map(rewrite) }, dispose: () => pool.dispose() };
  } catch (err) {
    await pool.dispose();
    throw err;
  }
}
