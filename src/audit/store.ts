import type { LeafSource } from "./merkle.js";

/** A stored record: the canonical entry bytes and the leaf hash recorded at append time. */
export interface StoredRecord {
  seq: number;
  canonical: Buffer;
  leafHash: Buffer;
  /** False when the store's index places this record somewhere it is not (index tampered). */
  indexOk?: boolean;
}

/**
 * Storage backend of the ledger. Append-only by construction: there is no method to
 * update or delete a record. Sequence numbers are assigned under the store's lock.
 */
export interface LedgerStore {
  readonly location: string;
  /** Problems found on open (e.g. a torn tail to repair); opening never changes anything. */
  readonly warnings: string[];
  /**
   * Appends that may usefully be in flight at once: a store whose next append can wait on the lock
   * while the previous one commits (PostgreSQL) says 2; otherwise one at a time, which also keeps
   * appends in the order they were made (a directory store's lock does not queue its waiters).
   */
  readonly appendPipeline?: number;
  /** Run `build(startSeq)` under the store's exclusive lock and durably append what it returns. */
  append(build: (startSeq: number) => Buffer[]): Promise<{ seq: number; leafHash: Buffer }[]>;
  /**
   * `append`, once per `key`: under the same lock (PostgreSQL: in the same transaction, with a
   * unique key), null when an append with this key was already made. Concurrent callers with the
   * same key: exactly one appends.
   */
  appendOnce?(key: string, build: (startSeq: number) => Buffer[]): Promise<{ seq: number; leafHash: Buffer }[] | null>;
  size(): Promise<number>;
  /** All leaf hashes as recorded (for proofs); refreshed on each call. */
  leaves(): Promise<LeafSource>;
  /** Records in sequence order. */
  records(from?: number, to?: number): AsyncIterable<StoredRecord>;
  /** The same records in batches, where a store can read them so (verify avoids an await per record). */
  recordBatches?(from?: number, to?: number): AsyncIterable<StoredRecord[]>;
  saveCheckpoint(size: number, note: string): Promise<void>;
  checkpoints(): Promise<{ size: number; note: string }[]>;
  close(): Promise<void>;
  /**
   * When an append is acknowledged: `disk` (durable on disk first; the default) or `process` (written
   * where a crash of this process cannot lose it; made durable in the background, within
   * `syncIntervalMs` on a directory ledger). See LedgerDurability in dir-store.ts.
   */
  readonly durability?: "disk" | "process";
  readonly syncIntervalMs?: number;
  /** Why the store refuses appends (it failed closed: a background sync failed), or undefined. */
  failure?(): string | undefined;
  /** Called once when the store fails closed. */
  onFailure?(listener: (message: string) => void): void;
  /** Data syncs of the store's files started so far (directory ledger), for /metrics. */
  syncCount?(): number;
  /** Every acknowledged append made durable (a no-op where appends are durable when acknowledged). */
  flush?(): Promise<void>;
  /** Problems beyond the acknowledged entries, without changing anything: `tampered` or torn-tail notes. */
  inspectTail?(): { tampered?: string; torn: string[] };
}
