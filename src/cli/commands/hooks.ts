import type { Command } from "commander";
import { chmodSync, existsSync, mkdirSync, readFileSync, unlinkSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";
import { UserError } from "../../core/errors.js";
import { writeFileAtomic } from "../../core/fs.js";
import { gitSync, requireRepoRoot } from "../../git/exec.js";
import { say } from "../output.js";

const MARK = "# installed by gitops-health";
const HOOKS: Record<string, string> = {
  "pre-commit": `scan --staged`,
  "commit-msg": `commit lint "$1"`,
  "prepare-commit-msg": `commit generate --hook "$1" "$2" "$3"`,
};

/**
 * The name of the program chunk the CLI at `cli` loads ("program-<content hash>.js"): esbuild's
 * chunk names hash their content and the names of the chunks they import, so the same name means
 * the same set of commands. Undefined when running from sources.
 */
function buildMark(cli: string): string | undefined {
  try {
    return /program-[A-Z0-9]+\.js/.exec(readFileSync(cli, "utf8"))?.[0];
  } catch {
    return undefined;
  }
}

function hookScript(name: string, cli: string): string {
  const sub = HOOKS[name]!;
  const first = sub
    .split(" ")
    .filter((w) => /^[a-z][a-z-]*$/.test(w))
    .slice(0, 2)
    .join(" ");
  const mark = buildMark(cli);
  // Every version has `scan --staged`. Other commands may be missing from an older or newer CLI:
  // that one is asked first (a second node process), unless it is the very build that installed
  // this hook (a grep for its program chunk's name), so a commit starts one node process a hook.
  const ask = `gitops_health has-command ${first} >/dev/null 2>&1 || exit 0`;
  const guard =
    name === "pre-commit"
      ? ""
      : mark
        ? `# Skip quietly when this version of gitops-health has no such command (the installing build has it).\nif ! grep -q '${mark}' "$CLI" 2>/dev/null; then ${ask}; fi\n`
        : `# Skip quietly when this version of gitops-health has no such command.\n${ask}\n`;
  // the path is single-quoted for sh (a path may hold spaces or quotes)
  return `#!/bin/sh
${MARK} (${name})
# Runs: gitops-health ${sub}
CLI=${shQuote(cli)}
gitops_health() { if [ -f "$CLI" ]; then node "$CLI" "$@"; else npx --no-install gitops-health "$@"; fi; }
${guard}gitops_health ${sub}
`;
}

function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** `hooks install|uninstall`: git hooks that call gitops-health. */
export function register(program: Command): void {
  // Hidden: lets installed hooks skip commands an older or newer CLI does not have.
  program
    .command("has-command", { hidden: true })
    .argument("<words...>")
    .action((words: string[]) => {
      let c: Command | undefined = program;
      for (const w of words) c = c?.commands.find((x) => x.name() === w);
      process.exitCode = c ? 0 : 1;
    });
  const hooks = program
    .command("hooks")
    .description("install git hooks (pre-commit scan, commit-msg lint, prepare-commit-msg generate)");
  hooks
    .command("install")
    .option("--hook <name>", "pre-commit | commit-msg | prepare-commit-msg | all", "all")
    .option("--force", "replace a hook that gitops-health did not install")
    .action((flags: { hook: string; force?: boolean }) => {
      const names = flags.hook === "all" ? Object.keys(HOOKS) : [flags.hook];
      for (const n of names)
        if (!HOOKS[n]) throw new UserError(`unknown hook "${n}" (valid: ${Object.keys(HOOKS).join(", ")}, all)`);
      const root = requireRepoRoot(process.cwd(), "hooks install");
      let dir = gitSync(["rev-parse", "--git-path", "hooks"], { cwd: root }).trim();
      if (!isAbsolute(dir)) dir = join(root, dir);
      mkdirSync(dir, { recursive: true });
      const cli = fileURLToPath(new URL(import.meta.url)).replace(/[^/\\]+$/, "cli.js");
      for (const n of names) {
        const file = join(dir, n);
        if (existsSync(file) && !readFileSync(file, "utf8").includes(MARK) && !flags.force) {
          throw new UserError(
            `${file} exists and was not installed by gitops-health; use --force to replace it (or call 'gitops-health ${HOOKS[n]}' from it)`,
          );
        }
        writeFileAtomic(file, hookScript(n, cli), { mode: 0o755 });
        chmodSync(file, 0o755);
        say(`installed ${n} -> gitops-health ${HOOKS[n]}`);
      }
    });
  hooks.command("uninstall").action(() => {
    const root = requireRepoRoot(process.cwd(), "hooks uninstall");
    let dir = gitSync(["rev-parse", "--git-path", "hooks"], { cwd: root }).trim();
    if (!isAbsolute(dir)) dir = join(root, dir);
    for (const n of Object.keys(HOOKS)) {
      const file = join(dir, n);
      if (existsSync(file) && readFileSync(file, "utf8").includes(MARK)) {
        unlinkSync(file);
        say(`removed ${n}`);
      }
    }
  });
}
