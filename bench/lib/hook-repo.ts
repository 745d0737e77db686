// The pre-commit benchmark's repository: a staged change of 20 source files and 500 added lines.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A new repository (in a temp dir) with one commit and 20 files of 25 lines staged. */
export function makeHookRepo(prefix = "gh-hook-"): string {
  const repo = mkdtempSync(join(tmpdir(), prefix));
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: "b",
    GIT_AUTHOR_EMAIL: "b@b.invalid",
    GIT_COMMITTER_NAME: "b",
    GIT_COMMITTER_EMAIL: "b@b.invalid",
  };
  const git = (...a: string[]) => execFileSync("git", a, { cwd: repo, env });
  git("init", "-q");
  writeFileSync(join(repo, "README.md"), "x\n");
  git("add", "-A");
  git("commit", "-qm", "init");
  mkdirSync(join(repo, "src"));
  for (let i = 0; i < 20; i++) {
    const body = Array.from(
      { length: 25 },
      (_, k) => `export function handler${i}_${k}(req: Request): number { return req.headers.length + ${k}; }`,
    ).join("\n");
    writeFileSync(join(repo, "src", `module${i}.ts`), body + "\n");
  }
  git("add", "-A");
  return repo;
}
