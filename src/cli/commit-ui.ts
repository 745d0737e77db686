// Terminal interaction of `commit generate`: the prepare-commit-msg hook's report, the candidate
// picker and the editor. The generation itself is src/commit/generate-service.ts.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { spawnSync } from "node:child_process";
import { writeFileAtomic } from "../core/fs.js";
import { UserError, errorMessage } from "../core/errors.js";
import { commentChar, fillMessageFile, hasContent } from "../commit/generate/message-file.js";
import type { GenerateResult } from "../commit/generate/index.js";
import { say, color } from "./output.js";

/**
 * prepare-commit-msg: git passes MSGFILE, SOURCE (message, template, merge, squash, commit or
 * empty) and SHA. Fill the file only when git has no message of its own, keeping git's comment
 * lines. A failure never blocks the commit: it is reported and the file is left untouched.
 */
export async function runHook(options: {
  cwd: string;
  msgFile: string;
  source: string;
  skipSources: Set<string>;
  generate: () => Promise<GenerateResult>;
}): Promise<"skipped" | "written" | "failed"> {
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
    writeFileAtomic(file, fillMessageFile(existing, text, comment));
    return "written";
  } catch (err) {
    say(`gitops-health: commit message not generated: ${errorMessage(err).split("\n")[0]}`);
    return "failed";
  }
}

/** Open $VISUAL/$EDITOR (vi as a last resort) on the text; returns the edited text without comment lines. */
export function editInEditor(text: string, editor = process.env.VISUAL || process.env.EDITOR || "vi"): string {
  const dir = mkdtempSync(join(tmpdir(), "gh-msg-"));
  const file = join(dir, "COMMIT_EDITMSG");
  try {
    writeFileSync(file, `${text.trimEnd()}\n\n# Edit the message. Lines starting with '#' are ignored.\n`);
    const r = spawnSync(`${editor} "${file}"`, { stdio: "inherit", shell: true });
    if (r.status !== 0) return text;
    return (
      readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => !l.startsWith("#"))
        .join("\n")
        .trim() + "\n"
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * TTY only: show candidates, then pick (number), edit (e N), regenerate (r) or quit (q).
 * Returns the chosen text, or undefined when the user quits.
 */
export async function chooseInteractively(
  initial: GenerateResult,
  regenerate: () => Promise<GenerateResult>,
): Promise<string | undefined> {
  let result = initial;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    for (;;) {
      result.candidates.forEach((c, i) => {
        say(color.bold(`[${i + 1}] ${c.header}`) + (c.lint.valid ? "" : color.red("  (commitlint errors)")));
        say(color.dim(c.text.split("\n").slice(1).join("\n").trim()));
      });
      const answer = (
        await rl.question(`pick 1-${result.candidates.length}, e N to edit, r to regenerate, q to quit [1]: `)
      )
        .trim()
        .toLowerCase();
      if (answer === "q") return undefined;
      if (answer === "r") {
        result = await regenerate();
        continue;
      }
      const edit = /^e\s*(\d*)$/.exec(answer);
      const index = Number((edit ? edit[1] : answer) || "1") - 1;
      const c = result.candidates[index];
      if (!c) {
        say(`no candidate ${answer}`);
        continue;
      }
      return edit ? editInEditor(c.text) : c.text;
    }
  } finally {
    rl.close();
  }
}
