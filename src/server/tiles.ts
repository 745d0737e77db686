/**
 * The ledger read-only in the C2SP tlog-tiles layout: `tile/<L>/<N>[.p/<W>]` holds the hashes
 * of tree level 8·L at indices 256·N .. 256·N+W-1 (each the root of a complete subtree), and
 * `tile/entries/<N>[.p/<W>]` the entries themselves, each as a big-endian uint16 length and the
 * canonical entry bytes (whose RFC 6962 leaf hash is the tree's leaf). Tiles are cut at the size of
 * the latest signed checkpoint, so everything served is committed to by a signature.
 */
import canonicalize from "canonicalize";
import type { AuditLedger } from "../audit/ledger.js";
import { ArrayLeaves, hashLeaf, MerkleTree } from "../audit/merkle.js";

export const TILE_WIDTH = 256;

export interface TilePath {
  level: number | "entries";
  index: number;
  /** partial width 1..255; undefined: a full tile */
  width?: number;
}

/** Parse `<L>/<N>[.p/<W>]` or `entries/<N>[.p/<W>]`; undefined when not a canonical tile path. */
export function parseTilePath(path: string): TilePath | undefined {
  const m = /^(entries|[0-9]|[1-5][0-9]|6[0-3])\/((?:x\d{3}\/)*)(\d{3})(?:\.p\/([1-9]\d*))?$/.exec(path);
  if (!m) return undefined;
  const groups = [
    ...(m[2] ?? "")
      .split("/")
      .filter(Boolean)
      .map((g) => g.slice(1)),
    m[3]!,
  ];
  // Minimal encoding: no leading all-zero group.
  if (groups.length > 1 && groups[0] === "000") return undefined;
  const index = Number(groups.join(""));
  const width = m[4] === undefined ? undefined : Number(m[4]);
  if (width !== undefined && width >= TILE_WIDTH) return undefined;
  if (!Number.isSafeInteger(index)) return undefined;
  return { level: m[1] === "entries" ? "entries" : Number(m[1]), index, width };
}

/** `N` as tile path elements: 1234067 -> x001/x234/067. */
export function formatTileIndex(n: number): string {
  const s = String(n);
  const groups: string[] = [];
  for (let end = s.length; end > 0; end -= 3) groups.unshift(s.slice(Math.max(0, end - 3), end).padStart(3, "0"));
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join("/");
}

/** In-memory copy of the log's entries and leaves, extended as the ledger grows. */
export class TileView {
  private readonly entries: Buffer[] = [];
  private readonly leaves = new ArrayLeaves([]);
  private readonly tree = new MerkleTree(this.leaves);
  private refreshing: Promise<void> | undefined;

  constructor(private readonly ledger: AuditLedger) {}

  private async refresh(size: number): Promise<void> {
    while (this.entries.length < size) {
      this.refreshing ??= (async () => {
        const from = this.entries.length;
        for await (const e of this.ledger.query({})) {
          if (e.seq < from) continue;
          if (e.seq !== this.entries.length) break;
          const bytes = Buffer.from(canonicalize(e)!, "utf8");
          this.entries.push(bytes);
          this.leaves.leaves.push(hashLeaf(bytes));
        }
        this.tree.sync();
      })().finally(() => (this.refreshing = undefined));
      const before = this.entries.length;
      await this.refreshing;
      if (this.entries.length === before) break;
    }
  }

  /** The tile's bytes for a tree of `treeSize`, or undefined when the tree does not contain it. */
  async tile(t: TilePath, treeSize: number): Promise<Buffer | undefined> {
    const width = t.width ?? TILE_WIDTH;
    const first = t.index * TILE_WIDTH;
    if (t.level === "entries") {
      if (first + width > treeSize) return undefined;
      await this.refresh(first + width);
      if (this.entries.length < first + width) return undefined;
      const parts: Buffer[] = [];
      for (let i = first; i < first + width; i++) {
        const e = this.entries[i]!;
        if (e.length > 0xffff) throw new Error(`entry ${i} is longer than a tlog-tiles bundle allows`);
        const len = Buffer.alloc(2);
        len.writeUInt16BE(e.length);
        parts.push(len, e);
      }
      return Buffer.concat(parts);
    }
    const span = 2 ** (8 * t.level);
    if ((first + width) * span > treeSize) return undefined;
    await this.refresh((first + width) * span);
    if (this.leaves.size < (first + width) * span) return undefined;
    const out: Buffer[] = [];
    for (let i = first; i < first + width; i++) out.push(this.tree.rangeHash(i * span, (i + 1) * span));
    return Buffer.concat(out);
  }
}
