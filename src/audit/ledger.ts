import canonicalize from "canonicalize";
import { execFileSync } from "node:child_process";
import { userInfo } from "node:os";
import { MerkleTree, hashLeaf, verifyConsistency, verifyInclusion, type LeafSource } from "./merkle.js";
import { formatCheckpoint, parseCheckpoint, signNote, verifyNote, type Checkpoint } from "./note.js";
import type { LedgerStore } from "./store.js";
import type { AppendResult, Ledger, LedgerEntry, LedgerEntryInput, LedgerQuery } from "./types.js";
import type { NoteSigner, NoteVerifier } from "../core/note-key.js";
import { UserError } from "../core/errors.js";
import { screenEntry } from "./screen.js";

export interface LedgerOptions {
  /** What to do with PHI found in an entry: refuse it (default) or keep only a keyed hash. */
  phi?: "refuse" | "hash";
  /** HMAC key for phi: "hash" (env GITOPS_HEALTH_LEDGER_HMAC_KEY). */
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
}

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

  get warnings(): string[] {
    return this.store.warnings;
  }

  async append(entry: LedgerEntryInput): Promise<AppendResult> {
    return (await this.appendBatch([entry]))[0]!;
  }

  async appendBatch(entries: LedgerEntryInput[]): Promise<AppendResult[]> {
    const clock = this.options.now ?? (() => new Date());
    const actor = defaultActor();
    const prepared = entries.map((e) => {
      if (!e.type || typeof e.type !== "string") throw new UserError("ledger entry needs a type");
      return this.screen({ time: "", type: e.type, actor: e.actor ?? actor, subject: e.subject, payload: e.payload ?? null });
    });
    // Time is taken under the store's lock so it never decreases along the log.
    const results = await this.store.append((start) => {
      const time = clock().toISOString();
      return prepared.map((p, i) => Buffer.from(canonicalize({ seq: start + i, ...p, time })!, "utf8"));
    });
    this.tree = undefined;
    return results.map((r) => ({ seq: r.seq, leafHash: r.leafHash.toString("hex") }));
  }

  async size(): Promise<number> {
    return this.store.size();
  }

  async *query(filter: LedgerQuery = {}): AsyncIterable<LedgerEntry> {
    for await (const r of this.store.records()) {
      const e = JSON.parse(r.canonical.toString("utf8")) as LedgerEntry;
      if (filter.type && e.type !== filter.type && !(filter.type.endsWith("*") && e.type.startsWith(filter.type.slice(0, -1)))) continue;
      if (filter.subject && e.subject !== filter.subject) continue;
      if (filter.actor && e.actor !== filter.actor) continue;
      if (filter.since && e.time < filter.since) continue;
      yield e;
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

  /** Sign the current tree head as a C2SP checkpoint and store it. */
  async checkpoint(signer: NoteSigner): Promise<{ checkpoint: Checkpoint; note: string }> {
    const t = await this.merkle();
    const checkpoint: Checkpoint = { origin: signer.name, size: t.size, rootHash: t.root(), extensions: [] };
    const note = signNote(formatCheckpoint(checkpoint), signer);
    await this.store.saveCheckpoint(checkpoint.size, note);
    return { checkpoint, note };
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
    if (!Number.isInteger(seq) || seq < 0 || seq >= treeSize || treeSize > t.size) throw new UserError(`no entry ${seq} in a tree of size ${treeSize} (ledger has ${t.size})`);
    return {
      index: seq,
      treeSize,
      leafHash: this.treeSource!.leaf(seq).toString("hex"),
      proof: t.inclusionProof(seq, treeSize).map((h) => h.toString("hex")),
      rootHash: t.root(treeSize).toString("hex"),
    };
  }

  async proveConsistency(oldSize: number, newSize?: number): Promise<{ oldSize: number; newSize: number; oldRoot: string; newRoot: string; proof: string[] }> {
    const t = await this.merkle();
    const n = newSize ?? t.size;
    if (!Number.isInteger(oldSize) || oldSize < 1 || oldSize > n || n > t.size) throw new UserError(`no consistency proof from ${oldSize} to ${n} (ledger has ${t.size})`);
    return { oldSize, newSize: n, oldRoot: t.root(oldSize).toString("hex"), newRoot: t.root(n).toString("hex"), proof: t.consistencyProof(oldSize, n).map((h) => h.toString("hex")) };
  }

  /**
   * Full verification: re-hash every entry, check sequence numbers and canonical form,
   * rebuild the tree, check every stored checkpoint's signature and root, and check
   * consistency with checkpoints the verifier saved earlier.
   */
  async verify(options: { verifiers?: NoteVerifier[]; savedCheckpoints?: string[]; onProgress?: (n: number) => void } = {}): Promise<VerifyResult> {
    const leaves: Buffer[] = [];
    const fail = (problem: string, firstBadSeq?: number): VerifyResult => ({ ok: false, size: leaves.length, rootHash: "", checkpointsChecked: 0, problem, firstBadSeq });
    let expected = 0;
    let prevTime = "";
    const declared = await this.store.size();
    for await (const r of this.store.records()) {
      const leaf = hashLeaf(r.canonical);
      if (!leaf.equals(r.leafHash)) return fail(`entry ${r.seq}: content does not match its recorded leaf hash (entry modified)`, r.seq);
      let e: LedgerEntry;
      try {
        e = JSON.parse(r.canonical.toString("utf8")) as LedgerEntry;
      } catch {
        return fail(`entry ${r.seq}: not valid JSON`, r.seq);
      }
      if (e.seq !== expected) return fail(`entry ${r.seq}: sequence number ${e.seq} where ${expected} was expected (entry deleted, inserted or reordered)`, r.seq);
      if (e.time < prevTime) return fail(`entry ${r.seq}: time ${e.time} is earlier than the previous entry's`, r.seq);
      prevTime = e.time;
      leaves.push(leaf);
      expected++;
      if (options.onProgress && expected % 10000 === 0) options.onProgress(expected);
    }
    if (expected !== declared) return fail(`entry ${expected}: the index lists ${declared} entries but only ${expected} are stored (log truncated)`, expected);
    const tree = new MerkleTree({ size: leaves.length, leaf: (i) => leaves[i]! });
    tree.sync();
    const root = tree.root();
    let checked = 0;
    const verifiers = options.verifiers ?? [];
    const checkNote = (note: string, label: string): string | undefined => {
      let text: string;
      if (verifiers.length > 0) {
        const v = verifyNote(note, verifiers);
        if (!v.ok) return `${label}: signature does not verify with the given key (${v.reason})`;
        text = v.text!;
      } else {
        text = note.slice(0, note.lastIndexOf("\n\n") + 1);
      }
      let cp: Checkpoint;
      try {
        cp = parseCheckpoint(text);
      } catch (err) {
        return `${label}: ${(err as Error).message}`;
      }
      if (cp.size > leaves.length) return `entry ${leaves.length}: ${label} covers ${cp.size} entries but the log has ${leaves.length} (log truncated or entries deleted)`;
      if (!tree.root(cp.size).equals(cp.rootHash)) {
        // Find the first entry that differs is not possible from a root alone; name the range.
        return `${label}: root hash for size ${cp.size} does not match the log (an entry below ${cp.size} was changed or the log was rewritten)`;
      }
      if (cp.size > 0 && cp.size < leaves.length) {
        const proof = tree.consistencyProof(cp.size);
        if (!verifyConsistency(cp.size, leaves.length, cp.rootHash, root, proof)) return `${label}: not consistent with the current tree`;
      }
      checked++;
      return undefined;
    };
    for (const [i, c] of (await this.store.checkpoints()).entries()) {
      const p = checkNote(c.note, `stored checkpoint #${i + 1}`);
      if (p) return { ...fail(p), size: leaves.length, rootHash: root.toString("hex") };
    }
    for (const [i, note] of (options.savedCheckpoints ?? []).entries()) {
      const p = checkNote(note, `saved checkpoint #${i + 1}`);
      if (p) return { ...fail(p), size: leaves.length, rootHash: root.toString("hex") };
    }
    return { ok: true, size: leaves.length, rootHash: root.toString("hex"), checkpointsChecked: checked };
  }

  /** PHI is refused, or replaced by a keyed hash, before anything is written (src/audit/screen.ts). */
  private screen(entry: Omit<LedgerEntry, "seq">): Omit<LedgerEntry, "seq"> {
    return screenEntry(entry, { mode: this.options.phi ?? "refuse", key: this.options.hmacKey ?? process.env.GITOPS_HEALTH_LEDGER_HMAC_KEY });
  }
}

let cachedActor: string | undefined;
/** The git user (email, else name), else the OS user. */
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

/** Verify one exported inclusion proof against a checkpoint root (offline, for auditors). */
export function verifyExportedInclusion(p: InclusionProof): boolean {
  return verifyInclusion(p.index, p.treeSize, Buffer.from(p.leafHash, "hex"), p.proof.map((h) => Buffer.from(h, "hex")), Buffer.from(p.rootHash, "hex"));
}
