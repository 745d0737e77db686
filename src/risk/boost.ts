/**
 * Gradient-boosted shallow trees for the logistic loss (Friedman 2001, with the second-order leaf
 * values and split gain of XGBoost, Chen & Guestrin 2016), small and dependency-free. Features are
 * pre-binned at training-set quantiles, so a split is a threshold between two bin edges.
 *
 * Monotone constraints: a feature listed in `increasing` can only raise the score. As in XGBoost,
 * a split on it is kept only when the left (lower) child's value is <= the right child's, and the
 * midpoint becomes an upper bound for every leaf under the left child and a lower bound under the
 * right one; so each tree, and their sum, is non-decreasing in that feature whatever the others are.
 *
 * Not used by `risk train`/`eval`/`score`: over the shipped features it beat the logistic model on
 * the development histories and lost to it, and to lines added, on histories not used to choose it
 * (docs/BENCHMARKS.md, "Risk: a non-linear learner"). `bench/risk-learners.ts` keeps measuring it.
 */

export interface BoostTree {
  /** internal nodes: feature index, threshold (go left when x <= threshold), children */
  f: number[];
  t: number[];
  l: number[];
  r: number[];
  /** leaf value for a leaf node (f = -1), already multiplied by the learning rate */
  v: number[];
}

export interface BoostOptions {
  depth: number;
  trees: number;
  learningRate: number;
  /** L2 penalty on leaf values */
  lambda: number;
  /** minimum hessian weight (sum of w p (1-p)) per child, relative to the total */
  minChildShare: number;
  bins: number;
  /** indices of features the score must be non-decreasing in */
  increasing: number[];
  /**
   * A starting margin per row (for example a linear model's logit): the trees then fit what it
   * leaves, the fit's base is 0 and the caller adds the same offset when predicting.
   */
  offset?: number[];
}

export const BOOST_DEFAULTS: BoostOptions = {
  depth: 2,
  trees: 200,
  learningRate: 0.05,
  lambda: 1,
  minChildShare: 0.01,
  bins: 32,
  increasing: [],
};

export interface BoostFit {
  base: number;
  trees: BoostTree[];
}

/**
 * Candidate thresholds of each feature ("x <= t" goes left): with few distinct values (flags, small
 * counts) the midpoints between them, otherwise the training set's distinct `bins`-quantiles.
 */
function thresholds(X: number[][], d: number, bins: number): number[][] {
  const out: number[][] = [];
  for (let j = 0; j < d; j++) {
    const col = X.map((r) => r[j]!).sort((a, b) => a - b);
    const distinct = [...new Set(col)];
    const th: number[] = [];
    if (distinct.length <= bins) {
      for (let k = 0; k + 1 < distinct.length; k++) th.push((distinct[k]! + distinct[k + 1]!) / 2);
    } else {
      const top = distinct[distinct.length - 1]!;
      const cuts = new Set<number>();
      for (let b = 1; b < bins; b++) cuts.add(col[Math.floor((b * col.length) / bins)]!);
      th.push(...[...cuts].filter((c) => c < top).sort((a, b) => a - b));
    }
    out.push(th);
  }
  return out;
}

function binIndex(th: number[], x: number): number {
  let lo = 0;
  let hi = th.length;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (x <= th[m]!) hi = m;
    else lo = m + 1;
  }
  return lo; // 0..th.length
}

export function predictBoost(fit: BoostFit, x: number[], upTo = fit.trees.length): number {
  let s = fit.base;
  for (let k = 0; k < upTo; k++) s += treeValue(fit.trees[k]!, x);
  return s;
}

export function treeValue(t: BoostTree, x: number[]): number {
  let n = 0;
  while (t.f[n]! >= 0) n = x[t.f[n]!]! <= t.t[n]! ? t.l[n]! : t.r[n]!;
  return t.v[n]!;
}

/**
 * Fit on rows X (already transformed), labels y in {0,1} and sample weights w. `onTree` sees the
 * margin after each tree (for early stopping on a validation set by the caller).
 */
export function fitBoost(X: number[][], y: number[], w: number[], opts: Partial<BoostOptions> = {}): BoostFit {
  const o = { ...BOOST_DEFAULTS, ...opts };
  const n = X.length;
  const d = n ? X[0]!.length : 0;
  const th = thresholds(X, d, o.bins);
  const B = X.map((r) => r.map((v, j) => binIndex(th[j]!, v)));
  const inc = new Set(o.increasing);
  let sp = 0;
  let sw = 0;
  for (let i = 0; i < n; i++) {
    sp += w[i]! * y[i]!;
    sw += w[i]!;
  }
  const prior = Math.min(1 - 1e-6, Math.max(1e-6, sp / (sw || 1)));
  const base = o.offset ? 0 : Math.log(prior / (1 - prior));
  const F = o.offset ? o.offset.slice(0, n) : new Array<number>(n).fill(base);
  const g = new Array<number>(n).fill(0);
  const h = new Array<number>(n).fill(0);
  const trees: BoostTree[] = [];
  for (let k = 0; k < o.trees; k++) {
    let hTot = 0;
    for (let i = 0; i < n; i++) {
      const p = 1 / (1 + Math.exp(-F[i]!));
      g[i] = w[i]! * (p - y[i]!);
      h[i] = w[i]! * Math.max(p * (1 - p), 1e-6);
      hTot += h[i]!;
    }
    const minH = o.minChildShare * hTot;
    const tree: BoostTree = { f: [], t: [], l: [], r: [], v: [] };
    const leafOf = new Array<number>(n).fill(0);
    const grow = (rows: number[], depth: number, lo: number, hi: number): number => {
      const id = tree.f.length;
      tree.f.push(-1);
      tree.t.push(0);
      tree.l.push(-1);
      tree.r.push(-1);
      tree.v.push(0);
      let G = 0;
      let H = 0;
      for (const i of rows) {
        G += g[i]!;
        H += h[i]!;
      }
      const leaf = Math.min(hi, Math.max(lo, -G / (H + o.lambda)));
      let best: { gain: number; j: number; b: number; wl: number; wr: number } | undefined;
      if (depth < o.depth && H >= 2 * minH) {
        const parentScore = (G * G) / (H + o.lambda);
        for (let j = 0; j < d; j++) {
          const nb = th[j]!.length + 1;
          if (nb < 2) continue;
          const hg = new Float64Array(nb);
          const hh = new Float64Array(nb);
          for (const i of rows) {
            const b = B[i]![j]!;
            hg[b]! += g[i]!;
            hh[b]! += h[i]!;
          }
          let GL = 0;
          let HL = 0;
          for (let b = 0; b + 1 < nb; b++) {
            GL += hg[b]!;
            HL += hh[b]!;
            const GR = G - GL;
            const HR = H - HL;
            if (HL < minH || HR < minH) continue;
            let wl = -GL / (HL + o.lambda);
            let wr = -GR / (HR + o.lambda);
            if (inc.has(j) && wl > wr) continue;
            wl = Math.min(hi, Math.max(lo, wl));
            wr = Math.min(hi, Math.max(lo, wr));
            // gain with the (possibly clamped) leaf values: -(2 G w + (H + lambda) w^2) summed
            const score = (gg: number, hh2: number, v: number) => -(2 * gg * v + (hh2 + o.lambda) * v * v);
            const gain = score(GL, HL, wl) + score(GR, HR, wr) - parentScore;
            if (gain > 1e-12 && (!best || gain > best.gain)) best = { gain, j, b, wl, wr };
          }
        }
      }
      if (!best) {
        tree.v[id] = o.learningRate * leaf;
        for (const i of rows) leafOf[i] = id;
        return id;
      }
      const { j, b } = best;
      tree.f[id] = j;
      tree.t[id] = th[j]![b]!;
      const left: number[] = [];
      const right: number[] = [];
      for (const i of rows) (B[i]![j]! <= b ? left : right).push(i);
      let lHi = hi;
      let rLo = lo;
      if (inc.has(j)) {
        const mid = (best.wl + best.wr) / 2;
        lHi = Math.min(hi, mid);
        rLo = Math.max(lo, mid);
      }
      tree.l[id] = grow(left, depth + 1, lo, lHi);
      tree.r[id] = grow(right, depth + 1, rLo, hi);
      return id;
    };
    grow(
      Array.from({ length: n }, (_, i) => i),
      0,
      -Infinity,
      Infinity,
    );
    for (let i = 0; i < n; i++) F[i]! += tree.v[leafOf[i]!]!;
    trees.push(tree);
  }
  return { base, trees };
}
