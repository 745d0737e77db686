// Batch (jsonl) scanning across worker threads: records are validated and ordered on the main
// thread, scanned in batches by a pool of workers (dist/jsonl-worker.js), and written back in
// input order. Prose scanning is CPU-bound, so a large export scans about N times faster on N cores:
// N - 1 workers, and the main thread scans a batch itself whenever every worker is busy (so it
// also covers the time the workers take to boot and warm up).
import type { ScanOptions, prepare } from "./index.js";

export interface JsonlRecord {
  id: string | number;
  text: string;
}

/** Scan records with a prepared scanner: one output line each, and the number of findings. */
export function scanBatch(
  { scanner, suppressed }: ReturnType<typeof prepare>,
  records: JsonlRecord[],
): { lines: string[]; findings: number } {
  let findings = 0;
  // stage by stage over the batch (Scanner.scanMany): the findings of one scan per record
  const all = scanner.scanMany(
    records.map((r) => r.text),
    {},
  );
  const lines = records.map((r, k) => {
    const found = all[k]!.filter((f) => !suppressed(f, r.text));
    findings += found.length;
    return JSON.stringify({ id: r.id, findings: found });
  });
  return { lines, findings };
}

/** A batch is sent to a worker when it holds this many characters of text (or 256 records). */
const BATCH_CHARS = 128 * 1024;
const BATCH_RECORDS = 256;

/** What the worker needs to rebuild the scanner and the suppression filter. */
export interface JsonlWorkerData {
  cwd: string;
  scan?: ScanOptions["scan"];
  baseline?: string[];
  legacyBaseline?: string[];
  gitleaksConfig?: string;
  /** The main thread's fingerprint key (hex), so that every thread's fingerprints agree. */
  fingerprintKey?: string;
}

export interface JsonlBatchResult {
  seq: number;
  lines: string[];
  findings: number;
  error?: string;
}

/** The worker bundle beside this module, when built (absent when running from sources). */
export function jsonlWorkerUrl(): URL {
  return new URL("./jsonl-worker.js", import.meta.url);
}

export class JsonlPool {
  private readonly workers: import("node:worker_threads").Worker[] = [];
  private readonly idle: import("node:worker_threads").Worker[] = [];
  private readonly waitingForWorker: (() => void)[] = [];
  private readonly done = new Map<number, JsonlBatchResult>();
  private batch: JsonlRecord[] = [];
  private batchChars = 0;
  private nextSeq = 0;
  private nextWrite = 0;
  private inFlight = 0;
  private failure: Error | undefined;
  private settled: (() => void) | undefined;
  findings = 0;

  private constructor(
    private readonly write: (line: string) => void,
    private readonly scanHere: (records: JsonlRecord[]) => { lines: string[]; findings: number },
  ) {}

  /** `threads` counts the main thread: threads - 1 workers are started. */
  static async start(
    threads: number,
    data: JsonlWorkerData,
    write: (line: string) => void,
    scanHere: (records: JsonlRecord[]) => { lines: string[]; findings: number },
  ): Promise<JsonlPool> {
    const { Worker } = await import("node:worker_threads");
    const pool = new JsonlPool(write, scanHere);
    for (let i = 0; i < threads - 1; i++) {
      const w = new Worker(jsonlWorkerUrl(), { workerData: data });
      w.on("message", (r: JsonlBatchResult) => pool.onResult(w, r));
      w.on("error", (e) => pool.fail(e instanceof Error ? e : new Error(String(e))));
      pool.workers.push(w);
      pool.idle.push(w);
    }
    return pool;
  }

  /** Queue one record; resolves once the pool can take more (backpressure on the reader). */
  async add(record: JsonlRecord): Promise<void> {
    this.batch.push(record);
    this.batchChars += record.text.length;
    if (this.batchChars >= BATCH_CHARS || this.batch.length >= BATCH_RECORDS) await this.flushBatch();
  }

  /** Send what is queued, wait for every batch, write the rest, stop the workers. */
  async close(): Promise<number> {
    try {
      if (this.batch.length) await this.flushBatch();
      while (this.inFlight > 0 && !this.failure) await new Promise<void>((r) => (this.settled = r));
      if (this.failure) throw this.failure;
      return this.findings;
    } finally {
      await Promise.all(this.workers.map((w) => w.terminate()));
    }
  }

  private async flushBatch(): Promise<void> {
    if (this.failure) throw this.failure;
    const seq = this.nextSeq++;
    const records = this.batch;
    this.batch = [];
    this.batchChars = 0;
    const w = this.idle.pop();
    if (w) {
      this.inFlight++;
      w.postMessage({ seq, records });
    } else {
      // every worker is busy: scan this batch here, then let finished workers report
      this.done.set(seq, { seq, ...this.scanHere(records) });
      this.writeReady();
      await new Promise<void>((r) => setImmediate(r));
    }
    // keep the reader from running far ahead of the workers
    while (this.done.size > 4 * (this.workers.length + 1) && !this.failure)
      await new Promise<void>((r) => this.waitingForWorker.push(r));
  }

  private writeReady(): void {
    for (let next = this.done.get(this.nextWrite); next; next = this.done.get(this.nextWrite)) {
      this.done.delete(this.nextWrite++);
      for (const line of next.lines) this.write(line);
      this.findings += next.findings;
    }
  }

  private onResult(w: import("node:worker_threads").Worker, r: JsonlBatchResult): void {
    if (r.error) return this.fail(new Error(r.error));
    this.done.set(r.seq, r);
    // results may arrive out of order: write every batch whose predecessors are written
    this.writeReady();
    this.inFlight--;
    this.idle.push(w);
    this.waitingForWorker.shift()?.();
    if (this.inFlight === 0) this.settled?.();
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const wake of this.waitingForWorker.splice(0)) wake();
    this.settled?.();
  }
}
