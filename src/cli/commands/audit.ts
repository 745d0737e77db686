import type { Command } from "commander";

/** Registers the `audit` command(s). Placeholder until its issue lands. */
export function register(_program: Command): void {}
