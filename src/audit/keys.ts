import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { writeFileAtomic } from "../core/fs.js";
import { UserError } from "../core/errors.js";
import { generateNoteSigner, parseSignerKey, parseVerifierKey, type NoteSigner, type NoteVerifier } from "../core/note-key.js";
import { repoRoot } from "../git/exec.js";

/** Default signing key location: `.gitops-health/keys/ledger.key` at the repository root (gitignored). */
export function defaultKeyFile(cwd = process.cwd(), configured?: string): string {
  const explicit = configured ?? process.env.GITOPS_HEALTH_LEDGER_KEY;
  if (explicit) return resolve(cwd, explicit);
  return resolve(repoRoot(cwd) ?? cwd, ".gitops-health", "keys", "ledger.key");
}

export function defaultOrigin(cwd = process.cwd()): string {
  const name = basename(repoRoot(cwd) ?? cwd).replace(/[^A-Za-z0-9._-]/g, "-") || "ledger";
  return `gitops-health/${name}`;
}

/** Create a signer key file (0600) and its `.pub` verifier key; never overwrites. */
export function createKey(file: string, origin: string): { verifierKey: string } {
  if (existsSync(file)) throw new UserError(`${file} already exists; refusing to overwrite a signing key`);
  const { signerKey, verifierKey } = generateNoteSigner(origin);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileAtomic(file, signerKey + "\n", { mode: 0o600 });
  writeFileAtomic(`${file}.pub`, verifierKey + "\n", { mode: 0o644 });
  return { verifierKey };
}

export function loadSigner(file: string): NoteSigner {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new UserError(`cannot read signing key ${file} (create one with 'gitops-health audit keygen')`);
  }
  return parseSignerKey(text.trim());
}

/** A verifier key given inline (`name+id+key`) or as `@file`. */
export function loadVerifier(spec: string, cwd = process.cwd()): NoteVerifier {
  if (spec.startsWith("@")) {
    try {
      return parseVerifierKey(readFileSync(resolve(cwd, spec.slice(1)), "utf8").trim());
    } catch (err) {
      if (err instanceof UserError) throw err;
      throw new UserError(`cannot read verifier key ${spec.slice(1)}`);
    }
  }
  if (existsSync(resolve(cwd, spec))) return parseVerifierKey(readFileSync(resolve(cwd, spec), "utf8").trim());
  return parseVerifierKey(spec);
}
