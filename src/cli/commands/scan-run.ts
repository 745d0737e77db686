import { UserError } from "../../core/errors.js";
import { loadConfigFast } from "../../config/fast.js";
import { scanFailOn } from "../../config/defaults.js";
import { readEnv } from "../../config/env.js";
import { severityAtLeast } from "../../core/vocabulary.js";
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
  updateBaseline?: boolean;
  allowSkip?: boolean;
  maxFileSize?: string;
  gitleaksConfig?: string;
  exitZero?: boolean;
  /** scan with a remote service's engine (files and stdin only) */
  server?: string;
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
  if (
    flags.server !== undefined &&
    (flags.staged || flags.diff !== undefined || flags.history || inputFormat !== "text")
  )
    throw new UserError(
      "--server scans files and stdin (text); --staged, --diff, --history and jsonl input scan locally",
    );
  // The staged diff's git process starts now and runs while the scanner's modules load.
  const staged = flags.staged && inputFormat === "text" ? startStagedDiff() : undefined;
  try {
    const { config } = await loadConfigFast({ file: configFile });
    const failOn = flags.failOn ?? scanFailOn(config);
    if (failOn !== "low" && failOn !== "medium" && failOn !== "high")
      throw new UserError(`--fail-on must be low, medium or high, got "${flags.failOn}"`);
    const maxFileSize = flags.maxFileSize === undefined ? undefined : Number(flags.maxFileSize);
    if (maxFileSize !== undefined && !(Number.isInteger(maxFileSize) && maxFileSize > 0))
      throw new UserError("--max-file-size must be a positive number of bytes");
    // the hook's staged scan needs neither the file walker nor picomatch (src/scan/index.ts)
    if (flags.updateBaseline && !flags.baseline)
      throw new UserError("--update-baseline rewrites the --baseline file: give --baseline FILE");
    if (flags.updateBaseline && flags.writeBaseline)
      throw new UserError("give --write-baseline or --update-baseline, not both");
    const all = staged ? undefined : await import("../../scan/index.js");
    const report = await import("../../report/findings.js");
    // The fingerprint key: needed up front only to read or write a baseline (else on the first finding).
    let key: import("../../scan/fingerprint-key.js").FingerprintKey | undefined;
    let baseline: { baseline?: Set<string>; legacyBaseline?: Set<string> } = {};
    if (flags.baseline || flags.writeBaseline) {
      const fk = await import("../../scan/fingerprint-key.js");
      const cwd = process.cwd();
      if (flags.writeBaseline || flags.updateBaseline) {
        // a baseline must match the next run: make the per-repository key if there is none
        const made = fk.ensureFingerprintKey(cwd, config.scan.fingerprintKeyFile);
        if (made.created)
          say(`created the fingerprint key ${made.created} (0600, outside the repository; see docs/SECURITY.md)`);
        key = made;
      } else key = fk.loadFingerprintKey(cwd, config.scan.fingerprintKeyFile);
      if (flags.baseline) {
        const { baselineOptions } = await import("../../scan/prepare.js");
        const b = baselineOptions(flags.baseline, key);
        if (b.warning) say(`warning: ${b.warning}`);
        baseline = { baseline: b.baseline, legacyBaseline: b.legacyBaseline };
      }
    }
    const accepted: string[] = [];
    const env = readEnv();
    const options = {
      scan: config.scan,
      threads: env.scanThreads,
      parallelBytes: env.scanParallelBytes,
      maxFileSize,
      allowSkip: flags.allowSkip,
      gitleaksConfig: flags.gitleaksConfig,
      ...baseline,
      ...(key ? { fingerprintKey: key.key } : {}),
      ...(flags.updateBaseline
        ? { onBaselineHit: (f: { fingerprint: string }) => void accepted.push(f.fingerprint), threads: 1 }
        : {}),
    };
    if (inputFormat === "jsonl") {
      const r = await all!.scanJsonl(process.stdin, (l) => writeOut(l), options);
      say(`${r.records} record(s), ${r.findings} finding(s)`);
      if (r.findings > 0 && !flags.exitZero) process.exitCode = 1;
      return;
    }
    if (inputFormat !== "text")
      throw new UserError(`unknown --input-format "${flags.inputFormat}" (valid: text, jsonl)`);
    const bar = progress("scanning");
    let result;
    if (flags.server !== undefined) {
      // The service's engine finds; the walk, suppression, baseline and fingerprints stay here (scanWithEngine).
      const { serverClient } = await import("../server-client.js");
      const remote = (await serverClient({ server: flags.server }))!;
      const engine = async (records: { path?: string; text: string }[]) =>
        (
          await remote.scan({
            records: records.map((r, i) => ({
              id: String(i),
              text: r.text,
              ...(r.path !== undefined ? { path: r.path } : {}),
            })),
          })
        ).results.map((r) => r.findings);
      const stdin = paths.length === 1 && paths[0] === "-";
      result = await all!.scanWithEngine(
        stdin ? { text: await readStdin() } : { paths: paths.length ? paths : ["."] },
        engine,
        { ...options, onProgress: (n, b) => bar.update(`${n} files, ${(b / 1e6).toFixed(1)} MB`) },
      );
    } else if (staged) result = await staged.scan(options);
    else if (flags.diff !== undefined) result = await all!.scanRange(flags.diff, options);
    else if (flags.history) result = await all!.scanHistory(options);
    else if (paths.length === 1 && paths[0] === "-") result = all!.scanString(await readStdin(), options);
    else
      result = await all!.scanFilesParallel(paths.length ? paths : ["."], {
        ...options,
        onProgress: (n, b) => bar.update(`${n} files, ${(b / 1e6).toFixed(1)} MB`),
      });
    bar.done();
    if (flags.writeBaseline || flags.updateBaseline) {
      const { writeFileAtomic } = await import("../../core/fs.js");
      const { formatBaseline } = await import("../../scan/prepare.js");
      const file = (flags.writeBaseline ?? flags.baseline)!;
      // --update-baseline keeps what the old file accepted (now keyed) and adds nothing new
      const fps = flags.writeBaseline ? result.findings.map((f) => f.fingerprint) : accepted;
      writeFileAtomic(file, formatBaseline(fps, key!));
      say(`wrote ${new Set(fps).size} fingerprint(s) (${report.FINGERPRINT_SCHEME}, key ${key!.id}) to ${file}`);
      return;
    }
    let ephemeral = false;
    if (format === "json" || format === "sarif") {
      // fingerprints are shown: say when they cannot be matched by a later run
      const { loadFingerprintKey } = await import("../../scan/fingerprint-key.js");
      ephemeral =
        !key &&
        result.findings.length > 0 &&
        loadFingerprintKey(process.cwd(), config.scan.fingerprintKeyFile).source === "ephemeral";
      if (ephemeral) {
        say(
          "note: no fingerprint key (run gitops-health init, or set GITOPS_HEALTH_FINGERPRINT_KEY): fingerprints are keyed for this run only and will not match later runs",
        );
      }
    }
    const writer = (await import("../../report/writers.js")).findingWriters.get(format);
    const { packageVersion } = await import("../../core/paths.js");
    const text = writer.write(result, { color, failOn, version: packageVersion, keyed: !ephemeral });
    if (writer.stream === "stdout") writeOut(text);
    else say(text);
    const failing = result.findings.filter((f) => severityAtLeast(f.severity, failOn));
    if (failing.length > 0 && !flags.exitZero) {
      if (flags.staged && format === "text") say(report.blockedCommitHint());
      process.exitCode = 1;
    }
  } finally {
    staged?.cancel();
  }
}
