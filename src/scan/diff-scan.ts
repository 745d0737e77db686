// Scans of added lines: staged changes, a range, history. The pre-commit hook loads this
// module (through src/scan/staged.ts) rather than src/scan/index.ts, so it never loads the file
// walker, and picomatch only when the config's allowlists use path globs.
import type { Finding } from "../phi/types.js";
import { UserError } from "../core/errors.js";
import { gitLineBatches, gitSync, repoRoot } from "../git/exec.js";
import { DiffParser, LOG_PATCH_FORMAT } from "../git/diff.js";
import type { ScanReport } from "../report/findings.js";
import { emptyStats, needsGlob, prepareWith, type GlobMatcher, type ScanOptions } from "./prepare.js";
import { DIFF_FLAGS, STAGED_DIFF_ARGS } from "./diff-args.js";

/** prepare(), loading picomatch only when the allowlists need it. */
async function prepareAsync(options: ScanOptions) {
  const glob = needsGlob(options) ? ((await import("picomatch")).default as GlobMatcher) : undefined;
  return prepareWith(options, glob);
}

/**
 * Scan only the added lines of a diff (staged changes, a range, or all history).
 * Contiguous added lines are scanned as one block so multi-line values keep their context.
 */
export function scanDiffArgs(
  args: string[],
  options: ScanOptions & { firstOccurrence?: boolean } = {},
): Promise<ScanReport> {
  return scanDiffLines(gitLineBatches(args, { cwd: options.cwd ?? process.cwd() }), options);
}

/**
 * scanDiffArgs over the lines of a diff, one array per chunk of git's output (startGitLines's
 * `batches`, e.g. a staged diff already under way: see src/scan/staged.ts).
 */
export async function scanDiffLines(
  batches: AsyncIterable<string[]>,
  options: ScanOptions & { firstOccurrence?: boolean } = {},
): Promise<ScanReport> {
  const t0 = Date.now();
  const { scanner, suppressed, path } = await prepareAsync(options);
  const stats = emptyStats();
  const findings: Finding[] = [];
  const seen = new Set<string>();
  const max = options.maxFileSize ?? options.scan?.maxFileSize ?? 5 * 1024 * 1024;
  let block: { path: string; commit?: string; first: number; next: number; lines: string[] } | undefined;
  /** The current file's path as findings show it (masked where it holds identifiers). */
  let shown: { path: string; commit?: string; as: string } | undefined;
  const keep = (f: Finding) => {
    if (options.firstOccurrence) {
      if (seen.has(f.fingerprint)) return;
      seen.add(f.fingerprint);
    }
    findings.push(f);
  };
  const named = (p: string, commit?: string): string => {
    if (shown?.path === p && shown.commit === commit) return shown.as;
    const r = path(p, commit);
    for (const f of r.findings) keep(f);
    shown = { path: p, commit, as: r.shown };
    return r.shown;
  };
  let fileBytes = 0;
  const files = new Set<string>();
  const flush = () => {
    if (!block) return;
    const text = block.lines.join("\n");
    for (const f of scanner.scan(text, {
      path: named(block.path, block.commit),
      firstLine: block.first,
      commit: block.commit,
    })) {
      if (suppressed(f, text)) {
        stats.suppressed++;
        continue;
      }
      keep(f);
    }
    block = undefined;
  };
  let skipFile = false;
  let chunked = false;
  const parser = new DiffParser((e) => {
    if (e.kind === "file") {
      flush();
      // a new or renamed file's name is reported even when it adds no line (an empty file)
      if (e.newPath) named(e.newPath, e.commit);
      fileBytes = 0;
      chunked = false;
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
    // Past the size limit a file's added lines are scanned in blocks of at most `max` bytes, cut at
    // line boundaries (never skipped: a skipped file would pass the gate unread).
    if (block && fileBytes > max) {
      if (!chunked) stats.chunked++;
      chunked = true;
      flush();
      fileBytes = e.text.length + 1;
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

/**
 * Every commit's added lines, oldest first; each finding names the commit that introduced it.
 * Then every commit's message, as a file `commit:<sha>:message` (src/scan/messages.ts).
 */
export async function scanHistory(options: ScanOptions & { rev?: string } = {}): Promise<ScanReport> {
  const root = needRepo(options.cwd ?? process.cwd(), "--history");
  const t0 = Date.now();
  const rev = options.rev ?? "HEAD";
  const report = await scanDiffArgs(["log", "-p", ...DIFF_FLAGS, "--reverse", "--no-merges", LOG_PATCH_FORMAT, rev], {
    ...options,
    cwd: root,
    firstOccurrence: true,
  });
  const { scanHistoryMessages } = await import("./messages.js");
  const messages = await scanHistoryMessages(await prepareAsync({ ...options, cwd: root }), root, rev);
  report.findings.push(...messages.findings);
  report.stats.files += messages.messages;
  report.stats.bytes += messages.bytes;
  report.stats.durationMs = Date.now() - t0;
  return report;
}
