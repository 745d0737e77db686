import type { Config } from "./schema.js";
import { findConfigFile } from "./find.js";
import { DEFAULT_CONFIG } from "./defaults.js";

export { DEFAULT_CONFIG } from "./defaults.js";

/** Load the config, importing the validator only when there is a file to validate. */
export async function loadConfigFast(
  options: { cwd?: string; file?: string } = {},
): Promise<{ config: Config; file?: string }> {
  if (!options.file && !findConfigFile(options.cwd ?? process.cwd()))
    return { config: structuredClone(DEFAULT_CONFIG) };
  const { loadConfig } = await import("./load.js");
  return loadConfig(options);
}
