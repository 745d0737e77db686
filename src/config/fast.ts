import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, unlinkSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { writeFileAtomic } from "../core/fs.js";
import type { Config } from "./schema.js";
import { readEnv } from "./env.js";
import { findConfigFile } from "./find.js";
import { DEFAULT_CONFIG } from "./defaults.js";

export { DEFAULT_CONFIG } from "./defaults.js";

// Set by the CLI build (tsup.config.ts `define`): names the build, so a cached validation result is
// used only by the build (the schema) that made it. Absent when run from source or as a library:
// then nothing is cached.
declare const __GITOPS_HEALTH_BUILD__: string | undefined;
const BUILD = typeof __GITOPS_HEALTH_BUILD__ === "string" ? __GITOPS_HEALTH_BUILD__ : undefined;

/**
 * Where validated configs are kept: `$XDG_CACHE_HOME/gitops-health/config` (else `~/.cache/...`);
 * undefined (no cache) outside the CLI build, in CI (`CI` set), or with GITOPS_HEALTH_NO_CONFIG_CACHE set.
 */
export function configCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  // Not in CI: CI systems restore cache directories saved by other jobs and branches (a pull
  // request's job can save one a protected branch's job restores), so a cached result there could
  // carry a policy the committed config does not say. Validated every time instead.
  if (!BUILD || readEnv(env).noConfigCache || (env.CI !== undefined && env.CI !== "" && env.CI !== "false"))
    return undefined;
  const base = env.XDG_CACHE_HOME || (env.HOME ? join(env.HOME, ".cache") : homedir());
  return base ? join(base, "gitops-health", "config") : undefined;
}

/**
 * Load the config, importing the validator only when there is a file to validate.
 *
 * Validating costs more than anything else a short command does (zod's module and the schema's
 * construction, ~150 ms of CPU: issue 19), so the CLI keeps the validated result of a config text
 * in the user's cache directory, keyed by SHA-256 of the build and the text: the same file is
 * validated once per build. An invalid config is never cached (each run reports its error), a
 * cache that cannot be read or written is ignored, and the cache holds nothing the file does not.
 */
export async function loadConfigFast(
  options: { cwd?: string; file?: string } = {},
): Promise<{ config: Config; file?: string }> {
  const file = options.file ? resolve(options.file) : findConfigFile(options.cwd ?? process.cwd());
  if (!file) return { config: structuredClone(DEFAULT_CONFIG) };
  const dir = configCacheDir();
  let text: string | undefined;
  if (dir) {
    try {
      text = readFileSync(file, "utf8");
    } catch {
      // loadConfig reports it
    }
  }
  if (dir === undefined || text === undefined) {
    const { loadConfig } = await import("./load.js");
    return loadConfig({ ...options, file });
  }
  const name = `${BUILD}-${createHash("sha256").update(BUILD!).update("\0").update(text).digest("hex")}.json`;
  try {
    const cached = JSON.parse(readFileSync(join(dir, name), "utf8")) as { config?: Config };
    if (cached && typeof cached.config === "object" && cached.config !== null) return { config: cached.config, file };
  } catch {
    // not cached (or unreadable): validate
  }
  const { parseConfigText } = await import("./load.js");
  const config = parseConfigText(text, file);
  storeConfig(dir, name, config);
  return { config, file };
}

function storeConfig(dir: string, name: string, config: Config): void {
  const json = JSON.stringify({ config });
  // Only a result JSON carries whole (every validated config does; the check keeps it so).
  if (!isDeepStrictEqual((JSON.parse(json) as { config: unknown }).config, config)) return;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileAtomic(join(dir, name), json, { mode: 0o600, durable: false });
    // Results of other builds are never read again.
    for (const f of readdirSync(dir))
      if (f.endsWith(".json") && !f.startsWith(`${BUILD}-`) && !f.startsWith(".")) unlinkSync(join(dir, f));
  } catch {
    // a read-only or full cache directory: the next run validates again
  }
}
