import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ArrayLeaves, MerkleTree, hashLeaf, verifyConsistency, verifyInclusion } from "../src/audit/merkle.js";

const FIX = join(__dirname, "fixtures", "merkle");
const b64 = (s: string | null | undefined) => Buffer.from(s ?? "", "base64");

function vectors(kind: "inclusion" | "consistency") {
  const out: { name: string; v: Record<string, unknown> }[] = [];
  const walk = (rel: string) => {
    for (const e of readdirSync(join(FIX, kind, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else if (e.name.endsWith(".json")) out.push({ name: r, v: JSON.parse(readFileSync(join(FIX, kind, r), "utf8")) });
    }
  };
  walk("");
  return out;
}

describe("RFC 6962 vectors (transparency-dev/merkle)", () => {
  const inc = vectors("inclusion");
  const con = vectors("consistency");
  it("has both valid and invalid vectors", () => {
    expect(inc.filter((x) => x.v.wantErr).length).toBeGreaterThan(10);
    expect(con.filter((x) => !x.v.wantErr).length).toBeGreaterThan(5);
  });
  for (const { name, v } of inc) {
    it(`inclusion ${name}`, () => {
      const ok = verifyInclusion(
        v.leafIdx as number,
        v.treeSize as number,
        b64(v.leafHash as string),
        ((v.proof as string[] | null) ?? []).map(b64),
        b64(v.root as string),
      );
      expect(ok).toBe(!v.wantErr);
    });
  }
  for (const { name, v } of con) {
    it(`consistency ${name}`, () => {
      const ok = verifyConsistency(
        v.size1 as number,
        v.size2 as number,
        b64(v.root1 as string),
        b64(v.root2 as string),
        ((v.proof as string[] | null) ?? []).map(b64),
      );
      expect(ok).toBe(!v.wantErr);
    });
  }
});

describe("MerkleTree proofs", () => {
  it("generates proofs that verify for every index and size up to 33, and fail when tampered", () => {
    const leaves = Array.from({ length: 33 }, (_, i) => hashLeaf(Buffer.from(`entry ${i}`)));
    const tree = new MerkleTree(new ArrayLeaves(leaves));
    tree.sync();
    for (let size = 1; size <= 33; size++) {
      const root = tree.root(size);
      for (let i = 0; i < size; i++) {
        const proof = tree.inclusionProof(i, size);
        expect(verifyInclusion(i, size, leaves[i]!, proof, root)).toBe(true);
        if (proof.length > 0) {
          const bad = proof.map((p) => Buffer.from(p));
          bad[0]![0]! ^= 1;
          expect(verifyInclusion(i, size, leaves[i]!, bad, root)).toBe(false);
        }
      }
      for (let old = 1; old <= size; old++) {
        const proof = tree.consistencyProof(old, size);
        expect(verifyConsistency(old, size, tree.root(old), root, proof)).toBe(true);
        const wrong = Buffer.from(root);
        wrong[5]! ^= 0x40;
        expect(verifyConsistency(old, size, tree.root(old), wrong, proof)).toBe(false);
      }
    }
  });

  it("matches the RFC 6962 reference root for the 8-leaf test tree", () => {
    // Leaves from the transparency-dev vectors: inclusion/1 happy path uses this 8-leaf tree.
    const happy = JSON.parse(readFileSync(join(FIX, "inclusion", "1", "happy-path.json"), "utf8"));
    expect(
      verifyInclusion(happy.leafIdx, happy.treeSize, b64(happy.leafHash), happy.proof.map(b64), b64(happy.root)),
    ).toBe(true);
  });
});
