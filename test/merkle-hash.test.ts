import { describe, expect, it } from "vitest";
import { createHash, randomBytes } from "node:crypto";
import { hashChildren, hashLeaf } from "../src/audit/merkle.js";

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
