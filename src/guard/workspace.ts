import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, openSync, readSync, statSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
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

/** SHA-256 of a file, read in chunks (a named file may be large). */
export function hashFile(path: string): string {
  const h = createHash("sha256");
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0;) h.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return h.digest("hex");
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
  const r = spawnSync(
    "git",
    ["-c", "core.quotePath=false", "ls-files", "-z", "--", ...rels.map((p) => `:(literal)${p}`)],
    { cwd: root, encoding: "utf8" },
  );
  return new Set(r.status === 0 ? r.stdout.split("\0").filter(Boolean) : []);
}

/**
 * SHA-256 of every file the command line names that the plan's HEAD does not cover: untracked or
 * ignored files in the repository, files outside it, or every named file when there is no commit.
 */
export function namedFiles(
  command: string,
  args: string[],
  cwd: string,
  root: string | undefined,
  head: string | null,
): Record<string, string> {
  const found = candidates(command, args)
    .map((token) => ({ token, abs: resolve(cwd, token) }))
    .filter((c) => isRegularFile(c.abs));
  const inRepo = root && head ? found.map((c) => inside(root, c.abs)).filter((r): r is string => r !== undefined) : [];
  const covered = root && head ? tracked(root, inRepo) : new Set<string>();
  const files: Record<string, string> = {};
  for (const c of found) {
    const rel = root && head ? inside(root, c.abs) : undefined;
    if (rel !== undefined && covered.has(rel)) continue;
    files[c.token] = hashFile(c.abs);
  }
  return files;
}

/** Tracked files with uncommitted changes (staged or not) under root. */
export function dirtyTracked(root: string): string[] {
  const r = spawnSync(
    "git",
    [
      "-c",
      "core.quotePath=false",
      "status",
      "--porcelain=v1",
      "-z",
      "--untracked-files=no",
      "--ignore-submodules=none",
    ],
    { cwd: root, encoding: "utf8" },
  );
  if (r.status !== 0) throw new UserError(`git status failed in ${root}`);
  return r.stdout
    .split("\0")
    .filter((l) => l.length > 3)
    .map((l) => l.slice(3));
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
  const files = Object.entries(plan.files ?? {});
  const check = (token: string, path: string, hash: string) => {
    let actual: string;
    try {
      actual = hashFile(path);
    } catch {
      throw new GateFailure(`${token} is part of the approved plan but can no longer be read`);
    }
    if (actual !== hash) throw new GateFailure(`${token} changed after the plan was made`);
  };
  if (!root || !plan.head) {
    for (const [token, hash] of files) check(token, resolve(plan.cwd, token), hash);
    return { plan, dispose: async () => undefined };
  }
  const dirty = dirtyTracked(root);
  if (dirty.length)
    throw new UserError(
      `refusing to run: ${dirty.length} tracked file(s) have uncommitted changes (e.g. ${dirty[0]}); the approved plan covers commit ${plan.head.slice(0, 12)}, so commit or stash them`,
    );
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
    // Named files are copied in, then the copy (which nobody else is editing) is checked against the plan.
    const outside = new Map<string, string>();
    let n = 0;
    for (const [token, hash] of files) {
      const abs = resolve(plan.cwd, token);
      const rel = inside(root, abs);
      const dest = rel !== undefined ? join(slot.wt, rel) : join(slot.dir, "files", String(n++), basename(abs));
      mkdirSync(dirname(dest), { recursive: true });
      try {
        copyFileSync(abs, dest);
        chmodSync(dest, statSync(abs).mode & 0o777);
      } catch {
        throw new GateFailure(`${token} is part of the approved plan but can no longer be read`);
      }
      check(token, dest, hash);
      if (rel === undefined) {
        outside.set(token, dest);
        if (!plan.args.includes(token) && plan.command !== token) check(token, abs, hash); // named inside a longer argument: read in place
      }
    }
    // Absolute paths to files of the checkout, and whole arguments naming files outside it, point at the copies.
    const rewrite = (a: string): string => {
      const copy = outside.get(a);
      if (copy) return copy;
      const rel = isAbsolute(a) ? inside(root, a) : undefined;
      return rel !== undefined && isRegularFile(join(slot.wt, rel)) ? join(slot.wt, rel) : a;
    };
    const command = plan.command.includes("/") ? rewrite(plan.command) : plan.command;
    if (!existsSync(cwd)) mkdirSync(cwd, { recursive: true });
    return { plan: { ...plan, cwd, command, args: plan.args.map(rewrite) }, dispose: () => pool.dispose() };
  } catch (err) {
    await pool.dispose();
    throw err;
  }
}
