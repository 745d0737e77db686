/** What a caller appends to the audit ledger. */
export interface LedgerEntryInput {
  /** e.g. "scan", "compliance.check", "run.plan", "run.started", "approval", "llm.call" */
  type: string;
  /** Who did it (git user, key identity); defaults to the current git user. */
  actor?: string;
  /** What it is about: a commit SHA, run ID, range... */
  subject?: string;
  /** JSON-serialisable payload; scanned for PHI before it is written. */
  payload?: unknown;
}

/** A stored entry: canonical JSON (RFC 8785) of this object is the Merkle leaf data. */
export interface LedgerEntry {
  seq: number;
  time: string;
  type: string;
  actor: string;
  subject?: string;
  payload: unknown;
}

export interface AppendResult {
  seq: number;
  /** hex SHA-256(0x00 || canonical entry) */
  leafHash: string;
}

export interface LedgerQuery {
  type?: string;
  subject?: string;
  actor?: string;
  since?: string;
  /** first sequence number to read (earlier entries are not read at all) */
  from?: number;
}

/**
 * Append-only ledger. There is deliberately no update or delete method.
 * Implementations: directory on disk (default) and PostgreSQL.
 */
export interface Ledger {
  readonly location: string;
  append(entry: LedgerEntryInput): Promise<AppendResult>;
  appendBatch(entries: LedgerEntryInput[]): Promise<AppendResult[]>;
  /**
   * `appendBatch` at most once per `key` (e.g. a forge's webhook delivery id), atomically: null
   * when the key was already used, and of concurrent calls with one key exactly one appends.
   */
  appendBatchOnce?(key: string, entries: LedgerEntryInput[]): Promise<AppendResult[] | null>;
  size(): Promise<number>;
  /** Entries in sequence order, optionally filtered. */
  query(filter?: LedgerQuery): AsyncIterable<LedgerEntry>;
  close(): Promise<void>;
}
