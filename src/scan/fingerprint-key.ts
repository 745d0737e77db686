// The secret that keys finding fingerprints (docs/SECURITY.md, "Finding fingerprints"). A fingerprint
// is HMAC-SHA256(key, rule \0 path \0 value): without the key, a fingerprint of an SSN, a date or a
// phone number cannot be recovered by hashing every candidate value. The key lives outside git.
import { chmodSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { createHmac, randomBytes } from "node:crypto";
import { dirname, resolve } from "node:path";
import { UserError } from "../core/errors.js";
import { writeFileAtomic } from "../core/fs.js";
import { repoRoot } from "../git/exec.js";
import { repoKeyFile } from "../core/key-dir.js";

/** The fingerprint scheme this version writes (recorded in baselines, JSON reports and SARIF). */
export { FINGERPRINT_SCHEME } from "../report/findings.js";
/** The unkeyed scheme of earlier versions, read from old baselines only. */
export const LEGACY_FINGERPRINT_SCHEME = "sha256/v1";

export interface FingerprintKey {
  key: Buffer;
  /** env: GITOPS_HEALTH_FINGERPRINT_KEY; config: scan.fingerprintKeyFile; file: the per-repository key; ephemeral: none found, random for this run. */
  source: "env" | "config" | "file" | "ephemeral";
  file?: string;
  /** Names the key without revealing it (HMAC of a fixed label): a baseline records it. */
  id: string;
  /** For a new key only: the secret to store. */
  secret?: string;
}

const ENV = "GITOPS_HEALTH_FINGERPRINT_KEY";

export function fingerprintKeyId(key: Uint8Array): string {
  return createHmac("sha256", key).update("gitops-health fingerprint key id").digest("hex").slice(0, 12);
}

/** The per-repository key file: `<user key dir>/<repo name>-<8 hex of SHA-256 of its real path>.fingerprint.key`. */
export function fingerprintKeyFile(cwd = process.cwd()): string {
  return repoKeyFile(repoRoot(cwd) ?? cwd, ".fingerprint.key", "repo");
}

function readKeyFile(file: string): Buffer {
  let text: string;
  try {
    text = readFileSync(file, "utf8").trim();
  } catch {
    throw new UserError(`cannot read fingerprint key ${file}`);
  }
  if (!/^[0-9a-f]{64,}$/i.test(text))
    throw new UserError(`fingerprint key ${file} is not a hex key of at least 32 bytes`);
  return deriveKey(text);
}

/** The HMAC key from a secret (a key file's text, or the environment variable's value: the same secret gives the same key). */
function deriveKey(secret: string): Buffer {
  return createHmac("sha256", "gitops-health fingerprint key v2").update(secret).digest();
}

/**
 * The fingerprint key: GITOPS_HEALTH_FINGERPRINT_KEY (any secret of 16+ characters, e.g. one per
 * organisation, from which the key is derived), else the file named by `scan.fingerprintKeyFile`, else
 * the per-repository file `init` creates, else a random key for this run only (source "ephemeral").
 */
export function loadFingerprintKey(
  cwd = process.cwd(),
  configuredFile?: string,
  // eslint-disable-next-line no-restricted-properties -- TODO(layers): the CLI should pass GITOPS_HEALTH_FINGERPRINT_KEY down (scan/index.ts, prepare.ts fall back here)
  env: NodeJS.ProcessEnv = process.env,
): FingerprintKey {
  const secret = env[ENV];
  if (secret !== undefined && secret !== "") {
    if (secret.length < 16) throw new UserError(`${ENV} must be at least 16 characters`);
    const key = deriveKey(secret.trim());
    return { key, source: "env", id: fingerprintKeyId(key) };
  }
  if (configuredFile) {
    const file = resolve(cwd, configuredFile);
    const key = readKeyFile(file);
    return { key, source: "config", file, id: fingerprintKeyId(key) };
  }
  const file = fingerprintKeyFile(cwd);
  if (existsSync(file)) {
    const key = readKeyFile(file);
    return { key, source: "file", file, id: fingerprintKeyId(key) };
  }
  const key = randomBytes(32);
  return { key, source: "ephemeral", id: fingerprintKeyId(key), secret: key.toString("hex") };
}

/** Create the per-repository key (0600, directory 0700) unless one is configured or exists; the key in use. */
export function ensureFingerprintKey(
  cwd = process.cwd(),
  configuredFile?: string,
): FingerprintKey & { created?: string } {
  const k = loadFingerprintKey(cwd, configuredFile);
  if (k.source !== "ephemeral") return k;
  const file = fingerprintKeyFile(cwd);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  chmodSync(dirname(file), 0o700);
  writeFileAtomic(file, k.secret! + "\n", { mode: 0o600 });
  chmodSync(file, 0o600);
  const key = deriveKey(k.secret!);
  return { key, source: "file", file, id: fingerprintKeyId(key), created: file };
}
