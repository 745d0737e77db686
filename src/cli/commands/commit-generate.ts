import type { Command } from "commander";

/** Registers `commit generate`. Placeholder until the commit generation issue lands. */
export function registerGenerate(_commit: Command): void {}
