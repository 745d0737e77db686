import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import picomatch from "picomatch";
import ignore from "ignore";
import type { Finding } from "../phi/types.js";
import { UserError } from "../core/errors.js";
import { gitSync, repoRoot } from "../git/exec.js";
import type { ScanReport, ScanStats } from "../report/findings.js";
import { prepareWith, type ScanOptions } from "./prepare.js";
import type { JsonlPool as JsonlPoolType } from "./jsonl-pool.js";

export type { ScanReport, ScanStats } from "../report/findings.js";
export { readBaseline, type ScanOptions } from "./prepare.js";
export { scanDiffArgs, scanDiffLines, scanStaged, scanRange, scanHistory } from "./diff-scan.js";

/** Build the engine plus the suppression filter from config. */
export function prepare(options: ScanOptions) {
  return prepareWith(options, picomatch);
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

