/**
 * Bayesian, flake-aware culprit search over ordered candidates c[0..N-1] (oldest first; the
 * known-bad commit is c[N-1]). Hypothesis k: c[k] is the first bad commit, so a test of c[i]
 * fails for sure when i >= k and fails spuriously with probability `flakeRate` when i < k.
 * An optional hypothesis "no culprit" says every failure was a flake.
 *
 * The prior is mixed with a uniform share (default 1/2), so every candidate starts with at
 * least 1/(2N) of the mass. Testing at the posterior median removes at least half of the mass
 * on the wrong side of each test, which bounds the search at ceil(log2 N) + 2 tests without
 * flakiness, whatever the prior says.
 */
export type Result = "pass" | "fail" | "skip";

export interface SearchOptions {
  /** P(a good commit's test fails) */
  flakeRate: number;
  /** a pass is proof that the commit is good (bad commits never pass) */
  passReliable: boolean;
  /** stop when a hypothesis reaches this posterior */
  confidence: number;
  /** share of uniform mass mixed into the prior */
  uniformShare: number;
  /** prior mass of "no culprit: the failure was a flake" (only meaningful with flakiness) */
  noCulpritPrior: number;
}

export const DEFAULTS: SearchOptions = {
  flakeRate: 0,
  passReliable: true,
  confidence: 0.99,
  uniformShare: 0.5,
  noCulpritPrior: 0,
};

export class CulpritSearch {
  /** posterior over k = 0..N-1, then index N = "no culprit" */
  readonly post: Float64Array;
  readonly skipped = new Set<number>();
  readonly tested = new Map<number, { pass: number; fail: number }>();
  readonly opts: SearchOptions;

  constructor(
    readonly n: number,
    prior?: number[],
    opts: Partial<SearchOptions> = {},
  ) {
    if (n < 1) throw new Error("no candidates");
    this.opts = { ...DEFAULTS, ...opts };
    const raw =
      prior && prior.length === n
        ? prior.map((x) => (Number.isFinite(x) && x > 0 ? x : 0))
        : new Array<number>(n).fill(1);
    const sum = raw.reduce((a, b) => a + b, 0) || 1;
    const u = this.opts.uniformShare;
    this.post = new Float64Array(n + 1);
    const culpritMass = 1 - this.opts.noCulpritPrior;
    for (let k = 0; k < n; k++) this.post[k] = culpritMass * ((1 - u) * (raw[k]! / sum) + u / n);
    this.post[n] = this.opts.noCulpritPrior;
    this.normalize();
  }

  private normalize(): void {
    let s = 0;
    for (const x of this.post) s += x;
    if (s <= 0) {
      this.post.fill(1 / this.post.length);
      return;
    }
    for (let i = 0; i < this.post.length; i++) this.post[i]! /= s;
  }

  /** Bayes update with the result of testing candidate i. */
  observe(i: number, result: Result): void {
    if (result === "skip") {
      this.skipped.add(i);
      return;
    }
    const t = this.tested.get(i) ?? { pass: 0, fail: 0 };
    t[result]++;
    this.tested.set(i, t);
    const f = this.opts.flakeRate;
    const badPass = this.opts.passReliable ? 0 : Math.max(1e-3, f / 10);
    for (let k = 0; k <= this.n; k++) {
      const commitIsBad = k < this.n && i >= k;
      const pFail = commitIsBad ? 1 - badPass : f;
      this.post[k]! *= result === "fail" ? pFail : 1 - pFail;
    }
    this.normalize();
  }

  best(): { index: number; p: number; noCulprit: boolean } {
    let bi = 0;
    for (let k = 1; k <= this.n; k++) if (this.post[k]! > this.post[bi]!) bi = k;
    return { index: bi, p: this.post[bi]!, noCulprit: bi === this.n };
  }

  done(): boolean {
    return this.best().p >= this.opts.confidence;
  }

  /** Candidates that still carry posterior mass (for "only skipped commits left" reports). */
  plausible(threshold = 1e-3): number[] {
    const out: number[] = [];
    for (let k = 0; k < this.n; k++) if (this.post[k]! > threshold) out.push(k);
    return out;
  }

  /**
   * Up to `count` indices to test next, at the posterior quantiles q/(count+1). A test of i
   * separates k <= i from k > i. Skipped commits are avoided; the bad endpoint (N-1) is only
   * re-tested when flakiness makes that informative.
   */
  next(count = 1): number[] {
    const cdf: number[] = [];
    let acc = 0;
    for (let k = 0; k < this.n; k++) cdf.push((acc += this.post[k]!));
    const total = acc + this.post[this.n]!;
    const picks: number[] = [];
    for (let q = 1; q <= count; q++) {
      const target = (q / (count + 1)) * total;
      let best = -1;
      let bestScore = Infinity;
      for (let i = 0; i < this.n; i++) {
        if (this.skipped.has(i) || picks.includes(i)) continue;
        if (i === this.n - 1 && this.opts.flakeRate === 0) continue;
        if (this.opts.flakeRate === 0 && this.opts.passReliable && this.tested.has(i)) continue;
        const score = Math.abs(cdf[i]! - target);
        if (score < bestScore - 1e-12) {
          best = i;
          bestScore = score;
        }
      }
      if (best >= 0) picks.push(best);
    }
    // Nothing informative left (all remaining candidates skipped): stop.
    return picks.filter((i) => {
      const below = i === 0 ? 0 : cdf[i - 1]!;
      const split = cdf[i]!;
      return split > 1e-12 && split < total - 1e-12 ? true : below < total - 1e-12 && this.opts.flakeRate > 0;
    });
  }
}

/** Runs `git bisect` needs for N candidates (the bad endpoint included, good excluded). */
export function gitBisectSteps(n: number): number {
  return n <= 1 ? 0 : Math.ceil(Math.log2(n));
}
