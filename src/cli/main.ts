import type { Command } from "commander";
import { UserError, errorMessage } from "../core/errors.js";
import { packageVersion } from "../core/paths.js";

type Module = Promise<{ register(program: Command): void }>;
/** Loaded by buildProgram: every command but the hook's scan goes through commander. */
let commander: typeof import("commander") | undefined;
/**
 * Command modules in help order, with the command names each registers. They load on demand:
 * a hook runs one command, so it parses only that command's module.
 */
const COMMANDS: [string[], () => Module][] = [
  [["scan"], () => import("./commands/scan.js")],
  [["sanitize"], () => import("./commands/sanitize.js")],
  // has-command (run by installed hooks) inspects every command, so it is not listed here
  [["hooks"], () => import("./commands/hooks.js")],
  [["init"], () => import("./commands/init.js")],
  [["audit"], () => import("./commands/audit.js")],
  [["compliance"], () => import("./commands/compliance.js")],
  [["policy"], () => import("./commands/policy.js")],
  [["commit"], () => import("./commands/commit.js")],
  [["risk"], () => import("./commands/risk.js")],
  [["forensics"], () => import("./commands/forensics.js")],
  [["run", "approve", "runs"], () => import("./commands/run.js")],
];

/**
 * The CLI is a thin front: each command module parses flags and calls its domain.
 * Heavy dependencies are imported lazily inside actions so hooks start fast.
 */
export async function buildProgram(argv: string[] = process.argv): Promise<Command> {
  commander ??= await import("commander");
  const { Command } = commander;
  const program = new Command("gitops-health")
    .description("Compliance-grade change control for healthcare software, inside your git workflow.")
    .version(packageVersion())
    .option("--config <file>", "path to .gitops-health.yml (default: search upward from the working directory)")
    .showHelpAfterError(false)
    .exitOverride();
  // `gitops-health <command> ...` needs only that command; anything else (help, a global
  // option first, a typo to suggest against) gets all of them.
  const named = COMMANDS.filter(([names]) => names.includes(argv[2] ?? ""));
  for (const m of await Promise.all((named.length ? named : COMMANDS).map(([, load]) => load()))) m.register(program);
  // Apply exitOverride to every subcommand so usage errors exit 2, not 1.
  const walk = (c: Command) => {
    c.exitOverride();
    c.commands.forEach(walk);
  };
  walk(program);
  return program;
}

/**
 * The pre-commit hook's command line, `scan --staged` and nothing else: it runs without
 * commander (whose parse and set-up cost a hook more than the scan itself). Commander would
 * only call the scan action with these flags' defaults, which runScan applies itself.
 */
function isHookScan(argv: string[]): boolean {
  return argv.length === 4 && argv[2] === "scan" && argv[3] === "--staged";
}

export async function main(argv: string[]): Promise<number> {
  const hook = isHookScan(argv) ? await import("./commands/scan-run.js") : undefined;
  const program = hook ? undefined : await buildProgram(argv);
  try {
    if (hook) await hook.runScan([], { staged: true });
    else await program!.parseAsync(argv);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    if (commander && err instanceof commander.CommanderError) {
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
