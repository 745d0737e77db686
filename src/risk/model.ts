import { DEFECT_HISTORY, KAMEI, SENSITIVITY, type FeatureName } from "./features.js";

/** A logistic-regression model as stored in `.gitops-health/risk-model.json`. */
export interface RiskModel {
  version: 1;
  kind: "logistic";
  features: FeatureName[];
  /** transform applied before standardising */
  transform: "log1p";
  mean: number[];
  scale: number[];
  coef: number[];
  intercept: number;
  /** L2 strength chosen at training time and the recency half-life of the sample weights */
  lambda?: number;
  halfLifeDays?: number;
  trainedOn?: {
    repository?: string;
    from?: string;
    to?: string;
    commits: number;
    buggy: number;
    fixes?: number;
    fixesFound?: number;
  };
  metrics?: Record<string, number>;
  /**
   * How far the fitted model was shrunk toward the lines-added-only model (see anchorToLA): the
   * share `alpha` of the full model kept (1 = the fitted model, 0 = lines added alone), and why.
   */
  anchor?: Anchor;
}

/** The choice between the fitted model and lines added, made inside the training window. */
export interface Anchor {
  alpha: number;
  kept: "fitted model" | "lines added" | "fitted model shrunk toward lines added";
  /** mean validation AUC of each share tried (time-ordered folds inside the training window) */
  validation: { alpha: number; auc: number }[];
  reason: string;
}

/**
 * The blend alpha * full + (1 - alpha) * lines-added-only, as one logistic model over the full
 * model's features: the LA-only model's coefficient is re-expressed in the full model's
 * standardisation of LA, so the blend is again a plain logistic model (same file format). Its
 * logit is exactly the weighted sum of the two models' logits. Sensitivity coefficients stay >= 0
 * (both models' are).
 */
export function blendWithLA(full: RiskModel, la: RiskModel, alpha: number): RiskModel {
  const j = full.features.indexOf("LA");
  const k = la.features.indexOf("LA");
  if (j < 0 || k < 0 || la.features.length !== 1) throw new Error("blendWithLA: needs LA in both models");
  const c = la.coef[k]! / la.scale[k]!;
  const coef = full.coef.map((b, i) => alpha * b + (i === j ? (1 - alpha) * c * full.scale[j]! : 0));
  const intercept = alpha * full.intercept + (1 - alpha) * (la.intercept + c * (full.mean[j]! - la.mean[k]!));
  return { ...full, coef, intercept };
}

/**
 * Redundancy analysis as in Kamei et al. (2013): of each pair whose Spearman |rho| was >= 0.8 in
 * all three development histories, one is dropped — ND and Entropy (~NF, rho 0.87-1.00),
 * NUC (~NDEV, 0.83-0.93), REXP and SEXP (~EXP, 0.85-0.99). Collinear features split one effect
 * into opposite-signed contributions, which makes `risk score --explain` misleading.
 */
export const REDUNDANT: readonly FeatureName[] = ["ND", "Entropy", "NUC", "REXP", "SEXP"];
export const MODEL_FEATURES: FeatureName[] = [...KAMEI.filter((f) => !REDUNDANT.includes(f)), ...SENSITIVITY];

/**
 * The history-of-defects features (PFS, AFIX) are computed but not in the model: on the histories
 * they were chosen on they raised the AUC by 0.001-0.017, on the five histories not used to choose
 * them they lowered it by 0.001-0.012 (docs/BENCHMARKS.md, "Risk: history-of-defects features"),
 * so the gain did not carry over. `npm run bench -- risk` keeps measuring them (MODEL_FEATURES
 * plus DEFECT_HISTORY) against the shipped set.
 */
export const WITH_DEFECT_HISTORY: FeatureName[] = [...MODEL_FEATURES, ...DEFECT_HISTORY];

export function vectorize(values: Record<FeatureName, number>, features: FeatureName[]): number[] {
  return features.map((f) => Math.log1p(Math.max(0, values[f] ?? 0)));
}

/**
 * Features that can raise risk, never lower it: touching authentication, cryptography, migrations,
 * infrastructure or policy, changing code without tests, and the configured critical-path tier.
 * Their coefficients are constrained to be non-negative in every fit (see fitLogistic) and clamped
 * at zero when a stored model is applied, so no model (an old one included) can make a change
 * look safer for touching the login code.
 */
export const NON_NEGATIVE: readonly FeatureName[] = SENSITIVITY;

/**
 * L2-regularised logistic regression fitted by Newton's method (IRLS) on standardised
 * features, with per-sample weights (recency decay and class balance). Coefficients of the
 * `nonNegative` features are kept >= 0 by clamp-and-refit (an active-set method): fit, pin every
 * constrained coefficient that came out negative at zero, refit the rest, and repeat until none is
 * negative; a pinned feature whose gradient would then push it upwards is released again.
 */
export function fitLogistic(
  X: number[][],
  y: number[],
  w: number[],
  features: FeatureName[],
  lambda = 1,
  nonNegative: readonly FeatureName[] = NON_NEGATIVE,
): RiskModel {
  const constrained = features.map((f) => nonNegative.includes(f));
  const pinned = new Set<number>();
  let model = fitPinned(X, y, w, features, lambda, pinned);
  for (let round = 0; round < features.length + 1; round++) {
    let changed = false;
    model.coef.forEach((c, j) => {
      if (constrained[j] && !pinned.has(j) && c < -1e-9) {
        pinned.add(j);
        changed = true;
      }
    });
    if (!changed) {
      // KKT: release a pinned coefficient whose gradient at zero points upwards.
      const g = model.gradient ?? [];
      for (const j of [...pinned])
        if ((g[j] ?? 0) > 1e-6) {
          pinned.delete(j);
          changed = true;
        }
    }
    if (!changed) break;
    model = fitPinned(X, y, w, features, lambda, pinned);
  }
  const { gradient: _g, ...out } = model;
  return out;
}

function fitPinned(
  X: number[][],
  y: number[],
  w: number[],
  features: FeatureName[],
  lambda: number,
  pinned: Set<number>,
): RiskModel & { gradient?: number[] } {
  const n = X.length;
  const d = features.length;
  const mean = new Array<number>(d).fill(0);
  const scale = new Array<number>(d).fill(0);
  const wsum = w.reduce((a, b) => a + b, 0) || 1;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += (w[i]! * X[i]![j]!) / wsum;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) scale[j]! += (w[i]! * (X[i]![j]! - mean[j]!) ** 2) / wsum;
  for (let j = 0; j < d; j++) scale[j] = Math.sqrt(scale[j]!) || 1;
  const Z = X.map((r) => [1, ...r.map((v, j) => (v - mean[j]!) / scale[j]!)]);
  const beta = new Array<number>(d + 1).fill(0);
  let lastGradient: number[] = [];
  for (let iter = 0; iter < 25; iter++) {
    const g = new Array<number>(d + 1).fill(0);
    const H = Array.from({ length: d + 1 }, () => new Array<number>(d + 1).fill(0));
    for (let i = 0; i < n; i++) {
      const z = Z[i]!;
      let s = 0;
      for (let j = 0; j <= d; j++) s += beta[j]! * z[j]!;
      const p = 1 / (1 + Math.exp(-s));
      const r = w[i]! * (y[i]! - p);
      const v = w[i]! * p * (1 - p);
      for (let j = 0; j <= d; j++) {
        g[j]! += r * z[j]!;
        const vz = v * z[j]!;
        for (let k = j; k <= d; k++) H[j]![k]! += vz * z[k]!;
      }
    }
    for (let j = 0; j <= d; j++) {
      for (let k = 0; k < j; k++) H[j]![k] = H[k]![j]!;
      if (j > 0) {
        g[j]! -= lambda * beta[j]!;
        H[j]![j]! += lambda;
      }
      H[j]![j]! += 1e-9;
    }
    lastGradient = g.slice(1);
    // Pinned coefficients stay at zero: their rows and columns drop out of the Newton system.
    for (const j of pinned) {
      for (let k = 0; k <= d; k++) H[j + 1]![k] = H[k]![j + 1] = 0;
      H[j + 1]![j + 1] = 1;
      g[j + 1] = 0;
    }
    const step = solve(H, g);
    let change = 0;
    for (let j = 0; j <= d; j++) {
      beta[j]! += step[j]!;
      change = Math.max(change, Math.abs(step[j]!));
    }
    if (change < 1e-7) break;
  }
  return {
    version: 1,
    kind: "logistic",
    features,
    transform: "log1p",
    mean,
    scale,
    coef: beta.slice(1),
    intercept: beta[0]!,
    gradient: lastGradient,
  };
}

function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((r, i) => [...r, b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[p]![c]!)) p = r;
    [M[c], M[p]] = [M[p]!, M[c]!];
    const piv = M[c]![c]! || 1e-12;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r]![c]! / piv;
      if (f === 0) continue;
      for (let k = c; k <= n; k++) M[r]![k]! -= f * M[c]![k]!;
    }
  }
  return M.map((r, i) => r[n]! / (M[i]![i]! || 1e-12));
}

/** Probability plus each feature's contribution to the logit (coefficient × standardised value). */
export function predict(
  model: RiskModel,
  values: Record<FeatureName, number>,
): { p: number; contributions: { name: FeatureName; value: number; contribution: number }[] } {
  const x = vectorize(values, model.features);
  let logit = model.intercept;
  const contributions = model.features.map((name, j) => {
    // A sensitivity feature never lowers risk, whatever the stored model says (see NON_NEGATIVE).
    const coef = NON_NEGATIVE.includes(name) ? Math.max(0, model.coef[j]!) : model.coef[j]!;
    const c = coef * ((x[j]! - model.mean[j]!) / model.scale[j]!);
    logit += c;
    return { name, value: values[name] ?? 0, contribution: c };
  });
  return {
    p: 1 / (1 + Math.exp(-logit)),
    contributions: contributions.sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution)),
  };
}

/**
 * How far a model's scores spread over a sample of commits: the 10th to 90th percentile of the
 * 0-100 score. A model whose scores barely move (all 36-59, say) puts nearly everything in one
 * level and carries no information for a deployment decision.
 */
export function scoreSpread(
  model: RiskModel,
  values: Record<FeatureName, number>[],
): { p10: number; p90: number; spread: number } {
  const s = values.map((v) => 100 * predict(model, v).p).sort((a, b) => a - b);
  if (!s.length) return { p10: 0, p90: 0, spread: 0 };
  const q = (f: number) => s[Math.min(s.length - 1, Math.floor(f * s.length))]!;
  return { p10: Math.round(q(0.1)), p90: Math.round(q(0.9)), spread: Math.round(q(0.9) - q(0.1)) };
}

/** Below this 10-90 percentile spread (score points) a model is said to have collapsed. */
export const MIN_SPREAD = 25;

// ---------------------------------------------------------------- evaluation

export function auc(scores: number[], labels: number[]): number {
  const idx = scores.map((s, i) => [s, labels[i]!] as const).sort((a, b) => a[0] - b[0]);
  let rankSum = 0;
  let pos = 0;
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j < idx.length && idx[j]![0] === idx[i]![0]) j++;
    const avg = (i + j + 1) / 2;
    for (let k = i; k < j; k++)
      if (idx[k]![1] === 1) {
        rankSum += avg;
        pos++;
      }
    i = j;
  }
  const neg = idx.length - pos;
  return pos && neg ? (rankSum - (pos * (pos + 1)) / 2) / (pos * neg) : 0.5;
}

/**
 * 95% interval for an AUC from its positives and negatives (Hanley & McNeil 1982): with a handful
 * of bug-introducing commits in the test window the AUC is too uncertain to rank two models.
 */
export function aucInterval(a: number, pos: number, neg: number): [number, number] {
  if (!pos || !neg) return [0, 1];
  const q1 = a / (2 - a);
  const q2 = (2 * a * a) / (1 + a);
  const se = Math.sqrt((a * (1 - a) + (pos - 1) * (q1 - a * a) + (neg - 1) * (q2 - a * a)) / (pos * neg));
  return [Math.max(0, a - 1.96 * se), Math.min(1, a + 1.96 * se)];
}

export function mcc(pred: number[], labels: number[]): number {
  let tp = 0,
    tn = 0,
    fp = 0,
    fn = 0;
  pred.forEach((p, i) => {
    if (p && labels[i]) tp++;
    else if (p) fp++;
    else if (labels[i]) fn++;
    else tn++;
  });
  const d = Math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn));
  return d ? (tp * tn - fp * fn) / d : 0;
}

/** Effort-aware ranking: risk density (probability per changed line), as in Kamei et al. */
function effortOrder(scores: number[], churn: number[]): number[] {
  return scores
    .map((s, i) => i)
    .sort((a, b) => scores[b]! / Math.max(1, churn[b]!) - scores[a]! / Math.max(1, churn[a]!));
}

/** Share of buggy commits found when inspecting the top-ranked commits up to 20% of all changed lines. */
export function recallAt20(scores: number[], labels: number[], churn: number[]): number {
  const total = churn.reduce((a, b) => a + Math.max(1, b), 0);
  const buggy = labels.reduce((a, b) => a + b, 0);
  let spent = 0;
  let found = 0;
  for (const i of effortOrder(scores, churn)) {
    spent += Math.max(1, churn[i]!);
    if (spent > 0.2 * total) break;
    found += labels[i]!;
  }
  return buggy ? found / buggy : 0;
}

/** Popt: 1 - (area(optimal) - area(model)) / (area(optimal) - area(worst)) of the effort-recall curve. */
export function popt(scores: number[], labels: number[], churn: number[]): number {
  const area = (order: number[]) => {
    const total = order.reduce((a, i) => a + Math.max(1, churn[i]!), 0);
    const buggy = labels.reduce((a, b) => a + b, 0) || 1;
    let y = 0;
    let a = 0;
    for (const i of order) {
      const dx = Math.max(1, churn[i]!) / total;
      const ny = y + labels[i]! / buggy;
      a += (dx * (y + ny)) / 2;
      y = ny;
    }
    return a;
  };
  const idx = labels.map((_, i) => i);
  const dens = (i: number) => labels[i]! / Math.max(1, churn[i]!);
  const optimal = [...idx].sort((a, b) => dens(b) - dens(a));
  const worst = [...idx].sort((a, b) => dens(a) - dens(b));
  const o = area(optimal);
  const w = area(worst);
  return o - w > 0 ? 1 - (o - area(effortOrder(scores, churn))) / (o - w) : 0;
}
