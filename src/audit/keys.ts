import { chmodSync, existsSync, mkdirSync, readFileSync, realpathSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { basename, dirname, join, relative, resolve } from "node:path";
import { writeFileAtomic } from "../core/fs.js";
import { UserError } from "../core/errors.js";
import {
  generateNoteSigner,
  parseSignerKey,
  parseVerifierKey,
  type NoteSigner,
  type NoteVerifier,
} from "../core/note-key.js";
import { repoRoot } from "../git/exec.js";
import { repoKeyFile, userKeyDir } from "../core/key-dir.js";

export { userKeyDir };

/**
 * Signing key location: configured (the CLI passes `--key-file`, `ledger.keyFile` or GITOPS_HEALTH_LEDGER_KEY), else
 * outside the repository in the user's key directory, one key per repository:
 * `<repo name>-<first 8 hex of SHA-256 of the repository's real path>.key`.
 */
export function defaultKeyFile(cwd = process.cwd(), configured?: string): string {
  const explicit = configured;
  if (explicit) return resolve(cwd, explicit);
  return repoKeyFile(repoRoot(cwd) ?? cwd, ".key", "ledger");
}

/** Where earlier versions wrote the key: inside the repository. */
export function legacyKeyFile(cwd = process.cwd()): string {
  return resolve(repoRoot(cwd) ?? cwd, ".gitops-health", "keys", "ledger.key");
}

/** The key to sign with: the configured or default file, else a key left at the legacy in-repo location (with a warning). */
export function signerKeyFile(cwd = process.cwd(), configured?: string): { file: string; warning?: string } {
  const file = defaultKeyFile(cwd, configured);
  if (configured) return { file };
  const legacy = legacyKeyFile(cwd);
  if (!existsSync(file) && existsSync(legacy))
    return {
      file: legacy,
      warning: `using the signing key inside the repository (${legacy}); move it to ${file} so it cannot be committed`,
    };
  return { file };
}

/** The top of the git work tree holding `path` (which may not exist yet), if any. */
export function workTreeOf(path: string): string | undefined {
  let dir = resolve(path);
  while (!existsSync(dir)) {
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
  const r = spawnSync("git", ["rev-parse", "--show-toplevel"], {
    cwd: dir,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
}

export function defaultOrigin(cwd = process.cwd()): string {
  const name = basename(repoRoot(cwd) ?? cwd).replace(/[^A-Za-z0-9._-]/g, "-") || "ledger";
  return `gitops-health/${name}`;
}

/**
 * Create a signer key file (0600, its directory 0700) and its `.pub` verifier key; never overwrites.
 * Refuses a location inside a git work tree unless `forceInRepo`, and then adds the key to that
 * work tree's .gitignore.
 */
export function createKey(
  file: string,
  origin: string,
  options: { forceInRepo?: boolean } = {},
): { verifierKey: string; ignoredIn?: string } {
  if (existsSync(file)) throw new UserError(`${file} already exists; refusing to overwrite a signing key`);
  const tree = workTreeOf(file);
  if (tree && !options.forceInRepo) {
    throw new UserError(
      `refusing to write a private signing key inside the git work tree ${tree} (${file}), where it can be committed; omit --key-file to use ${userKeyDir()}, or pass --force-in-repo`,
    );
  }
  const { signerKey, verifierKey } = generateNoteSigner(origin);
  const dir = dirname(file);
  const created = !existsSync(dir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // The default directory is ours: keep it private even if it existed with looser permissions.
  if (created || resolve(dir) === resolve(userKeyDir())) chmodSync(dir, 0o700);
  writeFileAtomic(file, signerKey + "\n", { mode: 0o600 });
  writeFileAtomic(`${file}.pub`, verifierKey + "\n", { mode: 0o644 });
  let ignoredIn: string | undefined;
  if (tree) ignoredIn = ignoreInWorkTree(tree, file);
  return { verifierKey, ignoredIn };
}

/** Add `file` to `<tree>/.gitignore` unless git already ignores it; returns the .gitignore path. */
function ignoreInWorkTree(tree: string, file: string): string {
  const gitignore = join(tree, ".gitignore");
  let real = resolve(file);
  try {
    real = join(realpathSync(dirname(file)), basename(file));
  } catch {
    /* as given */
  }
  const rel = relative(tree, real).split("\\").join("/");
  const ignored =
    spawnSync("git", ["check-ignore", "-q", "--no-index", rel], { cwd: tree, stdio: "ignore" }).status === 0;
  if (!ignored) {
    let text = "";
    try {
      text = readFileSync(gitignore, "utf8");
    } catch {
      /* no .gitignore yet */
    }
    writeFileAtomic(
      gitignore,
      `${text}${text && !text.endsWith("\n") ? "\n" : ""}# gitops-health signing key (private)\n/${rel}\n`,
    );
  }
  return gitignore;
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
