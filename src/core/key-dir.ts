import { realpathSync } from "node:fs";
import { createHash } from "node:crypto";
import { homedir } from "node:os";
import { basename, isAbsolute, join } from "node:path";

/** The user's key directory: $XDG_CONFIG_HOME/gitops-health/keys, else ~/.config/gitops-health/keys. */
// eslint-disable-next-line no-restricted-properties -- XDG_CONFIG_HOME is the platform convention for the key directory; callers may pass env
export function userKeyDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CONFIG_HOME;
  return join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), ".config"), "gitops-health", "keys");
}

/**
 * A per-repository key file outside the repository, in the user's key directory:
 * `<repo name>-<first 8 hex of SHA-256 of the repository's real path><suffix>`.
 */
export function repoKeyFile(root: string, suffix: string, fallbackName: string): string {
  let real = root;
  try {
    real = realpathSync(root);
  } catch {
    /* keep the path as given */
  }
  const name = basename(real).replace(/[^A-Za-z0-9._-]/g, "-") || fallbackName;
  return join(userKeyDir(), `${name}-${createHash("sha256").update(real).digest("hex").slice(0, 8)}${suffix}`);
}
