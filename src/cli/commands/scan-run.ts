import { UserError } from "../../core/errors.js";
import { loadConfigFast } from "../../config/fast.js";
import { startStagedDiff } from "../../scan/staged.js";
import { color, parseFormat, progress, readStdin, say, writeOut } from "../output.js";

export interface ScanFlags {
  format?: string;
  staged?: boolean;
  diff?: string;
  history?: boolean;
  inputFormat?: string;
  failOn?: string;
  baseline?: string;
  writeBaseline?: string;
  maxFileSize?: string;
  gitleaksConfig?: string;
  exitZero?: boolean;
}

/**
 * The `scan` action, without commander: the pre-commit hook (`scan --staged`) calls it
 * directly from main.ts, so this module imports only what that path needs and loads the
 * rest on demand. Flags left out take commander's defaults (format and input format text).
 */
export async function runScan(paths: string[], flags: ScanFlags, configFile?: string): Promise<void> {
  const format = parseFormat(flags.format ?? "text", ["text", "json", "sarif", "markdown"] as const, "text");
  const inputFormat = flags.inputFormat ?? "text";
  const modes = [flags.staged, flags.diff !== undefined, flags.history, paths.length > 0].filter(Boolean).length;
  if (modes > 1) throw new UserError("give one target: paths, --staged, --diff A..B or --history");
  // The staged diff's git process starts now and runs while the scanner's modules load.
  const staged = flags.staged && inputFormat === "text" ? startStagedDiff() : undefined;
  try {
    const { config } = await loadConfigFast({ file: configFile });
    const failOn = flags.failOn ?? config.scan.failOn;
    if (failOn !== "low" && failOn !== "medium" && failOn !== "high") throw new UserError(`--fail-on must be low, medium or high, got "${flags.failOn}"`);
    const maxFileSize = flags.maxFileSize === undefined ? undefined : Number(flags.maxFileSize);
    if (maxFileSize !== undefined && !(Number.isInteger(maxFileSize) && maxFileSize > 0)) throw new UserError("--max-file-size must be a positive number of bytes");
    // the hook's staged scan needs neither the file walker nor picomatch (src/scan/index.ts)
    const { readBaseline } = await import("../../scan/prepare.js");
    const all = staged ? undefined : await import("../../scan/index.js");
    const report = await import("../../report/findings.js");
    const options = {
      scan: config.scan,
      maxFileSize,
      gitleaksConfig: flags.gitleaksConfig,
      baseline: flags.baseline ? readBaseline(flags.baseline) : undefined,
    };
    if (inputFormat === "jsonl") {
      const r = await all!.scanJsonl(process.stdin, (l) => writeOut(l), options);
      say(`${r.records} record(s), ${r.findings} finding(s)`);
      if (r.findings > 0 && !flags.exitZero) process.exitCode = 1;
      return;
    }
    if (inputFormat !== "text") throw new UserError(`unknown --input-format "${flags.inputFormat}" (valid: text, jsonl)`);
    const bar = progress("scanning");
    let result;
    if (staged) result = await staged.scan(options);
    else if (flags.diff !== undefined) result = await all!.scanRange(flags.diff, options);
    else if (flags.history) result = await all!.scanHistory(options);
    else if (paths.length === 1 && paths[0] === "-") result = all!.scanString(await readStdin(), options);
    else result = await all!.scanFilesParallel(paths.length ? paths : ["."], { ...options, onProgress: (n, b) => bar.update(`${n} files, ${(b / 1e6).toFixed(1)} MB`) });
    bar.done();
    if (flags.writeBaseline) {
      const { writeFileAtomic } = await import("../../core/fs.js");
      writeFileAtomic(flags.writeBaseline, `# gitops-health baseline: accepted finding fingerprints\n${[...new Set(result.findings.map((f) => f.fingerprint))].join("\n")}\n`);
      say(`wrote ${result.findings.length} fingerprint(s) to ${flags.writeBaseline}`);
      return;
    }
    if (format === "json") writeOut(report.formatJson(result));
    else if (format === "sarif") writeOut(report.formatSarif(result, (await import("../../core/paths.js")).packageVersion()));
    else if (format === "markdown") writeOut(report.formatMarkdown(result));
    else say(report.formatText(result, color));
    const failing = result.findings.filter((f) => report.severityAtLeast(f.severity, failOn));
    if (failing.length > 0 && !flags.exitZero) process.exitCode = 1;
  } finally {
    staged?.cancel();
  }
}
