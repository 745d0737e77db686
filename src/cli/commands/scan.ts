import type { Command } from "commander";
import { writeFileAtomic } from "../../core/fs.js";
import { UserError } from "../../core/errors.js";
import { loadConfigFast } from "../../config/fast.js";
import { packageVersion } from "../../core/paths.js";
import { color, parseFormat, progress, readStdin, say, writeOut } from "../output.js";

interface ScanFlags {
  format: string;
  staged?: boolean;
  diff?: string;
  history?: boolean;
  inputFormat: string;
  failOn?: string;
  baseline?: string;
  writeBaseline?: string;
  maxFileSize?: string;
  gitleaksConfig?: string;
  exitZero?: boolean;
}

/** `scan`: PHI/PII and secrets in files, stdin, staged changes, a diff range or history. */
export function register(program: Command): void {
  program
    .command("scan")
    .description("find PHI/PII (HIPAA Safe Harbor identifiers) and secrets")
    .argument("[paths...]", "files or directories (respecting .gitignore); - reads stdin")
    .option("--staged", "only lines added in the index (pre-commit)")
    .option("--diff <range>", "only lines added in a range A..B (CI)")
    .option("--history", "every commit, reporting the commit that introduced each finding")
    .option("--input-format <format>", "text | jsonl (lines of {id, text} in, {id, findings} out)", "text")
    .option("--format <format>", "text | json | sarif | markdown", "text")
    .option("--fail-on <severity>", "low | medium | high: lowest severity that exits 1 (default: config scan.failOn, else high)")
    .option("--baseline <file>", "accepted fingerprints (one a line, or a JSON report)")
    .option("--write-baseline <file>", "write the fingerprints of this scan's findings and exit 0")
    .option("--max-file-size <bytes>", "skip larger files (reported)")
    .option("--gitleaks-config <file>", "add the [[rules]] of a gitleaks.toml")
    .option("--exit-zero", "always exit 0 (reporting, demos)")
    .action(async (paths: string[], flags: ScanFlags) => {
      const format = parseFormat(flags.format, ["text", "json", "sarif", "markdown"] as const, "text");
      const modes = [flags.staged, flags.diff !== undefined, flags.history, paths.length > 0].filter(Boolean).length;
      if (modes > 1) throw new UserError("give one target: paths, --staged, --diff A..B or --history");
      const { config } = await loadConfigFast({ file: program.opts().config as string | undefined });
      const failOn = flags.failOn ?? config.scan.failOn;
      if (failOn !== "low" && failOn !== "medium" && failOn !== "high") throw new UserError(`--fail-on must be low, medium or high, got "${flags.failOn}"`);
      const maxFileSize = flags.maxFileSize === undefined ? undefined : Number(flags.maxFileSize);
      if (maxFileSize !== undefined && !(Number.isInteger(maxFileSize) && maxFileSize > 0)) throw new UserError("--max-file-size must be a positive number of bytes");
      const scan = await import("../../scan/index.js");
      const report = await import("../../report/findings.js");
      const options = {
        scan: config.scan,
        maxFileSize,
        gitleaksConfig: flags.gitleaksConfig,
        baseline: flags.baseline ? scan.readBaseline(flags.baseline) : undefined,
      };
      if (flags.inputFormat === "jsonl") {
        const r = await scan.scanJsonl(process.stdin, (l) => writeOut(l), options);
        say(`${r.records} record(s), ${r.findings} finding(s)`);
        if (r.findings > 0 && !flags.exitZero) process.exitCode = 1;
        return;
      }
      if (flags.inputFormat !== "text") throw new UserError(`unknown --input-format "${flags.inputFormat}" (valid: text, jsonl)`);
      const bar = progress("scanning");
      let result;
      if (flags.staged) result = await scan.scanStaged(options);
      else if (flags.diff !== undefined) result = await scan.scanRange(flags.diff, options);
      else if (flags.history) result = await scan.scanHistory(options);
      else if (paths.length === 1 && paths[0] === "-") result = scan.scanString(await readStdin(), options);
      else result = await scan.scanFilesParallel(paths.length ? paths : ["."], { ...options, onProgress: (n, b) => bar.update(`${n} files, ${(b / 1e6).toFixed(1)} MB`) });
      bar.done();
      if (flags.writeBaseline) {
        writeFileAtomic(flags.writeBaseline, `# gitops-health baseline: accepted finding fingerprints\n${[...new Set(result.findings.map((f) => f.fingerprint))].join("\n")}\n`);
        say(`wrote ${result.findings.length} fingerprint(s) to ${flags.writeBaseline}`);
        return;
      }
      if (format === "json") writeOut(report.formatJson(result));
      else if (format === "sarif") writeOut(report.formatSarif(result, packageVersion()));
      else if (format === "markdown") writeOut(report.formatMarkdown(result));
      else say(report.formatText(result, color));
      const failing = result.findings.filter((f) => report.severityAtLeast(f.severity, failOn));
      if (failing.length > 0 && !flags.exitZero) process.exitCode = 1;
    });
}
