import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, readdirSync, statSync } from "node:fs";
import { isAscii } from "node:buffer";
import { join, relative, resolve, sep } from "node:path";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import picomatch from "picomatch";
import ignore from "ignore";
import type { Finding } from "../phi/types.js";
import { fingerprint } from "../phi/fingerprint.js";
import { SCAN_MANY_CHARS } from "../phi/scanner.js";
import { loadFingerprintKey } from "./fingerprint-key.js";
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
  return { files: 0, bytes: 0, skippedBinary: 0, skippedLarge: 0, chunked: 0, suppressed: 0, durationMs: 0 };
}

const UTF8 = new TextDecoder("utf-8", { fatal: false });

/** Decode bytes as UTF-8, replacing invalid sequences rather than failing (a leading BOM is dropped). */
export function decodeText(buf: Uint8Array): string {
  // ASCII (most source files) decodes to the same characters byte for byte
  return isAscii(buf) ? Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString("latin1") : UTF8.decode(buf);
}

function isBinary(buf: Uint8Array): boolean {
  return buf.subarray(0, 8192).includes(0);
}

let readBuffer = Buffer.allocUnsafe(1 << 20);

/**
 * A file's size and bytes from one open descriptor: `size` from fstat (for the size limit),
 * the bytes read to the end of the file into a reused buffer (valid until the next call).
 * Undefined when the file cannot be opened or read, or when it is over `max` (bytes then empty).
 */
function readFileBytes(file: string, max: number): { size: number; bytes?: Buffer } | undefined {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch {
    // unreadable: still report an over-size file as skipped, as a stat would see it
    try {
      const size = statSync(file).size;
      return size > max ? { size } : undefined;
    } catch {
      return undefined;
    }
  }
  try {
    const size = fstatSync(fd).size;
    if (size > max) return { size };
    if (readBuffer.length < size) readBuffer = Buffer.allocUnsafe(Math.max(size, readBuffer.length * 2));
    // as readFileSync: the stat'ed size, or to the end when the size is unknown (0)
    let n = 0;
    for (;;) {
      if (size === 0 && n === readBuffer.length) {
        const bigger = Buffer.allocUnsafe(readBuffer.length * 2);
        readBuffer.copy(bigger, 0, 0, n);
        readBuffer = bigger;
      }
      const k = readSync(fd, readBuffer, n, (size === 0 ? readBuffer.length : size) - n, null);
      n += k;
      if (k === 0 || (size > 0 && n >= size)) break;
    }
    return { size, bytes: readBuffer.subarray(0, n) };
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** Files under the given paths, honouring .gitignore (git ls-files inside a repository). */
export function listFiles(paths: string[], cwd: string): string[] {
  const out: string[] = [];
  const regular = new Set<string>();
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
      const listed = gitSync(["ls-files", "-z", "-co", "--exclude-standard", "--", relative(root, abs) || "."], {
        cwd: root,
      });
      for (const f of listed.split("\0")) if (f) out.push(join(root, f));
      continue;
    }
    const ig = ignore();
    let rules = false;
    try {
      ig.add(readFileSync(join(abs, ".gitignore"), "utf8"));
      rules = true;
    } catch {
      /* no .gitignore */
    }
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const full = join(dir, e.name);
        if (e.name === ".git") continue;
        if (rules) {
          const rel = relative(abs, full).split(sep).join("/");
          if (ig.ignores(e.isDirectory() ? rel + "/" : rel)) continue;
        }
        if (e.isDirectory()) walk(full);
        else if (e.isFile()) {
          out.push(full);
          regular.add(full);
        }
      }
    };
    walk(abs);
  }
  // files found by the walk are regular files already; git lists deleted ones too
  return [...new Set(out)].filter((f) => {
    if (regular.has(f)) return true;
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
  const prepared = prepare(options);
  const stats = emptyStats();
  const findings: Finding[] = [];
  scanListInto(list, options, prepared, stats, findings);
  stats.durationMs = Date.now() - t0;
  return { findings, stats };
}

/** Files over the size limit are read in windows of this many bytes plus twice the overlap. */
export const CHUNK_BYTES = 4 * 1024 * 1024;
/**
 * Bytes a window reaches past where it stops accepting findings (and starts before where it begins
 * accepting them, for context): longer than any rule's match (the longest, PEM private keys and
 * base64 attachments, are a few KiB).
 */
export const CHUNK_OVERLAP = 64 * 1024;

/** A file the scan could not read: a finding that fails the gate, unless skipping is allowed. */
function skippedFinding(rel: string, why: string): Finding {
  return {
    ruleId: "scan-skipped",
    category: "scan-incomplete",
    severity: "high",
    confidence: 1,
    file: rel,
    line: 1,
    column: 1,
    start: 0,
    end: 0,
    preview: why,
    fingerprint: fingerprint("scan-skipped", rel, why),
  };
}

/**
 * A stand-in scanner for `scanListInto` from a per-text function: `scanMany` (what `scanListInto` calls) asks it
 * once per text, in order, with that text's path (the remote scan records, then replays, these calls).
 */
function asBatchScanner(scan: (text: string, o?: { path?: string }) => Finding[]) {
  return {
    scan,
    scanMany: (texts: string[], _o: unknown, paths?: (string | undefined)[]) =>
      texts.map((text, i) => scan(text, { path: paths?.[i] })),
  };
}

/** Scan files with a prepared scanner, adding to `stats` and `findings` (shared by worker threads). */
export function scanListInto(
  list: string[],
  options: ScanOptions,
  prepared: ReturnType<typeof prepare>,
  stats: ScanStats,
  findings: Finding[],
): void {
  const cwd = options.cwd ?? process.cwd();
  const { scanner, suppressed, path } = prepared;
  const max = options.maxFileSize ?? options.scan?.maxFileSize ?? 5 * 1024 * 1024;
  const allowSkip = options.allowSkip ?? options.scan?.allowSkip ?? false;
  const skip = (rel: string, why: string) => {
    stats.skippedLarge += why === "too large" ? 1 : 0;
    if (!allowSkip) findings.push(skippedFinding(rel, why));
  };
  // Whole files wait here and go through the scanner together (Scanner.scanMany: stage by stage,
  // the findings of one scan per file); anything else a file adds to `findings` first flushes
  // them, so findings keep the order of one scan after another.
  let pending: { rel: string; text: string; bytes: number; named: Finding[] }[] = [];
  let pendingChars = 0;
  const flush = () => {
    if (!pending.length) return;
    const batch = pending;
    pending = [];
    pendingChars = 0;
    const found = scanner.scanMany(
      batch.map((p) => p.text),
      {},
      batch.map((p) => p.rel),
    );
    for (let k = 0; k < batch.length; k++) {
      const p = batch[k]!;
      findings.push(...p.named);
      stats.files++;
      stats.bytes += p.bytes;
      for (const f of found[k]!) {
        if (suppressed(f, p.text)) stats.suppressed++;
        else findings.push(f);
      }
      options.onProgress?.(stats.files, stats.bytes);
    }
  };
  for (const file of list) {
    const named = path(relative(cwd, file).split(sep).join("/") || file);
    const rel = named.shown;
    const read = readFileBytes(file, max);
    if (read?.bytes && !isBinary(read.bytes)) {
      const text = decodeText(read.bytes);
      pending.push({ rel, text, bytes: read.bytes.length, named: named.findings });
      pendingChars += text.length;
      if (pendingChars >= SCAN_MANY_CHARS) flush();
      continue;
    }
    flush();
    findings.push(...named.findings);
    if (!read) {
      // gone since it was listed: nothing to scan; there but unreadable: not checked
      if (existsSync(file)) skip(rel, "unreadable");
      continue;
    }
    if (!read.bytes) {
      const r = scanChunked(file, rel, prepared, findings, stats);
      if (r === "unreadable") skip(rel, "unreadable");
      else if (r === "scanned") {
        stats.files++;
        stats.chunked++;
        stats.bytes += read.size;
        options.onProgress?.(stats.files, stats.bytes);
      }
      continue;
    }
    stats.skippedBinary++;
  }
  flush();
}

/** UTF-16 length of UTF-8 bytes. */
function charLength(b: Uint8Array): number {
  return isAscii(b) ? b.length : decodeText(b).length;
}

/**
 * Scan a file larger than the size limit in overlapping windows read from one descriptor (memory
 * bounded by CHUNK_BYTES + 2 * CHUNK_OVERLAP whatever the file's size). Window k accepts the
 * findings that start in [b(k-1), b(k)); b(k) is cut at a line start about CHUNK_OVERLAP before the
 * window's end, and the next window starts about CHUNK_OVERLAP before b(k) (again at a line start),
 * so every finding shorter than the overlap is seen whole, with context on both sides, exactly once.
 * Offsets, lines and columns are the file's.
 */
export function scanChunked(
  file: string,
  rel: string,
  prepared: Pick<ReturnType<typeof prepare>, "scanner" | "suppressed">,
  findings: Finding[],
  stats: Pick<ScanStats, "suppressed" | "skippedBinary">,
  chunk = CHUNK_BYTES,
  overlap = CHUNK_OVERLAP,
): "scanned" | "binary" | "unreadable" {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch {
    return "unreadable";
  }
  try {
    const buf = Buffer.allocUnsafe(chunk + 2 * overlap);
    let have = 0;
    let first = true;
    let winChar = 0; // the window's first character, in the file
    let winLine = 1; // its line
    let winCol = 0; // characters before it on that line (0 when it starts a line)
    let acceptFrom = 0; // bytes into the window where its findings start counting
    const csv = /\.(?:csv|tsv)$/i.test(rel);
    let header = "";
    /** A line start in [floor, pos], else pos moved back to a UTF-8 character start. */
    const cutNear = (pos: number, floor: number): number => {
      const nl = buf.lastIndexOf(0x0a, pos - 1);
      if (nl >= floor && nl + 1 <= pos) return nl + 1;
      let p = pos;
      while (p > floor && (buf[p]! & 0xc0) === 0x80) p--;
      return p;
    };
    for (;;) {
      let eof = false;
      while (have < buf.length) {
        const k = readSync(fd, buf, have, buf.length - have, null);
        if (k === 0) {
          eof = true;
          break;
        }
        have += k;
      }
      if (first && isBinary(buf.subarray(0, have))) {
        stats.skippedBinary++;
        return "binary";
      }
      first = false;
      const acceptTo = eof ? have : cutNear(have - overlap, have - 2 * overlap);
      const body = decodeText(buf.subarray(0, have));
      if (winChar === 0 && csv) {
        const nl = body.indexOf("\n");
        if (nl !== -1) header = body.slice(0, nl + 1);
      }
      // a later window of a CSV/TSV file gets the header line back, so that columns keep their meaning
      const lead = winChar > 0 && winCol === 0 ? header : "";
      const text = lead + body;
      const fromChar = lead.length + charLength(buf.subarray(0, acceptFrom));
      const toChar = eof ? Infinity : lead.length + charLength(buf.subarray(0, acceptTo));
      const leadLines = lead ? 1 : 0;
      for (const f of prepared.scanner.scan(text, { path: rel })) {
        if (f.start < fromChar || f.start >= toChar) continue;
        if (prepared.suppressed(f, text)) {
          stats.suppressed++;
          continue;
        }
        const line = f.line - leadLines;
        findings.push({
          ...f,
          start: f.start - lead.length + winChar,
          end: f.end - lead.length + winChar,
          line: line + winLine - 1,
          column: line === 1 ? f.column + winCol : f.column,
        });
      }
      if (eof) return "scanned";
      // the next window: from about `overlap` before acceptTo, at a line start
      const next = cutNear(acceptTo - overlap, Math.max(1, acceptTo - 2 * overlap));
      const moved = buf.subarray(0, next);
      let lines = 0;
      let lastNl = -1;
      for (let i = moved.indexOf(0x0a); i !== -1; i = moved.indexOf(0x0a, i + 1)) {
        lines++;
        lastNl = i;
      }
      winLine += lines;
      winCol = lastNl === -1 ? winCol + charLength(moved) : charLength(moved.subarray(lastNl + 1));
      winChar += charLength(moved);
      acceptFrom = acceptTo - next;
      buf.copy(buf, 0, next, have);
      have -= next;
    }
  } catch {
    return "unreadable";
  } finally {
    closeSync(fd);
  }
}

/** How a large scan is split over threads; the CLI fills these from GITOPS_HEALTH_SCAN_THREADS and _PARALLEL_BYTES. */
export interface ParallelOptions {
  /** Threads, the main one included (1-16); default one a core. */
  threads?: number;
  /** Input size from which the scan goes parallel; default PARALLEL_THRESHOLD (files) or JSONL_PARALLEL_CHARS (jsonl). */
  parallelBytes?: number;
}

/** Threads for a large scan, the main one included: asked, else one a core (1-16). */
async function scanThreads(asked: number | undefined): Promise<number> {
  const { availableParallelism } = await import("node:os");
  return Math.max(1, Math.min(asked || availableParallelism(), 16));
}

/** Scans larger than this many bytes are split across worker threads. */
export const PARALLEL_THRESHOLD = 16 * 1024 * 1024;

/** What a scan worker is told at start (src/scan/worker.ts); it then receives file batches. */
export interface ScanWorkerData {
  cwd: string;
  scan?: ScanOptions["scan"];
  baseline?: string[];
  legacyBaseline?: string[];
  maxFileSize?: number;
  gitleaksConfig?: string;
  allowSkip?: boolean;
  /** The main thread's fingerprint key (hex), so that every thread's fingerprints agree. */
  fingerprintKey: string;
}

/**
 * Scan files and directories, using a worker thread per core when the scan is large. The
 * worker is a separate bundle (dist/scan-worker.js); where it is absent (running from
 * sources) the scan stays on this thread. This thread and `threads - 1` workers take batches
 * of files as they finish the previous ones (no file is stat'ed up front beyond the threshold
 * test), read them themselves, and the workers send back each batch's findings.
 */
export async function scanFilesParallel(
  paths: string[],
  options: ScanOptions & ParallelOptions = {},
): Promise<ScanReport> {
  const cwd = options.cwd ?? process.cwd();
  const list = listFiles(paths, cwd);
  const threads = await scanThreads(options.threads);
  const workerUrl = new URL("./scan-worker.js", import.meta.url);
  if (threads < 2 || !existsSync(workerUrl)) return scanFileList(list, options);
  // sizes only until the threshold is reached: a large scan needs no stat of every file
  const threshold = options.parallelBytes || PARALLEL_THRESHOLD;
  let total = 0;
  for (const f of list) {
    try {
      total += statSync(f).size;
    } catch {
      /* gone: the scan skips it */
    }
    if (total >= threshold) break;
  }
  if (total < threshold) return scanFileList(list, options);
  const t0 = Date.now();
  const { Worker } = await import("node:worker_threads");
  // one key for every thread (a per-process random one would differ between workers)
  options = {
    ...options,
    fingerprintKey: options.fingerprintKey ?? loadFingerprintKey(cwd, options.scan?.fingerprintKeyFile).key,
  };
  const workerData: ScanWorkerData = {
    cwd,
    scan: options.scan,
    baseline: options.baseline ? [...options.baseline] : undefined,
    legacyBaseline: options.legacyBaseline ? [...options.legacyBaseline] : undefined,
    maxFileSize: options.maxFileSize,
    gitleaksConfig: options.gitleaksConfig,
    allowSkip: options.allowSkip,
    fingerprintKey: Buffer.from(options.fingerprintKey!).toString("hex"),
  };
  const stats = emptyStats();
  const found: Finding[][] = [];
  let next = 0;
  /** The next batch of at most `max` files: smaller towards the end, so that all threads finish together. */
  const batch = (max: number): string[] | null => {
    if (next >= list.length) return null;
    const n = Math.max(1, Math.min(max, Math.ceil((list.length - next) / (threads * 8))));
    return list.slice(next, (next += n));
  };
  const workers = Promise.all(
    Array.from(
      { length: Math.min(threads - 1, list.length) },
      () =>
        new Promise<void>((resolveDone, reject) => {
          const w = new Worker(workerUrl, { workerData });
          let pending = 0;
          const send = (): boolean => {
            const files = batch(64);
            if (!files) return false;
            pending++;
            w.postMessage(files);
            return true;
          };
          w.on("message", (r: ScanReport) => {
            pending--;
            found.push(r.findings);
            for (const k of ["files", "bytes", "skippedBinary", "skippedLarge", "chunked", "suppressed"] as const)
              stats[k] += r.stats[k];
            options.onProgress?.(stats.files, stats.bytes);
            if (!send() && pending === 0) w.postMessage(null);
          });
          w.once("error", reject);
          w.once("exit", (code) =>
            code === 0 ? resolveDone() : reject(new Error(`scan worker exited with code ${code}`)),
          );
          // two batches in flight, so that a worker never waits for its next one
          if (send()) send();
          else w.postMessage(null);
        }),
    ),
  );
  workers.catch(() => {}); // awaited below, once this thread's share is done
  // This thread is one of the scanning threads: it starts while the workers boot, in small
  // batches, and answers the workers' messages between them.
  const prepared = prepare(options);
  const own: Finding[] = [];
  for (let files = batch(8); files; files = batch(8)) {
    scanListInto(files, options, prepared, stats, own);
    await new Promise((r) => setImmediate(r));
  }
  found.push(own);
  await workers;
  const order = new Map(list.map((f, i) => [prepared.path(relative(cwd, f).split(sep).join("/") || f).shown, i]));
  // a file's path findings first, then its contents
  const findings = found
    .flat()
    .sort(
      (a, b) =>
        (order.get(a.file ?? "") ?? 0) - (order.get(b.file ?? "") ?? 0) ||
        pathFirst(a) - pathFirst(b) ||
        a.start - b.start,
    );
  stats.durationMs = Date.now() - t0;
  return { findings, stats };
}

const pathFirst = (f: Finding) => (f.ruleId.endsWith("-in-path") ? 0 : 1);

/** Scan a text (stdin, a prompt) as one document. */
export function scanString(text: string, options: ScanOptions & { path?: string } = {}): ScanReport {
  const t0 = Date.now();
  const { scanner, suppressed, path } = prepare(options);
  const stats = emptyStats();
  stats.files = 1;
  stats.bytes = Buffer.byteLength(text);
  const named = options.path === undefined ? undefined : path(options.path);
  const findings = [
    ...(named?.findings ?? []),
    ...scanner.scan(text, { path: named?.shown }).filter((f) => !(suppressed(f, text) && ++stats.suppressed)),
  ];
  stats.durationMs = Date.now() - t0;
  return { findings, stats };
}

async function jsonlSchema() {
  const { z } = await import("zod");
  return z.object({ id: z.union([z.string(), z.number()]), text: z.string() }).strict();
}

/**
 * Batch input larger than this many characters is scanned by a pool of worker threads. Each
 * worker costs about a second of CPU to start and warm up, and on 2 vCPUs V8's own background
 * threads already use part of the second core: measured there, the pool gains nothing at 9 MB
 * and 15% at 26 MB (docs/BENCHMARKS.md), so only large exports go to it.
 */
export const JSONL_PARALLEL_CHARS = 8 * 1024 * 1024;

/**
 * Batch mode: one JSON object a line in, one a line out, in input order. Records are checked on
 * this thread (errors name the line); past JSONL_PARALLEL_CHARS of text the rest is scanned by a
 * worker pool (dist/jsonl-worker.js, where built), which writes results back in order.
 */
export async function scanJsonl(
  input: Readable,
  write: (line: string) => void,
  options: ScanOptions & ParallelOptions = {},
): Promise<{ records: number; findings: number }> {
  const cwd = options.cwd ?? process.cwd();
  // one key for this thread and any workers
  const key = options.fingerprintKey ?? loadFingerprintKey(cwd, options.scan?.fingerprintKeyFile).key;
  const prepared = prepare({ ...options, fingerprintKey: key });
  const JsonlInput = await jsonlSchema();
  let n = 0;
  let total = 0;
  let chars = 0;
  const threads = await scanThreads(options.threads);
  const threshold = options.parallelBytes || JSONL_PARALLEL_CHARS;
  const { jsonlWorkerUrl, JsonlPool, scanBatch } = await import("./jsonl-pool.js");
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
        pool = await JsonlPool.start(
          threads,
          {
            cwd,
            scan: options.scan,
            baseline: options.baseline ? [...options.baseline] : undefined,
            legacyBaseline: options.legacyBaseline ? [...options.legacyBaseline] : undefined,
            gitleaksConfig: options.gitleaksConfig,
            fingerprintKey: Buffer.from(key).toString("hex"),
          },
          write,
          (records) => scanBatch(prepared, records),
        );
      }
      if (pool) {
        await pool.add(record);
        continue;
      }
      const one = scanBatch(prepared, [record]);
      total += one.findings;
      write(one.lines[0]!);
    }
  } finally {
    if (pool) total += await pool.close();
  }
  return { records: n, findings: total };
}

function parseJsonlLine(
  line: string,
  n: number,
  JsonlInput: Awaited<ReturnType<typeof jsonlSchema>>,
): { id: string | number; text: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new UserError(`jsonl line ${n}: not valid JSON`);
  }
  const r = JsonlInput.safeParse(parsed);
  if (!r.success)
    throw new UserError(
      `jsonl line ${n}: expected {"id": ..., "text": "..."} (${r.error.issues[0]!.path.join(".") || "record"}: ${r.error.issues[0]!.message})`,
    );
  return r.data;
}

/** A finding as a remote engine answers it: offsets into the text it was sent, no path, no fingerprint. */
export type EngineFinding = Omit<Finding, "file" | "fingerprint" | "commit">;

/**
 * A scan engine elsewhere (the HTTP service's POST /v1/scan): finds in a batch of texts, each sent
 * with the path a local scan would give the scanner (the masked one), in order.
 */
export type BatchEngine = (records: { path?: string; text: string }[]) => Promise<EngineFinding[][]>;

/** Texts per engine call: at most this many characters (a single larger text goes alone) and 1,000 records. */
export const ENGINE_BATCH_CHARS = 256 * 1024;

/**
 * Scan files and directories, or one text (stdin), with a remote engine. Everything else is this
 * module's: the file walk, size limits, binary and unreadable files, the chunking of large files,
 * path findings, suppression (inline allows, allowlists, baseline) and keyed fingerprints, so the
 * report is the one a local scan would give with the engine's rules. Files are read twice, in slices:
 * once to collect what the scanner would see, once to replay the engine's findings through the scan.
 */
export async function scanWithEngine(
  target: { paths: string[] } | { text: string },
  engine: BatchEngine,
  options: ScanOptions & { sliceFiles?: number } = {},
): Promise<ScanReport> {
  const t0 = Date.now();
  const prepared = prepare(options);
  const toFinding = (f: EngineFinding, text: string, path: string | undefined): Finding => ({
    ...f,
    ...(path !== undefined ? { file: path } : {}),
    fingerprint: fingerprint(f.ruleId, path, text.slice(f.start, f.end)),
  });
  const ask = async (seen: { path?: string; text: string }[]): Promise<EngineFinding[][]> => {
    const out: EngineFinding[][] = [];
    for (let i = 0; i < seen.length;) {
      let chars = 0;
      let j = i;
      while (j < seen.length && j - i < 1000 && (j === i || chars + seen[j]!.text.length <= ENGINE_BATCH_CHARS))
        chars += seen[j++]!.text.length;
      const got = await engine(seen.slice(i, j));
      if (got.length !== j - i)
        throw new UserError(`the scan engine answered ${got.length} results for ${j - i} texts`);
      out.push(...got);
      i = j;
    }
    return out;
  };
  if ("text" in target) {
    const stats = emptyStats();
    stats.files = 1;
    stats.bytes = Buffer.byteLength(target.text);
    const [found] = await ask([{ text: target.text }]);
    const findings = found!
      .map((f) => toFinding(f, target.text, undefined))
      .filter((f) => !(prepared.suppressed(f, target.text) && ++stats.suppressed));
    stats.durationMs = Date.now() - t0;
    return { findings, stats };
  }
  const list = listFiles(target.paths, options.cwd ?? process.cwd());
  const stats = emptyStats();
  const findings: Finding[] = [];
  const slice = options.sliceFiles ?? 64;
  for (let i = 0; i < list.length; i += slice) {
    const files = list.slice(i, i + slice);
    // Pass 1: what the scanner would be asked, in order (path findings and stats are pass 2's).
    const seen: { path?: string; text: string }[] = [];
    const recorder = asBatchScanner((text: string, o: { path?: string } = {}) => {
      seen.push({ path: o.path, text });
      return [] as Finding[];
    });
    scanListInto(
      files,
      { ...options, onProgress: undefined },
      { ...prepared, scanner: recorder as never },
      emptyStats(),
      [],
    );
    const answers = await ask(seen);
    // Pass 2: the same walk, each scanner call answered by the engine's findings for that text.
    let k = 0;
    const replay = asBatchScanner((text: string, o: { path?: string } = {}): Finding[] => {
      const asked = seen[k];
      const found = answers[k++];
      if (!asked || asked.text !== text || asked.path !== o.path)
        throw new UserError(`${o.path ?? "a file"} changed while it was being scanned: scan again`);
      return found!.map((f) => toFinding(f, text, o.path));
    });
    scanListInto(files, options, { ...prepared, scanner: replay as never }, stats, findings);
  }
  stats.durationMs = Date.now() - t0;
  return { findings, stats };
}
