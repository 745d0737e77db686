import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { execFileSync, spawnSync } from "node:child_process";

/** A real git repository in a temp dir, for tests. */
export interface TempRepo {
  dir: string;
  git(...args: string[]): string;
  write(path: string, content: string | Buffer): void;
  commit(message: string, files?: Record<string, string>, opts?: { date?: string; author?: string }): string;
  cleanup(): void;
}

const ENV = {
  GIT_AUTHOR_NAME: "Test Author",
  GIT_AUTHOR_EMAIL: "author@example.invalid",
  GIT_COMMITTER_NAME: "Test Author",
  GIT_COMMITTER_EMAIL: "author@example.invalid",
  GIT_CONFIG_NOSYSTEM: "1",
};

export function makeTempDir(prefix = "gh-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function makeRepo(): TempRepo {
  const dir = makeTempDir("gh-repo-");
  const run = (args: string[], env: Record<string, string> = {}) =>
    execFileSync("git", args, { cwd: dir, env: { ...process.env, ...ENV, ...env }, encoding: "utf8" });
  run(["init", "-q", "-b", "main"]);
  run(["config", "user.name", ENV.GIT_AUTHOR_NAME]);
  run(["config", "user.email", ENV.GIT_AUTHOR_EMAIL]);
  run(["config", "commit.gpgsign", "false"]);
  const repo: TempRepo = {
    dir,
    git: (...args) => run(args),
    write(path, content) {
      const full = join(dir, path);
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, content);
    },
    commit(message, files = {}, opts = {}) {
      for (const [p, c] of Object.entries(files)) repo.write(p, c);
      run(["add", "-A"]);
      const env: Record<string, string> = {};
      if (opts.date) env.GIT_AUTHOR_DATE = env.GIT_COMMITTER_DATE = opts.date;
      if (opts.author) {
        const m = /^(.*) <(.*)>$/.exec(opts.author);
        if (m) {
          env.GIT_AUTHOR_NAME = m[1]!;
          env.GIT_AUTHOR_EMAIL = m[2]!;
        }
      }
      run(["commit", "-q", "--allow-empty", "-m", message], env);
      return run(["rev-parse", "HEAD"]).trim();
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return repo;
}

/** Run the built CLI (dist/cli.js) as a real process. */
export function runCli(args: string[], options: { cwd?: string; input?: string; env?: Record<string, string> } = {}) {
  const cli = join(__dirname_of(import.meta.url), "..", "..", "dist", "cli.js");
  const r = spawnSync(process.execPath, [cli, ...args], {
    cwd: options.cwd,
    input: options.input,
    env: { ...process.env, ...ENV, NO_COLOR: "1", ...options.env },
    encoding: "utf8",
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function __dirname_of(url: string): string {
  return dirname(new URL(url).pathname);
}
