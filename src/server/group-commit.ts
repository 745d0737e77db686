import type { AppendResult, LedgerEntryInput } from "../audit/types.js";
import type { AuditLedger } from "../audit/ledger.js";
import { UserError } from "../core/errors.js";

/**
 * Group commit: appends that arrive while writes are in flight are written together in one
 * `appendBatch` (one lock, one fsync or one transaction), and each caller is answered only
 * after its batch is durable. Two batches may be in flight: the second waits for the store's lock
 * while the first commits, so the store never sits idle between a commit and the next batch's
 * round trip (where the store says it can: `appendPipeline`; one at a time otherwise, which keeps the
 * log in the order the appends were made). An entry the ledger refuses (PHI, bad type) fails the batch before anything is
 * written; the batch is then retried entry by entry so only that caller gets the error.
 */
/** Appends closer together than this are gathered into one batch under `process` durability. */
const GATHER_GAP_MS = 0.5;

export class GroupCommit {
  private pending: { entry: LedgerEntryInput; resolve: (r: AppendResult) => void; reject: (e: unknown) => void }[] = [];
  private inFlight = 0;
  private idle: (() => void)[] = [];

  /**
   * Under `process` durability an append does not wait for the disk, so nothing gathers the appends
   * that arrive while one is written: each would be a batch of its own (one lock, one stat, one write
   * each). When appends come close together (less than GATHER_GAP_MS apart: a saturated service), one
   * then waits for the event loop's check phase (setImmediate) and the appends of every request read in
   * the same turn go in its batch; spaced appends (500/s) are written at once, as before.
   */
  private readonly gather: boolean;
  private gathering = false;
  private lastArrival = -Infinity;

  constructor(
    private readonly ledger: AuditLedger,
    private readonly maxBatch = 500,
    private readonly maxInFlight = ledger.appendPipeline,
  ) {
    this.gather = ledger.durability.level === "process";
  }

  append(entry: LedgerEntryInput): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      this.pending.push({ entry, resolve, reject });
      const now = this.gather ? performance.now() : 0;
      const close = now - this.lastArrival < GATHER_GAP_MS;
      this.lastArrival = now;
      if (!this.gather || !close) this.pump();
      else if (!this.gathering) {
        this.gathering = true;
        setImmediate(() => {
          this.gathering = false;
          this.pump();
        });
      }
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.pending.length > 0) {
      const batch = this.pending.splice(0, this.maxBatch);
      this.inFlight++;
      void this.write(batch).finally(() => {
        this.inFlight--;
        if (this.pending.length > 0) this.pump();
        else if (this.inFlight === 0) for (const f of this.idle.splice(0)) f();
      });
    }
  }

  private async write(batch: GroupCommit["pending"]): Promise<void> {
    try {
      const rs = await this.ledger.appendBatch(batch.map((b) => b.entry));
      batch.forEach((b, i) => b.resolve(rs[i]!));
    } catch (err) {
      if (!(err instanceof UserError) || batch.length === 1) {
        for (const b of batch) b.reject(err);
        return;
      }
      for (const b of batch) await this.ledger.append(b.entry).then(b.resolve, b.reject);
    }
  }

  /** Resolves when every append accepted so far is written (or has failed). */
  drain(): Promise<void> {
    if (this.inFlight === 0 && this.pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }
}
