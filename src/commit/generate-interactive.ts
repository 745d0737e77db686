import { createInterface } from "node:readline/promises";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { say, color } from "../cli/output.js";
import type { GenerateResult } from "./generate-service.js";

/** Open $VISUAL/$EDITOR (vi as a last resort) on the text; returns the edited text without comment lines. */
export function editInEditor(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "gh-msg-"));
  const file = join(dir, "COMMIT_EDITMSG");
  try {
    writeFileSync(file, `${text.trimEnd()}\n\n# Edit the message. Lines starting with '#' are ignored.\n`);
    const editor = process.env.VISUAL || process.env.EDITOR || "vi";
    const r = spawnSync(`${editor} "${file}"`, { stdio: "inherit", shell: true });
    if (r.status !== 0) return text;
    return readFileSync(file, "utf8").split("\n").filter((l) => !l.startsWith("#")).join("\n").trim() + "\n";
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * TTY only: show candidates, then pick (number), edit (e N), regenerate (r) or quit (q).
 * Returns the chosen text, or undefined when the user quits.
 */
export async function chooseInteractively(initial: GenerateResult, regenerate: () => Promise<GenerateResult>): Promise<string | undefined> {
  let result = initial;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    for (;;) {
      result.candidates.forEach((c, i) => {
        say(color.bold(`[${i + 1}] ${c.header}`) + (c.lint.valid ? "" : color.red("  (commitlint errors)")));
        say(color.dim(c.text.split("\n").slice(1).join("\n").trim()));
      });
      const answer = (await rl.question(`pick 1-${result.candidates.length}, e N to edit, r to regenerate, q to quit [1]: `)).trim().toLowerCase();
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
