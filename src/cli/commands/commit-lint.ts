import type { Command } from "commander";

/** Registers `commit lint`. Placeholder until the policy issue lands. */
export function registerLint(_commit: Command): void {}
