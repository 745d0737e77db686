import { describe, expect, it } from "vitest";
import { CulpritSearch, gitBisectSteps } from "../src/forensics/search.js";

/** Simulated oracle: commit i fails iff i >= culprit, plus spurious failures at rate f on good commits. */
function simulate(
  n: number,
  culprit: number,
  prior: number[] | undefined,
  opts: { f?: number; j?: number; seed?: number; maxRuns?: number; knownF?: number },
) {
  let seed = opts.seed ?? 1;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const f = opts.f ?? 0;
  const s = new CulpritSearch(n, prior, { flakeRate: opts.knownF ?? f, passReliable: true, confidence: 0.99 });
  s.observe(n - 1, "fail");
  let runs = 0;
  while (!s.done() && runs < (opts.maxRuns ?? 200)) {
    const picks = s.next(opts.j ?? 1);
    if (picks.length === 0) break;
    for (const i of picks) {
      runs++;
      s.observe(i, i >= culprit || rand() < f ? "fail" : "pass");
    }
  }
  return { found: s.best().index, runs };
}

describe("Bayesian culprit search", () => {
  it("finds every culprit with at most ceil(log2 N) runs under a uniform prior", () => {
    for (const n of [1, 2, 3, 7, 64, 200]) {
      for (let c = 0; c < n; c++) {
        const r = simulate(n, c, undefined, {});
        expect(r.found).toBe(c);
        expect(r.runs).toBeLessThanOrEqual(gitBisectSteps(n));
      }
    }
  });

  it("stays within ceil(log2 N) + 2 runs under an adversarial prior, and needs fewer with a good one", () => {
    const n = 300;
    let good = 0;
    let uni = 0;
    for (let c = 0; c < n; c += 7) {
      const wrong = Array.from({ length: n }, (_, k) => (k === (c + 150) % n ? 1000 : 1));
      const r = simulate(n, c, wrong, {});
      expect(r.found).toBe(c);
      expect(r.runs).toBeLessThanOrEqual(gitBisectSteps(n) + 2);
      const right = Array.from({ length: n }, (_, k) => (k === c ? 50 : 1));
      good += simulate(n, c, right, {}).runs;
      uni += simulate(n, c, undefined, {}).runs;
    }
    expect(good).toBeLessThan(uni * 0.75);
  });

  it("is accurate with a flaky test (spurious failure rate 0.2) when the rate is known", () => {
    let correct = 0;
    const trials = 300;
    for (let t = 0; t < trials; t++) {
      const n = 128;
      const c = (t * 37) % n;
      if (simulate(n, c, undefined, { f: 0.2, seed: t + 1 }).found === c) correct++;
    }
    expect(correct / trials).toBeGreaterThanOrEqual(0.97);
  });

  it("k-ary search (-j 3) needs fewer rounds than binary", () => {
    const n = 256;
    const r1 = simulate(n, 77, undefined, {});
    const r3 = simulate(n, 77, undefined, { j: 3 });
    expect(r3.found).toBe(77);
    expect(Math.ceil(r3.runs / 3)).toBeLessThan(r1.runs);
  });

  it("reports the plausible set when the commits around the culprit cannot be tested", () => {
    const s = new CulpritSearch(10);
    s.observe(9, "fail");
    s.observe(4, "skip");
    s.observe(5, "skip");
    for (;;) {
      const [i] = s.next();
      if (i === undefined || s.done()) break;
      s.observe(i, i >= 5 ? "fail" : "pass");
    }
    expect(s.done()).toBe(false);
    expect(s.plausible()).toEqual([4, 5, 6]);
  });
});
