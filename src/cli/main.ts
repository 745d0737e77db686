import { Command, CommanderError } from "commander";
import { UserError, errorMessage } from "../core/errors.js";
import { packageVersion } from "../core/paths.js";
import { register as registerScan } from "./commands/scan.js";
import { register as registerSanitize } from "./commands/sanitize.js";
import { register as registerHooks } from "./commands/hooks.js";
import { register as registerInit } from "./commands/init.js";
import { register as registerAudit } from "./commands/audit.js";
import { register as registerCompliance } from "./commands/compliance.js";
import { register as registerPolicy } from "./commands/policy.js";
import { register as registerCommit } from "./commands/commit.js";
import { register as registerRisk } from "./commands/risk.js";
import { register as registerForensics } from "./commands/forensics.js";
import { register as registerRun } from "./commands/run.js";

/**
 * The CLI is a thin front: each command module parses flags and calls its domain.
 * Heavy dependencies are imported lazily inside actions so hooks start fast.
 */
export function buildProgram(): Command {
  const program = new Command("gitops-health")
    .description("Compliance-grade change control for healthcare software, inside your git workflow.")
    .version(packageVersion())
    .option("--config <file>", "path to .gitops-health.yml (default: search upward from the working directory)")
    .showHelpAfterError(false)
    .exitOverride();
  for (const register of [registerScan, registerSanitize, registerHooks, registerInit, registerAudit, registerCompliance, registerPolicy, registerCommit, registerRisk, registerForensics, registerRun]) {
    register(program);
  }
  // Apply exitOverride to every subcommand so usage errors exit 2, not 1.
  const walk = (c: Command) => {
    c.exitOverride();
    c.commands.forEach(walk);
  };
  walk(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.code === "commander.help") return 0;
      // commander already printed its one-line message
      return 2;
    }
    if (err instanceof UserError) {
      process.stderr.write(`gitops-health: ${err.message}\n`);
      return err.exitCode;
    }
    const code = (err as { exitCode?: unknown }).exitCode;
    process.stderr.write(`gitops-health: ${errorMessage(err).split("\n")[0]}\n`);
    if (process.env.GITOPS_HEALTH_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return typeof code === "number" ? code : 2;
  }
}

// Run when executed as the CLI entry (bundled dist/cli.js or `tsx src/cli/main.ts`).
const entry = process.argv[1] ?? "";
if (/(?:cli\.js|main\.ts|gitops-health)$/.test(entry)) {
  // `gitops-health ... | head` closes the pipe early: that is not an error.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EPIPE") process.exit(process.exitCode === undefined ? 0 : Number(process.exitCode));
    });
  }
  main(process.argv).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`gitops-health: ${errorMessage(err)}\n`);
      process.exitCode = 2;
    },
  );
}
