import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, linkSync, mkdirSync, openSync, readFileSync, readSync, statSync, unlinkSync, writeFileSync, writeSync, appendFileSync } from "node:fs";
import { join } from "node:path";
import { hashLeaf, HASH_SIZE, type LeafSource } from "./merkle.js";
import type { LedgerStore, StoredRecord } from "./store.js";
import { UserError } from "../core/errors.js";
import { fsyncDir } from "../core/fs.js";

/*
 * Embedded ledger: a directory, no server, no native addon.
 *   entries.log  frames [u32 BE length][canonical JSON bytes], append-only
 *   leaves.bin   40-byte rows [32-byte leaf hash][u64 BE end offset of the frame in entries.log]
 *   checkpoints.jsonl  signed checkpoints, one JSON object a line
 *   lock         exclusive-create lock file holding the owner's pid
 * Append order: frames to entries.log + fsync, then rows to leaves.bin + fsync. An entry is
 * acknowledged only after both. On open (under the lock) a torn tail in either file is
 * truncated back to the last complete entry, and entries written before a crash but missing
 * from leaves.bin are re-indexed.
 */
const ROW = HASH_SIZE + 8;

export class DirStore implements LedgerStore {
  readonly warnings: string[] = [];
  private readonly entriesPath: string;
  private readonly leavesPath: string;
  private readonly checkpointsPath: string;
  private readonly lockPath: string;

  private constructor(readonly location: string) {
    this.entriesPath = join(location, "entries.log");
    this.leavesPath = join(location, "leaves.bin");
    this.checkpointsPath = join(location, "checkpoints.jsonl");
    this.lockPath = join(location, "lock");
  }

  static async open(location: string): Promise<DirStore> {
    try {
      mkdirSync(location, { recursive: true });
    } catch (err) {
      throw new UserError(`cannot create ledger directory ${location}: ${(err as Error).message}`);
    }
    const store = new DirStore(location);
    for (const f of [store.entriesPath, store.leavesPath]) if (!existsSync(f)) writeFileSync(f, "");
    await store.withLock(() => store.recover());
    return store;
  }

  /** Bring entries.log and leaves.bin back to a consistent, complete prefix. Caller holds the lock. */
  private recover(): number {
    const ef = openSync(this.entriesPath, "r+");
    const lf = openSync(this.leavesPath, "r+");
    try {
      const eSize = fstatSync(ef).size;
      let lSize = fstatSync(lf).size;
      if (lSize % ROW !== 0) {
        this.warnings.push(`leaves.bin had a torn row; truncated ${lSize % ROW} bytes`);
        lSize -= lSize % ROW;
        ftruncateSync(lf, lSize);
      }
      let n = lSize / ROW;
      // Rows pointing past the end of entries.log belong to entries whose write was torn.
      const row = Buffer.alloc(ROW);
      while (n > 0) {
        readSync(lf, row, 0, ROW, (n - 1) * ROW);
        if (Number(row.readBigUInt64BE(HASH_SIZE)) <= eSize) break;
        n--;
      }
      if (n * ROW !== lSize) {
        this.warnings.push(`truncated ${lSize / ROW - n} unacknowledged index row(s) after a torn write`);
        ftruncateSync(lf, n * ROW);
      }
      let end = 0;
      if (n > 0) {
        readSync(lf, row, 0, ROW, (n - 1) * ROW);
        end = Number(row.readBigUInt64BE(HASH_SIZE));
      }
      // Frames after `end`: complete ones are re-indexed, an incomplete one is a torn tail.
      const rows: Buffer[] = [];
      let pos = end;
      const head = Buffer.alloc(4);
      while (pos + 4 <= eSize) {
        readSync(ef, head, 0, 4, pos);
        const len = head.readUInt32BE(0);
        if (pos + 4 + len > eSize) break;
        const data = Buffer.alloc(len);
        readSync(ef, data, 0, len, pos + 4);
        pos += 4 + len;
        const r = Buffer.alloc(ROW);
        hashLeaf(data).copy(r, 0);
        r.writeBigUInt64BE(BigInt(pos), HASH_SIZE);
        rows.push(r);
      }
      if (rows.length > 0) {
        writeAll(lf, Buffer.concat(rows), n * ROW);
        fsyncSync(lf);
        this.warnings.push(`re-indexed ${rows.length} entr${rows.length === 1 ? "y" : "ies"} written before an interrupted append`);
        n += rows.length;
      }
      if (pos < eSize) {
        this.warnings.push(`truncated an incomplete tail of ${eSize - pos} byte(s) from entries.log (an append that never completed)`);
        ftruncateSync(ef, pos);
        fsyncSync(ef);
      }
      return n;
    } finally {
      closeSync(ef);
      closeSync(lf);
    }
  }

  async append(build: (startSeq: number) => Buffer[]): Promise<{ seq: number; leafHash: Buffer }[]> {
    return this.withLock(() => {
      const start = this.recover();
      const datas = build(start);
      if (datas.length === 0) return [];
      const ef = openSync(this.entriesPath, "r+");
      const lf = openSync(this.leavesPath, "r+");
      try {
        let pos = fstatSync(ef).size;
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
        writeAll(ef, Buffer.concat(frames), fstatSync(ef).size);
        fsyncSync(ef);
        writeAll(lf, Buffer.concat(rows), fstatSync(lf).size);
        fsyncSync(lf);
        return out;
      } finally {
        closeSync(ef);
        closeSync(lf);
      }
    });
  }

  async size(): Promise<number> {
    return Math.floor(fileSize(this.leavesPath) / ROW);
  }

  async leaves(): Promise<LeafSource> {
    const buf = readFileSync(this.leavesPath);
    const n = Math.floor(buf.length / ROW);
    return { size: n, leaf: (i: number) => buf.subarray(i * ROW, i * ROW + HASH_SIZE) };
  }

  async *records(from = 0, to = Number.MAX_SAFE_INTEGER): AsyncIterable<StoredRecord> {
    const leaves = readFileSync(this.leavesPath);
    const n = Math.min(Math.floor(leaves.length / ROW), to);
    if (from >= n) return;
    const startOffset = from === 0 ? 0 : Number(leaves.readBigUInt64BE((from - 1) * ROW + HASH_SIZE));
    const fd = openSync(this.entriesPath, "r");
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
        yield { seq, canonical, leafHash: leaves.subarray(seq * ROW, seq * ROW + HASH_SIZE) };
        seq++;
      }
    } finally {
      closeSync(fd);
    }
  }

  async saveCheckpoint(size: number, note: string): Promise<void> {
    await this.withLock(() => {
      appendFileSync(this.checkpointsPath, JSON.stringify({ size, note }) + "\n");
      const fd = openSync(this.checkpointsPath, "r");
      fsyncSync(fd);
      closeSync(fd);
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

  async close(): Promise<void> {}

  /** Exclusive lock across processes: O_EXCL lock file with the owner's pid; stale locks are broken. */
  private async withLock<T>(fn: () => T): Promise<T> {
    const deadline = Date.now() + 60_000;
    let delay = 2;
    for (;;) {
      try {
        // Write the pid first, then link it into place: the lock file is never empty,
        // so a writer killed at any instant leaves a lock whose owner can be checked.
        const tmp = `${this.lockPath}.${process.pid}.${Math.random().toString(36).slice(2)}`;
        writeFileSync(tmp, String(process.pid));
        try {
          linkSync(tmp, this.lockPath);
        } finally {
          unlinkSync(tmp);
        }
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw new UserError(`cannot lock ledger ${this.location}: ${(err as Error).message}`);
        this.breakStaleLock();
        if (Date.now() > deadline) throw new UserError(`ledger ${this.location} is locked by another process (remove ${this.lockPath} if no gitops-health process is running)`);
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(50, delay * 2);
      }
    }
    try {
      return fn();
    } finally {
      try {
        unlinkSync(this.lockPath);
      } catch {
        /* already broken as stale by another process: nothing to do */
      }
      fsyncDir(this.location);
    }
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

function writeAll(fd: number, buf: Buffer, position: number): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off, position + off);
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
