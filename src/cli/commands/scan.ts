import type { Command } from "commander";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../../core/errors.js";
import { writeJson, say } from "../output.js";

/** Registers `scan`. Foundation version: files and directories only (the scanning issue extends it). */
export function register(program: Command): void {
  program
    .command("scan")
    .description("find PHI/PII and secrets in files and directories")
    .argument("[paths...]", "files or directories", ["."])
    .option("--format <format>", "text | json", "text")
    .option("--exit-zero", "always exit 0 (demo, reporting)")
    .action(async (paths: string[], opts: { format: string; exitZero?: boolean }) => {
      const { scanText } = await import("../../phi/index.js");
      const files: string[] = [];
      const walk = (p: string) => {
        let st;
        try {
          st = statSync(p);
        } catch {
          throw new UserError(`no such file or directory: ${p}`);
        }
        if (st.isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
        else files.push(p);
      };
      paths.forEach(walk);
      const findings = files.flatMap((f) => scanText(readFileSync(f, "utf8"), { path: f }));
      if (opts.format === "json") writeJson({ findings });
      else for (const f of findings) say(`${f.file}:${f.line}:${f.column} ${f.severity} ${f.ruleId} ${f.preview}`);
      if (findings.length > 0 && !opts.exitZero) process.exitCode = 1;
    });
}
