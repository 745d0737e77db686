import { spawn, spawnSync } from "node:child_process";
import { UserError } from "../core/errors.js";
import { LineSplitter } from "./lines.js";

/** Options shared by every git invocation. */
export interface GitOptions {
  cwd?: string;
  /** Extra environment variables. */
  env?: NodeJS.ProcessEnv;
  /** Text to write to git's stdin. */
  input?: string | Uint8Array;
}

/** A git command that exited non-zero; `message` is git's first stderr line. */
export class GitError extends UserError {
  constructor(
    readonly args: string[],
    readonly status: number | null,
    readonly stderr: string,
  ) {
    super(`git ${args[0] ?? ""} failed: ${firstLine(stderr) || `exit ${status}`}`);
    this.name = "GitError";
  }
}

function firstLine(s: string): string {
  return (
    s
      .split("\n")
      .find((l) => l.trim().length > 0)
      ?.trim() ?? ""
  );
}

// Stable, parseable output regardless of user configuration.
const BASE_ARGS = [
  "-c",
  "core.quotePath=false",
  "-c",
  "color.ui=never",
  "-c",
  "diff.noprefix=false",
  "-c",
  "log.showSignature=false",
];

function gitEnv(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  // eslint-disable-next-line no-restricted-properties -- the git child process inherits the environment (not configuration)
  return { ...process.env, LC_ALL: "C", GIT_TERMINAL_PROMPT: "0", GIT_PAGER: "cat", ...extra };
}

/** Run git and return stdout as a string (utf8). Throws GitError on non-zero exit. */
export function git(args: string[], options: GitOptions = {}): Promise<string> {
  return gitBuffer(args, options).then((b) => b.toString("utf8"));
}

/** Run git and return raw stdout bytes. */
export function gitBuffer(args: string[], options: GitOptions = {}): Promise<Buffer> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn("git", [...BASE_ARGS, ...args], {
      cwd: options.cwd,
      env: gitEnv(options.env),
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    child.on("error", (e) => reject(new UserError(`cannot run git: ${e.message}`)));
    child.on("close", (code) => {
      if (code === 0) resolvePromise(Buffer.concat(out));
      else reject(new GitError(args, code, Buffer.concat(err).toString("utf8")));
    });
    child.stdin.on("error", () => {
      /* git may exit before reading stdin */
    });
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
  });
}

/** Synchronous variant for hot paths where spawn overhead dominates (hooks). */
export function gitSync(args: string[], options: GitOptions = {}): string {
  const r = spawnSync("git", [...BASE_ARGS, ...args], {
    cwd: options.cwd,
    env: gitEnv(options.env),
    input: options.input,
    maxBuffer: 1 << 30,
  });
  if (r.error) throw new UserError(`cannot run git: ${r.error.message}`);
  if (r.status !== 0) throw new GitError(args, r.status, r.stderr.toString("utf8"));
  return r.stdout.toString("utf8");
}

/**
 * Stream git's stdout line by line without buffering the whole output
 * (history scans and `log --numstat` over 10k+ commits).
 * Lines are decoded as UTF-8; invalid sequences become U+FFFD rather than failing.
 */
export async function* gitLines(args: string[], options: GitOptions = {}): AsyncGenerator<string> {
  yield* startGitLines(args, options).lines;
}

/** gitLines one array per chunk of output (see startGitLines): for consumers of many lines. */
export async function* gitLineBatches(args: string[], options: GitOptions = {}): AsyncGenerator<string[]> {
  yield* startGitLines(args, options).batches;
}

/**
 * Like gitLines, but git starts now rather than on the first read, so it runs while the caller
 * does other work (a hook loading the scanner), and the lines come as one array per chunk of
 * output (`batches`; `lines` is the same one by one): far fewer promises than a line each.
 * Read one of the two. Output is taken from the start (node discards a child's unread output
 * when it exits); past 4,096 unread lines the pipe is paused until they are read (git then
 * waits). Call `cancel()` when done (a no-op once the output was read to the end): it kills a
 * git process whose output was not read, which would otherwise keep the process alive.
 */
export function startGitLines(
  args: string[],
  options: GitOptions = {},
): { batches: AsyncGenerator<string[]>; lines: AsyncGenerator<string>; cancel(): void } {
  const child = spawn("git", [...BASE_ARGS, ...args], {
    cwd: options.cwd,
    env: gitEnv(options.env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const err: Buffer[] = [];
  child.stderr.on("data", (d: Buffer) => err.push(d));
  let spawnError: Error | undefined;
  child.on("error", (e) => {
    spawnError = e;
  });
  const closed = new Promise<number | null>((res) => child.on("close", (code) => res(code)));
  const splitter = new LineSplitter();
  let pending: string[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  const stdout = child.stdout;
  stdout.on("data", (chunk: Buffer) => {
    splitter.push(chunk, pending);
    if (pending.length >= 4096) stdout.pause();
    wake?.();
  });
  stdout.on("end", () => {
    splitter.end(pending);
    ended = true;
    wake?.();
  });
  // a spawn failure or a killed git may never end stdout
  stdout.on("close", () => {
    ended = true;
    wake?.();
  });
  let finished = false;
  async function* batches(): AsyncGenerator<string[]> {
    try {
      for (;;) {
        if (pending.length > 0) {
          const batch = pending;
          pending = [];
          if (stdout.isPaused()) stdout.resume();
          yield batch;
        } else if (ended) break;
        else await new Promise<void>((r) => (wake = r));
        wake = undefined;
      }
      finished = true;
    } finally {
      if (!finished) child.kill();
    }
    const code = await closed;
    if (spawnError) throw new UserError(`cannot run git: ${spawnError.message}`);
    if (code !== 0) throw new GitError(args, code, Buffer.concat(err).toString("utf8"));
  }
  const all = batches();
  async function* lines(): AsyncGenerator<string> {
    for await (const batch of all) yield* batch;
  }
  return {
    batches: all,
    lines: lines(),
    cancel() {
      if (finished) return;
      child.kill();
      stdout.destroy();
    },
  };
}

const rootCache = new Map<string, string | undefined>();

/**
 * Absolute path of the repository's top level, or undefined outside a work tree. Cached per
 * directory for the life of the process: several domains ask during one hook run, and each
 * uncached answer is a synchronous git process.
 */
export function repoRoot(cwd: string = process.cwd()): string | undefined {
  if (rootCache.has(cwd)) return rootCache.get(cwd);
  const r = spawnSync("git", ["rev-parse", "--show-toplevel"], { cwd, env: gitEnv(), encoding: "utf8" });
  const root = r.status === 0 ? r.stdout.trim() : undefined;
  // Only a found root is cached: `git init` in a long-lived library process can create one later.
  if (root) rootCache.set(cwd, root);
  return root;
}

/** Like repoRoot but a UserError (exit 2) when not inside a repository. */
export function requireRepoRoot(cwd: string = process.cwd(), what = "this command"): string {
  const root = repoRoot(cwd);
  if (!root) throw new UserError(`${what} needs a git repository, and ${cwd} is not inside one`);
  return root;
}

/** Resolve a revision to a full SHA, or throw a UserError naming it. */
export async function resolveRev(rev: string, cwd?: string): Promise<string> {
  try {
    return (await git(["rev-parse", "--verify", "--quiet", `${rev}^{commit}`], { cwd })).trim();
  } catch {
    throw new UserError(`unknown revision: ${rev}`);
  }
}

/** True when the repository is a shallow clone (history is incomplete). */
export function isShallow(cwd?: string): boolean {
  try {
    return gitSync(["rev-parse", "--is-shallow-repository"], { cwd }).trim() === "true";
  } catch {
    return false;
  }
}

/** `'...'` quoting for sh: every byte literal, a `'` closed, escaped and reopened. */
function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

const SHELL_DONE = "::gitops-health-done ";

/**
 * Many short git commands through one long-lived `sh`, one after another: a spawn from a large
 * node process costs about 10 ms of CPU (bench: SZZ's thousands of `git blame`s), a fork from a
 * small shell a fraction of that. Each command's stdout comes back as lines with its exit status
 * (for commands whose output ends with a line end, as git's porcelain formats do); stderr is discarded (callers that need git's message use `git`). Not for commands whose output
 * could contain a line starting with "::gitops-health-done " (blame --incremental and --porcelain
 * cannot: each of their lines starts with a hash, a header key or a tab). Undefined where there is
 * no POSIX shell (Windows): callers fall back to one spawn per command.
 */
export class GitShell {
  private readonly child;
  private readonly splitter = new LineSplitter();
  private lines: string[] = [];
  private waiting?: (r: { lines: string[]; status: number }) => void;
  private failed?: Error;

  private constructor(options: GitOptions) {
    this.child = spawn("sh", ["-s"], {
      cwd: options.cwd,
      env: gitEnv(options.env),
      stdio: ["pipe", "pipe", "ignore"],
    });
    this.child.on("error", (e) => this.fail(e));
    this.child.on("close", () => this.fail(new Error("the shell exited")));
    this.child.stdin.on("error", (e) => this.fail(e));
    this.child.stdout.on("data", (chunk: Buffer) => {
      const out: string[] = [];
      this.splitter.push(chunk, out);
      for (const l of out) {
        if (l.startsWith(SHELL_DONE)) {
          const done = { lines: this.lines, status: Number(l.slice(SHELL_DONE.length)) };
          this.lines = [];
          const w = this.waiting;
          this.waiting = undefined;
          w?.(done);
        } else this.lines.push(l);
      }
    });
  }

  static open(options: GitOptions = {}): GitShell | undefined {
    return process.platform === "win32" ? undefined : new GitShell(options);
  }

  private fail(e: Error): void {
    this.failed ??= e;
    const w = this.waiting;
    this.waiting = undefined;
    w?.({ lines: [], status: -1 });
  }

  /** Run `git args...`; one command at a time per shell (await each before the next). */
  run(args: string[]): Promise<{ lines: string[]; status: number }> {
    if (this.failed) return Promise.reject(new UserError(`cannot run git: ${this.failed.message}`));
    return new Promise((resolve, reject) => {
      this.waiting = (r) =>
        r.status < 0 ? reject(new UserError(`cannot run git: ${this.failed?.message}`)) : resolve(r);
      this.child.stdin.write(
        `git ${[...BASE_ARGS, ...args].map(shQuote).join(" ")} 2>/dev/null </dev/null; echo "${SHELL_DONE}$?"\n`,
      );
    });
  }

  close(): void {
    this.child.stdin.end();
  }
}
