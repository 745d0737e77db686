import type { Command } from "commander";
import { readFileSync } from "node:fs";
import { UserError } from "../../core/errors.js";
import { writeFileAtomic } from "../../core/fs.js";
import { say } from "../output.js";
import { serverClient, withServer } from "../server-client.js";

/** `sanitize FILE...`: rewrite PHI; dry run unless --write. */
export function register(program: Command): void {
  withServer(program.command("sanitize"))
    .description("rewrite PHI in files: dry run by default (masked before/after), --write to apply atomically")
    .argument("<files...>", "files to sanitize")
    .option("--mode <mode>", "redact | mask | hash | synthetic", "redact")
    .option("--key <key>", "key for hash and synthetic modes (default: GITOPS_HEALTH_SANITIZE_KEY)")
    .option("--write", "apply the changes (temp file + rename)")
    .action(async (files: string[], flags: { mode: string; key?: string; write?: boolean; server?: string }) => {
      if (!["redact", "mask", "hash", "synthetic"].includes(flags.mode))
        throw new UserError(`unknown --mode "${flags.mode}" (valid: redact, mask, hash, synthetic)`);
      const mode = flags.mode as "redact" | "mask" | "hash" | "synthetic";
      const key = flags.key ?? process.env.GITOPS_HEALTH_SANITIZE_KEY;
      // With --server the service rewrites (same modes; the key, if any, is sent with each file); else here.
      const remote = await serverClient(flags);
      const { sanitize } = remote ? { sanitize: undefined } : await import("../../phi/sanitize.js");
      const rewrite = async (text: string, file: string) => {
        if (sanitize) {
          const r = sanitize(text, { mode, key, path: file, documentId: file });
          return {
            text: r.text,
            replacements: r.replacements.map((x) => ({
              ...x.finding,
              before: x.before,
              after: x.after,
              reserved: x.reserved,
            })),
          };
        }
        return remote!.sanitize({ text, mode, ...(key ? { key } : {}), path: file, documentId: file });
      };
      let total = 0;
      for (const file of files) {
        let text: string;
        try {
          text = readFileSync(file, "utf8");
        } catch {
          throw new UserError(`cannot read ${file}`);
        }
        if (text.includes("\0")) {
          say(`${file}: binary, skipped`);
          continue;
        }
        const r = await rewrite(text, file);
        total += r.replacements.length;
        for (const x of r.replacements)
          say(
            `${file}:${x.line}:${x.column} ${x.category}: ${x.before} -> ${mode === "redact" || mode === "hash" || (mode === "synthetic" && x.reserved) ? x.after : "*".repeat(Math.min(8, x.after.length))}`,
          );
        if (flags.write && r.replacements.length > 0) writeFileAtomic(file, r.text);
      }
      say(`${total} replacement(s) in ${files.length} file(s)${flags.write ? "" : " (DRY RUN: use --write to apply)"}`);
    });
}
