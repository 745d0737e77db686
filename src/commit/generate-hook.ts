import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { spawn } from "node:child_process";
import { writeFileAtomic } from "../core/fs.js";
import { UserError, errorMessage } from "../core/errors.js";
import { gitSync } from "../git/exec.js";
import { say } from "../cli/output.js";
import type { GenerateResult } from "./generate-service.js";

function commentChar(cwd: string): string {
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
 * prepare-commit-msg: git passes MSGFILE, SOURCE (message, template, merge, squash, commit or
 * empty) and SHA. Fill the file only when git has no message of its own, keeping git's comment
 * lines. A failure never blocks the commit: it is reported and the file is left untouched.
 */
export async function runHook(options: { cwd: string; msgFile: string; source: string; skipSources: Set<string>; generate: () => Promise<GenerateResult> }): Promise<"skipped" | "written" | "failed"> {
  if (options.skipSources.has(options.source)) return "skipped";
  const file = resolve(options.cwd, options.msgFile);
  if (!existsSync(file)) throw new UserError(`--hook: message file ${options.msgFile} does not exist`);
  const existing = readFileSync(file, "utf8");
  const comment = commentChar(options.cwd);
  if (hasContent(existing, comment)) return "skipped";
  try {
    const result = await options.generate();
    const text = result.candidates[0]?.text;
    if (!text) return "failed";
    const scissors = existing.indexOf(`${comment} ------------------------ >8 ------------------------`);
    const head = scissors >= 0 ? existing.slice(0, scissors) : existing;
    const comments = head.split("\n").filter((l) => l.startsWith(comment));
    let tail = comments.join("\n") + (comments.length ? "\n" : "");
    if (scissors >= 0) tail += existing.slice(scissors);
    writeFileAtomic(file, `${text.trimEnd()}\n\n${tail}`);
    return "written";
  } catch (err) {
    say(`gitops-health: commit message not generated: ${errorMessage(err).split("\n")[0]}`);
    return "failed";
  }
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
