/**
 * Every `gitops-health` command shown in a shell code block of README.md and docs/*.md names a
 * real command with real options (checked against the CLI's own commander definition), and the
 * quick start's commands run for real in a fresh repository. Documentation that drifts from the
 * CLI (a renamed flag, a removed subcommand) fails here.
 */
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { buildProgram } from "../src/cli/program.js";
import { makeRepo, runCli } from "./helpers/repo.js";

const root = join(import.meta.dirname, "..");
const DOCS = [
  "README.md",
  ...readdirSync(join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => join("docs", f)),
];

/** Shell-ish words of one command line: quotes kept together, stops at a pipe, redirect, `&&` or comment. */
function words(line: string): string[] {
  const out: string[] = [];
  const re = /"(?:[^"\\]|\\.)*"|'[^']*'|[^\s"']+/g;
  for (const m of line.matchAll(re)) {
    const w = m[0];
    if (
      w === "|" ||
      w === "&&" ||
      w === "||" ||
      w === ";" ||
      w.startsWith("#") ||
      w.startsWith(">") ||
      w === "2>&1" ||
      w.startsWith("<")
    )
      break;
    out.push(w);
  }
  return out;
}

/** `gitops-health ...` invocations in ```sh / ```bash / ```console blocks, with file:line. */
function documentedCommands(): { where: string; argv: string[] }[] {
  const found: { where: string; argv: string[] }[] = [];
  for (const file of DOCS) {
    const lines = readFileSync(join(root, file), "utf8").split("\n");
    let inSh = false;
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i]!;
      if (/^\s*```/.test(l)) {
        inSh = !inSh && /^\s*```(sh|bash|shell|console)\s*$/.test(l);
        continue;
      }
      if (!inSh) continue;
      let text = l;
      for (let j = i; text.endsWith("\\") && j + 1 < lines.length; j++)
        text = text.slice(0, -1) + " " + lines[j + 1]!.trim();
      // every invocation on the line (after `&&`, in `$(...)`, after env assignments)
      for (const m of text.matchAll(/(?:^|[\s(&;|])(?:npx\s+(?:--no-install\s+)?)?gitops-health(\s+[^|;&)]*)/g)) {
        const argv = words(m[1]!.trim());
        // `docker build -t gitops-health .` names an image, not a command
        if (argv.length && /^-?-?[a-z]/.test(argv[0]!)) found.push({ where: `${file}:${i + 1}`, argv });
      }
    }
  }
  return found;
}

/** The command an argv names, and the words left for its options. */
function resolve(program: Command, argv: string[]): { cmd: Command; rest: string[]; path: string[] } {
  let cmd = program;
  const path: string[] = [];
  let i = 0;
  // global options before the command
  while (argv[i] === "--config") i += 2;
  for (; i < argv.length; i++) {
    const sub = cmd.commands.find((c) => c.name() === argv[i] || c.aliases().includes(argv[i]!));
    if (!sub) break;
    cmd = sub;
    path.push(argv[i]!);
  }
  return { cmd, rest: argv.slice(i), path };
}

describe("commands in the documentation", () => {
  const commands = documentedCommands();

  it("the extraction finds the documented commands", () => {
    expect(commands.length).toBeGreaterThan(60);
    expect(
      commands.some((c) => c.argv.join(" ") === "audit verify --key @ledger.key.pub --since-checkpoint kept.txt"),
    ).toBe(true);
  });

  it("every documented gitops-health command and option exists in the CLI", async () => {
    const program = await buildProgram(["node", "gitops-health"]);
    const problems: string[] = [];
    for (const { where, argv } of commands) {
      const { cmd, rest, path } = resolve(program, argv);
      if (!path.length) {
        if (!["--version", "-V", "--help", "-h"].includes(argv[0]!)) problems.push(`${where}: no command "${argv[0]}"`);
        continue;
      }
      if (cmd.commands.length && !cmd.commands.some((c) => c.name() === "help") && rest[0] && !rest[0].startsWith("-"))
        problems.push(`${where}: ${path.join(" ")} has no subcommand "${rest[0]}"`);
      const known = new Set(
        [
          ...cmd.options.flatMap((o) => [o.long, o.short]),
          ...program.options.flatMap((o) => [o.long, o.short]),
          "--help",
          "-h",
        ].filter(Boolean) as string[],
      );
      for (const w of rest) {
        if (w === "--") break; // the guarded command's own arguments follow
        if (!w.startsWith("-") || w === "-" || /^-\d/.test(w)) continue;
        const flag = w.split("=")[0]!;
        if (!known.has(flag)) problems.push(`${where}: ${path.join(" ")} has no option ${flag}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("the quick start runs for real in a fresh repository", () => {
    const repo = makeRepo();
    try {
      repo.commit("chore: init", { "README.md": "hello\n" });
      writeFileSync(join(repo.dir, "notes.txt"), "nothing to see\n");
      for (const argv of [
        ["scan", "."],
        ["scan", "--staged"],
        ["hooks", "install"],
        ["init", "--classification", "clinical"],
        ["policy", "list"],
        ["policy", "show", "clinical", "--format", "json"],
        ["policy", "decide", "clinical", "--input", "-"],
      ]) {
        const r = runCli(argv, {
          cwd: repo.dir,
          input: argv[1] === "decide" ? "commit:\n  message: 'feat: x'\n" : undefined,
        });
        // decide exits 1 when the pack fails the input; anything else must be clean
        expect([0, ...(argv[1] === "decide" ? [1] : [])], `${argv.join(" ")}: ${r.stderr}`).toContain(r.code);
      }
    } finally {
      repo.cleanup();
    }
  });
});
