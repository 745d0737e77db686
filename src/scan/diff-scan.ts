// Scans of added lines: staged changes, a range, history. The pre-commit hook loads this
// module (through src/scan/staged.ts) rather than src/scan/index.ts, so it never loads the file
// walker, and picomatch only when the config's allowlists use path globs.
import type { Finding } from "../phi/types.js";
import { UserError } from "../core/errors.js";
import { gitLineBatches, gitSync, repoRoot } from "../git/exec.js";
import { DiffParser, LOG_PATCH_FORMAT } from "../git/diff.js";
import type { ScanReport } from "../report/findings.js";
import { emptyStats, needsGlob, prepareWith, type GlobMatcher, type ScanOptions } from "./prepare.js";
import { DIFF_FLAGS, STAGED_DIFF_ARGS } from "./staged.js";

/** prepare(), loading picomatch only when the allowlists need it. */
async function prepareAsync(options: ScanOptions) {
  const glob = needsGlob(options) ? ((await import("picomatch")).default as GlobMatcher) : undefined;
  return prepareWith(options, glob);
}

/**
 * Scan only the added lines of a diff (staged changes, a range, or all history).
 * Contiguous added lines are scanned as one block so multi-line values keep their context.
 */
export function scanDiffArgs(args: string[], options: ScanOptions & { firstOccurrence?: boolean } = {}): Promise<ScanReport> {
  return scanDiffLines(gitLineBatches(args, { cwd: options.cwd ?? process.cwd() }), options);
}

/**
 * scanDiffArgs over the lines of a diff, one array per chunk of git's output (startGitLines's
 * `batches`, e.g. a staged diff already under way: see src/scan/staged.ts).
 */
export async function scanDiffLines(batches: AsyncIterable<string[]>, options: ScanOptions & { firstOccurrence?: boolean } = {}): Promise<ScanReport> {
  const t0 = Date.now();
  const { scanner, suppressed } = await prepareAsync(options);
  const stats = emptyStats();
  const findings: Finding[] = [];
  const seen = new Set<string>();
  const max = options.maxFileSize ?? options.scan?.maxFileSize ?? 5 * 1024 * 1024;
  let block: { path: string; commit?: string; first: number; next: number; lines: string[] } | undefined;
  let fileBytes = 0;
  const files = new Set<string>();
  const flush = () => {
    if (!block) return;
    const text = block.lines.join("\n");
    for (const f of scanner.scan(text, { path: block.path, firstLine: block.first, commit: block.commit })) {
      if (suppressed(f, text)) {
        stats.suppressed++;
        continue;
      }
      if (options.firstOccurrence) {
        if (seen.has(f.fingerprint)) continue;
        seen.add(f.fingerprint);
      }
      findings.push(f);
    }
    block = undefined;
  };
  let skipFile = false;
  const parser = new DiffParser((e) => {
    if (e.kind === "file") {
      flush();
      fileBytes = 0;
      skipFile = e.binary;
      if (e.binary) stats.skippedBinary++;
      return;
    }
    if (e.kind !== "added" || skipFile) return;
    if (e.text.includes("\0")) {
      skipFile = true;
      stats.skippedBinary++;
      block = undefined;
      return;
    }
    fileBytes += e.text.length + 1;
    if (fileBytes > max) {
      skipFile = true;
      stats.skippedLarge++;
      block = undefined;
      return;
    }
    stats.bytes += e.text.length + 1;
    files.add(`${e.commit ?? ""}:${e.path}`);
    if (!block || block.path !== e.path || block.commit !== e.commit || block.next !== e.line) {
      flush();
      block = { path: e.path, commit: e.commit, first: e.line, next: e.line, lines: [] };
    }
    block.lines.push(e.text);
    block.next = e.line + 1;
  });
  for await (const batch of batches) for (const line of batch) parser.push(line);
  parser.end();
  flush();
  stats.files = files.size;
  stats.durationMs = Date.now() - t0;
  return { findings, stats };
}

function needRepo(cwd: string, what: string): string {
  const root = repoRoot(cwd);
  if (!root) throw new UserError(`${what} needs a git repository, and ${cwd} is not inside one`);
  return root;
}

/** Lines added in the index: the pre-commit case. */
export function scanStaged(options: ScanOptions = {}): Promise<ScanReport> {
  const root = needRepo(options.cwd ?? process.cwd(), "--staged");
  return scanDiffArgs(STAGED_DIFF_ARGS, { ...options, cwd: root });
}

/** Lines added in a range A..B: the CI case. */
export function scanRange(range: string, options: ScanOptions = {}): Promise<ScanReport> {
  const root = needRepo(options.cwd ?? process.cwd(), "--diff");
  if (!/^[^\s]+\.\.\.?[^\s]+$/.test(range)) throw new UserError(`--diff takes a range like A..B, got "${range}"`);
  try {
    gitSync(["rev-parse", "--verify", "--quiet", range.split(/\.\.\.?/)[0]!], { cwd: root });
    gitSync(["rev-parse", "--verify", "--quiet", range.split(/\.\.\.?/)[1]!], { cwd: root });
  } catch {
    throw new UserError(`unknown revision in range ${range}`);
  }
  return scanDiffArgs(["diff", ...DIFF_FLAGS, range], { ...options, cwd: root });
}

/** Every commit's added lines, oldest first; each finding names the commit that introduced it. */
export function scanHistory(options: ScanOptions & { rev?: string } = {}): Promise<ScanReport> {
  const root = needRepo(options.cwd ?? process.cwd(), "--history");
  return scanDiffArgs(["log", "-p", ...DIFF_FLAGS, "--reverse", "--no-merges", LOG_PATCH_FORMAT, options.rev ?? "HEAD"], { ...options, cwd: root, firstOccurrence: true });
}

