import type { Command } from "commander";
import { runScan, type ScanFlags } from "./scan-run.js";

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
    .option(
      "--fail-on <severity>",
      "low | medium | high: lowest severity that exits 1 (default: config scan.failOn, else medium for clinical, high otherwise)",
    )
    .option("--baseline <file>", "accepted fingerprints (one a line, or a JSON report)")
    .option("--write-baseline <file>", "write the fingerprints of this scan's findings and exit 0")
    .option(
      "--update-baseline",
      "rewrite the --baseline file keyed: the current fingerprints of the findings it accepts (migrates an unkeyed baseline)",
    )
    .option(
      "--max-file-size <bytes>",
      "scan larger files in overlapping chunks, streamed (default: config scan.maxFileSize, 5 MiB)",
    )
    .option("--allow-skip", "files that cannot be read pass the gate (default: each is a high scan-skipped finding)")
    .option("--gitleaks-config <file>", "add the [[rules]] of a gitleaks.toml")
    .option("--exit-zero", "always exit 0 (reporting, demos)")
    .option(
      "--server <url>",
      "scan files or stdin with a remote gitops-health service's engine (token from GITOPS_HEALTH_TOKEN); suppressions, baseline and fingerprints stay local",
    )
    .action((paths: string[], flags: ScanFlags) => runScan(paths, flags, program.opts().config as string | undefined));
}
