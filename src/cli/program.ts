import type { Command } from "commander";
import { packageVersion } from "../core/paths.js";
import { exitCodeOf } from "./exit.js";

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
  // has-command (run by installed hooks) is registered by hooks.js: see buildProgram
  [["hooks"], () => import("./commands/hooks.js")],
  [["init"], () => import("./commands/init.js")],
  [["audit"], () => import("./commands/audit.js")],
  [["compliance"], () => import("./commands/compliance.js")],
  [["check"], () => import("./commands/check.js")],
  [["review"], () => import("./commands/review.js")],
  [["policy"], () => import("./commands/policy.js")],
  [["commit"], () => import("./commands/commit.js")],
  [["risk"], () => import("./commands/risk.js")],
  [["forensics"], () => import("./commands/forensics.js")],
  [["run", "approve", "runs"], () => import("./commands/run.js")],
  [["serve", "token", "db", "worker"], () => import("./commands/serve.js")],
  [["proxy"], () => import("./commands/proxy.js")],
  [["deploy", "incident"], () => import("./commands/deploy.js")],
  [["report"], () => import("./commands/report.js")],
  [["pipeline"], () => import("./commands/pipeline.js")],
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
  // `gitops-health <command> ...` needs only that command, and `has-command <command> ...` (run
  // by installed hooks before every hook) only that command and hooks.js, which registers
  // has-command; anything else (help, a global option first, a typo to suggest against, a
  // command not listed) gets all of them.
  const asked = argv[2] === "has-command" ? argv[3] : argv[2];
  let named = COMMANDS.filter(([names]) => names.includes(asked ?? ""));
  if (named.length && argv[2] === "has-command")
    named = [...new Set([...named, ...COMMANDS.filter(([names]) => names.includes("hooks"))])];
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
 * Run the CLI; `hookScan` when argv is the pre-commit hook's `scan --staged` and nothing else
 * (see main.ts): then it runs without commander, whose parse and set-up cost a hook more than
 * the scan itself. Commander would only call the scan action with the flags' defaults, which
 * runScan applies itself.
 */
export async function main(argv: string[], hookScan = false): Promise<number> {
  const hook = hookScan ? await import("./commands/scan-run.js") : undefined;
  const program = hook ? undefined : await buildProgram(argv);
  try {
    if (hook) await hook.runScan([], { staged: true });
    else await program!.parseAsync(argv);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    if (commander && err instanceof commander.CommanderError) {
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.code === "commander.help")
        return 0;
      // commander already printed its one-line message
      return 2;
    }
    return exitCodeOf(err);
  }
}
