import type { Command } from "commander";
import { registerLint } from "./commit-lint.js";
import { registerGenerate } from "./commit-generate.js";

/** `commit lint` (policy issue) and `commit generate` (commit generation issue). */
export function register(program: Command): void {
  const commit = program.command("commit").description("generate and lint commit messages");
  registerLint(commit);
  registerGenerate(commit);
}
