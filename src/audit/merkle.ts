import * as crypto from "node:crypto";
import { createHash } from "node:crypto";

/**
 * RFC 6962 / RFC 9162 Merkle tree hashing and proofs.
 *   leaf hash: SHA-256(0x00 || data); interior: SHA-256(0x01 || left || right)
 * Proof generation and verification follow RFC 9162 sections 2.1.3 and 2.1.4 exactly.
 */
export const HASH_SIZE = 32;
const LEAF_PREFIX = Buffer.from([0]);
const NODE_PREFIX = Buffer.from([1]);

// One-shot SHA-256 (node >= 20.12) over the prefix and data copied into one reused buffer costs
// about half of a Hash object fed twice; the bytes hashed are the same.
const oneShot = (crypto as { hash?: (algorithm: string, data: Uint8Array, encoding: "buffer") => Buffer }).hash;
const scratch = Buffer.alloc(64 * 1024);

export function hashLeaf(data: Uint8Array): Buffer {
  if (!oneShot || data.length >= scratch.length) return createHash("sha256").update(LEAF_PREFIX).update(data).digest();
  scratch[0] = 0;
  scratch.set(data, 1);
  return oneShot("sha256", scratch.subarray(0, data.length + 1), "buffer");
}

const pair = Buffer.alloc(1 + 2 * HASH_SIZE);
pair[0] = 1;
export function hashChildren(left: Uint8Array, right: Uint8Array): Buffer {
  if (!oneShot || left.length !== HASH_SIZE || right.length !== HASH_SIZE)
    return createHash("sha256").update(NODE_PREFIX).update(left).update(right).digest();
  pair.set(left, 1);
  pair.set(right, 1 + HASH_SIZE);
  return oneShot("sha256", pair, "buffer");
}

// A string output of the one-shot hash costs about half of a Buffer output (no ArrayBuffer per
// hash); written back with the same encoding it is the same 32 bytes. Used where many hashes land in
// one packed buffer (verify, packed trees).
type Latin1Hash = (algorithm: string, data: Uint8Array, encoding: "latin1") => string;
const oneShotLatin1 = oneShot as unknown as Latin1Hash | undefined;

/** Write the leaf hash of `data` into out[offset, offset + 32). */
export function hashLeafInto(data: Uint8Array, out: Buffer, offset: number): void {
  if (!oneShotLatin1 || data.length >= scratch.length) {
    hashLeaf(data).copy(out, offset);
    return;
  }
  scratch[0] = 0;
  scratch.set(data, 1);
  out.write(oneShotLatin1("sha256", scratch.subarray(0, data.length + 1), "latin1"), offset, HASH_SIZE, "latin1");
}

/** Write hashChildren(src[off, off+32), src[off+32, off+64)) into out[outOff, outOff + 32). */
function hashChildrenInto(src: Buffer, off: number, out: Buffer, outOff: number): void {
  src.copy(pair, 1, off, off + 2 * HASH_SIZE);
  if (oneShotLatin1) out.write(oneShotLatin1("sha256", pair, "latin1"), outOff, HASH_SIZE, "latin1");
  else createHash("sha256").update(pair).digest().copy(out, outOff);
}

export const EMPTY_ROOT = createHash("sha256").digest();

/** Largest power of two strictly less than n (n >= 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Source of leaf hashes by index (an in-memory array or a file-backed store). */
export interface LeafSource {
  readonly size: number;
  leaf(index: number): Buffer;
}

/**
 * Tree over a leaf source, caching the hashes of complete power-of-two subtrees
 * (level k holds the root of leaves [i*2^k, (i+1)*2^k)). Any MTH(D[a:b]) then costs O(log^2 n).
 */
export class MerkleTree {
  private levels: Buffer[][] = [];
  /** Trees made by fromPacked: level k packed in one buffer, 32 bytes a node. */
  private packed: Buffer[] | undefined;

  constructor(private readonly source: LeafSource) {}

  /**
   * A fixed-size tree over `size` leaf hashes packed in one buffer (32 bytes each), every complete
   * subtree hashed at once into one packed buffer per level: no object per node.
   */
  static fromPacked(leaves: Buffer, size: number): MerkleTree {
    if (leaves.length < size * HASH_SIZE) throw new RangeError(`${size} leaves need ${size * HASH_SIZE} bytes`);
    const t = new MerkleTree({ size, leaf: (i) => leaves.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE) });
    const levels = [leaves];
    for (let k = 1, width = 2; width <= size; k++, width *= 2) {
      const prev = levels[k - 1]!;
      const count = Math.floor(size / width);
      const cur = Buffer.allocUnsafe(count * HASH_SIZE);
      for (let i = 0; i < count; i++) hashChildrenInto(prev, 2 * i * HASH_SIZE, cur, i * HASH_SIZE);
      levels.push(cur);
    }
    t.packed = levels;
    return t;
  }

  get size(): number {
    return this.source.size;
  }

  /** Extend the cached levels to cover the current source size (call after appends). */
  sync(): void {
    if (this.packed) return;
    const n = this.source.size;
    if (this.levels.length === 0) this.levels.push([]);
    const l0 = this.levels[0]!;
    for (let i = l0.length; i < n; i++) l0.push(this.source.leaf(i));
    for (let k = 1; 1 << k <= n; k++) {
      if (!this.levels[k]) this.levels[k] = [];
      const prev = this.levels[k - 1]!;
      const cur = this.levels[k]!;
      const want = Math.floor(n / (1 << k));
      for (let i = cur.length; i < want; i++) cur.push(hashChildren(prev[2 * i]!, prev[2 * i + 1]!));
    }
  }

  /** MTH(D[start:end]) */
  rangeHash(start: number, end: number): Buffer {
    const n = end - start;
    if (n === 0) return EMPTY_ROOT;
    if ((n & (n - 1)) === 0 && start % n === 0) {
      const k = Math.log2(n);
      const p = this.packed?.[k];
      if (p && (start + n) / n <= p.length / HASH_SIZE)
        return p.subarray((start / n) * HASH_SIZE, (start / n + 1) * HASH_SIZE);
      const cached = this.levels[k]?.[start / n];
      if (cached) return cached;
    }
    if (n === 1) return this.source.leaf(start);
    const k = splitPoint(n);
    return hashChildren(this.rangeHash(start, start + k), this.rangeHash(start + k, end));
  }

  root(size = this.size): Buffer {
    return this.rangeHash(0, size);
  }

  /** PATH(m, D[0:size]) */
  inclusionProof(index: number, size = this.size): Buffer[] {
    if (index < 0 || index >= size || size > this.size)
      throw new RangeError(`no leaf ${index} in a tree of size ${size}`);
    const proof: Buffer[] = [];
    const path = (m: number, start: number, end: number) => {
      const n = end - start;
      if (n === 1) return;
      const k = splitPoint(n);
      if (m < k) {
        path(m, start, start + k);
        proof.push(this.rangeHash(start + k, end));
      } else {
        path(m - k, start + k, end);
        proof.push(this.rangeHash(start, start + k));
      }
    };
    path(index, 0, size);
    return proof;
  }

  /** PROOF(m, D[0:n]) */
  consistencyProof(oldSize: number, newSize = this.size): Buffer[] {
    if (oldSize < 0 || oldSize > newSize || newSize > this.size)
      throw new RangeError(`no consistency proof from ${oldSize} to ${newSize}`);
    if (oldSize === 0 || oldSize === newSize) return [];
    const proof: Buffer[] = [];
    const sub = (m: number, start: number, end: number, b: boolean) => {
      const n = end - start;
      if (m === n) {
        if (!b) proof.push(this.rangeHash(start, end));
        return;
      }
      const k = splitPoint(n);
      if (m <= k) {
        sub(m, start, start + k, b);
        proof.push(this.rangeHash(start + k, end));
      } else {
        sub(m - k, start + k, end, false);
        proof.push(this.rangeHash(start, start + k));
      }
    };
    sub(oldSize, 0, newSize, true);
    return proof;
  }
}

/** In-memory leaf source (tests, bundles). */
export class ArrayLeaves implements LeafSource {
  constructor(readonly leaves: Buffer[] = []) {}
  get size() {
    return this.leaves.length;
  }
  leaf(i: number) {
    return this.leaves[i]!;
  }
}

/** RFC 9162 2.1.3.2: verify an inclusion proof. Returns false for any malformed input. */
export function verifyInclusion(
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!validHash(leafHash) || !validHash(root) || !proof.every(validHash)) return false;
  if (!Number.isInteger(index) || !Number.isInteger(size) || index < 0 || index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r: Buffer = Buffer.from(leafHash);
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = hashChildren(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = hashChildren(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.equals(Buffer.from(root));
}

/** RFC 9162 2.1.4.2: verify a consistency proof between two tree heads. */
export function verifyConsistency(
  size1: number,
  size2: number,
  root1: Uint8Array,
  root2: Uint8Array,
  proof: Uint8Array[],
): boolean {
  // A consistency proof from the empty tree is meaningless (RFC 9162 requires 0 < size1).
  if (!Number.isInteger(size1) || !Number.isInteger(size2) || size1 < 1 || size2 < size1) return false;
  // Equal sizes: nothing to prove beyond the roots being the same bytes.
  if (size1 === size2) return proof.length === 0 && Buffer.from(root1).equals(Buffer.from(root2));
  if (proof.length === 0) return false;
  if (!validHash(root1) || !validHash(root2) || !proof.every(validHash)) return false;
  let path: Buffer[] = proof.map((p) => Buffer.from(p));
  // If size1 is an exact power of two, prepend first_hash = root1.
  if ((size1 & (size1 - 1)) === 0) path = [Buffer.from(root1), ...path];
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr: Buffer = path[0]!;
  let sr: Buffer = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = hashChildren(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && fr.equals(Buffer.from(root1)) && sr.equals(Buffer.from(root2));
}

function validHash(h: Uint8Array): boolean {
  return h instanceof Uint8Array && h.length === HASH_SIZE;
}
