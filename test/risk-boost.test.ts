import { describe, expect, it } from "vitest";
import { fitBoost, predictBoost } from "../src/risk/boost.js";
import { auc, fitLogistic } from "../src/risk/model.js";
import type { FeatureName } from "../src/risk/features.js";
import { mulberry32 } from "../src/core/prng.js";

const rng = mulberry32;

describe("gradient-boosted trees (src/risk/boost.ts)", () => {
  it("learns an interaction a logistic model cannot represent", () => {
    const r = rng(1);
    const X: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 800; i++) {
      const a = r();
      const b = r();
      X.push([a, b]);
      // buggy when exactly one of the two is high (an XOR), with 10% label noise
      const truth = a > 0.5 !== b > 0.5 ? 1 : 0;
      y.push(r() < 0.1 ? 1 - truth : truth);
    }
    const w = y.map(() => 1);
    const fit = fitBoost(X, y, w, { depth: 2, trees: 100, learningRate: 0.1 });
    const boosted = auc(
      X.map((x) => predictBoost(fit, x)),
      y,
    );
    const lin = fitLogistic(X, y, w, ["LA", "LD"] as FeatureName[], 1, []);
    const linear = auc(
      X.map((x) => lin.intercept + x.reduce((s, v, j) => s + (lin.coef[j]! * (v - lin.mean[j]!)) / lin.scale[j]!, 0)),
      y,
    );
    expect(boosted).toBeGreaterThan(0.85);
    expect(linear).toBeLessThan(0.6);
  });

  it("never lowers the score for a feature constrained to be increasing, even when the data say it should", () => {
    const r = rng(7);
    const X: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const size = r() * 5;
      const flag = r() < 0.3 ? Math.log1p(1) : 0;
      X.push([size, flag]);
      // the flag is (spuriously) associated with fewer bugs, more so for large changes
      const p = 1 / (1 + Math.exp(-(size - 2.5 - (flag ? 1 + size / 2 : 0))));
      y.push(r() < p ? 1 : 0);
    }
    const w = y.map(() => 1);
    const free = fitBoost(X, y, w, { depth: 3, trees: 80 });
    const mono = fitBoost(X, y, w, { depth: 3, trees: 80, increasing: [1] });
    const grid = Array.from({ length: 51 }, (_, i) => i / 10);
    const drop = (fit: ReturnType<typeof fitBoost>) =>
      Math.max(...grid.map((s) => predictBoost(fit, [s, 0]) - predictBoost(fit, [s, Math.log1p(1)])));
    // unconstrained, setting the flag lowers the score somewhere; constrained, nowhere
    expect(drop(free)).toBeGreaterThan(0.1);
    expect(drop(mono)).toBeLessThanOrEqual(1e-12);
    // and the constrained model still ranks by size
    const scores = X.map((x) => predictBoost(mono, x));
    expect(auc(scores, y)).toBeGreaterThan(0.75);
  });

  it("is deterministic, weights samples, and starts from the weighted log-odds", () => {
    const X = [[0], [1], [2], [3], [4], [5]];
    const y = [0, 0, 0, 1, 1, 1];
    const w = [1, 1, 1, 3, 3, 3];
    const a = fitBoost(X, y, w, { trees: 5, minChildShare: 0 });
    const b = fitBoost(X, y, w, { trees: 5, minChildShare: 0 });
    expect(a).toEqual(b);
    expect(a.base).toBeCloseTo(Math.log(9 / 3), 9);
    expect(predictBoost(a, [5])).toBeGreaterThan(predictBoost(a, [0]));
    // no trees: the prior alone
    expect(predictBoost(fitBoost(X, y, w, { trees: 0 }), [0])).toBeCloseTo(Math.log(3), 9);
  });

  it("does not split a node below the minimum hessian share", () => {
    const X = Array.from({ length: 100 }, (_, i) => [i]);
    const y = X.map(([v]) => (v! >= 99 ? 1 : 0));
    const w = y.map(() => 1);
    // the only informative split isolates 1% of the weight: with a 5% minimum no tree splits there
    const fit = fitBoost(X, y, w, { depth: 1, trees: 3, minChildShare: 0.05 });
    for (const t of fit.trees) if (t.f[0]! >= 0) expect(t.t[0]!).toBeLessThan(95);
  });

  it("boosts from a given offset: the trees fit only what the offset leaves", () => {
    const X = Array.from({ length: 200 }, (_, i) => [i % 20, Math.floor(i / 20)]);
    // the label depends on the second column only; the offset already says everything about the first
    const y = X.map(([, b]) => (b! >= 5 ? 1 : 0));
    const w = y.map(() => 1);
    const offset = X.map(() => 0);
    const fit = fitBoost(X, y, w, { depth: 1, trees: 20, offset, minChildShare: 0 });
    expect(fit.base).toBe(0);
    for (const t of fit.trees) expect(t.f[0]).toBe(1);
    const perfect = X.map(([, b]) => (b! >= 5 ? 20 : -20));
    const none = fitBoost(X, y, w, { depth: 1, trees: 5, offset: perfect, minChildShare: 0 });
    // nothing left to fit: the leaves stay (almost) zero
    for (const t of none.trees) for (const v of t.v) expect(Math.abs(v)).toBeLessThan(1e-6);
  });
});
