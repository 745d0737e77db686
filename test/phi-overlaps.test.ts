import { describe, expect, it } from "vitest";
import type { Candidate } from "../src/phi/candidate.js";
import { resolveOverlapsIndexed, resolveOverlapsPairwise } from "../src/phi/scanner.js";
import type { Severity } from "../src/phi/types.js";

// resolveOverlaps answers its three overlap tests from indexes on large inputs (a long text with
// tens of thousands of candidates was quadratic: 800 KB of dense notes took ~15 s of CPU). The
// indexed form must keep exactly the candidates the pairwise form keeps, in the same order.

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const SEVERITIES: Severity[] = ["low", "medium", "high"];
const CATEGORIES = ["name", "location", "date", "email"];

function randomCandidates(seed: number, n: number, span: number): Candidate[] {
  const r = rng(seed);
  const out: Candidate[] = [];
  for (let i = 0; i < n; i++) {
    const start = Math.floor(r() * span);
    // mostly short spans, some long, some empty, many sharing starts and ends
    const len = r() < 0.05 ? 0 : r() < 0.1 ? Math.floor(r() * 40) : Math.floor(r() * 6) + 1;
    const c: Candidate = {
      ruleId: `r${i % 7}`,
      category: CATEGORIES[Math.floor(r() * CATEGORIES.length)]!,
      kind: r() < 0.85 ? "phi" : "secret",
      start,
      end: start + len,
      severity: SEVERITIES[Math.floor(r() * 3)]!,
      confidence: [0.5, 0.6, 0.9][Math.floor(r() * 3)]!,
    };
    if (r() < 0.08) c.synthetic = true;
    out.push(c);
  }
  return out;
}

describe("resolveOverlaps: indexed and pairwise forms agree", () => {
  it("on random candidate sets: dense, sparse, with empty spans, ties and synthetic values", () => {
    let compared = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const n = 1 + (seed % 120);
      const span = [10, 60, 400][seed % 3]!;
      const cands = randomCandidates(seed, n, span);
      const want = resolveOverlapsPairwise(cands.slice());
      const got = resolveOverlapsIndexed(cands.slice());
      expect(got).toEqual(want);
      // same objects, in the same order
      expect(got.every((c, i) => c === want[i])).toBe(true);
      compared += want.length;
    }
    expect(compared).toBeGreaterThan(2000);
  });

  it("names inside longer spans, equal spans and spans touching at their ends", () => {
    const c = (category: string, start: number, end: number, extra: Partial<Candidate> = {}): Candidate => ({
      ruleId: category,
      category,
      kind: "phi",
      start,
      end,
      severity: "medium",
      confidence: 0.6,
      ...extra,
    });
    const sets: Candidate[][] = [
      [c("name", 5, 10), c("email", 5, 10)], // same span: the name is not inside a longer one
      [c("name", 5, 10), c("email", 5, 11)],
      [c("name", 5, 10), c("email", 4, 10)],
      [c("name", 5, 10), c("email", 4, 9)],
      [c("name", 5, 10), c("email", 4, 12, { kind: "secret" })],
      [c("date", 0, 5), c("date", 5, 9), c("name", 5, 5), c("name", 3, 3), c("location", 9, 9)],
      [c("name", 2, 8, { synthetic: true }), c("name", 7, 12), c("location", 1, 3)],
    ];
    for (const set of sets) expect(resolveOverlapsIndexed(set.slice())).toEqual(resolveOverlapsPairwise(set.slice()));
  });
});
