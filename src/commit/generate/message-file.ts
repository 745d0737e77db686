// Commit message files: git's prepare-commit-msg file, --write and --commit (no terminal interaction).
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { spawn } from "node:child_process";
import { writeFileAtomic } from "../../core/fs.js";
import { gitSync } from "../../git/exec.js";

/** git's comment character for commit messages (core.commentChar; "#" when unset or "auto"). */
export function commentChar(cwd: string): string {
  try {
    const c = gitSync(["config", "--get", "core.commentChar"], { cwd }).trim();
    return c && c !== "auto" ? c : "#";
  } catch {
    return "#";
  }
}

/** True when a commit message file holds something other than comments and blank lines. */
export function hasContent(text: string, comment = "#"): boolean {
  for (const line of text.split("\n")) {
    if (line.startsWith("# ------------------------ >8 ------------------------")) break; // verbose diff follows
    if (line.trim() && !line.startsWith(comment)) return true;
  }
  return false;
}

/**
 * The message file after a generated message is put in: the message, then git's comment lines
 * and anything after the scissors line (a verbose diff) as they were.
 */
export function fillMessageFile(existing: string, text: string, comment = "#"): string {
  const scissors = existing.indexOf(`${comment} ------------------------ >8 ------------------------`);
  const head = scissors >= 0 ? existing.slice(0, scissors) : existing;
  const comments = head.split("\n").filter((l) => l.startsWith(comment));
  let tail = comments.join("\n") + (comments.length ? "\n" : "");
  if (scissors >= 0) tail += existing.slice(scissors);
  return `${text.trimEnd()}\n\n${tail}`;
}

/** `--write`: the message goes to a file (default under the git dir) for `git commit -F`. */
export function writeMessageFile(cwd: string, target: string | undefined, text: string): string {
  let file: string;
  if (target) file = resolve(cwd, target);
  else {
    const gitDir = resolve(cwd, gitSync(["rev-parse", "--git-dir"], { cwd }).trim());
    file = join(gitDir, "gitops-health", "COMMIT_MSG");
  }
  mkdirSync(dirname(file), { recursive: true });
  writeFileAtomic(file, text.endsWith("\n") ? text : text + "\n");
  return file;
}

/** `--commit`: the user asked for the commit; git's own hooks run as usual. */
export function commitWithFile(cwd: string, file: string): Promise<number> {
  return new Promise((res) => {
    const child = spawn("git", ["commit", "-F", file], { cwd, stdio: ["ignore", "inherit", "inherit"] });
    child.on("close", (code) => res(code ?? 1));
    child.on("error", () => res(2));
  });
}
