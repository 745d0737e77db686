// Entry of dist/hook.cjs (see tsup.config.ts): the pre-commit hook's `scan --staged` in a
// repository without .gitops-health.yml, bundled on its own as one CommonJS file, which node
// loads several times faster than the twenty-odd ES modules of the same code. It must import
// nothing it does not run (no config loader, no picomatch): in a file of its own, every import
// is parsed on every commit. main.ts runs it only where there is no config file, so the config
// is the defaults; it does exactly what runScan (src/cli/commands/scan-run.ts) does then.
import { DEFAULT_CONFIG, scanFailOn } from "../config/defaults.js";
import { blockedCommitHint, formatText } from "../report/findings.js";
import { severityAtLeast } from "../core/vocabulary.js";
import { startStagedDiff } from "../scan/staged.js";
import { exitCodeOf } from "./exit.js";
import { color, progress, say } from "./output.js";

/** Scan the staged changes, print the text report, and give the exit code. */
export async function main(): Promise<number> {
  try {
    // git starts before the scanner loads (src/scan/staged.ts)
    const staged = startStagedDiff();
    try {
      const config = structuredClone(DEFAULT_CONFIG);
      const bar = progress("scanning");
      const result = await staged.scan({
        scan: config.scan,
        maxFileSize: undefined,
        gitleaksConfig: undefined,
        baseline: undefined,
      });
      bar.done();
      const failOn = scanFailOn(config);
      say(formatText(result, color, { failOn }));
      if (result.findings.some((f) => severityAtLeast(f.severity, failOn))) {
        say(blockedCommitHint());
        process.exitCode = 1;
      }
    } finally {
      staged.cancel();
    }
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    return exitCodeOf(err);
  }
}
