import { describe, expect, it } from "vitest";
import { createHash, randomBytes } from "node:crypto";
import { ArrayLeaves, MerkleTree, hashChildren, hashLeaf, hashLeafInto } from "../src/audit/merkle.js";

const ref = (...parts: Uint8Array[]) => parts.reduce((h, p) => h.update(p), createHash("sha256")).digest();

describe("Merkle hashing (one-shot SHA-256 over a reused buffer)", () => {
  it("hashes leaves of every size as SHA-256(0x00 || data), and results stay independent", () => {
    const out: [Buffer, Buffer][] = [];
    for (const n of [0, 1, 31, 32, 33, 180, 4096, 65534, 65535, 65536, 200_000]) {
      const d = randomBytes(n);
      out.push([hashLeaf(d), ref(Buffer.from([0]), d)]);
    }
    // Earlier results are not views of the reused buffer: later calls do not change them.
    for (const [ours, want] of out) expect(ours.equals(want)).toBe(true);
  });

  it("hashes interior nodes as SHA-256(0x01 || left || right)", () => {
    const out: [Buffer, Buffer][] = [];
    for (let i = 0; i < 50; i++) {
      const [l, r] = [randomBytes(32), randomBytes(32)];
      out.push([hashChildren(l, r), ref(Buffer.from([1]), l, r)]);
    }
    // Inputs that are not 32-byte hashes take the general path and hash the same bytes.
    const odd = randomBytes(5);
    out.push([hashChildren(odd, Buffer.alloc(0)), ref(Buffer.from([1]), odd)]);
    for (const [ours, want] of out) expect(ours.equals(want)).toBe(true);
  });
});

describe("packed trees (verify: leaf and node hashes written into packed buffers)", () => {
  it("hashLeafInto writes the bytes hashLeaf returns, at the offset asked, for every size", () => {
    for (const n of [0, 1, 33, 180, 65534, 65535, 65536, 100_000]) {
      const d = randomBytes(n);
      const out = Buffer.alloc(32 * 3, 0xaa);
      hashLeafInto(d, out, 32);
      expect(out.subarray(32, 64).equals(hashLeaf(d))).toBe(true);
      expect(out.subarray(0, 32).equals(Buffer.alloc(32, 0xaa))).toBe(true);
      expect(out.subarray(64).equals(Buffer.alloc(32, 0xaa))).toBe(true);
    }
  });

  it("MerkleTree.fromPacked gives the roots and proofs of the tree over the same leaves, at every size", () => {
    for (const n of [1, 2, 3, 4, 5, 7, 8, 9, 31, 32, 33, 100, 257]) {
      const leaves = Array.from({ length: n }, () => hashLeaf(randomBytes(40)));
      const ref = new MerkleTree(new ArrayLeaves(leaves));
      ref.sync();
      // Over-allocated, as verify's buffer is: bytes beyond the leaves are not part of the tree.
      const packed = MerkleTree.fromPacked(Buffer.concat([...leaves, randomBytes(64)]), n);
      expect(packed.size).toBe(n);
      for (let m = 1; m <= n; m++) {
        expect(packed.root(m).equals(ref.root(m))).toBe(true);
        expect(packed.consistencyProof(m)).toEqual(ref.consistencyProof(m));
      }
      for (let i = 0; i < n; i++) expect(packed.inclusionProof(i)).toEqual(ref.inclusionProof(i));
    }
  });
});
