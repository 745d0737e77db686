import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import picomatch from "picomatch";
import ignore from "ignore";
import { Scanner, type ExtraRule } from "../phi/engine.js";
import type { Finding } from "../phi/types.js";
import type { Config } from "../config/schema.js";
import { UserError } from "../core/errors.js";
import { gitSync, repoRoot } from "../git/exec.js";
import { streamDiff, LOG_PATCH_FORMAT } from "../git/diff.js";
import { compileUserPattern } from "./safe-regex.js";
import { loadGitleaksRules } from "./gitleaks.js";
import type { ScanReport, ScanStats } from "../report/findings.js";
import type { JsonlPool as JsonlPoolType } from "./jsonl-pool.js";

export type { ScanReport, ScanStats } from "../report/findings.js";

/** Everything that shapes a scan besides its target. */
export interface ScanOptions {
  cwd?: string;
  scan?: Config["scan"];
  /** Accepted fingerprints (from --baseline). */
  baseline?: Set<string>;
  maxFileSize?: number;
  gitleaksConfig?: string;
  onProgress?: (files: number, bytes: number) => void;
}

const INLINE_ALLOW = /gitops-health:allow(?:[ \t]+([\w:,.-]+))?/;

/** Build the engine plus the suppression filter from config. */
export function prepare(options: ScanOptions) {
  const cfg = options.scan;
  const extra: ExtraRule[] = (cfg?.customRules ?? []).map((r) => ({
    id: r.id,
    regex: compileUserPattern(r.id, r.pattern),
    category: r.category,
    severity: r.severity,
    kind: r.category === "secret" ? "secret" : "phi",
  }));
  const gl = options.gitleaksConfig ?? cfg?.gitleaksConfig;
  if (gl) extra.push(...loadGitleaksRules(resolve(options.cwd ?? process.cwd(), gl)));
  const scanner = new Scanner({ extraRules: extra, disabledRules: cfg?.disabledRules });
  const allow = cfg?.allowlist;
  const pathAllowed = allow?.paths.length ? picomatch(allow.paths, { dot: true }) : undefined;
  const regexes = (allow?.regexes ?? []).map((r, i) => compileUserPattern(`allowlist.regexes[${i}]`, r));
  const stopwords = (allow?.stopwords ?? []).map((w) => w.toLowerCase());
  const perRule = Object.entries(allow?.rules ?? {}).map(([rule, a]) => ({
    rule,
    path: a.paths.length ? picomatch(a.paths, { dot: true }) : undefined,
    regexes: a.regexes.map((r, i) => compileUserPattern(`allowlist.rules.${rule}.regexes[${i}]`, r)),
    stopwords: a.stopwords.map((w) => w.toLowerCase()),
  }));
  const test = (re: RegExp, s: string) => {
    re.lastIndex = 0;
    return re.test(s);
  };
  /** True when a finding is suppressed: inline allow comment, allowlists, baseline. */
  const suppressed = (f: Finding, text: string): boolean => {
    const value = text.slice(f.start, f.end);
    const lineStart = text.lastIndexOf("\n", f.start - 1) + 1;
    let lineEnd = text.indexOf("\n", f.end);
    if (lineEnd === -1) lineEnd = text.length;
    const line = text.slice(lineStart, lineEnd);
    const inline = INLINE_ALLOW.exec(line);
    if (inline && (!inline[1] || inline[1].split(",").includes(f.ruleId))) return true;
    if (options.baseline?.has(f.fingerprint)) return true;
    if (f.file && pathAllowed?.(f.file)) return true;
    if (regexes.some((re) => test(re, value))) return true;
    const lower = value.toLowerCase();
    if (stopwords.some((w) => lower.includes(w))) return true;
    for (const r of perRule) {
      if (r.rule !== f.ruleId) continue;
      if ((f.file && r.path?.(f.file)) || r.regexes.some((re) => test(re, value)) || r.stopwords.some((w) => lower.includes(w))) return true;
    }
    return false;
  };
  return { scanner, suppressed };
}

function emptyStats(): ScanStats {
  return { files: 0, bytes: 0, skippedBinary: 0, skippedLarge: 0, suppressed: 0, durationMs: 0 };
}

/** Decode bytes as UTF-8, replacing invalid sequences rather than failing. */
export function decodeText(buf: Uint8Array): string {
  return new TextDecoder("utf-8", { fatal: false }).decode(buf);
}

function isBinary(buf: Uint8Array): boolean {
  const n = Math.min(buf.length, 8192);
  for (let i = 0; i < n; i++) if (buf[i] === 0) return true;
  return false;
}

/** Files under the given paths, honouring .gitignore (git ls-files inside a repository). */
export function listFiles(paths: string[], cwd: string): string[] {
  const out: string[] = [];
  const root = repoRoot(cwd);
  for (const p of paths) {
    const abs = resolve(cwd, p);
    let st;
    try {
      st = statSync(abs);
    } catch {
      throw new UserError(`no such file or directory: ${p}`);
    }
    if (st.isFile()) {
      out.push(abs);
      continue;
    }
    if (root && (abs === root || abs.startsWith(root + sep))) {
      const listed = gitSync(["ls-files", "-z", "-co", "--exclude-standard", "--", relative(root, abs) || "."], { cwd: root });
      for (const f of listed.split("\0")) if (f) out.push(join(root, f));
      continue;
    }
    const ig = ignore();
    try {
      ig.add(readFileSync(join(abs, ".gitignore"), "utf8"));
    } catch {
      /* no .gitignore */
    }
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const full = join(dir, e.name);
        const rel = relative(abs, full).split(sep).join("/");
        if (e.name === ".git" || ig.ignores(e.isDirectory() ? rel + "/" : rel)) continue;
        if (e.isDirectory()) walk(full);
        else if (e.isFile()) out.push(full);
      }
    };
    walk(abs);
  }
  return [...new Set(out)].filter((f) => {
    try {
      return statSync(f).isFile();
    } catch {
      return false; // deleted but still listed by git
    }
  });
}

/** Scan files and directories (single thread). */
export function scanFiles(paths: string[], options: ScanOptions = {}): ScanReport {
  const cwd = options.cwd ?? process.cwd();
  return scanFileList(listFiles(paths, cwd), options);
}

/** Scan an explicit list of absolute file paths. */
export function scanFileList(list: string[], options: ScanOptions = {}): ScanReport {
  const t0 = Date.now();
  const cwd = options.cwd ?? process.cwd();
  const { scanner, suppressed } = prepare(options);
  const stats = emptyStats();
  const findings: Finding[] = [];
  const max = options.maxFileSize ?? options.scan?.maxFileSize ?? 5 * 1024 * 1024;
  for (const file of list) {
    const rel = relative(cwd, file).split(sep).join("/") || file;
    let size: number;
    try {
      size = statSync(file).size;
    } catch {
      continue;
    }
    if (size > max) {
      stats.skippedLarge++;
      continue;
    }
    let buf: Buffer;
    try {
      buf = readFileSync(file);
    } catch {
      continue;
    }
    if (isBinary(buf)) {
      stats.skippedBinary++;
      continue;
    }
    stats.files++;
    stats.bytes += buf.length;
    const text = decodeText(buf);
    for (const f of scanner.scan(text, { path: rel })) {
      if (suppressed(f, text)) stats.suppressed++;
      else findings.push(f);
    }
    options.onProgress?.(stats.files, stats.bytes);
  }
  stats.durationMs = Date.now() - t0;
  return { findings, stats };
}

/** Scans larger than this many bytes are split across worker threads. */
export const PARALLEL_THRESHOLD = 16 * 1024 * 1024;

/**
 * Scan files and directories, using a worker thread per core when the scan is large. The
 * worker is a separate bundle (dist/scan-worker.js); where it is absent (running from
 * sources) the scan stays on this thread.
 */
export async function scanFilesParallel(paths: string[], options: ScanOptions & { threads?: number } = {}): Promise<ScanReport> {
  const cwd = options.cwd ?? process.cwd();
  const list = listFiles(paths, cwd);
  const { availableParallelism } = await import("node:os");
  const threads = Math.max(1, Math.min(options.threads ?? (Number(process.env.GITOPS_HEALTH_SCAN_THREADS) || availableParallelism()), 16));
  const workerUrl = new URL("./scan-worker.js", import.meta.url);
  const { existsSync } = await import("node:fs");
  const sizes = list.map((f) => {
    try {
      return statSync(f).size;
    } catch {
      return 0;
    }
  });
  const total = sizes.reduce((a, b) => a + b, 0);
  const threshold = Number(process.env.GITOPS_HEALTH_SCAN_PARALLEL_BYTES) || PARALLEL_THRESHOLD;
  if (threads < 2 || total < threshold || !existsSync(workerUrl)) return scanFileList(list, options);
  // Balance by bytes: largest files first onto the lightest bucket.
  const buckets = Array.from({ length: threads }, () => ({ bytes: 0, files: [] as string[] }));
  for (const i of list.map((_, k) => k).sort((a, b) => sizes[b]! - sizes[a]!)) {
    const b = buckets.reduce((m, x) => (x.bytes < m.bytes ? x : m));
    b.files.push(list[i]!);
    b.bytes += sizes[i]!;
  }
  const t0 = Date.now();
  const { Worker } = await import("node:worker_threads");
  const baseline = options.baseline ? [...options.baseline] : undefined;
  const parts = await Promise.all(
    buckets.filter((b) => b.files.length).map(
      (b) =>
        new Promise<ScanReport>((resolveDone, reject) => {
          const w = new Worker(workerUrl, { workerData: { files: b.files, cwd, scan: options.scan, baseline, maxFileSize: options.maxFileSize, gitleaksConfig: options.gitleaksConfig } });
          w.once("message", (r: ScanReport) => resolveDone(r));
          w.once("error", reject);
        }),
    ),
  );
  const order = new Map(list.map((f, i) => [relative(cwd, f).split(sep).join("/") || f, i]));
  const findings = parts.flatMap((p) => p.findings).sort((a, b) => (order.get(a.file ?? "") ?? 0) - (order.get(b.file ?? "") ?? 0) || a.start - b.start);
  const stats = emptyStats();
  for (const p of parts) for (const k of ["files", "bytes", "skippedBinary", "skippedLarge", "suppressed"] as const) stats[k] += p.stats[k];
  stats.durationMs = Date.now() - t0;
  return { findings, stats };
}

/** Scan a text (stdin, a prompt) as one document. */
export function scanString(text: string, options: ScanOptions & { path?: string } = {}): ScanReport {
  const t0 = Date.now();
  const { scanner, suppressed } = prepare(options);
  const stats = emptyStats();
  stats.files = 1;
  stats.bytes = Buffer.byteLength(text);
  const findings = scanner.scan(text, { path: options.path }).filter((f) => !(suppressed(f, text) && ++stats.suppressed));
  stats.durationMs = Date.now() - t0;
  return { findings, stats };
}

/**
 * Scan only the added lines of a diff (staged changes, a range, or all history).
 * Contiguous added lines are scanned as one block so multi-line values keep their context.
 */
export async function scanDiffArgs(args: string[], options: ScanOptions & { firstOccurrence?: boolean } = {}): Promise<ScanReport> {
  const t0 = Date.now();
  const cwd = options.cwd ?? process.cwd();
  const { scanner, suppressed } = prepare(options);
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
  for await (const e of streamDiff(args, { cwd })) {
    if (e.kind === "file") {
      flush();
      fileBytes = 0;
      skipFile = e.binary;
      if (e.binary) stats.skippedBinary++;
      continue;
    }
    if (e.kind !== "added" || skipFile) continue;
    if (e.text.includes("\0")) {
      skipFile = true;
      stats.skippedBinary++;
      block = undefined;
      continue;
    }
    fileBytes += e.text.length + 1;
    if (fileBytes > max) {
      skipFile = true;
      stats.skippedLarge++;
      block = undefined;
      continue;
    }
    stats.bytes += e.text.length + 1;
    files.add(`${e.commit ?? ""}:${e.path}`);
    if (!block || block.path !== e.path || block.commit !== e.commit || block.next !== e.line) {
      flush();
      block = { path: e.path, commit: e.commit, first: e.line, next: e.line, lines: [] };
    }
    block.lines.push(e.text);
    block.next = e.line + 1;
  }
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

const DIFF_FLAGS = ["-U0", "--no-color", "--no-ext-diff", "--no-renames", "--diff-filter=ACMRT"];

/** Lines added in the index: the pre-commit case. */
export function scanStaged(options: ScanOptions = {}): Promise<ScanReport> {
  const root = needRepo(options.cwd ?? process.cwd(), "--staged");
  return scanDiffArgs(["diff", "--cached", ...DIFF_FLAGS], { ...options, cwd: root });
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

async function jsonlSchema() {
  const { z } = await import("zod");
  return z.object({ id: z.union([z.string(), z.number()]), text: z.string() }).strict();
}

/** Batch input larger than this many characters is scanned by a pool of worker threads. */
export const JSONL_PARALLEL_CHARS = 1024 * 1024;

/**
 * Batch mode: one JSON object a line in, one a line out, in input order. Records are checked on
 * this thread (errors name the line); past JSONL_PARALLEL_CHARS of text the rest is scanned by a
 * worker pool (dist/jsonl-worker.js, where built), which writes results back in order.
 */
export async function scanJsonl(input: Readable, write: (line: string) => void, options: ScanOptions & { threads?: number } = {}): Promise<{ records: number; findings: number }> {
  const { scanner, suppressed } = prepare(options);
  const JsonlInput = await jsonlSchema();
  let n = 0;
  let total = 0;
  let chars = 0;
  const { availableParallelism } = await import("node:os");
  const threads = Math.max(1, Math.min(options.threads ?? (Number(process.env.GITOPS_HEALTH_SCAN_THREADS) || availableParallelism()), 16));
  const threshold = Number(process.env.GITOPS_HEALTH_SCAN_PARALLEL_BYTES) || JSONL_PARALLEL_CHARS;
  const { jsonlWorkerUrl, JsonlPool } = await import("./jsonl-pool.js");
  const canParallel = threads > 1 && existsSync(jsonlWorkerUrl());
  let pool: JsonlPoolType | undefined;
  const rl = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const line of rl) {
      n++;
      if (!line.trim()) continue;
      const record = parseJsonlLine(line, n, JsonlInput);
      chars += record.text.length;
      if (!pool && canParallel && chars > threshold) {
        const scanHere = (records: { id: string | number; text: string }[]) => {
          let found = 0;
          const lines = records.map((r) => {
            const f = scanner.scan(r.text, {}).filter((x) => !suppressed(x, r.text));
            found += f.length;
            return JSON.stringify({ id: r.id, findings: f });
          });
          return { lines, findings: found };
        };
        pool = await JsonlPool.start(threads, { cwd: options.cwd ?? process.cwd(), scan: options.scan, baseline: options.baseline ? [...options.baseline] : undefined, gitleaksConfig: options.gitleaksConfig }, write, scanHere);
      }
      if (pool) {
        await pool.add(record);
        continue;
      }
      const findings = scanner.scan(record.text, {}).filter((f) => !suppressed(f, record.text));
      total += findings.length;
      write(JSON.stringify({ id: record.id, findings }));
    }
  } finally {
    if (pool) total += await pool.close();
  }
  return { records: n, findings: total };
}

function parseJsonlLine(line: string, n: number, JsonlInput: Awaited<ReturnType<typeof jsonlSchema>>): { id: string | number; text: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new UserError(`jsonl line ${n}: not valid JSON`);
  }
  const r = JsonlInput.safeParse(parsed);
  if (!r.success) throw new UserError(`jsonl line ${n}: expected {"id": ..., "text": "..."} (${r.error.issues[0]!.path.join(".") || "record"}: ${r.error.issues[0]!.message})`);
  return r.data;
}

/** Read a file of accepted fingerprints (one per line, or a JSON report). */
export function readBaseline(file: string): Set<string> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new UserError(`cannot read baseline ${file}`);
  }
  const t = text.trim();
  if (t.startsWith("{")) {
    try {
      const j = JSON.parse(t) as { findings?: { fingerprint: string }[]; fingerprints?: string[] };
      return new Set([...(j.fingerprints ?? []), ...(j.findings ?? []).map((f) => f.fingerprint)]);
    } catch {
      throw new UserError(`baseline ${file} is not valid JSON`);
    }
  }
  return new Set(t.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith("#")));
}
