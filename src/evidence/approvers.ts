/** Whose signatures count as approvals: the configured approvers and allowed-signers file. */
import { resolve } from "node:path";
import type { Config } from "../config/schema.js";
import type { VerifyContext } from "../core/signing.js";
import { repoRoot } from "../git/exec.js";

export function verifyContext(config: Config, cwd: string, allowedSigners?: string): VerifyContext {
  const file = allowedSigners ?? config.allowedSignersFile;
  return {
    allowedSignersFile: file ? resolve(repoRoot(cwd) ?? cwd, file) : undefined,
    noteApprovers: config.approvers
      .filter((a) => a.key && !a.key.startsWith("ssh-"))
      .map((a) => ({ identity: a.email ?? a.name, vkey: a.key!.trim() })),
  };
}
