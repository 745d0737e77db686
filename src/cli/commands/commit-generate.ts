import type { Command } from "commander";
import { UserError } from "../../core/errors.js";
import { parseFormat, say, writeJson, writeOut, color } from "../output.js";
import { processEnvironment, readEnv } from "../../config/env.js";

interface GenerateFlags {
  provider?: string;
  model?: string;
  n: string;
  format?: string;
  write?: string | boolean;
  commit?: boolean;
  hook?: string;
}

/** Message sources for which git already has the message: the hook must leave it alone. */
const HOOK_SKIP_SOURCES = new Set(["message", "merge", "squash", "commit"]);

/** Registers `commit generate` on the `commit` command. */
export function registerGenerate(commit: Command): void {
  commit
    .command("generate")
    .description("write a Conventional Commits message for the staged change (offline by default)")
    .argument("[hookArgs...]", "with --hook: git's SOURCE and SHA arguments")
    .option("--provider <name>", "offline (default), openai, anthropic, azure, google, openai-compatible")
    .option("--model <id>", "model id for the provider")
    .option("-n <count>", "number of candidates", "1")
    .option("--format <format>", "text or json", "text")
    .option("--write [file]", "write the message to a file (default: <git-dir>/gitops-health/COMMIT_MSG)")
    .option("--commit", "after writing, run `git commit -F <file>` (never done without this flag)")
    .option("--hook <msgfile>", "prepare-commit-msg mode: fill MSGFILE unless git already has a message")
    .addHelpText(
      "after",
      "\nEnvironment: GITOPS_HEALTH_LLM_PROVIDER, GITOPS_HEALTH_LLM_MODEL, GITOPS_HEALTH_LLM_BASE_URL and the\n" +
        "provider's API key (OPENAI_API_KEY, ANTHROPIC_API_KEY, AZURE_API_KEY, GOOGLE_GENERATIVE_AI_API_KEY).\n" +
        "Prompts pass the LLM gateway: PHI and secrets are redacted first and every call is recorded in the ledger.",
    )
    .action(async (hookArgs: string[], flags: GenerateFlags, cmd: Command) => {
      const format = parseFormat(flags.format, ["text", "json"] as const, "text");
      const n = Number(flags.n);
      if (!Number.isInteger(n) || n < 1 || n > 10)
        throw new UserError(`-n must be an integer from 1 to 10 (got "${flags.n}")`);
      const configFile = (cmd.optsWithGlobals() as { config?: string }).config;
      const cwd = process.cwd();
      const { requireRepoRoot } = await import("../../git/exec.js");
      const root = requireRepoRoot(cwd, "commit generate");
      const { generateCommitMessages } = await import("../../commit/generate/index.js");
      const env = readEnv();
      const run = () =>
        generateCommitMessages({
          cwd,
          root,
          configFile,
          provider: flags.provider ?? env.llmProvider,
          model: flags.model ?? env.llmModel,
          n,
          env: processEnvironment(),
          ledger: env.ledger,
          ledgerHmacKey: env.ledgerHmacKey,
        });

      if (flags.hook !== undefined) {
        const { runHook } = await import("../commit-ui.js");
        await runHook({
          cwd,
          msgFile: flags.hook,
          source: hookArgs[0] ?? "",
          skipSources: HOOK_SKIP_SOURCES,
          generate: run,
        });
        return;
      }
      if (hookArgs.length)
        throw new UserError(`unexpected argument "${hookArgs[0]}" (SOURCE and SHA are only accepted with --hook)`);

      let result = await run();
      if (result.candidates.length === 0) throw new UserError("no candidate message was produced");
      for (const note of result.notes) say(color.dim(`note: ${note}`));
      if (result.omitted.length)
        say(color.yellow(`left out of the prompt: ${result.omitted.map((o) => `${o.path} (${o.reason})`).join(", ")}`));

      let chosen = result.candidates[0]!.text;
      const interactive = Boolean(process.stdin.isTTY && process.stderr.isTTY) && format === "text";
      if (interactive) {
        const { chooseInteractively } = await import("../commit-ui.js");
        const picked = await chooseInteractively(result, async () => (result = await run()));
        if (picked === undefined) {
          say("aborted: no message chosen");
          process.exitCode = 1;
          return;
        }
        chosen = picked;
        if (!result.candidates.some((c) => c.text === chosen)) {
          // An edited message gets the same check as a generated one.
          const { loadLintSetup, lintMessage } = await import("../../commit/lint.js");
          const lint = await lintMessage(chosen, await loadLintSetup(root));
          if (!lint.valid) {
            say(
              color.red(
                `commitlint (${result.lintConfig}) rejects the edited message: ${lint.errors.map((e) => e.message).join("; ")}`,
              ),
            );
            process.exitCode = 1;
          }
        }
      }
      const invalid = result.candidates.filter((c) => !c.lint.valid);
      for (const c of invalid)
        say(
          color.red(
            `commitlint (${result.lintConfig}) still rejects "${c.header}": ${c.lint.errors.map((e) => e.message).join("; ")}`,
          ),
        );

      if (format === "json") {
        writeJson({
          candidates: result.candidates.map((c) => ({
            text: c.text,
            header: c.header,
            type: c.message.type,
            scope: c.message.scope ?? null,
            valid: c.lint.valid,
            errors: c.lint.errors,
            warnings: c.lint.warnings,
            repaired: c.repaired,
            source: c.source,
          })),
          inference: result.inference,
          trailers: Object.fromEntries(result.trailers),
          phi: {
            impact: result.phi.impact,
            findings: result.phi.findings,
            criticalPaths: result.phi.criticalPaths,
            reasons: result.phi.reasons,
          },
          risk: result.risk ?? null,
          compliance: result.compliance,
          ticket: result.ticket ?? null,
          lintConfig: result.lintConfig,
          provider: result.provider,
          model: result.model ?? null,
          omitted: result.omitted,
          notes: result.notes,
        });
      } else if (!interactive && result.candidates.length > 1) {
        writeOut(result.candidates.map((c) => c.text.trimEnd()).join("\n\n---\n\n"));
      } else if (flags.write === undefined) {
        writeOut(chosen);
      }
      if (invalid.length === result.candidates.length) process.exitCode = 1;

      if (flags.write !== undefined || flags.commit) {
        const { writeMessageFile, commitWithFile } = await import("../../commit/generate/message-file.js");
        const file = writeMessageFile(cwd, typeof flags.write === "string" ? flags.write : undefined, chosen);
        say(`message written to ${file}${flags.commit ? "" : ` (commit with: git commit -F ${file})`}`);
        if (flags.commit) process.exitCode = await commitWithFile(cwd, file);
      }
    });
}
