/**
 * `check run NAME -- CMD...`: run a check, stream its output to stderr, and record the result
 * as a `check` entry signed by the producer's key.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { constants as osConstants } from "node:os";
import { relative, resolve } from "node:path";
import type { Ledger } from "../audit/types.js";
import type { Config } from "../config/schema.js";
import { UserError } from "../core/errors.js";
import { git } from "../git/exec.js";
import { checkName, signCheck, type CheckResult } from "./checks.js";

/** Git's empty tree: the base of a root commit's change. */
const EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

/** Checks with a built-in meaning; `phi` is the clinical pack's name for `dlp`. */
export const BUILTIN_CHECKS = ["security", "dlp", "phi", "compliance"] as const;

export interface CheckCommand {
  /** how it is shown to people */
  display: string;
  file: string;
  args: string[];
  shell: boolean;
  source: "command line" | "config" | "built-in";
}

/**
 * What to run for a check: the command after `--`, else `checks.NAME` from the config (a string
 * runs through the shell, an array without), else the built-in meaning (our scanner over the
 * change for security/dlp/phi, the compliance gate for compliance).
 */
export async function resolveCheckCommand(o: {
  name: string;
  argv: string[];
  config: Config;
  cli: string;
  cwd: string;
  range?: string;
}): Promise<CheckCommand> {
  checkName(o.name);
  if (o.argv.length)
    return { display: o.argv.join(" "), file: o.argv[0]!, args: o.argv.slice(1), shell: false, source: "command line" };
  const configured = o.config.checks[o.name];
  if (typeof configured === "string")
    return { display: configured, file: configured, args: [], shell: true, source: "config" };
  if (Array.isArray(configured))
    return {
      display: configured.join(" "),
      file: configured[0]!,
      args: configured.slice(1),
      shell: false,
      source: "config",
    };
  const self = (args: string[]): CheckCommand => ({
    display: `gitops-health ${args.join(" ")}`,
    file: process.execPath,
    args: [o.cli, ...args],
    shell: false,
    source: "built-in",
  });
  if (o.name === "compliance")
    return self(["compliance", "check", "--self-check", ...(o.range ? ["--range", o.range] : [])]);
  if (o.name === "security" || o.name === "dlp" || o.name === "phi") {
    let range = o.range;
    if (!range) {
      const head = (await git(["rev-parse", "HEAD"], { cwd: o.cwd })).trim();
      const parent = (await git(["rev-parse", "--verify", "--quiet", "HEAD^"], { cwd: o.cwd }).catch(() => "")).trim();
      range = `${parent || EMPTY_TREE}..${head}`;
    }
    return self(["scan", "--diff", range]);
  }
  throw new UserError(
    `no command for check "${o.name}": give one after --, or set checks.${o.name} in .gitops-health.yml (built-in: ${BUILTIN_CHECKS.join(", ")})`,
  );
}

export interface CheckOutcome {
  exitCode: number;
  durationMs: number;
  outputSha256: string;
}

/** Run without a shell (unless configured as a string); output goes to stderr as it arrives and is hashed, never kept. */
export function executeCheck(
  c: CheckCommand,
  cwd: string,
  sink: (d: Buffer) => void = (d) => process.stderr.write(d),
  env?: NodeJS.ProcessEnv,
): Promise<CheckOutcome> {
  return new Promise((done) => {
    const t0 = Date.now();
    const hash = createHash("sha256");
    const child = c.shell
      ? spawn(c.file, { cwd, env, shell: true, stdio: ["ignore", "pipe", "pipe"] })
      : spawn(c.file, c.args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let settled = false;
    const finish = (exitCode: number) => {
      if (settled) return;
      settled = true;
      done({ exitCode, durationMs: Date.now() - t0, outputSha256: hash.digest("hex") });
    };
    const take = (d: Buffer) => {
      hash.update(d);
      sink(d);
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.on("error", (err) => {
      const msg = Buffer.from(
        `${c.file}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "command not found" : err.message}\n`,
      );
      if (!settled) take(msg);
      finish(127);
    });
    // A signal is reported as the shell does: 128 + its number.
    child.on("close", (code, signal) => finish(code ?? 128 + (signal ? (osConstants.signals[signal] ?? 15) : 0)));
  });
}

/** HEAD as a commit hash, and whether the working tree has changes (the ledger directory aside). */
export async function headState(
  root: string,
  ledgerLocation?: string,
): Promise<{ commit: string; tree: "clean" | "dirty" }> {
  const commit = (await git(["rev-parse", "--verify", "HEAD^{commit}"], { cwd: root }).catch(() => "")).trim();
  if (!commit) throw new UserError("check run needs a commit to check, and HEAD has none yet");
  const skip =
    ledgerLocation && !/^postgres(ql)?:\/\//.test(ledgerLocation)
      ? relative(root, resolve(root, ledgerLocation))
      : undefined;
  const inside = skip && !skip.startsWith("..") ? skip.replace(/\\/g, "/") + "/" : undefined;
  const status = await git(["status", "--porcelain=v1", "-z", "--untracked-files=all", "--ignore-submodules=none"], {
    cwd: root,
  });
  const paths = status
    .split("\0")
    .filter(Boolean)
    .map((l) => l.slice(3));
  const dirty = paths.some((p) => !(inside && (p + "/").startsWith(inside)));
  return { commit, tree: dirty ? "dirty" : "clean" };
}

/** Run one check and record the signed result; returns the result and its ledger position. */
export async function runCheck(o: {
  name: string;
  command: CheckCommand;
  root: string;
  ledger: Ledger;
  keyFile: string;
  namespace: string;
  sink?: (d: Buffer) => void;
}): Promise<{ result: CheckResult; seq: number; keyId: string }> {
  const state = await headState(o.root, o.ledger.location);
  const outcome = await executeCheck(o.command, o.root, o.sink);
  const result: CheckResult = {
    name: o.name,
    status: outcome.exitCode === 0 ? "passed" : "failed",
    exitCode: outcome.exitCode,
    durationMs: outcome.durationMs,
    outputSha256: outcome.outputSha256,
    commit: state.commit,
    tree: state.tree,
    ran: true,
  };
  const signed = signCheck(result, o.keyFile, o.namespace);
  const r = await o.ledger.append({ type: "check", subject: state.commit, payload: signed });
  return { result, seq: r.seq, keyId: signed.signature.keyId };
}
