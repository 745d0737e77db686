import type { Command } from "commander";
import { readFileSync } from "node:fs";
import { UserError } from "../../core/errors.js";
import { writeFileAtomic } from "../../core/fs.js";
import { say } from "../output.js";

/** `sanitize FILE...`: rewrite PHI; dry run unless --write. */
export function register(program: Command): void {
  program
    .command("sanitize")
    .description("rewrite PHI in files: dry run by default (masked before/after), --write to apply atomically")
    .argument("<files...>", "files to sanitize")
    .option("--mode <mode>", "redact | mask | hash | synthetic", "redact")
    .option("--key <key>", "key for hash and synthetic modes (default: GITOPS_HEALTH_SANITIZE_KEY)")
    .option("--write", "apply the changes (temp file + rename)")
    .action(async (files: string[], flags: { mode: string; key?: string; write?: boolean }) => {
      if (!["redact", "mask", "hash", "synthetic"].includes(flags.mode))
        throw new UserError(`unknown --mode "${flags.mode}" (valid: redact, mask, hash, synthetic)`);
      const { sanitize } = await import("../../phi/sanitize.js");
      const key = flags.key ?? process.env.GITOPS_HEALTH_SANITIZE_KEY;
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
        const r = sanitize(text, { mode: flags.mode as "redact", key, path: file, documentId: file });
        total += r.replacements.length;
        for (const x of r.replacements)
          say(
            `${file}:${x.finding.line}:${x.finding.column} ${x.finding.category}: ${x.before} -> ${flags.mode === "redact" || flags.mode === "hash" || (flags.mode === "synthetic" && SHOWN_SYNTHETIC.has(x.finding.category)) ? x.after : "*".repeat(Math.min(8, x.after.length))}`,
          );
        if (flags.write && r.replacements.length > 0) writeFileAtomic(file, r.text);
      }
      say(`${total} replacement(s) in ${files.length} file(s)${flags.write ? "" : " (DRY RUN: use --write to apply)"}`);
    });
}

/** Synthetic replacements drawn from reserved ranges (documented fake names, 9xx SSNs, 555-01xx phones, example.org): safe to show in a dry run. */
const SHOWN_SYNTHETIC = new Set(["name", "ssn", "phone", "email"]);
