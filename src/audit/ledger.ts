import canonicalize from "canonicalize";
import { execFileSync } from "node:child_process";
import { userInfo } from "node:os";
import { basename } from "node:path";
import {
  HASH_SIZE,
  MerkleTree,
  hashLeaf,
  hashLeafInto,
  verifyConsistency,
  verifyInclusion,
  type LeafSource,
} from "./merkle.js";
import { formatCheckpoint, parseCheckpoint, signNote, verifyNote, type Checkpoint } from "./note.js";
import type { LedgerStore } from "./store.js";
import type { RepairReport } from "./dir-store.js";
import type { AppendResult, Ledger, LedgerEntry, LedgerEntryInput, LedgerQuery } from "./types.js";
import type { NoteSigner, NoteVerifier } from "../core/note-key.js";
import { UserError } from "../core/errors.js";
import { screenEntry } from "./screen.js";
import { scanEntry } from "./entry-scan.js";

export interface LedgerOptions {
  /** What to do with PHI found in an entry: refuse it (default) or keep only a keyed hash. */
  phi?: "refuse" | "hash";
  /** HMAC key for phi: "hash" (fronts pass GITOPS_HEALTH_LEDGER_HMAC_KEY). */
  hmacKey?: string;
  /** Clock, for tests. */
  now?: () => Date;
}

export interface InclusionProof {
  index: number;
  treeSize: number;
  leafHash: string;
  proof: string[];
  rootHash: string;
}

export interface VerifyResult {
  ok: boolean;
  size: number;
  rootHash: string;
  checkpointsChecked: number;
  /** First problem found, naming the entry. */
  problem?: string;
  firstBadSeq?: number;
  /** A torn tail beyond the verified entries (left as it is; `audit repair` fixes it). */
  warnings: string[];
}

/** Keys of `appendBatchOnce`. */
const ONCE_KEY = /^[A-Za-z0-9:._-]{1,200}$/;

/** Entry types the ledger writes about itself. */
export const CHECKPOINT_ENTRY = "ledger.checkpoint";
export const REPAIR_ENTRY = "ledger.repair";

/** The audit ledger: canonical entries, PHI screening, Merkle proofs, signed checkpoints. */
export class AuditLedger implements Ledger {
  private tree: MerkleTree | undefined;
  private treeSource: LeafSource | undefined;

  constructor(
    private readonly store: LedgerStore,
    private readonly options: LedgerOptions = {},
  ) {}

  get location(): string {
    return this.store.location;
  }

  /** How many appends may usefully be in flight at once (see `LedgerStore.appendPipeline`). */
  get appendPipeline(): number {
    return this.store.appendPipeline ?? 1;
  }

  get warnings(): string[] {
    return this.store.warnings;
  }

  /** When appends are acknowledged (see `LedgerStore.durability`); interval 0 where syncs are not deferred. */
  get durability(): { level: "disk" | "process"; syncIntervalMs: number } {
    return { level: this.store.durability ?? "disk", syncIntervalMs: this.store.syncIntervalMs ?? 0 };
  }

  /** Why the store refuses appends (failed closed), or undefined. */
  failure(): string | undefined {
    return this.store.failure?.();
  }

  /** Data syncs the store has started (directory ledger), or undefined where the store does not count them. */
  syncCount(): number | undefined {
    return this.store.syncCount?.();
  }

  /** Called once if the store fails closed (a background sync failed). */
  onFailure(listener: (message: string) => void): void {
    this.store.onFailure?.(listener);
  }

  /** Every acknowledged append made durable (`process` durability; a no-op otherwise). */
  async flush(): Promise<void> {
    await this.store.flush?.();
  }

  async append(entry: LedgerEntryInput): Promise<AppendResult> {
    return (await this.appendBatch([entry]))[0]!;
  }

  async appendBatch(entries: LedgerEntryInput[]): Promise<AppendResult[]> {
    return (await this.appendPrepared(entries))!;
  }

  /**
   * What `appendBatch` checks and builds for these entries (the screen, canonical JSON, leaf hashes),
   * without storing anything: seqs count from 0. The service's warm-up runs its decision route
   * through this before it listens (nothing of the warm-up reaches the ledger).
   */
  async dryRun(entries: LedgerEntryInput[]): Promise<AppendResult[]> {
    const build = this.prepare(entries);
    return build(0).map((b, i) => ({ seq: i, leafHash: hashLeaf(b).toString("hex") }));
  }

  async appendBatchOnce(key: string, entries: LedgerEntryInput[]): Promise<AppendResult[] | null> {
    if (!ONCE_KEY.test(key)) throw new UserError("an append-once key is 1-200 characters of A-Z a-z 0-9 : . _ -");
    return this.appendPrepared(entries, key);
  }

  private async appendPrepared(entries: LedgerEntryInput[], once?: string): Promise<AppendResult[] | null> {
    const build = this.prepare(entries);
    let results: { seq: number; leafHash: Buffer }[] | null;
    if (once === undefined) results = await this.store.append(build);
    else if (this.store.appendOnce) results = await this.store.appendOnce(once, build);
    else throw new UserError(`the ledger at ${this.store.location} cannot append once per key`);
    if (!results) return null;
    this.tree = undefined;
    return results.map((r) => ({ seq: r.seq, leafHash: r.leafHash.toString("hex") }));
  }

  /** Screens the entries now; the returned function writes their records from a start seq (under the store's lock). */
  private prepare(entries: LedgerEntryInput[]): (start: number) => Buffer[] {
    const clock = this.options.now ?? (() => new Date());
    const actor = defaultActor();
    const prepared = entries.map((e) => {
      if (!e.type || typeof e.type !== "string") throw new UserError("ledger entry needs a type");
      return this.screen({
        time: "",
        type: e.type,
        actor: e.actor ?? actor,
        subject: e.subject,
        payload: e.payload ?? null,
      });
    });
    // Time is taken under the store's lock so it never decreases along the log.
    const build = (start: number) => {
      const time = clock().toISOString();
      // the `canonicalize` package here, not canonical.ts: its one flat string per entry goes into
      // Buffer.from faster than a string built by concatenation (batched appends to PostgreSQL cost
      // 10-25% more client CPU with canonical.ts, bench/ledger-pg-batch-ab.ts)
      return prepared.map((p, i) => Buffer.from(canonicalize({ seq: start + i, ...p, time })!, "utf8"));
    };
    return build;
  }

  async size(): Promise<number> {
    return this.store.size();
  }

  async *query(filter: LedgerQuery = {}): AsyncIterable<LedgerEntry> {
    for await (const r of this.store.records(filter.from)) {
      const e = JSON.parse(r.canonical.toString("utf8")) as LedgerEntry;
      if (matchesQuery(e, filter)) yield e;
    }
  }

  async close(): Promise<void> {
    await this.store.close();
  }

  /** The tree with its subtree cache; reloaded only when the log has grown. */
  private async merkle(): Promise<MerkleTree> {
    const size = await this.store.size();
    if (!this.tree || this.treeSource?.size !== size) {
      const source = await this.store.leaves();
      this.treeSource = source;
      this.tree = new MerkleTree(source);
      this.tree.sync();
    }
    return this.tree;
  }

  async rootHash(size?: number): Promise<Buffer> {
    const t = await this.merkle();
    return t.root(size ?? t.size);
  }

  /**
   * Sign a C2SP checkpoint and store it. A `ledger.checkpoint` entry is appended first and the
   * checkpoint covers the log up to and including it, so the log itself records that a signed
   * checkpoint of that size exists: verification then fails when the stored checkpoint is gone.
   */
  async checkpoint(signer: NoteSigner): Promise<{ checkpoint: Checkpoint; note: string }> {
    const [marker] = await this.appendBatch([
      { type: CHECKPOINT_ENTRY, payload: { signer: signer.name, keyId: signer.keyId.toString("hex") } },
    ]);
    const size = marker!.seq + 1;
    const t = await this.merkle();
    const checkpoint: Checkpoint = { origin: signer.name, size, rootHash: t.root(size), extensions: [] };
    const note = signNote(formatCheckpoint(checkpoint), signer);
    await this.store.saveCheckpoint(checkpoint.size, note);
    return { checkpoint, note };
  }

  /**
   * `audit repair`: fix a torn tail (directory ledgers), keeping what is removed in quarantine,
   * and record what was done as a `ledger.repair` entry. Refuses anything that is not a torn tail.
   */
  async repair(): Promise<{ repaired: boolean; report?: RepairReport; seq?: number }> {
    const store = this.store as LedgerStore & { repair?: () => Promise<RepairReport> };
    if (!store.repair) return { repaired: false };
    const report = await store.repair();
    if (report.reindexed === 0 && report.removedEntriesBytes === 0 && report.removedIndexBytes === 0)
      return { repaired: false, report };
    this.tree = undefined;
    const [r] = await this.appendBatch([
      {
        type: REPAIR_ENTRY,
        payload: {
          reindexed: report.reindexed,
          removedEntriesBytes: report.removedEntriesBytes,
          removedIndexBytes: report.removedIndexBytes,
          quarantine: report.quarantine ? basename(report.quarantine) : null,
        },
      },
    ]);
    return { repaired: true, report, seq: r!.seq };
  }

  async latestCheckpoint(): Promise<string | undefined> {
    const all = await this.store.checkpoints();
    return all.at(-1)?.note;
  }

  async checkpointForSize(size: number): Promise<string | undefined> {
    const all = await this.store.checkpoints();
    return all.filter((c) => c.size === size).at(-1)?.note;
  }

  async proveInclusion(seq: number, size?: number): Promise<InclusionProof> {
    const t = await this.merkle();
    const treeSize = size ?? t.size;
    if (!Number.isInteger(seq) || seq < 0 || seq >= treeSize || treeSize > t.size)
      throw new UserError(`no entry ${seq} in a tree of size ${treeSize} (ledger has ${t.size})`);
    return {
      index: seq,
      treeSize,
      leafHash: this.treeSource!.leaf(seq).toString("hex"),
      proof: t.inclusionProof(seq, treeSize).map((h) => h.toString("hex")),
      rootHash: t.root(treeSize).toString("hex"),
    };
  }

  /**
   * Many inclusion proofs in the tree of `size` from one build of that tree, packed (one buffer per
   * level, no object per node: about half the CPU of the incremental tree, and little for the garbage
   * collector): the evidence report proves hundreds of entries at once. Reads only.
   */
  async inclusionProver(size: number): Promise<{ rootHash: Buffer; prove(seq: number): string[] }> {
    const source = await this.store.leaves();
    if (!Number.isInteger(size) || size < 1 || size > source.size)
      throw new UserError(`no tree of size ${size} (ledger has ${source.size})`);
    const packed = Buffer.allocUnsafe(size * HASH_SIZE);
    for (let i = 0; i < size; i++) source.leaf(i).copy(packed, i * HASH_SIZE);
    const t = MerkleTree.fromPacked(packed, size);
    return {
      rootHash: t.root(size),
      prove: (seq) => {
        if (!Number.isInteger(seq) || seq < 0 || seq >= size)
          throw new UserError(`no entry ${seq} in a tree of size ${size}`);
        return t.inclusionProof(seq, size).map((h) => h.toString("hex"));
      },
    };
  }

  async proveConsistency(
    oldSize: number,
    newSize?: number,
  ): Promise<{ oldSize: number; newSize: number; oldRoot: string; newRoot: string; proof: string[] }> {
    const t = await this.merkle();
    const n = newSize ?? t.size;
    if (!Number.isInteger(oldSize) || oldSize < 1 || oldSize > n || n > t.size)
      throw new UserError(`no consistency proof from ${oldSize} to ${n} (ledger has ${t.size})`);
    return {
      oldSize,
      newSize: n,
      oldRoot: t.root(oldSize).toString("hex"),
      newRoot: t.root(n).toString("hex"),
      proof: t.consistencyProof(oldSize, n).map((h) => h.toString("hex")),
    };
  }

  /**
   * Full verification, read-only: re-hash every entry, check sequence numbers, index offsets and
   * canonical form, rebuild the tree, check every stored checkpoint's signature and root, check
   * that every checkpoint the log records (`ledger.checkpoint` entries) is still stored, and check
   * consistency with checkpoints supplied from outside (`trustedCheckpoints` must carry a valid
   * signature by one of `verifiers`; `savedCheckpoints` are checked by signature only when
   * verifiers are given). A torn tail is reported in `warnings`, never repaired.
   */
  async verify(
    options: {
      verifiers?: NoteVerifier[];
      savedCheckpoints?: string[];
      trustedCheckpoints?: string[];
      onProgress?: (n: number) => void;
    } = {},
  ): Promise<VerifyResult> {
    const warnings: string[] = [];
    let expected = 0;
    const fail = (problem: string, firstBadSeq?: number): VerifyResult => ({
      ok: false,
      size: expected,
      rootHash: "",
      checkpointsChecked: 0,
      problem,
      firstBadSeq,
      warnings,
    });
    let prevTime = "";
    const markers: number[] = [];
    const declared = await this.store.size();
    // Leaf hashes packed in one buffer (grown if the store holds more than it declared).
    let packed = Buffer.allocUnsafe(Math.max(declared, 1024) * HASH_SIZE);
    for await (const batch of this.store.recordBatches?.() ?? singles(this.store.records())) {
      for (const r of batch) {
        if ((expected + 1) * HASH_SIZE > packed.length) {
          const grown = Buffer.allocUnsafe(packed.length * 2);
          packed.copy(grown);
          packed = grown;
        }
        const at = expected * HASH_SIZE;
        hashLeafInto(r.canonical, packed, at);
        // The plain case without building the object; anything else (and every invalid text) is
        // decided by JSON.parse exactly as before (src/audit/entry-scan.ts).
        let e: Pick<LedgerEntry, "seq" | "time" | "type"> | undefined = scanEntry(r.canonical);
        if (!e) {
          try {
            e = JSON.parse(r.canonical.toString("utf8")) as LedgerEntry;
          } catch {
            e = undefined;
          }
        }
        // An entry holding another sequence number is a deletion, insertion or reordering, whether or
        // not the index was rewritten to match; never a torn write (those only affect the tail).
        if (e && typeof e.seq === "number" && e.seq !== expected) {
          const what =
            e.seq > expected
              ? `entr${e.seq - expected === 1 ? "y" : "ies"} ${expected}${e.seq - expected > 1 ? `-${e.seq - 1}` : ""} deleted`
              : "entry inserted or reordered";
          return fail(
            `entry ${r.seq}: sequence number ${e.seq} where ${expected} was expected (${what}: tampering, not a torn write)`,
            r.seq,
          );
        }
        if (r.leafHash.length !== HASH_SIZE || packed.compare(r.leafHash, 0, HASH_SIZE, at, at + HASH_SIZE) !== 0)
          return fail(
            `entry ${r.seq}: content does not match its recorded leaf hash (entry modified: tampering)`,
            r.seq,
          );
        if (!e) return fail(`entry ${r.seq}: not valid JSON`, r.seq);
        if (e.seq !== expected)
          return fail(
            `entry ${r.seq}: sequence number ${String(e.seq)} where ${expected} was expected (tampering)`,
            r.seq,
          );
        if (r.indexOk === false)
          return fail(
            `entry ${r.seq}: the index places this entry at the wrong offset of the log (index rewritten: tampering)`,
            r.seq,
          );
        if (e.time < prevTime)
          return fail(`entry ${r.seq}: time ${e.time} is earlier than the previous entry's`, r.seq);
        if (e.type === CHECKPOINT_ENTRY) markers.push(e.seq);
        prevTime = e.time;
        expected++;
        if (options.onProgress && expected % 10000 === 0) options.onProgress(expected);
      }
    }
    if (expected < declared)
      return fail(
        `entry ${expected}: the index lists ${declared} entries but only ${expected} are stored (acknowledged entries deleted or log truncated: tampering)`,
        expected,
      );
    const tail = this.store.inspectTail?.();
    if (tail?.tampered) return fail(tail.tampered, expected);
    for (const w of tail?.torn ?? [])
      warnings.push(`${w}; not part of the verified log (run 'gitops-health audit repair')`);
    const tree = MerkleTree.fromPacked(packed, expected);
    const root = tree.root();
    const size = expected;
    let checked = 0;
    const verifiers = options.verifiers ?? [];
    const checkNote = (note: string, label: string, requireSignature: boolean): { problem?: string; size?: number } => {
      let text: string;
      if (verifiers.length > 0 || requireSignature) {
        if (verifiers.length === 0) return { problem: `${label}: no verifier key to check its signature with` };
        const v = verifyNote(note, verifiers);
        if (!v.ok) return { problem: `${label}: signature does not verify with the given key (${v.reason})` };
        text = v.text!;
      } else {
        text = note.slice(0, note.lastIndexOf("\n\n") + 1);
      }
      let cp: Checkpoint;
      try {
        cp = parseCheckpoint(text);
      } catch (err) {
        return { problem: `${label}: ${(err as Error).message}` };
      }
      if (cp.size > size)
        return {
          problem: `entry ${size}: ${label} covers ${cp.size} entries but the log has ${size} (log truncated or entries deleted)`,
        };
      if (!tree.root(cp.size).equals(cp.rootHash)) {
        // Find the first entry that differs is not possible from a root alone; name the range.
        return {
          problem: `${label}: root hash for size ${cp.size} does not match the log (an entry below ${cp.size} was changed or the log was rewritten)`,
        };
      }
      if (cp.size > 0 && cp.size < size) {
        // RFC 9162 section 2.1.4: the current tree extends the checkpointed one.
        const proof = tree.consistencyProof(cp.size);
        if (!verifyConsistency(cp.size, size, cp.rootHash, root, proof))
          return { problem: `${label}: not consistent with the current tree` };
      }
      checked++;
      return { size: cp.size };
    };
    const withRoot = (p: string): VerifyResult => ({ ...fail(p), size: size, rootHash: root.toString("hex") });
    const storedSizes = new Set<number>();
    const stored = await this.store.checkpoints();
    for (const [i, c] of stored.entries()) {
      const r = checkNote(c.note, `stored checkpoint #${i + 1}`, false);
      if (r.problem) return withRoot(r.problem);
      storedSizes.add(r.size!);
    }
    if (markers.length > 0 && stored.length === 0) {
      return withRoot(
        `entry ${markers.at(-1)}: the log records ${markers.length} signed checkpoint(s) but no checkpoint is stored (checkpoints.jsonl deleted or emptied)`,
      );
    }
    for (const m of markers) {
      if (!storedSizes.has(m + 1))
        return withRoot(
          `entry ${m}: the log records a signed checkpoint of size ${m + 1} that is no longer stored (checkpoint removed)`,
        );
    }
    for (const [i, note] of (options.savedCheckpoints ?? []).entries()) {
      const r = checkNote(note, `saved checkpoint #${i + 1}`, false);
      if (r.problem) return withRoot(r.problem);
    }
    for (const [i, note] of (options.trustedCheckpoints ?? []).entries()) {
      const r = checkNote(note, `trusted checkpoint #${i + 1}`, true);
      if (r.problem) return withRoot(r.problem);
    }
    return { ok: true, size: size, rootHash: root.toString("hex"), checkpointsChecked: checked, warnings };
  }

  /**
   * `audit verify --consistency OLD NEW`: both checkpoints must be signed by one of `verifiers`,
   * and the RFC 9162 consistency proof between them (supplied, or computed from this ledger)
   * must verify. Read-only.
   */
  async checkpointConsistency(
    oldNote: string,
    newNote: string,
    verifiers: NoteVerifier[],
    supplied?: string[],
  ): Promise<ConsistencyResult> {
    let proof: Buffer[] | undefined = supplied?.map((h) => Buffer.from(h, "hex"));
    if (!proof) {
      const pair = parseSignedPair(oldNote, newNote, verifiers);
      if ("problem" in pair) return pair;
      const t = await this.merkle();
      if (pair.newer.size > t.size)
        return {
          ok: false,
          oldSize: pair.older.size,
          newSize: pair.newer.size,
          problem: `the new checkpoint covers ${pair.newer.size} entries but the ledger has ${t.size} (log truncated, or the checkpoint is from another log)`,
        };
      if (pair.older.size > 0 && pair.older.size < pair.newer.size)
        proof = t.consistencyProof(pair.older.size, pair.newer.size);
      else proof = [];
    }
    return verifyCheckpointConsistency(oldNote, newNote, verifiers, proof);
  }

  /** PHI is refused, or replaced by a keyed hash, before anything is written (src/audit/screen.ts). */
  private screen(entry: Omit<LedgerEntry, "seq">): Omit<LedgerEntry, "seq"> {
    return screenEntry(entry, { mode: this.options.phi ?? "refuse", key: this.options.hmacKey });
  }
}

let cachedActor: string | undefined;
/** The git user (email, else name), else the OS user. */
/** The `query` filter: exact type or `prefix*`, subject, actor, entries at or after `since`. */
export function matchesQuery(
  e: { type: string; subject?: string; actor: string; time: string },
  filter: LedgerQuery,
): boolean {
  if (
    filter.type &&
    e.type !== filter.type &&
    !(filter.type.endsWith("*") && e.type.startsWith(filter.type.slice(0, -1)))
  )
    return false;
  if (filter.subject && e.subject !== filter.subject) return false;
  if (filter.actor && e.actor !== filter.actor) return false;
  if (filter.since && e.time < filter.since) return false;
  return true;
}

export function defaultActor(): string {
  if (cachedActor) return cachedActor;
  for (const key of ["user.email", "user.name"]) {
    try {
      const v = execFileSync("git", ["config", key], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
      if (v) return (cachedActor = v);
    } catch {
      /* not configured */
    }
  }
  try {
    return (cachedActor = userInfo().username);
  } catch {
    return (cachedActor = "unknown");
  }
}

export interface ConsistencyResult {
  ok: boolean;
  oldSize?: number;
  newSize?: number;
  problem?: string;
}

function parseSignedPair(
  oldNote: string,
  newNote: string,
  verifiers: NoteVerifier[],
): { older: Checkpoint; newer: Checkpoint } | { ok: false; problem: string } {
  if (verifiers.length === 0)
    return {
      ok: false,
      problem: "no verifier key: checkpoint signatures cannot be checked (pass --key or set ledger.verifierKey)",
    };
  const out: Checkpoint[] = [];
  for (const [label, note] of [
    ["old checkpoint", oldNote],
    ["new checkpoint", newNote],
  ] as const) {
    const v = verifyNote(note, verifiers);
    if (!v.ok) return { ok: false, problem: `${label}: signature does not verify with the given key (${v.reason})` };
    try {
      out.push(parseCheckpoint(v.text!));
    } catch (err) {
      return { ok: false, problem: `${label}: ${(err as Error).message}` };
    }
  }
  const [older, newer] = out as [Checkpoint, Checkpoint];
  if (older.origin !== newer.origin)
    return { ok: false, problem: `the checkpoints are of different logs ("${older.origin}" and "${newer.origin}")` };
  if (older.size > newer.size)
    return {
      ok: false,
      problem: `the old checkpoint (size ${older.size}) is larger than the new one (size ${newer.size})`,
    };
  return { older, newer };
}

/** RFC 9162 section 2.1.4 consistency between two signed checkpoints, given the proof (offline). */
export function verifyCheckpointConsistency(
  oldNote: string,
  newNote: string,
  verifiers: NoteVerifier[],
  proof: Buffer[],
): ConsistencyResult {
  const pair = parseSignedPair(oldNote, newNote, verifiers);
  if ("problem" in pair) return pair;
  const { older, newer } = pair;
  const sizes = { oldSize: older.size, newSize: newer.size };
  if (older.size === newer.size) {
    return older.rootHash.equals(newer.rootHash)
      ? { ok: true, ...sizes }
      : { ok: false, ...sizes, problem: `two checkpoints of size ${older.size} with different roots: the log forked` };
  }
  if (older.size === 0) return { ok: true, ...sizes };
  if (!verifyConsistency(older.size, newer.size, older.rootHash, newer.rootHash, proof)) {
    return {
      ok: false,
      ...sizes,
      problem: `the log of size ${newer.size} does not extend the log of size ${older.size}: the consistency proof fails (history rewritten, or the ledger diverges from the checkpoints)`,
    };
  }
  return { ok: true, ...sizes };
}

/** Verify one exported inclusion proof against a checkpoint root (offline, for auditors). */
export function verifyExportedInclusion(p: InclusionProof): boolean {
  return verifyInclusion(
    p.index,
    p.treeSize,
    Buffer.from(p.leafHash, "hex"),
    p.proof.map((h) => Buffer.from(h, "hex")),
    Buffer.from(p.rootHash, "hex"),
  );
}

async function* singles<T>(items: AsyncIterable<T>): AsyncIterable<T[]> {
  for await (const item of items) yield [item];
}
