import type { Command } from "commander";
import { readFileSync } from "node:fs";
import { UserError } from "../../core/errors.js";
import { git, requireRepoRoot } from "../../git/exec.js";
import { color, readStdin, say } from "../output.js";

/** `commit lint [FILE | - | --range A..B]`: the commit-msg hook and a CI check. */
export function registerLint(commit: Command): void {
  commit
    .command("lint")
    .description(
      "lint commit messages: Conventional Commits (config-conventional rules), trailers, compliance citations, PHI and secrets",
    )
    .argument("[file]", "message file (the commit-msg hook passes .git/COMMIT_EDITMSG), or - for stdin")
    .option("--range <A..B>", "lint every commit message in a range")
    .action(async (file: string | undefined, o: { range?: string }, cmd: Command) => {
      const { cleanMessage, parseCommitMessage } = await import("../../commit/message.js");
      const { loadLintSetup, conventionalLintSetup, lintMessage, lintProblems } = await import("../../commit/lint.js");
      const { findControl } = await import("../../policy/controls.js");
      const messages: { id: string; sha?: string; text: string }[] = [];
      if (o.range) {
        const cwd = requireRepoRoot(process.cwd(), "commit lint --range");
        let out: string;
        try {
          out = await git(["log", "--no-merges", "--format=%H%x00%B%x01", o.range], { cwd });
        } catch {
          throw new UserError(`unknown range ${o.range}`);
        }
        for (const rec of out.split("\x01")) {
          const [sha, body] = rec.replace(/^\n/, "").split("\x00");
          if (sha && body !== undefined) messages.push({ id: sha.slice(0, 12), sha, text: body.trim() });
        }
      } else if (file === undefined || file === "-")
        messages.push({ id: "stdin", text: cleanMessage(await readStdin()) });
      else {
        try {
          messages.push({ id: file, text: cleanMessage(readFileSync(file, "utf8")) });
        } catch {
          throw new UserError(`cannot read ${file}`);
        }
      }
      // The repository's own header convention (.gitops-health.yml, commitlint config, history); outside a repository, Conventional Commits.
      const { repoRoot } = await import("../../git/exec.js");
      const root = repoRoot(process.cwd());
      const { loadConfigFast } = await import("../../config/fast.js");
      const { config } = await loadConfigFast({
        file: (cmd.optsWithGlobals() as { config?: string }).config,
        cwd: root ?? undefined,
      });
      let convention: import("../../commit/convention.js").Convention | undefined;
      // commitlint's rules: the repository's commitlint config, else config-conventional
      const setup = root ? await loadLintSetup(root) : await conventionalLintSetup();
      if (root) {
        const { repoConvention } = await import("../../commit/convention-io.js");
        convention = await repoConvention(root, config);
      }
      // PHI and secrets in the messages, with the scan config (custom rules, allowlists, failOn)
      const { prepareWith, needsGlob } = await import("../../scan/prepare.js");
      const { scanMessage } = await import("../../scan/messages.js");
      const { severityAtLeast } = await import("../../core/vocabulary.js");
      const { scanFailOn } = await import("../../config/defaults.js");
      const scanOptions = { scan: config.scan };
      const prepared = prepareWith(
        scanOptions,
        needsGlob(scanOptions) ? (await import("picomatch")).default : undefined,
      );
      let errors = 0;
      for (const m of messages) {
        const problems = lintProblems(await lintMessage(m.text, setup, convention));
        for (const f of scanMessage(prepared, m.text, m.sha)) {
          const failing = severityAtLeast(f.severity, scanFailOn(config));
          problems.push({
            level: failing ? 2 : 1,
            rule: f.ruleId,
            message: `${f.category}${f.hipaaIdentifier ? ` (HIPAA identifier ${f.hipaaIdentifier})` : ""} in the message at ${f.line}:${f.column}: ${f.preview}; commit messages reach every clone, keep identifiers out of them`,
          });
        }
        for (const c of parseCommitMessage(m.text).trailers["Compliance"] ?? []) {
          for (const code of c.split(/[,\s]+/).filter(Boolean))
            if (!findControl(code))
              problems.push({
                level: 2,
                rule: "compliance-citation",
                message: `unknown compliance citation "${code}" (not in the control catalog)`,
              });
        }
        for (const p of problems)
          say(`${m.id}: ${p.level === 2 ? color.red("error") : color.yellow("warning")} ${p.message} [${p.rule}]`);
        errors += problems.filter((p) => p.level === 2).length;
      }
      if (errors) {
        say(`${errors} error(s) in ${messages.length} message(s)`);
        process.exitCode = 1;
      }
    });
}
