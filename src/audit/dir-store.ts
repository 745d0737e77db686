import {
  closeSync,
  existsSync,
  fdatasync,
  fstatSync,
  fsync,
  fsyncSync,
  ftruncateSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { createHash, randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { join } from "node:path";
import type { BigIntStats } from "node:fs";
import { hashLeaf, HASH_SIZE, type LeafSource } from "./merkle.js";
import type { LedgerStore, StoredRecord } from "./store.js";
import { UserError } from "../core/errors.js";
import { fsyncDir, writeFileAtomic } from "../core/fs.js";

const fsyncAsync = promisify(fsync);
const fdatasyncAsync = promisify(fdatasync);

/*
 * Embedded ledger: a directory, no server, no native addon.
 *   entries.log  frames [u32 BE length][canonical JSON bytes], append-only
 *   leaves.bin   40-byte rows [32-byte leaf hash][u64 BE end offset of the frame in entries.log]
 *   checkpoints.jsonl  signed checkpoints, one JSON object a line
 *   lock         exclusive-create lock file holding the owner's pid
 *   once.keys    keys of appends made at most once (webhook delivery ids), one a line
 *   quarantine/  bytes removed by `audit repair`, one JSON file per repair
 * Append: frames written to entries.log and rows to leaves.bin, then both files fdatasynced at
 * once (two syncs in flight, not one after the other). An entry is acknowledged only after both
 * are durable (`disk` durability, the default; under `process` durability, after both writes, the
 * syncs grouped in the background: see LedgerDurability). So after a crash the only legitimate
 * damage is a torn tail: a partial row at the end of leaves.bin, complete or partial frames after the last indexed one, and (a power loss
 * while both syncs were in flight) index rows at the end whose frames never reached the disk:
 * the trailing rows whose frame is missing, incomplete or not the bytes the row's leaf hash
 * names. Those were never acknowledged; they are a torn tail like the others (reported, refused
 * by an append, removed into quarantine by `repair`). A row in the middle of the index that does
 * not match its frame, or a frame deleted from the middle, is tampering (verify reports it).
 * Nothing here repairs implicitly: reading and verifying never write; an append refuses a
 * torn tail; `repair()` (the `audit repair` command) fixes one and quarantines what it removes.
 */
const ROW = HASH_SIZE + 8;

/**
 * When an append is acknowledged (the operator's choice, as PostgreSQL's `synchronous_commit`):
 *   disk     both files fdatasynced before the append returns (the default): an acknowledged entry
 *            survives a process crash, a kernel crash and a power loss.
 *   process  the frames and rows written with write(2) before the append returns, so they are in the
 *            kernel's page cache and survive the process being killed (SIGKILL, OOM, a crash of Node);
 *            the fdatasyncs run in the background, a round at most every `syncIntervalMs`, so a power
 *            loss or kernel crash can lose the entries acknowledged in the last `syncIntervalMs` plus
 *            the disk's sync time (never more than MAX_UNSYNCED_ROWS: an append waits for a sync
 *            beyond that). A background sync that fails makes the store fail closed: every later
 *            append is refused (LedgerUnavailableError) until the process is restarted, which
 *            re-reads the files and syncs them again.
 */
export type LedgerDurability = "disk" | "process";
export const LEDGER_DURABILITY_LEVELS: readonly LedgerDurability[] = ["disk", "process"];
/** Default time between the background sync rounds of `process` durability. */
export const DEFAULT_SYNC_INTERVAL_MS = 10;

export interface DurabilityOptions {
  durability?: LedgerDurability;
  /** `process` only: the least time between two background sync rounds (1-1000 ms; default 10). */
  syncIntervalMs?: number;
  /** Test seam: the data sync of one file (default fdatasync). */
  syncFile?: (fd: number) => Promise<void>;
}

/** The ledger cannot acknowledge appends (a background sync failed): the service answers 503. */
export class LedgerUnavailableError extends Error {
  readonly statusCode = 503;
  constructor(message: string) {
    super(message);
    this.name = "LedgerUnavailableError";
  }
}
/**
 * A plain append's directory sync (see deferDirSync) waits until appends pause this long, so that the
 * appends of a burst share one...
 */
const DIR_SYNC_IDLE_MS = 100;
/** ...but no longer than this after the first lock removal it covers, however steadily appends come. */
const DIR_SYNC_MAX_MS = 1_000;
/**
 * Index rows at the end of leaves.bin without their frames that are still read as one append cut by a
 * crash (a torn tail) rather than tampering: an append writes one batch (the HTTP service's group
 * commit: 500 entries at most); under `process` durability the appends since the last completed
 * background sync, which an append keeps at or below this many (it waits for a sync otherwise).
 */
const MAX_UNSYNCED_ROWS = 1024;

/** What lies beyond the acknowledged entries, found without changing anything. */
export interface TailState {
  /** Complete index rows (acknowledged entries). */
  acknowledged: number;
  /** Byte offset in entries.log where the acknowledged entries end. */
  end: number;
  entriesSize: number;
  leavesSize: number;
  /** Bytes of a partial row at the end of leaves.bin. */
  tornRowBytes: number;
  /**
   * Complete index rows at the end of leaves.bin whose frames are not in entries.log as the rows
   * name them (an append whose two syncs were cut by a crash; never acknowledged).
   */
  unsyncedRows: number;
  /** Complete frames after the last indexed one (written, never acknowledged). */
  unindexed: Buffer[];
  /** Offset where an incomplete last frame starts (=== entriesSize when there is none). */
  completeEnd: number;
  /** Set when the files cannot be the result of a crash: tampering or a truncated log. */
  tampered?: string;
}

export function tailIsClean(t: TailState): boolean {
  return (
    !t.tampered &&
    t.tornRowBytes === 0 &&
    t.unsyncedRows === 0 &&
    t.unindexed.length === 0 &&
    t.completeEnd === t.entriesSize
  );
}

/** Human description of a torn tail (empty when clean). */
export function describeTail(t: TailState): string[] {
  const out: string[] = [];
  if (t.tampered) return [t.tampered];
  if (t.tornRowBytes > 0) out.push(`leaves.bin ends with a torn index row of ${t.tornRowBytes} byte(s)`);
  if (t.unsyncedRows > 0)
    out.push(
      `leaves.bin ends with ${t.unsyncedRows} index row(s) after entry ${t.acknowledged - 1} whose record${t.unsyncedRows === 1 ? " is" : "s are"} missing or incomplete in entries.log (an append interrupted before both files were durable; never acknowledged)`,
    );
  if (t.unindexed.length > 0)
    out.push(
      `entries.log holds ${t.unindexed.length} complete entr${t.unindexed.length === 1 ? "y" : "ies"} after entry ${t.acknowledged - 1} that ${t.unindexed.length === 1 ? "was" : "were"} never acknowledged (an append interrupted before indexing)`,
    );
  if (t.completeEnd < t.entriesSize)
    out.push(
      `entries.log ends with an incomplete record of ${t.entriesSize - t.completeEnd} byte(s) (an append that never completed)`,
    );
  return out;
}

export interface RepairReport {
  /** Entries written before an interrupted append and now indexed. */
  reindexed: number;
  removedEntriesBytes: number;
  removedIndexBytes: number;
  /** JSON file holding the removed bytes (base64), or undefined when nothing was removed. */
  quarantine?: string;
  acknowledged: number;
}

export class DirStore implements LedgerStore {
  readonly warnings: string[] = [];
  private readonly entriesPath: string;
  private readonly leavesPath: string;
  private readonly checkpointsPath: string;
  private readonly lockPath: string;
  private readonly oncePath: string;

  /** When appends are acknowledged (see LedgerDurability). */
  readonly durability: LedgerDurability;
  /** fdatasyncs of entries.log and leaves.bin this store has started (appends and background rounds). */
  private fileSyncs = 0;
  /** `process`: least time between background sync rounds; `disk`: 0. */
  readonly syncIntervalMs: number;
  private readonly syncFile: (fd: number) => Promise<void>;

  private constructor(
    readonly location: string,
    readonly readOnly: boolean,
    options: DurabilityOptions = {},
  ) {
    this.durability = options.durability ?? "disk";
    if (!LEDGER_DURABILITY_LEVELS.includes(this.durability))
      throw new UserError(`unknown ledger durability "${String(this.durability)}" (disk or process)`);
    const interval = options.syncIntervalMs ?? DEFAULT_SYNC_INTERVAL_MS;
    if (!Number.isInteger(interval) || interval < 1 || interval > 1000)
      throw new UserError(`ledger sync interval must be 1-1000 ms, not ${interval}`);
    this.syncIntervalMs = this.durability === "process" ? interval : 0;
    const sync = options.syncFile ?? ((fd) => fdatasyncAsync(fd));
    this.syncFile = (fd) => {
      this.fileSyncs++;
      return sync(fd);
    };
    this.entriesPath = join(location, "entries.log");
    this.leavesPath = join(location, "leaves.bin");
    this.checkpointsPath = join(location, "checkpoints.jsonl");
    this.lockPath = join(location, "lock");
    this.oncePath = join(location, "once.keys");
  }

  /**
   * Open a ledger directory. Read-only opens create, lock and change nothing (a missing
   * directory is an error); writable opens create an empty ledger when there is none.
   * Neither repairs: a torn tail is reported in `warnings`.
   */
  static async open(location: string, options: { readOnly?: boolean } & DurabilityOptions = {}): Promise<DirStore> {
    const readOnly = options.readOnly === true;
    if (readOnly) {
      let isDir = false;
      try {
        isDir = statSync(location).isDirectory();
      } catch {
        /* missing */
      }
      if (!isDir) throw new UserError(`no ledger at ${location}`);
    } else {
      try {
        mkdirSync(location, { recursive: true });
      } catch (err) {
        throw new UserError(`cannot create ledger directory ${location}: ${(err as Error).message}`);
      }
    }
    const store = new DirStore(location, readOnly, options);
    // A fresh ledger only: a missing file next to an existing one is evidence, not something to recreate.
    if (!readOnly && !existsSync(store.entriesPath) && !existsSync(store.leavesPath)) {
      for (const f of [store.entriesPath, store.leavesPath]) writeFileSync(f, "", { flag: "a" });
      // the two names durable before anything is appended to them (appends sync their data, not the directory)
      fsyncDir(location);
    }
    if (!readOnly) store.removeDeadLockSources();
    // A process killed before its background syncs (`process` durability) left acknowledged entries in
    // the page cache only: made durable now, before anything is read or appended.
    if (!readOnly && store.durability === "process") {
      await store.syncRound();
      if (store.syncFailure) {
        await store.close();
        throw new UserError(`cannot open ledger ${location}: ${store.syncFailure}`);
      }
    }
    const tail = store.inspect();
    for (const w of describeTail(tail))
      store.warnings.push(
        tailIsClean(tail)
          ? w
          : `${w}; run 'gitops-health audit verify' (read-only)${tail.tampered ? "" : " then 'gitops-health audit repair'"}`,
      );
    return store;
  }

  /** Read-only look at the files: how many entries are acknowledged and what lies beyond them. */
  inspect(): TailState {
    const ef = openIfExists(this.entriesPath);
    const lf = openIfExists(this.leavesPath);
    try {
      return inspectFds(ef, lf);
    } finally {
      if (ef !== undefined) closeSync(ef);
      if (lf !== undefined) closeSync(lf);
    }
  }

  /**
   * `audit repair`: under the lock, index complete entries written before an interrupted
   * append and cut an incomplete tail, keeping every removed byte in quarantine/ (written
   * atomically before anything is cut). Refuses anything that is not a torn tail.
   */
  async repair(now: Date = new Date()): Promise<RepairReport> {
    if (this.readOnly) throw new Error("repair needs a writable ledger");
    return this.withLock(() => {
      this.dropHeld();
      const t = this.inspect();
      if (t.tampered) throw new UserError(`refusing to repair ${this.location}: ${t.tampered}; nothing was changed`, 1);
      if (tailIsClean(t))
        return { reindexed: 0, removedEntriesBytes: 0, removedIndexBytes: 0, acknowledged: t.acknowledged };
      // Unacknowledged complete frames must be the next entries, else they were not written by an append.
      for (const [i, data] of t.unindexed.entries()) {
        let seq: unknown;
        try {
          seq = (JSON.parse(data.toString("utf8")) as { seq?: unknown }).seq;
        } catch {
          seq = undefined;
        }
        if (seq !== t.acknowledged + i)
          throw new UserError(
            `refusing to repair ${this.location}: the unacknowledged record after entry ${t.acknowledged + i - 1} is not entry ${t.acknowledged + i} (tampering, not a torn write); nothing was changed`,
            1,
          );
      }
      const removedEntries = t.entriesSize - t.completeEnd;
      // index rows of an interrupted append whose frames are not there, and a torn row after them
      const removedIndex = t.leavesSize - t.acknowledged * ROW;
      let quarantine: string | undefined;
      if (removedEntries > 0 || removedIndex > 0) {
        const dir = join(this.location, "quarantine");
        mkdirSync(dir, { recursive: true });
        quarantine = join(dir, `${now.toISOString().replace(/[:.]/g, "-")}-${process.pid}.json`);
        const entriesTail = readRange(this.entriesPath, t.completeEnd, t.entriesSize);
        const indexTail = readRange(this.leavesPath, t.leavesSize - removedIndex, t.leavesSize);
        writeFileAtomic(
          quarantine,
          JSON.stringify({
            format: "gitops-health-quarantine/v1",
            time: now.toISOString(),
            acknowledgedEntries: t.acknowledged,
            entriesLog: {
              offset: t.completeEnd,
              bytes: entriesTail.toString("base64"),
              sha256: sha256Hex(entriesTail),
            },
            leavesBin: {
              offset: t.leavesSize - removedIndex,
              bytes: indexTail.toString("base64"),
              sha256: sha256Hex(indexTail),
            },
          }) + "\n",
          { mode: 0o600 },
        );
      }
      const ef = openSync(this.entriesPath, "r+");
      const lf = openSync(this.leavesPath, "r+");
      try {
        let indexEnd = t.acknowledged * ROW;
        if (removedIndex > 0) {
          ftruncateSync(lf, indexEnd);
          fsyncSync(lf);
        }
        if (t.unindexed.length > 0) {
          let pos = t.end;
          const rows = t.unindexed.map((data) => {
            pos += 4 + data.length;
            const r = Buffer.alloc(ROW);
            hashLeaf(data).copy(r, 0);
            r.writeBigUInt64BE(BigInt(pos), HASH_SIZE);
            return r;
          });
          writeAll(lf, Buffer.concat(rows), indexEnd);
          fsyncSync(lf);
          indexEnd += rows.length * ROW;
        }
        if (removedEntries > 0) {
          ftruncateSync(ef, t.completeEnd);
          fsyncSync(ef);
        }
      } finally {
        closeSync(ef);
        closeSync(lf);
      }
      this.warnings.length = 0;
      return {
        reindexed: t.unindexed.length,
        removedEntriesBytes: removedEntries,
        removedIndexBytes: removedIndex,
        quarantine,
        acknowledged: t.acknowledged + t.unindexed.length,
      };
    });
  }

  async append(build: (startSeq: number) => Buffer[]): Promise<{ seq: number; leafHash: Buffer }[]> {
    if (this.readOnly) throw new Error("ledger opened read-only");
    this.refuseIfFailed();
    // A plain append changes no name in the directory but the lock's: its removal is synced after the answer.
    return this.withLock(() => this.appendLocked(build), "defer");
  }

  /**
   * Under the ledger's lock: nothing when `key` is in once.keys, else the append, then the key
   * (fsynced). A crash between the two leaves the entries without their key: the next delivery
   * with it appends again (callers that must not record twice also look for it in the entries).
   */
  async appendOnce(
    key: string,
    build: (startSeq: number) => Buffer[],
  ): Promise<{ seq: number; leafHash: Buffer }[] | null> {
    if (this.readOnly) throw new Error("ledger opened read-only");
    if (/[\r\n]/.test(key)) throw new UserError("an append-once key is one line");
    return this.withLock(async () => {
      const seen = readIfExists(this.oncePath).toString("utf8").split("\n");
      if (seen.includes(key)) return null;
      const out = await this.appendLocked(build);
      // the key never durable before its entries (`process` durability syncs them first)
      await this.flush();
      const fd = openSync(this.oncePath, "a", 0o600);
      try {
        writeSync(fd, `${key}\n`);
        await fsyncAsync(fd);
      } finally {
        closeSync(fd);
      }
      return out;
    });
  }

  /**
   * The two files held open between appends by this process, with what it knows of their tail and
   * the files' identity and change stamps (device, inode, size, mtime, ctime) as it left them. Under
   * the lock, one stat of each path that matches them means nobody changed the files since (another
   * process appending, `audit repair`, a replaced or truncated file all change the size or ctime):
   * the known tail is used without reading it again. Anything else closes them and inspects in full.
   */
  private held: HeldFiles | undefined;
  /** Counts close() calls: an append finishing after one closes its files instead of holding them. */
  private closings = 0;

  private dropHeld(): void {
    const h = this.held;
    this.held = undefined;
    if (!h) return;
    closeSync(h.ef);
    closeSync(h.lf);
  }

  /** Held files still valid (paths name the same, unchanged files), else undefined (and closed). */
  private validHeld(): HeldFiles | undefined {
    const h = this.held;
    if (!h) return undefined;
    if (sameStamp(statIfExists(this.entriesPath), h.eStat) && sameStamp(statIfExists(this.leavesPath), h.lStat))
      return h;
    this.dropHeld();
    return undefined;
  }

  private async appendLocked(build: (startSeq: number) => Buffer[]): Promise<{ seq: number; leafHash: Buffer }[]> {
    let h = this.validHeld();
    if (!h) {
      // One open of each file serves the tail check and the writes (a missing file: the checks of inspect()).
      const ef = openIfExists(this.entriesPath, "r+");
      const lf = ef === undefined ? undefined : openIfExists(this.leavesPath, "r+");
      let kept = false;
      try {
        const t = lf === undefined ? this.inspect() : inspectFds(ef, lf);
        if (!tailIsClean(t)) {
          const what = describeTail(t).join("; ");
          throw new UserError(
            t.tampered
              ? `refusing to append to ${this.location}: ${what}; run 'gitops-health audit verify'`
              : `refusing to append to ${this.location}: ${what}; run 'gitops-health audit repair' (it keeps what it removes in quarantine/)`,
          );
        }
        if (ef === undefined || lf === undefined)
          throw new UserError(`cannot append to ${this.location}: a ledger file is missing`);
        h = { ef, lf, acknowledged: t.acknowledged, end: t.end, eStat: fstatBig(ef), lStat: fstatBig(lf) };
        this.held = h;
        kept = true;
      } finally {
        if (!kept) {
          if (ef !== undefined) closeSync(ef);
          if (lf !== undefined) closeSync(lf);
        }
      }
    }
    const { ef, lf } = h;
    const closings = this.closings;
    const start = h.acknowledged;
    const datas = build(start);
    if (datas.length === 0) return [];
    // Until the append is durable the held state is not trusted: a failure leaves it dropped, and the
    // next append inspects the files in full (a torn tail is then refused as before). Not held, its
    // files are this append's alone (close() does not close them under it).
    this.held = undefined;
    let pos = h.end;
    const frames: Buffer[] = [];
    const rows: Buffer[] = [];
    const out: { seq: number; leafHash: Buffer }[] = [];
    datas.forEach((d, i) => {
      const head = Buffer.alloc(4);
      head.writeUInt32BE(d.length, 0);
      frames.push(head, d);
      pos += 4 + d.length;
      const leaf = hashLeaf(d);
      const r = Buffer.alloc(ROW);
      leaf.copy(r, 0);
      r.writeBigUInt64BE(BigInt(pos), HASH_SIZE);
      rows.push(r);
      out.push({ seq: start + i, leafHash: leaf });
    });
    try {
      if (this.durability === "process") await this.beforeAppend(datas.length);
      writeAll(ef, frames.length === 2 ? Buffer.concat(frames, 4 + frames[1]!.length) : Buffer.concat(frames), h.end);
      writeAll(lf, rows.length === 1 ? rows[0]! : Buffer.concat(rows), start * ROW);
      // Both files' data (and the sizes that reach it) synced at once on the thread pool: one disk round
      // trip instead of two in a row. The event loop serves other requests (the HTTP service's group
      // commit gathers the next batch) while the disk flushes; the lock is held and nobody is answered
      // until both are durable. A crash between the two leaves rows without their frames, or frames
      // without their rows: a torn tail of never-acknowledged entries (see the header). fdatasync: an
      // append needs the bytes and the files' new sizes durable, not their timestamps.
      if (this.durability === "disk") {
        const synced = await Promise.allSettled([this.syncFile(ef), this.syncFile(lf)]);
        for (const r of synced)
          if (r.status === "rejected") {
            // After a failed fdatasync the kernel may have dropped the pages it could not write and
            // a later sync can succeed over the hole: no append is acknowledged again by this
            // process (PostgreSQL stops on a failed fsync for the same reason).
            this.fail(r.reason);
            this.refuseIfFailed();
          }
      }
      h.acknowledged = start + datas.length;
      h.end = pos;
      h.eStat = fstatBig(ef);
      h.lStat = fstatBig(lf);
      if (closings === this.closings) this.held = h;
      else {
        closeSync(ef);
        closeSync(lf);
      }
    } catch (err) {
      closeSync(ef);
      closeSync(lf);
      throw err;
    }
    if (this.durability === "process") {
      // written to both files (the page cache): acknowledged; their sync comes with the next round
      this.written += datas.length;
      this.scheduleSync();
    }
    return out;
  }

  // ------------------------------------------------------------ `process` durability

  /** Entries this process wrote to both files (acknowledged), and how many of them a sync round covered. */
  private written = 0;
  private durable = 0;
  /** Why the store is fail-closed (a background sync failed), or undefined. */
  private syncFailure: string | undefined;
  private readonly failureListeners: ((message: string) => void)[] = [];
  /** Completed background sync rounds (each: both files fdatasynced), for /metrics and benches. */
  syncRounds = 0;
  private syncTimer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;
  private syncWanted = false;
  private lastSyncStart = 0;
  /** The syncer's own descriptors (kept open: a writeback error is reported to descriptors open when it happened). */
  private syncFds: { ef: number; lf: number; eIno: bigint; lIno: bigint } | undefined;

  /** fdatasyncs of the two files started so far (for /metrics: syncs per append under each level). */
  syncCount(): number {
    return this.fileSyncs;
  }

  /** Why appends are refused (a background sync failed), or undefined while the store acknowledges them. */
  failure(): string | undefined {
    return this.syncFailure;
  }

  /** Called once when a background sync fails (the service logs it and turns /ready to 503). */
  onFailure(listener: (message: string) => void): void {
    this.failureListeners.push(listener);
  }

  private refuseIfFailed(): void {
    if (this.syncFailure)
      throw new LedgerUnavailableError(
        `ledger ${this.location} refuses appends: ${this.syncFailure} (restart the service once the disk is fixed)`,
      );
  }

  private fail(err: unknown): void {
    if (this.syncFailure) return;
    const code = (err as NodeJS.ErrnoException).code;
    this.syncFailure =
      this.durability === "process"
        ? `a background fdatasync failed (${code ?? (err as Error).message}); entries acknowledged since the last good sync may not be on disk`
        : `an fdatasync failed (${code ?? (err as Error).message}); the append was not acknowledged, and no later one will be by this process`;
    for (const f of this.failureListeners) {
      try {
        f(this.syncFailure);
      } catch {
        /* a listener's problem is not the store's */
      }
    }
  }

  /** A sync round at most every syncIntervalMs after the previous one started. */
  private scheduleSync(): void {
    this.syncWanted = true;
    if (this.syncing || this.syncTimer) return;
    const wait = this.lastSyncStart + this.syncIntervalMs - Date.now();
    // due already: started from the append itself (a timer fires late when the event loop is busy)
    if (wait <= 0) {
      void this.startSyncLoop();
      return;
    }
    this.syncTimer = setTimeout(() => {
      this.syncTimer = undefined;
      void this.startSyncLoop();
    }, wait);
  }

  private startSyncLoop(): Promise<void> {
    const closings = this.closings;
    this.syncing ??= (async () => {
      try {
        while (this.syncWanted && !this.syncFailure) {
          this.syncWanted = false;
          await this.syncRound();
          // closing: the last round at once
          if (this.syncWanted && closings === this.closings) {
            const wait = this.lastSyncStart + this.syncIntervalMs - Date.now();
            if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          }
        }
      } finally {
        this.syncing = undefined;
      }
    })();
    return this.syncing;
  }

  /** One round: both files fdatasynced through the syncer's descriptors; a failure makes the store fail closed. */
  private async syncRound(): Promise<void> {
    this.lastSyncStart = Date.now();
    const target = this.written;
    try {
      const fds = this.openSyncFds();
      if (!fds) return;
      await Promise.all([this.syncFile(fds.ef), this.syncFile(fds.lf)]);
      this.syncRounds++;
      this.durable = Math.max(this.durable, target);
    } catch (err) {
      this.fail(err);
    }
  }

  private openSyncFds(): { ef: number; lf: number } | undefined {
    const e = statIfExists(this.entriesPath);
    const l = statIfExists(this.leavesPath);
    if (!e || !l) return undefined;
    const f = this.syncFds;
    if (f && f.eIno === e.ino && f.lIno === l.ino) return f;
    this.closeSyncFds();
    const ef = openSync(this.entriesPath, "r");
    const lf = openSync(this.leavesPath, "r");
    this.syncFds = { ef, lf, eIno: e.ino, lIno: l.ino };
    return this.syncFds;
  }

  private closeSyncFds(): void {
    if (!this.syncFds) return;
    closeSync(this.syncFds.ef);
    closeSync(this.syncFds.lf);
    this.syncFds = undefined;
  }

  /**
   * Every entry acknowledged so far made durable (a no-op under `disk`): before a checkpoint is
   * signed over them, before an append-once key is recorded, and at close.
   */
  async flush(): Promise<void> {
    if (this.durability !== "process") return;
    this.refuseIfFailed();
    if (this.syncTimer) {
      clearTimeout(this.syncTimer);
      this.syncTimer = undefined;
    }
    await this.syncing;
    if (this.durable < this.written) {
      this.syncWanted = true;
      await this.startSyncLoop();
    }
    this.refuseIfFailed();
  }

  /**
   * `process`: an append that would leave more than MAX_UNSYNCED_ROWS entries not known durable
   * waits for a sync round first, so a power loss never cuts more rows than recovery reads as a
   * torn tail. `disk`: nothing.
   */
  private async beforeAppend(count: number): Promise<void> {
    if (this.durability !== "process") return;
    this.refuseIfFailed();
    if (this.written + count - this.durable > MAX_UNSYNCED_ROWS) await this.flush();
  }

  /**
   * Complete index rows, less the rows of an append cut between its two syncs (a torn tail whose
   * records are not in entries.log: never acknowledged, not part of the log).
   */
  private indexedRows(leavesBytes: number): number {
    const rows = Math.floor(leavesBytes / ROW);
    if (rows === 0) return 0;
    const t = this.inspect();
    return t.tampered || t.leavesSize !== leavesBytes ? rows : rows - t.unsyncedRows;
  }

  async size(): Promise<number> {
    return this.indexedRows(fileSize(this.leavesPath));
  }

  async leaves(): Promise<LeafSource> {
    const buf = readIfExists(this.leavesPath);
    const n = this.indexedRows(buf.length);
    return { size: n, leaf: (i: number) => buf.subarray(i * ROW, i * ROW + HASH_SIZE) };
  }

  async *records(from = 0, to = Number.MAX_SAFE_INTEGER): AsyncIterable<StoredRecord> {
    for (const r of this.scanRecords(from, to)) yield r;
  }

  /** Records in batches of up to 4,096 (verify: no await per record). */
  async *recordBatches(from = 0, to = Number.MAX_SAFE_INTEGER): AsyncIterable<StoredRecord[]> {
    let batch: StoredRecord[] = [];
    for (const r of this.scanRecords(from, to)) {
      batch.push(r);
      if (batch.length === 4096) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length) yield batch;
  }

  private *scanRecords(from: number, to: number): Generator<StoredRecord> {
    const leaves = readIfExists(this.leavesPath);
    const n = Math.min(this.indexedRows(leaves.length), to);
    if (from >= n) return;
    const startOffset = from === 0 ? 0 : offsetAt(leaves, from - 1);
    const fd = openIfExists(this.entriesPath);
    if (fd === undefined) return; // verify reports the missing log
    let frameEnd = startOffset;
    try {
      const CHUNK = 1 << 20;
      let buf = Buffer.alloc(0);
      let filePos = startOffset;
      let seq = from;
      const size = fstatSync(fd).size;
      while (seq < n) {
        while (buf.length < 4 || buf.length < 4 + buf.readUInt32BE(0)) {
          if (filePos >= size) return; // index claims more than the file holds: verify reports it
          const chunk = Buffer.alloc(Math.min(CHUNK, size - filePos));
          const got = readSync(fd, chunk, 0, chunk.length, filePos);
          filePos += got;
          buf = buf.length ? Buffer.concat([buf, chunk.subarray(0, got)]) : chunk.subarray(0, got);
        }
        const len = buf.readUInt32BE(0);
        const canonical = buf.subarray(4, 4 + len);
        buf = buf.subarray(4 + len);
        frameEnd += 4 + len;
        const indexOk = offsetAt(leaves, seq) === frameEnd;
        yield { seq, canonical, leafHash: leaves.subarray(seq * ROW, seq * ROW + HASH_SIZE), indexOk };
        seq++;
      }
    } finally {
      closeSync(fd);
    }
  }

  async saveCheckpoint(size: number, note: string): Promise<void> {
    if (this.readOnly) throw new Error("ledger opened read-only");
    // a checkpoint is signed over entries that are on disk (`process` durability syncs them first):
    // a power loss must not take back entries a published checkpoint covers
    await this.flush();
    await this.withLock(() => {
      let previous = "";
      try {
        previous = readFileSync(this.checkpointsPath, "utf8");
      } catch {
        /* first checkpoint */
      }
      if (previous && !previous.endsWith("\n")) previous += "\n";
      writeFileAtomic(this.checkpointsPath, previous + JSON.stringify({ size, note }) + "\n");
    });
  }

  async checkpoints(): Promise<{ size: number; note: string }[]> {
    if (!existsSync(this.checkpointsPath)) return [];
    const out: { size: number; note: string }[] = [];
    for (const line of readFileSync(this.checkpointsPath, "utf8").split("\n")) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line) as { size: number; note: string });
      } catch {
        out.push({ size: -1, note: line });
      }
    }
    return out;
  }

  async close(): Promise<void> {
    this.closings++;
    if (this.durability === "process") {
      // the entries acknowledged since the last round made durable before the store lets go
      if (this.syncTimer) clearTimeout(this.syncTimer);
      this.syncTimer = undefined;
      await this.syncing;
      if (this.durable < this.written && !this.syncFailure) await this.syncRound();
      this.closeSyncFds();
    }
    this.dropHeld();
    if (this.lockSource !== undefined) {
      try {
        unlinkSync(this.lockSource);
      } catch {
        /* removed already */
      }
      this.lockSource = undefined;
    }
    this.wakeDirSync?.();
    await this.dirSyncing;
    if (this.dirFd !== undefined) {
      closeSync(this.dirFd);
      this.dirFd = undefined;
    }
  }

  inspectTail(): { tampered?: string; torn: string[] } {
    const t = this.inspect();
    return t.tampered ? { tampered: t.tampered, torn: [] } : { torn: describeTail(t) };
  }

  /**
   * Exclusive lock across processes: O_EXCL lock file with the owner's pid; stale locks are broken.
   * The directory is synced after the lock is removed: awaited (`dirSync` "await", for operations that
   * create names: once.keys, quarantine/), or after the caller is answered ("defer", for appends, whose
   * data never depends on it: the files exist and were synced into the directory when the ledger was
   * created). Deferred syncs are coalesced (one in flight, one queued) and `close()` waits for them.
   */
  private async withLock<T>(fn: () => T | Promise<T>, dirSync: "await" | "defer" = "await"): Promise<T> {
    const deadline = Date.now() + 60_000;
    let delay = 2;
    for (;;) {
      try {
        // The lock file is a hard link to a file holding this process's pid, written once and kept
        // until close(): the lock file is never empty, so a writer killed at any instant leaves a lock
        // whose owner can be checked; taking the lock is one link(), releasing it one unlink().
        this.linkLock();
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST")
          throw new UserError(`cannot lock ledger ${this.location}: ${(err as Error).message}`);
        this.breakStaleLock();
        if (Date.now() > deadline)
          throw new UserError(
            `ledger ${this.location} is locked by another process (remove ${this.lockPath} if no gitops-health process is running)`,
          );
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(50, delay * 2);
      }
    }
    try {
      return await fn();
    } finally {
      try {
        unlinkSync(this.lockPath);
      } catch {
        /* already broken as stale by another process: nothing to do */
      }
      if (dirSync === "await") await this.syncDir();
      else this.deferDirSync();
    }
  }

  /** `lock.<pid>.<random>`, holding the pid: the source of the lock's hard link (see withLock). */
  private lockSource: string | undefined;

  private linkLock(): void {
    for (let attempt = 0; ; attempt++) {
      if (this.lockSource === undefined) {
        const src = `${this.lockPath}.${process.pid}.${randomBytes(8).toString("hex")}`;
        // exclusive create: a file or link already at that name (planted in the directory) is never written through
        writeFileSync(src, String(process.pid), { flag: "wx" });
        this.lockSource = src;
      }
      try {
        linkSync(this.lockSource, this.lockPath);
        return;
      } catch (err) {
        // the source removed by someone else: write it again, once
        if ((err as NodeJS.ErrnoException).code !== "ENOENT" || attempt > 0) throw err;
        this.lockSource = undefined;
      }
    }
  }

  /**
   * Lock sources left by processes that are gone (killed before close()); older versions' temporary
   * names have the same form. Another live process's source is left alone.
   */
  private removeDeadLockSources(): void {
    let names: string[];
    try {
      names = readdirSync(this.location);
    } catch {
      return;
    }
    for (const name of names) {
      const m = /^lock\.(\d+)\.[0-9a-z]+$/.exec(name);
      if (!m || Number(m[1]) === process.pid) continue;
      try {
        process.kill(Number(m[1]), 0);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ESRCH") {
          try {
            unlinkSync(join(this.location, name));
          } catch {
            /* gone already */
          }
        }
      }
    }
  }

  /** The directory, held open for its syncs (some filesystems refuse fsync on directories: ignored). */
  private dirFd: number | undefined;

  private async syncDir(): Promise<void> {
    try {
      this.dirFd ??= openSync(this.location, "r");
      await fsyncAsync(this.dirFd);
    } catch {
      /* as fsyncDir */
    }
  }

  private dirSyncing: Promise<void> | undefined;
  private dirSyncAgain = false;
  /** When the first and the last lock removals waiting for a directory sync were made (Date.now()). */
  private firstUnsynced: number | undefined;
  private lastUnsynced = 0;

  /** Wakes a deferred directory sync still waiting (close() does not wait for the delay). */
  private wakeDirSync: (() => void) | undefined;

  /**
   * A directory fsync after this point, not awaited by the caller, started once appends pause for
   * DIR_SYNC_IDLE_MS (at most DIR_SYNC_MAX_MS after the first lock removal it covers), so that the lock
   * removals of a burst of appends share it; coalesced with any already queued. A directory fsync is a
   * journal commit of its own, which the appends' fdatasyncs in flight at the same time queue behind (a
   * server appending a batch of one every 2 ms synced it 10 times a second with a fixed 100 ms delay).
   * A lock removal is durable within about DIR_SYNC_IDLE_MS of the last append of a burst and at most
   * about DIR_SYNC_MAX_MS after its own append (on ext4 usually sooner: the next append's fdatasync
   * commits the journal that holds it); a crash before leaves a lock naming a dead pid, which the next
   * writer breaks. Entries never depend on it (their files' names were synced when the ledger was made).
   */
  private deferDirSync(): void {
    this.lastUnsynced = Date.now();
    this.firstUnsynced ??= this.lastUnsynced;
    if (this.dirSyncing) {
      this.dirSyncAgain = true;
      return;
    }
    const closings = this.closings;
    const run = async (): Promise<void> => {
      do {
        // lock removals made during the wait or the sync are covered by the next round
        const first = this.firstUnsynced ?? this.lastUnsynced;
        while (closings === this.closings) {
          const now = Date.now();
          const wait = Math.min(this.lastUnsynced + DIR_SYNC_IDLE_MS, first + DIR_SYNC_MAX_MS) - now;
          if (wait <= 0) break;
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, wait);
            this.wakeDirSync = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          this.wakeDirSync = undefined;
        }
        this.wakeDirSync = undefined;
        this.dirSyncAgain = false;
        this.firstUnsynced = undefined;
        await this.syncDir();
      } while (this.dirSyncAgain);
      this.dirSyncing = undefined;
      // an append that was in flight when the store was closed: do not keep the directory open
      if (closings !== this.closings && this.dirFd !== undefined) {
        closeSync(this.dirFd);
        this.dirFd = undefined;
      }
    };
    this.dirSyncing = run();
  }

  private breakStaleLock(): void {
    let pid: number;
    try {
      pid = Number(readFileSync(this.lockPath, "utf8"));
    } catch {
      return;
    }
    if (!Number.isInteger(pid) || pid <= 0) {
      // Not written by this version: break it only when it is clearly abandoned.
      try {
        if (Date.now() - statSync(this.lockPath).mtimeMs > 10_000) unlinkSync(this.lockPath);
      } catch {
        /* gone already */
      }
      return;
    }
    try {
      process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ESRCH") {
        try {
          unlinkSync(this.lockPath);
        } catch {
          /* someone else broke it */
        }
      }
    }
  }
}

/** What `inspect` reads, over open descriptors (undefined: the file is missing). */
function inspectFds(ef: number | undefined, lf: number | undefined): TailState {
  const eSize = ef === undefined ? 0 : fstatSync(ef).size;
  const lSize = lf === undefined ? 0 : fstatSync(lf).size;
  const base = {
    entriesSize: eSize,
    leavesSize: lSize,
    tornRowBytes: lSize % ROW,
    unsyncedRows: 0,
    unindexed: [] as Buffer[],
  };
  let n = Math.floor(lSize / ROW);
  if (ef === undefined && n > 0)
    return {
      ...base,
      acknowledged: n,
      end: 0,
      completeEnd: 0,
      tampered: `entries.log is missing but leaves.bin indexes ${n} entries (log deleted: tampering)`,
    };
  let end = 0;
  const unsynced: { hash: Buffer; end: number }[] = [];
  if (n > 0 && ef !== undefined) {
    // Trailing rows whose frames are not there as the rows name them: an append cut between its
    // two syncs (one batch at most). Walk back to the last row whose frame is complete and hashes
    // to the row; more than MAX_UNSYNCED_ROWS such rows is not one interrupted append.
    let row = readRow(lf!, n - 1);
    for (;;) {
      const prevEnd = n >= 2 ? readRow(lf!, n - 2).end : 0;
      if (frameMatches(ef, eSize, prevEnd, row)) break;
      unsynced.push(row);
      n--;
      if (n === 0 || unsynced.length > MAX_UNSYNCED_ROWS) break;
      row = readRow(lf!, n - 1);
    }
    if (unsynced.length > MAX_UNSYNCED_ROWS) {
      n = Math.floor(lSize / ROW);
      unsynced.length = 0;
      end = readRow(lf!, n - 1).end;
      if (end <= eSize)
        return {
          ...base,
          acknowledged: n,
          end,
          completeEnd: eSize,
          tampered: `the last ${MAX_UNSYNCED_ROWS + 1}+ entries of entries.log are not the records leaves.bin indexes (entries were deleted, moved or rewritten: tampering, not a torn write)`,
        };
    } else {
      base.unsyncedRows = unsynced.length;
      end = n > 0 ? readRow(lf!, n - 1).end : 0;
    }
  } else if (n > 0) {
    end = readRow(lf!, n - 1).end;
  }
  if (end > eSize) {
    return {
      ...base,
      acknowledged: n,
      end,
      completeEnd: eSize,
      tampered: `the index says ${n} acknowledged entries end at byte ${end} of entries.log, but it has only ${eSize} bytes: acknowledged entries were deleted or the log was truncated (tampering, not a torn write: entries are made durable before they are indexed)`,
    };
  }
  const unindexed: Buffer[] = [];
  let pos = end;
  const head = Buffer.alloc(4);
  while (pos + 4 <= eSize) {
    readSync(ef!, head, 0, 4, pos);
    const len = head.readUInt32BE(0);
    // a record is never empty: a zero length is bytes a crash left unwritten (a size without its data)
    if (len === 0 || pos + 4 + len > eSize) break;
    const data = Buffer.alloc(len);
    readSync(ef!, data, 0, len, pos + 4);
    // canonical JSON never holds a raw NUL: zeros are bytes a crash left unwritten, an incomplete record
    if (data.includes(0)) break;
    unindexed.push(data);
    pos += 4 + len;
  }
  // Next to rows of an interrupted append, a crash leaves their records missing, cut or zero-filled
  // (bytes never written). A readable record where a row says, that is not the row's, is an entry
  // rewritten in place; a readable record after the index whose hash a row names at another offset
  // is an entry moved by a deletion: both tampering.
  if (unsynced.length > 0) {
    const problem = movedOrRewritten(ef!, eSize, end, [...unsynced].reverse(), unindexed);
    if (problem)
      return {
        ...base,
        acknowledged: n + unsynced.length,
        end: unsynced[0]!.end,
        completeEnd: pos,
        unsyncedRows: 0,
        tampered: `entries.log holds readable records after entry ${n - 1} that are not the ones leaves.bin indexes there (${problem}: tampering, not a torn write)`,
      };
  }
  return { ...base, acknowledged: n, end, unindexed, completeEnd: pos };
}

/** See inspectFds: `rows` are the unsynced rows in log order, `unindexed` the complete records from `end`. */
function movedOrRewritten(
  ef: number,
  eSize: number,
  end: number,
  rows: { hash: Buffer; end: number }[],
  unindexed: Buffer[],
): string | undefined {
  let start = end;
  for (const row of rows) {
    if (row.end >= start + 4 && row.end <= eSize) {
      const frame = Buffer.alloc(row.end - start);
      readSync(ef, frame, 0, frame.length, start);
      const data = frame.subarray(4);
      if (frame.readUInt32BE(0) === data.length && !data.includes(0) && isJsonRecord(data))
        return `the record ending at byte ${row.end} is not the one indexed`;
    }
    start = row.end;
  }
  let at = end;
  for (const data of unindexed) {
    at += 4 + data.length;
    const h = hashLeaf(data);
    const row = rows.find((r) => r.hash.equals(h));
    // A row whose offset lost its last bytes to the crash (zeros where the true offset has others: a
    // row across a sector or page boundary half written) names this record where it is, torn; a record
    // moved by a deletion sits lower than its row says, which zeros cannot make.
    if (row && row.end !== at && !tornOffset(row.end, at))
      return `an indexed record found at byte ${at - 4 - data.length}, not where its row says`;
  }
  return undefined;
}

/** Each byte of the big-endian u64 `recorded` is the same as `actual`'s or zero (a partly unwritten offset). */
function tornOffset(recorded: number, actual: number): boolean {
  const r = Buffer.alloc(8);
  const a = Buffer.alloc(8);
  r.writeBigUInt64BE(BigInt(recorded));
  a.writeBigUInt64BE(BigInt(actual));
  for (let i = 0; i < 8; i++) if (r[i] !== 0 && r[i] !== a[i]) return false;
  return true;
}

function isJsonRecord(data: Buffer): boolean {
  try {
    const v: unknown = JSON.parse(data.toString("utf8"));
    return typeof v === "object" && v !== null;
  } catch {
    return false;
  }
}

function readRow(lf: number, i: number): { hash: Buffer; end: number } {
  const row = Buffer.alloc(ROW);
  readSync(lf, row, 0, ROW, i * ROW);
  return { hash: row.subarray(0, HASH_SIZE), end: offsetAt(row, 0) };
}

/** The frame between `start` and the row's end offset is complete in entries.log and hashes to the row's leaf. */
function frameMatches(ef: number, eSize: number, start: number, row: { hash: Buffer; end: number }): boolean {
  if (row.end > eSize || row.end < start + 4) return false;
  const frame = Buffer.alloc(row.end - start);
  readSync(ef, frame, 0, frame.length, start);
  if (frame.readUInt32BE(0) !== frame.length - 4) return false;
  return hashLeaf(frame.subarray(4)).equals(row.hash);
}

interface HeldFiles {
  ef: number;
  lf: number;
  acknowledged: number;
  end: number;
  eStat: BigIntStats;
  lStat: BigIntStats;
}

function fstatBig(fd: number): BigIntStats {
  return fstatSync(fd, { bigint: true });
}

function statIfExists(path: string): BigIntStats | undefined {
  return statSync(path, { bigint: true, throwIfNoEntry: false });
}

/** Same file (device, inode), same size, same modification and change times to the nanosecond. */
function sameStamp(a: BigIntStats | undefined, b: BigIntStats): boolean {
  return (
    a !== undefined &&
    a.ino === b.ino &&
    a.dev === b.dev &&
    a.size === b.size &&
    a.mtimeNs === b.mtimeNs &&
    a.ctimeNs === b.ctimeNs
  );
}

function writeAll(fd: number, buf: Buffer, position: number): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off, position + off);
}

function readIfExists(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return Buffer.alloc(0);
    throw new UserError(`cannot read ${path}: ${(err as Error).message}`);
  }
}

function openIfExists(path: string, flags: "r" | "r+" = "r"): number | undefined {
  try {
    return openSync(path, flags);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new UserError(`cannot read ${path}: ${(err as Error).message}`);
  }
}

function readRange(path: string, from: number, to: number): Buffer {
  const buf = Buffer.alloc(Math.max(0, to - from));
  if (buf.length === 0) return buf;
  const fd = openSync(path, "r");
  try {
    let off = 0;
    while (off < buf.length) {
      const got = readSync(fd, buf, off, buf.length - off, from + off);
      if (got === 0) break;
      off += got;
    }
    return buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}

function sha256Hex(b: Buffer): string {
  return createHash("sha256").update(b).digest("hex");
}

function fileSize(path: string): number {
  try {
    const fd = openSync(path, "r");
    try {
      return fstatSync(fd).size;
    } finally {
      closeSync(fd);
    }
  } catch {
    return 0;
  }
}

/** The end offset recorded in row `seq` of leaves.bin (a big-endian u64; exact below 2^53). */
function offsetAt(leaves: Buffer, seq: number): number {
  const at = seq * ROW + HASH_SIZE;
  return leaves.readUInt32BE(at) * 0x1_0000_0000 + leaves.readUInt32BE(at + 4);
}
