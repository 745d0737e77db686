// A/B of learners over the shipped risk features on cached SZZ-labelled datasets
// (bench/risk-ab-cache.ts): the same labels, the same time-ordered 70/30 split, training labels
// known at the split, recency weights and class balance as `risk eval`; different learners.
//   node --import tsx bench/risk-learners.ts CACHEDIR repo1,repo2 [learner;learner...]
// Every hyper-parameter a learner has beyond its fixed configuration (the number of trees, the L2
// strength) is chosen by time-ordered validation inside the training window, never on the test window.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SENSITIVITY, type CommitFeatures, type FeatureName } from "../src/risk/features.js";
import { anchorToLA, insufficientLabels, timeSplit, train, weights, type Dataset } from "../src/risk/index.js";
import {
  auc,
  aucInterval,
  fitLogistic,
  MODEL_FEATURES,
  popt,
  predict,
  recallAt20,
  vectorize,
} from "../src/risk/model.js";
import { delong } from "./risk-stats.js";
import { fitBoost, predictBoost, treeValue as treeVal, type BoostOptions } from "../src/risk/boost.js";

const [dir, list, only] = process.argv.slice(2);

type Scorer = (c: CommitFeatures) => number;
type Learner = (trC: CommitFeatures[], trY: number[]) => { score: Scorer; note: string };

const FEATS = MODEL_FEATURES;
const SENS = new Set<string>(SENSITIVITY);
const X = (cs: CommitFeatures[]) => cs.map((c) => vectorize(c.values, FEATS));

/** Time-ordered validation folds inside the training window, as selectLambda: 75|25 and 50|75. */
function folds(n: number): [number, number][] {
  return [
    [Math.floor(n * 0.75), n],
    [Math.floor(n * 0.5), Math.floor(n * 0.75)],
  ];
}

/** Boosting with the number of trees chosen on the training window's newest 25% (and 50-75%). */
function boost(o: Partial<BoostOptions>, maxTrees = 600, step = 25, monotone = true): Learner {
  return (trC, trY) => {
    const mono = monotone ? FEATS.flatMap((f, j) => (SENS.has(f) ? [j] : [])) : [];
    const totals = new Map<number, number>();
    for (const [cut, end] of folds(trC.length)) {
      const a = trC.slice(0, cut);
      const ya = trY.slice(0, cut);
      const fit = fitBoost(X(a), ya, weights(a, ya), { ...o, trees: maxTrees, increasing: mono });
      const vx = X(trC.slice(cut, end));
      const vy = trY.slice(cut, end);
      const margins = vx.map(() => fit.base);
      for (let k = 0; k < maxTrees; k++) {
        const t = fit.trees[k]!;
        vx.forEach((x, i) => (margins[i]! += treeVal(t, x)));
        if ((k + 1) % step === 0) totals.set(k + 1, (totals.get(k + 1) ?? 0) + auc(margins, vy));
      }
    }
    let best = step;
    let bestA = -1;
    for (const [k, a] of totals) if (a > bestA + 1e-9) [best, bestA] = [k, a];
    const fit = fitBoost(X(trC), trY, weights(trC, trY), { ...o, trees: best, increasing: mono });
    return { score: (c) => sig(predictBoost(fit, vectorize(c.values, FEATS))), note: `trees ${best}` };
  };
}

/**
 * Boosting from the logistic model: the shipped logistic fit gives each commit a starting logit and
 * monotone trees fit what it leaves (interactions, thresholds). The number of trees, 0 included (the
 * logistic model alone), is chosen by the same time-ordered validation inside the training window.
 */
function hybrid(o: Partial<BoostOptions>, maxTrees = 300, step = 10): Learner {
  return (trC, trY) => {
    const mono = FEATS.flatMap((f, j) => (SENS.has(f) ? [j] : []));
    const logit = (m: ReturnType<typeof train>, c: CommitFeatures) => {
      const p = predict(m, c.values).p;
      return Math.log(Math.max(1e-12, p) / Math.max(1e-12, 1 - p));
    };
    const totals = new Map<number, number>();
    for (const [cut, end] of folds(trC.length)) {
      const a = trC.slice(0, cut);
      const ya = trY.slice(0, cut);
      const lm = train(a, ya, undefined, { anchor: false });
      const off = a.map((c) => logit(lm, c));
      const fit = fitBoost(X(a), ya, weights(a, ya), { ...o, trees: maxTrees, increasing: mono, offset: off });
      const v = trC.slice(cut, end);
      const vx = X(v);
      const vy = trY.slice(cut, end);
      const margins = v.map((c) => logit(lm, c));
      totals.set(0, (totals.get(0) ?? 0) + auc(margins, vy));
      for (let k = 0; k < maxTrees; k++) {
        const t = fit.trees[k]!;
        vx.forEach((x, i) => (margins[i]! += treeVal(t, x)));
        if ((k + 1) % step === 0) totals.set(k + 1, (totals.get(k + 1) ?? 0) + auc(margins, vy));
      }
    }
    let best = 0;
    let bestA = -1;
    for (const [k, a] of totals) if (a > bestA + 1e-9) [best, bestA] = [k, a];
    const lm = train(trC, trY, undefined, { anchor: false });
    const off = trC.map((c) => logit(lm, c));
    const fit = fitBoost(X(trC), trY, weights(trC, trY), { ...o, trees: best, increasing: mono, offset: off });
    return {
      score: (c) => sig(logit(lm, c) + predictBoost(fit, vectorize(c.values, FEATS))),
      note: `L2 ${lm.lambda}, trees ${best}`,
    };
  };
}

/**
 * GAM-like logistic model: the shipped features (log1p), a piecewise-linear spline of log LA (hinges
 * at the training window's LA quartiles and 90th percentile), and each other feature times log LA.
 * Sensitivity terms and their interactions with LA are constrained >= 0, so they can only raise risk.
 */
function gam(interactions: boolean, spline: boolean): Learner {
  return (trC, trY) => {
    const la = FEATS.indexOf("LA");
    const logLA = trC.map((c) => Math.log1p(c.values.LA)).sort((a, b) => a - b);
    const knots = [0.25, 0.5, 0.75, 0.9].map((q) => logLA[Math.floor(q * (logLA.length - 1))]!);
    const names: string[] = [...FEATS];
    if (spline) knots.forEach((_, k) => names.push(`LAh${k}`));
    if (interactions) FEATS.forEach((f, j) => j !== la && names.push(`LAx${f}`));
    const row = (c: CommitFeatures) => {
      const x = vectorize(c.values, FEATS);
      const l = x[la]!;
      if (spline) for (const k of knots) x.push(Math.max(0, l - k));
      if (interactions) FEATS.forEach((_, j) => j !== la && x.push(l * x[j]!));
      return x;
    };
    const nonNeg = names.filter((n) => SENS.has(n) || SENS.has(n.replace(/^LAx/, ""))) as FeatureName[];
    const fitL = (cs: CommitFeatures[], ys: number[], lambda: number) =>
      fitLogistic(cs.map(row), ys, weights(cs, ys), names as FeatureName[], lambda, nonNeg);
    const lambdas = [0.01, 0.1, 1, 10, 100, 1000];
    const scores = lambdas.map((lambda) => {
      let s = 0;
      for (const [cut, end] of folds(trC.length)) {
        const m = fitL(trC.slice(0, cut), trY.slice(0, cut), lambda);
        s += auc(
          trC.slice(cut, end).map((c) => lin(m, row(c))),
          trY.slice(cut, end),
        );
      }
      return s;
    });
    const best = Math.max(...scores);
    const lambda = lambdas.find((_, i) => scores[i]! >= best - 0.02)!; // 2 folds: AUC_TIE 0.01 each
    const m = fitL(trC, trY, lambda);
    return { score: (c) => sig(lin(m, row(c))), note: `L2 ${lambda}, ${names.length} terms` };
  };
}
function anchoredLearner(tie?: number): Learner {
  return (trC, trY) => {
    const full = train(trC, trY, undefined, { anchor: false });
    const la = train(trC, trY, ["LA"]);
    const { model, anchor } = anchorToLA(trC, trY, full, la, tie);
    return {
      score: (c) => predict(model, c.values).p,
      note: `alpha ${anchor.alpha} (validation ${anchor.validation.map((v) => v.auc.toFixed(3)).join(" ")})`,
    };
  };
}
/**
 * Label delay (dev-only exploration): a training commit labelled clean at the split may be buggy with
 * its fix still to come. Each clean-labelled training commit is weighted by the share of the
 * training window's known fix delays (fix time - commit time) that are shorter than its age at the
 * split: the probability its bug, if it had one, would have been found by then. Bug-introducing
 * commits keep weight 1. Then the fitted model (L2 as `train` chooses it), optionally anchored.
 */
const delayInfo: { fixedAt: number[]; known: number } = { fixedAt: [], known: 0 };
function delayWeighted(anchor: boolean, floor = 0.05): Learner {
  return (trC, trY) => {
    const delays = trC
      .flatMap((c, i) => (trY[i] && delayInfo.fixedAt[i]! <= delayInfo.known ? [delayInfo.fixedAt[i]! - c.time] : []))
      .sort((a, b) => a - b);
    const cdf = (x: number) => {
      let lo = 0;
      let hi = delays.length;
      while (lo < hi) {
        const m = (lo + hi) >> 1;
        if (delays[m]! <= x) lo = m + 1;
        else hi = m;
      }
      return delays.length ? lo / delays.length : 1;
    };
    const base = train(trC, trY, undefined, { anchor: false });
    const lambda = base.lambda ?? 1;
    const w0 = weights(trC, trY);
    const w = w0.map((v, i) => (trY[i] ? v : v * Math.max(floor, cdf(delayInfo.known - trC[i]!.time))));
    let m = { ...fitLogistic(X(trC), trY, w, FEATS, lambda), lambda };
    let note = `L2 ${lambda}`;
    if (anchor) {
      const a = anchorToLA(trC, trY, m, train(trC, trY, ["LA"]));
      m = { ...a.model, lambda };
      note += `, alpha ${a.anchor.alpha}`;
    }
    return { score: (c) => predict(m, c.values).p, note };
  };
}
const sig = (v: number) => 1 / (1 + Math.exp(-v));
function lin(m: ReturnType<typeof fitLogistic>, x: number[]): number {
  let s = m.intercept;
  x.forEach((v, j) => (s += m.coef[j]! * ((v - m.mean[j]!) / m.scale[j]!)));
  return s;
}

/**
 * Effort-aware linear regression (EALR, Kamei et al. 2013): ridge regression of Y / churn on the
 * features; its prediction is a risk per changed line, so it ranks small risky changes first.
 */
const ealr: Learner = (trC, trY) => {
  const xs = X(trC);
  const d = FEATS.length;
  const mean = new Array<number>(d).fill(0);
  const sd = new Array<number>(d).fill(0);
  xs.forEach((r) => r.forEach((v, j) => (mean[j]! += v / xs.length)));
  xs.forEach((r) => r.forEach((v, j) => (sd[j]! += (v - mean[j]!) ** 2 / xs.length)));
  for (let j = 0; j < d; j++) sd[j] = Math.sqrt(sd[j]!) || 1;
  const z = (r: number[]) => [1, ...r.map((v, j) => (v - mean[j]!) / sd[j]!)];
  const t = trC.map((c, i) => trY[i]! / Math.max(1, c.values.LA + c.values.LD));
  const A = Array.from({ length: d + 1 }, () => new Array<number>(d + 1).fill(0));
  const b = new Array<number>(d + 1).fill(0);
  xs.forEach((r, i) => {
    const zz = z(r);
    for (let j = 0; j <= d; j++) {
      b[j]! += zz[j]! * t[i]!;
      for (let k = 0; k <= d; k++) A[j]![k]! += zz[j]! * zz[k]!;
    }
  });
  for (let j = 1; j <= d; j++) A[j]![j]! += 1;
  const beta = gauss(A, b);
  return {
    score: (c) => {
      const zz = z(vectorize(c.values, FEATS));
      return zz.reduce((s, v, j) => s + v * beta[j]!, 0);
    },
    note: "density",
  };
};
function gauss(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((r, i) => [...r, b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[p]![c]!)) p = r;
    [M[c], M[p]] = [M[p]!, M[c]!];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r]![c]! / (M[c]![c]! || 1e-12);
      for (let k = c; k <= n; k++) M[r]![k]! -= f * M[c]![k]!;
    }
  }
  return M.map((r, i) => r[n]! / (M[i]![i]! || 1e-12));
}

/**
 * Stability over time inside the training window (never the test window): fit the shipped logistic
 * model (its features, the L2 strength `train` chooses on the whole window) on time-ordered
 * sub-windows of the training window, and drop every feature whose coefficient takes the opposite
 * sign to the whole-window fit in more than the allowed share of them; then `train` again on the
 * features left. `windows` are [from, to) shares of the training window; a sub-window without 10
 * bug-introducing commits and 10 others is skipped.
 */
function stable(windows: (n: number) => [number, number][], minAgree: number, minZ = 0): Learner {
  return (trC, trY) => {
    const full = train(trC, trY, undefined, { anchor: false });
    const lambda = full.lambda ?? 1;
    const agree = new Array<number>(FEATS.length).fill(0);
    const coefs: number[][] = [];
    let used = 0;
    for (const [a, b] of windows(trC.length)) {
      const c = trC.slice(a, b);
      const y = trY.slice(a, b);
      const pos = y.reduce((s, v) => s + v, 0);
      if (pos < 10 || c.length - pos < 10) continue;
      const m = fitLogistic(X(c), y, weights(c, y), FEATS, lambda);
      used++;
      coefs.push(m.coef);
      m.coef.forEach((k, j) => {
        if (k * full.coef[j]! >= 0) agree[j]!++;
      });
    }
    // size: the mean over the sub-windows in units of its spread over them (0: sign agreement only)
    const z = FEATS.map((_, j) => {
      const v = coefs.map((c) => c[j]!);
      const mu = v.reduce((a, b) => a + b, 0) / (v.length || 1);
      const sd = Math.sqrt(v.reduce((a, b) => a + (b - mu) ** 2, 0) / Math.max(1, v.length - 1));
      return sd > 0 ? Math.abs(mu) / sd : mu === 0 ? 0 : Infinity;
    });
    const keep = FEATS.filter(
      (_, j) => !used || (agree[j]! / used >= minAgree - 1e-9 && (minZ === 0 || full.coef[j] === 0 || z[j]! >= minZ)),
    );
    const dropped = FEATS.filter((f) => !keep.includes(f));
    const m = keep.length === FEATS.length ? full : train(trC, trY, keep, { anchor: false });
    return {
      score: (c) => predict(m, c.values).p,
      note: `L2 ${m.lambda}, ${used} windows, dropped ${dropped.join(" ") || "none"}`,
    };
  };
}
/** The logistic model fitted without the training window's newest `share` (labels not yet found). */
function mature(trC: CommitFeatures[], trY: number[], share: number): { score: Scorer; note: string } {
  const n = Math.floor(trC.length * (1 - share));
  const m = train(trC.slice(0, n), trY.slice(0, n), undefined, { anchor: false });
  const ndev = m.coef[FEATS.indexOf("NDEV")]!;
  return { score: (c) => predict(m, c.values).p, note: `L2 ${m.lambda}, NDEV ${ndev.toFixed(2)}` };
}
const consecutive =
  (k: number) =>
  (n: number): [number, number][] =>
    Array.from({ length: k }, (_, i) => [Math.floor((i * n) / k), Math.floor(((i + 1) * n) / k)]);
/** `b` contiguous windows of half the training window at evenly spaced starts (deterministic). */
const sliding =
  (b: number) =>
  (n: number): [number, number][] =>
    Array.from({ length: b }, (_, i) => {
      const start = Math.floor((i * (n - Math.floor(n / 2))) / (b - 1));
      return [start, start + Math.floor(n / 2)];
    });

const learners: Record<string, Learner> = {
  LA: (trC, trY) => {
    const m = train(trC, trY, ["LA"]);
    return { score: (c) => predict(m, c.values).p, note: "" };
  },
  // the fitted logistic model alone (shipped until the guard below)
  logistic: (trC, trY) => {
    const m = train(trC, trY, undefined, { anchor: false });
    return { score: (c) => predict(m, c.values).p, note: `L2 ${m.lambda}` };
  },
  // `risk train` now: the fitted model shrunk toward lines added by validation inside the window
  anchored: anchoredLearner(),
  "anchored tie0": anchoredLearner(0),
  delay: delayWeighted(false),
  "delay anchored": delayWeighted(true),
  "anchored tie.005": anchoredLearner(0.005),
  "anchored tie.01": anchoredLearner(0.01),
  "anchored tie.02": anchoredLearner(0.02),
  "gbt d2": boost({ depth: 2, learningRate: 0.05 }),
  "gbt d3": boost({ depth: 3, learningRate: 0.05 }),
  "gbt d2 mc5%": boost({ depth: 2, learningRate: 0.05, minChildShare: 0.05 }),
  "gbt d3 mc5%": boost({ depth: 3, learningRate: 0.05, minChildShare: 0.05 }),
  "gbt d2 mc5% s10": boost({ depth: 2, learningRate: 0.05, minChildShare: 0.05 }, 600, 10),
  "gbt d3 mc5% s10": boost({ depth: 3, learningRate: 0.05, minChildShare: 0.05 }, 600, 10),
  "gbt d3 mc5% s10 free": boost({ depth: 3, learningRate: 0.05, minChildShare: 0.05 }, 600, 10, false),
  "gbt d2 mc10%": boost({ depth: 2, learningRate: 0.05, minChildShare: 0.1 }),
  "gbt d2 lr.1 mc5%": boost({ depth: 2, learningRate: 0.1, minChildShare: 0.05 }),
  "gbt d2 lr.02 mc5%": boost({ depth: 2, learningRate: 0.02, minChildShare: 0.05 }, 1500, 50),
  "gbt d2 mc5% lam10": boost({ depth: 2, learningRate: 0.05, minChildShare: 0.05, lambda: 10 }),
  "logistic+gbt d2 mc5%": (trC, trY) => {
    const a = learners.logistic!(trC, trY);
    const b = learners["gbt d2 mc5%"]!(trC, trY);
    const logit = (p: number) => Math.log(p / (1 - p));
    return { score: (c) => sig((logit(a.score(c)) + logit(b.score(c))) / 2), note: `${a.note}, ${b.note}` };
  },
  "logistic+trees d2": hybrid({ depth: 2, learningRate: 0.05, minChildShare: 0.05 }),
  "logistic+trees d3": hybrid({ depth: 3, learningRate: 0.05, minChildShare: 0.05 }),
  "logistic+trees d2 lr.02": hybrid({ depth: 2, learningRate: 0.02, minChildShare: 0.05 }),
  "select LA/logistic/gbt": (trC, trY) => select(trC, trY, ["LA", "logistic", "gbt d3 mc5% s10"]),
  "select LA/logistic": (trC, trY) => select(trC, trY, ["LA", "logistic"]),
  "gam spline": gam(false, true),
  "gam LAx": gam(true, false),
  "gam spline+LAx": gam(true, true),
  ealr,
  "stab halves": stable(consecutive(2), 1),
  "stab k3 all": stable(consecutive(3), 1),
  "stab k4 all": stable(consecutive(4), 1),
  "stab k4 3/4": stable(consecutive(4), 0.75),
  "stab slide9 .8": stable(sliding(9), 0.8),
  "stab slide9 all": stable(sliding(9), 1),
  "stab slide9 .7": stable(sliding(9), 0.7),
  "stab slide5 .8": stable(sliding(5), 0.8),
  "stab slide9 z1": stable(sliding(9), 0, 1),
  "stab slide9 z2": stable(sliding(9), 0, 2),
  // post-hoc lead (dev only): leave out the training window's newest share, whose labels are immature
  "mature 20%": (trC, trY) => mature(trC, trY, 0.2),
  "mature 35%": (trC, trY) => mature(trC, trY, 0.35),
};

/**
 * Choose among learners by the same time-ordered validation inside the training window (each
 * learner tunes itself inside each fold's own training part): the highest mean validation AUC wins;
 * within 0.005 of it the simplest, in the order given, wins.
 */
function select(trC: CommitFeatures[], trY: number[], names: string[]): { score: Scorer; note: string } {
  const mean = names.map((n) => {
    let s = 0;
    for (const [cut, end] of folds(trC.length)) {
      const m = learners[n]!(trC.slice(0, cut), trY.slice(0, cut));
      s += auc(trC.slice(cut, end).map(m.score), trY.slice(cut, end));
    }
    return s / 2;
  });
  const best = Math.max(...mean);
  const k = mean.findIndex((a) => a >= best - 0.005);
  const chosen = learners[names[k]!]!(trC, trY);
  return { score: chosen.score, note: `${names[k]} (validation ${mean.map((a) => a.toFixed(3)).join(" / ")})` };
}

/** AUC inside five equal-count bands of LA, pooled over the bands (pairs weighted): ranking beyond size. */
function sizeBandAuc(s: number[], y: number[], la: number[]): number {
  const idx = la.map((_, i) => i).sort((a, b) => la[a]! - la[b]!);
  let num = 0;
  let den = 0;
  for (let q = 0; q < 5; q++) {
    const band = idx.slice(Math.floor((q * idx.length) / 5), Math.floor(((q + 1) * idx.length) / 5));
    const yy = band.map((i) => y[i]!);
    const pos = yy.reduce((a, b) => a + b, 0);
    const pairs = pos * (band.length - pos);
    if (!pairs) continue;
    num +=
      pairs *
      auc(
        band.map((i) => s[i]!),
        yy,
      );
    den += pairs;
  }
  return den ? num / den : 0.5;
}

for (const r of list!.split(",")) {
  const ds = JSON.parse(readFileSync(join(dir!, `${r}.json`), "utf8")) as Dataset;
  ds.fixedAt = ds.fixedAt.map((t) => (t >= 1e300 ? Infinity : t));
  ds.labelledFrom = ds.labelledFrom <= -1e300 ? -Infinity : ds.labelledFrom;
  const { trI, teI, known } = timeSplit(ds);
  const trC = trI.map((i) => ds.commits[i]!);
  const trY = trI.map((i): number => (ds.labels[i] && ds.fixedAt[i]! <= known ? 1 : 0));
  const teC = teI.map((i) => ds.commits[i]!);
  const teY = teI.map((i) => ds.labels[i]!);
  const pos = teY.reduce((a, b) => a + b, 0);
  const churn = teC.map((c) => c.values.LA + c.values.LD);
  const la = teC.map((c) => c.values.LA);
  const buggyTrain = trY.reduce((a, b) => a + b, 0);
  delayInfo.fixedAt = trI.map((i) => ds.fixedAt[i]!);
  delayInfo.known = known;
  console.log(`${r}: train ${trC.length} (${buggyTrain}) test ${teC.length} (${pos})`);
  // the minimum-label rule of `risk eval`: no AUC is quoted below it
  const insufficient = insufficientLabels(buggyTrain, pos);
  if (insufficient) {
    console.log(`  ${insufficient}`);
    continue;
  }
  const ref: Record<string, number[]> = {};
  for (const [name, learner] of Object.entries(learners)) {
    if (only && !only.split(";").includes(name)) continue;
    const t0 = process.cpuUsage();
    const { score, note } = learner(trC, trY);
    const s = teC.map(score);
    const cpu = process.cpuUsage(t0);
    // effort-aware measures rank by score per changed line; for EALR the score is already a density
    const effS = name === "ealr" ? s.map((v, i) => v * Math.max(1, churn[i]!)) : s;
    const a = auc(s, teY);
    const [lo, hi] = aucInterval(a, pos, teY.length - pos);
    if (name === "LA" || name === "logistic") ref[name] = s;
    const vs = Object.entries(ref)
      .filter(([k]) => k !== name)
      .map(([k, b]) => {
        const d = delong(s, b, teY);
        return `vs ${k} ${d.diff >= 0 ? "+" : ""}${d.diff.toFixed(3)} (p ${d.p.toFixed(3)})`;
      })
      .join(", ");
    console.log(
      `  ${name.padEnd(16)} AUC ${a.toFixed(3)} (${lo.toFixed(2)}–${hi.toFixed(2)})  in-size-band ${sizeBandAuc(s, teY, la).toFixed(3)}  recall@20% ${recallAt20(effS, teY, churn).toFixed(3)}  Popt ${popt(effS, teY, churn).toFixed(3)}  ${vs}  ${note}  cpu ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s`,
    );
  }
}
