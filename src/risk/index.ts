import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { UserError } from "../core/errors.js";
import { packagePath } from "../core/paths.js";
import { git, repoRoot } from "../git/exec.js";
import { streamDiff } from "../git/diff.js";
import type { Config } from "../config/schema.js";
import { extractFeatures, type CommitFeatures, type FeatureName } from "./features.js";
import { changeFeatures, commitAsChange } from "./target.js";
import {
  auc,
  blendWithLA,
  fitLogistic,
  mcc,
  MIN_SPREAD,
  MODEL_FEATURES,
  popt,
  predict,
  recallAt20,
  scoreSpread,
  vectorize,
  type RiskModel,
} from "./model.js";
import { CONVENTIONAL_COMMITS, withOverride, type Convention } from "../commit/convention.js";
import { historyDepth, szz } from "./szz.js";

export type { RiskModel } from "./model.js";
export type RiskLevel = "LOW" | "MEDIUM" | "HIGH" | "CRITICAL";

export interface RiskFactor {
  name: string;
  value: number;
  /** contribution to the logit; sorted by size, largest first */
  contribution: number;
  explanation?: string;
}

export interface RiskResult {
  /** max(likelihood, the impact floor's score) */
  score: number; // 0-100
  level: RiskLevel;
  /** the model's defect likelihood, 0-100 */
  likelihood: number;
  /**
   * Impact: the highest configured critical-path tier the change touches (1 = most critical) and
   * the level it guarantees at least (tier 1 HIGH, tier 2 MEDIUM, tier 3 none).
   */
  impact?: { tier: number; floor?: RiskLevel };
  factors: RiskFactor[];
  strategy: "standard" | "canary" | "blue-green";
  approvals: number;
  model: string;
  declared?: RiskLevel;
  declaredBelowComputed?: boolean;
  warnings?: string[];
}

export interface RiskTarget {
  cwd?: string;
  rev?: string;
  staged?: boolean;
  range?: string;
  /** `rev` is already a commit's full object name, resolved by the caller (not resolved again) */
  resolved?: boolean;
  config?: Config;
  /** history considered for the experience and file-history features (most recent commits) */
  historyLimit?: number;
}

const EXPLAIN: Partial<Record<FeatureName, string>> = {
  NS: "subsystems touched",
  ND: "directories touched",
  NF: "files touched",
  Entropy: "how spread the change is across files (bits)",
  LA: "lines added",
  LD: "lines deleted",
  LT: "lines in the touched files before the change",
  FIX: "a bug fix (fixes tend to introduce bugs)",
  NDEV: "developers who changed these files before",
  AGE: "days since these files last changed",
  NUC: "earlier changes to these files",
  EXP: "author's earlier commits",
  REXP: "author's recent commits (weighted by recency)",
  SEXP: "author's earlier commits in these subsystems",
  PFS: "share of these files' earlier changes that were fixes",
  AFIX: "share of the author's earlier commits that were fixes",
  CRIT: "configured critical-path tier (3 = tier 1)",
  AUTH: "touches authentication/authorisation",
  CRYPTO: "touches cryptography or keys",
  MIGRATION: "touches database migrations",
  INFRA: "touches infrastructure or CI",
  POLICY: "touches policy files",
  TESTLESS: "code changed without tests",
};

export const LEVELS: RiskLevel[] = ["LOW", "MEDIUM", "HIGH", "CRITICAL"];
/** Impact floors of the critical-path tiers: a tier-1 path is never LOW nor MEDIUM, a tier-2 path never LOW. */
const TIER_FLOOR: Record<number, RiskLevel | undefined> = { 1: "HIGH", 2: "MEDIUM", 3: undefined };
const FLOOR_SCORE: Record<RiskLevel, number> = { LOW: 0, MEDIUM: 30, HIGH: 55, CRITICAL: 80 };

/**
 * The convention that decides which commits are fixes (the FIX feature and SZZ's fixes): fix types,
 * fix trailers, closing keywords and fix words of untyped headers in every header style, plus what
 * `.gitops-health.yml` declares (`commits.fixTypes`, `commits.fixKeys`).
 */
export function riskConvention(config?: Pick<Config, "commits">): Convention {
  return withOverride(CONVENTIONAL_COMMITS, config?.commits);
}

export function levelOf(score: number): RiskLevel {
  return score >= 80 ? "CRITICAL" : score >= 55 ? "HIGH" : score >= 30 ? "MEDIUM" : "LOW";
}

export function loadModel(cwd: string, config?: Config): { model: RiskModel; name: string } {
  const root = repoRoot(cwd) ?? cwd;
  const file = resolve(root, config?.risk.modelPath ?? ".gitops-health/risk-model.json");
  try {
    return {
      model: JSON.parse(readFileSync(file, "utf8")) as RiskModel,
      name: `repository model (${file.slice(root.length + 1)})`,
    };
  } catch {
    return { model: defaultModel(), name: "default model (shipped)" };
  }
}

/** Features of the target change, computed against the repository's own history (see target.ts). */
async function targetFeatures(t: RiskTarget, cwd: string): Promise<CommitFeatures & { trailers?: string }> {
  const criticalPaths = t.config?.criticalPaths;
  const convention = riskConvention(t.config);
  if (!t.staged && !t.range) {
    const sha =
      t.resolved && t.rev
        ? t.rev
        : (
            await git(["rev-parse", "--verify", `${t.rev ?? "HEAD"}^{commit}`], { cwd }).catch(() => {
              throw new UserError(`unknown revision: ${t.rev ?? "HEAD"}`);
            })
          ).trim();
    const { change, base, merge } = await commitAsChange(cwd, sha);
    if (merge)
      throw new UserError(`cannot score ${t.rev ?? "HEAD"}: it is a merge commit (score one of its parents' changes)`);
    // the commit's trailers (as the history walk reads them): whether a Risk-Level trailer can be there at all
    return { ...(await changeFeatures({ cwd, base, change, criticalPaths, convention })), trailers: change.trailers };
  }
  // A staged change or a range is scored as one synthetic commit on top of HEAD's (or the range start's) history.
  if (t.staged && !(await git(["diff", "--cached", "--name-only", "--no-renames"], { cwd })).trim()) {
    throw new UserError("nothing staged: stage a change (git add) or score a commit (risk score [REV])");
  }
  const files = new Map<string, { path: string; added: number; deleted: number }>();
  const args = t.staged ? ["diff", "--cached", "-U0", "--no-renames"] : ["diff", "-U0", "--no-renames", t.range!];
  for await (const e of streamDiff(args, { cwd })) {
    if (e.kind !== "added" && e.kind !== "removed") continue;
    const f = files.get(e.path) ?? { path: e.path, added: 0, deleted: 0 };
    if (e.kind === "added") f.added++;
    else f.deleted++;
    files.set(e.path, f);
  }
  const author = (await git(["config", "user.email"], { cwd }).catch(() => "")).trim().toLowerCase();
  const message = t.staged
    ? ""
    : (
        await git(["log", "--format=%s", "-n", "1", t.range!.split(/\.\.\.?/)[1] || "HEAD"], { cwd }).catch(() => "")
      ).trim();
  const baseRev = t.staged ? "HEAD" : t.range!.split(/\.\.\.?/)[0]!;
  const base =
    (await git(["rev-parse", "--verify", "--quiet", `${baseRev}^{commit}`], { cwd }).catch(() => "")).trim() ||
    undefined;
  if (!base && !t.staged) throw new UserError(`unknown revision: ${baseRev}`);
  const change = {
    sha: "0".repeat(40),
    author,
    time: Math.floor(Date.now() / 1000),
    subject: message,
    trailers: "",
    files: [...files.values()],
  };
  return changeFeatures({ cwd, base, change, criticalPaths, convention });
}

/** Score one change: probability from the model, level, strategy and approvals. */
export async function scoreChange(target: RiskTarget = {}): Promise<RiskResult> {
  const cwd = repoRoot(target.cwd ?? process.cwd());
  if (!cwd) throw new UserError("risk scoring needs a git repository");
  const warnings: string[] = [];
  const [depth, features] = await Promise.all([
    historyDepth(cwd).catch(() => ({ shallow: false, commits: 0 })),
    targetFeatures(target, cwd),
  ]);
  if (depth.shallow)
    warnings.push(
      `shallow clone: only ${depth.commits} commit(s) of history, so history and experience features are understated`,
    );
  const { model, name } = loadModel(cwd, target.config);
  const { p, contributions } = predict(model, features.values);
  const likelihood = Math.round(100 * p);
  // Impact: a configured critical-path tier is a floor under the likelihood, never a weight a model can learn away.
  const tier = features.values.CRIT > 0 ? 4 - features.values.CRIT : undefined;
  const floor = tier ? TIER_FLOOR[tier] : undefined;
  const score = Math.max(likelihood, floor ? FLOOR_SCORE[floor] : 0);
  let level = levelOf(score);
  const factors = contributions.map((c) => ({
    name: c.name,
    value: round(c.value),
    contribution: round(c.contribution),
    explanation: EXPLAIN[c.name],
  }));
  const cls = target.config?.classification ?? "personal";
  const base = cls === "clinical" ? 2 : cls === "business" ? 1 : 0;
  // Declared Risk-Level may raise the level, never lower it.
  let declared: RiskLevel | undefined;
  // Only when the commit has a trailer that can be Risk-Level (the history walk read them): git's
  // key matching is case-insensitive, so a trailer list without "risk-level" in it has none, and
  // the spawn is saved (issue 19: deploy plan's start-up).
  if (!target.staged && (features.trailers === undefined || /risk-level/i.test(features.trailers))) {
    const body = await git(["log", "-n", "1", "--format=%(trailers:key=Risk-Level,valueonly)", features.sha], {
      cwd,
    }).catch(() => "");
    const d = body.trim().toUpperCase();
    if ((LEVELS as string[]).includes(d)) declared = d as RiskLevel;
  }
  let below = false;
  if (declared) {
    if (LEVELS.indexOf(declared) > LEVELS.indexOf(level)) level = declared;
    else if (LEVELS.indexOf(declared) < LEVELS.indexOf(level)) {
      below = true;
      warnings.push(`declared Risk-Level ${declared} is below the computed ${level}; the computed level stands`);
    }
  }
  const strategy = level === "LOW" ? "standard" : level === "MEDIUM" ? "canary" : "blue-green";
  // Never fewer than the classification's pack requires; HIGH needs at least one, CRITICAL two.
  const approvals = Math.max(base, level === "HIGH" ? 1 : level === "CRITICAL" ? 2 : 0);
  return {
    score,
    level,
    likelihood,
    ...(tier ? { impact: { tier, ...(floor ? { floor } : {}) } } : {}),
    factors,
    strategy,
    approvals,
    model: name,
    ...(declared ? { declared, declaredBelowComputed: below } : {}),
    ...(warnings.length ? { warnings } : {}),
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

// ---------------------------------------------------------------- training and evaluation

export interface Dataset {
  commits: CommitFeatures[];
  labels: number[];
  /** commit time of the earliest fix that blamed each commit (Infinity when none) */
  fixedAt: number[];
  /** fixes blamed */
  fixes: number;
  /** source-touching fix commits in the history (blamed or not), and how each was recognised */
  fixesFound: number;
  fixBy: Record<string, number>;
  /** true when more fixes were found than `maxFixes`: an even sample over time was blamed */
  sampled: boolean;
  /**
   * When only the most recent fixes were blamed, the time of the oldest of them: older commits may
   * have had bugs fixed before it, by fixes SZZ never looked at, so their "clean" labels cannot be
   * trusted and they are left out. -Infinity when every fix was blamed or the fixes were sampled over
   * the whole history.
   */
  labelledFrom: number;
}

/**
 * Commits that change source at all. Docs-, changelog- or lockfile-only commits cannot introduce a
 * code defect under SZZ's definition, so they are neither training nor test examples (they would
 * only pad both classes with trivially predictable negatives).
 */
export const touchesSource = (c: CommitFeatures): boolean => c.values.NF > 0;

/** Indices of the commits usable as examples: they change source and fall inside the labelled window. */
export function usable(ds: Pick<Dataset, "commits" | "labelledFrom">): number[] {
  return ds.commits.flatMap((c, i) => (touchesSource(c) && c.time >= ds.labelledFrom ? [i] : []));
}

/** Fixes blamed by default: enough for the whole history of a normal repository (see DEFAULT_MAX_FIXES in the docs). */
export const DEFAULT_MAX_FIXES = 2000;
/** The minimum-label rule: fewer bug-introducing commits than this and no model is written nor AUC quoted. */
export const MIN_TRAIN_BUGGY = 30;
export const MIN_TEST_BUGGY = 10;

/**
 * Features for all history, labelled with SZZ. Fixes are recognised in any header style (see
 * riskConvention). With more fixes than `maxFixes`, an even sample over the whole history is
 * blamed rather than only the newest, so no period is left without labels.
 */
export async function buildDataset(
  cwd: string,
  opts: {
    maxFixes?: number;
    criticalPaths?: Config["criticalPaths"];
    convention?: Convention;
    newestOnly?: boolean;
    concurrency?: number;
  } = {},
): Promise<Dataset> {
  const commits: CommitFeatures[] = [];
  for await (const f of extractFeatures({
    cwd,
    criticalPaths: opts.criticalPaths,
    convention: opts.convention ?? riskConvention(),
  }))
    commits.push(f);
  if (commits.length < 2)
    throw new UserError(`not enough history to train on (${commits.length} commit${commits.length === 1 ? "" : "s"})`);
  const found = commits.filter((c) => c.values.FIX === 1 && touchesSource(c));
  const fixBy: Record<string, number> = {};
  for (const c of found) fixBy[c.fixBy ?? "?"] = (fixBy[c.fixBy ?? "?"] ?? 0) + 1;
  const allFixes = found.map((c) => c.sha);
  const max = Math.max(1, opts.maxFixes ?? DEFAULT_MAX_FIXES);
  const sampled = allFixes.length > max;
  const fixes = !sampled ? allFixes : opts.newestOnly ? allFixes.slice(-max) : evenSample(allFixes, max);
  const bugs = await szz(cwd, fixes, new Set(commits.map((c) => c.sha)), { concurrency: opts.concurrency });
  const when = new Map(commits.map((c) => [c.sha, c.time]));
  const fixedAt = commits.map((c) =>
    Math.min(Infinity, ...(bugs.get(c.sha) ?? []).map((f) => when.get(f) ?? Infinity)),
  );
  // Only the newest fixes blamed: older commits' "clean" labels cannot be trusted, so they are left out.
  const labelledFrom = sampled && opts.newestOnly ? when.get(fixes[0]!)! : -Infinity;
  return {
    commits,
    labels: fixedAt.map((t) => (Number.isFinite(t) ? 1 : 0)),
    fixedAt,
    fixes: fixes.length,
    fixesFound: allFixes.length,
    fixBy,
    sampled,
    labelledFrom,
  };
}

/** `n` items spread evenly over `xs` (first and last included). */
function evenSample<T>(xs: T[], n: number): T[] {
  if (n >= xs.length) return xs;
  if (n === 1) return [xs[xs.length - 1]!];
  return Array.from({ length: n }, (_, i) => xs[Math.round((i * (xs.length - 1)) / (n - 1))]!);
}

/** Why a label count cannot support a model or an AUC, or undefined when it can. */
export function insufficientLabels(
  buggyTrain: number,
  buggyTest?: number,
  min = { train: MIN_TRAIN_BUGGY, test: MIN_TEST_BUGGY },
): string | undefined {
  const out: string[] = [];
  if (buggyTrain < min.train)
    out.push(`${buggyTrain} bug-introducing commit(s) to train on (at least ${min.train} needed)`);
  if (buggyTest !== undefined && buggyTest < min.test)
    out.push(`${buggyTest} in the test window (at least ${min.test} needed)`);
  return out.length ? `insufficient labels: ${out.join(", ")}` : undefined;
}

const HALF_LIFE_DAYS = 180;
/** L2 strengths tried. */
const LAMBDAS = [0.01, 0.1, 1, 10, 100, 1000];
/** Validation AUCs this close count as a tie, which the weaker regularisation wins (see selectLambda). */
const AUC_TIE = 0.01;

/**
 * Recency weights (half-life in days) times class balance. The balance is taken on the
 * recency-weighted totals, so both classes carry equal weight whatever their ages.
 */
export function weights(commits: CommitFeatures[], labels: number[], halfLifeDays = HALF_LIFE_DAYS): number[] {
  const newest = commits.reduce((m, c) => Math.max(m, c.time), 0);
  const recency = commits.map((c) => 0.5 ** ((newest - c.time) / 86400 / halfLifeDays));
  let pos = 0;
  let neg = 0;
  recency.forEach((r, i) => (labels[i] ? (pos += r) : (neg += r)));
  const balance = pos && neg ? neg / pos : 1;
  return recency.map((r, i) => r * (labels[i] ? balance : 1));
}

function fit(commits: CommitFeatures[], labels: number[], features: FeatureName[], lambda: number): RiskModel {
  return fitLogistic(
    commits.map((c) => vectorize(c.values, features)),
    labels,
    weights(commits, labels),
    features,
    lambda,
  );
}

/**
 * L2 strength chosen by time-ordered validation inside the training window only: fit on the
 * oldest 75% and validate on the rest, then on the oldest 50% validated on the next 25%. AUC is
 * blind to scale, so a heavily regularised model ranks as well as a light one while its scores
 * collapse towards the middle: among the strengths within AUC_TIE of the best mean AUC the
 * weakest wins, which keeps the scores spread. Never looks at test data.
 */
export function selectLambda(commits: CommitFeatures[], labels: number[], features: FeatureName[]): number {
  const folds = validationFolds(labels);
  if (!folds.length) return 1;
  const scores = LAMBDAS.map((lambda) => {
    let score = 0;
    for (const [cut, end] of folds) {
      const m = fit(commits.slice(0, cut), labels.slice(0, cut), features, lambda);
      score += auc(
        commits.slice(cut, end).map((c) => predict(m, c.values).p),
        labels.slice(cut, end),
      );
    }
    return score / folds.length;
  });
  const best = Math.max(...scores);
  return LAMBDAS.find((_, i) => scores[i]! >= best - AUC_TIE)!;
}

/** Shares of the fitted model tried by anchorToLA, from lines added alone (0) to the fitted model (1). */
export const ANCHOR_ALPHAS = [0, 0.25, 0.5, 0.75, 1];
/**
 * Validation AUCs this close to the best count as a tie, which the share nearer lines added wins.
 * 0 (AUCs are compared rounded to 3 decimals): on the development histories a tie margin of 0.005
 * or 0.01 fell back to lines added where a 0.25 share ranked better (docs/BENCHMARKS.md, h3).
 */
export const ANCHOR_TIE = 0;

/**
 * The guard against a model that ranks worse than lines added (LA): on the same time-ordered folds
 * inside the training window as selectLambda (never the test window), fit the full model and the
 * LA-only model on each fold's older part and score each blend alpha * full + (1 - alpha) * LA on
 * its newer part. The share with the best mean validation AUC is kept; shares within ANCHOR_TIE of
 * it (3 decimals) count as a tie, won by the one nearest LA. So the fitted model is kept whole only when it beat
 * lines added inside the training window; otherwise it is shrunk toward LA, down to LA alone.
 */
export function anchorToLA(
  cs: CommitFeatures[],
  ys: number[],
  full: RiskModel,
  la: RiskModel,
  tie = ANCHOR_TIE,
): { model: RiskModel; anchor: NonNullable<RiskModel["anchor"]> } {
  const folds = validationFolds(ys);
  const pick = (alpha: number, validation: { alpha: number; auc: number }[], reason: string) => ({
    model: alpha === 1 ? full : blendWithLA(full, la, alpha),
    anchor: {
      alpha,
      kept:
        alpha === 1
          ? ("fitted model" as const)
          : alpha === 0
            ? ("lines added" as const)
            : ("fitted model shrunk toward lines added" as const),
      validation,
      reason,
    },
  });
  if (!folds.length) return pick(1, [], "no validation fold inside the training window has both classes");
  const totals = ANCHOR_ALPHAS.map(() => 0);
  for (const [cut, end] of folds) {
    const f = fit(cs.slice(0, cut), ys.slice(0, cut), full.features, full.lambda ?? 1);
    const l = fit(cs.slice(0, cut), ys.slice(0, cut), la.features, la.lambda ?? 1);
    const vc = cs.slice(cut, end);
    const vy = ys.slice(cut, end);
    ANCHOR_ALPHAS.forEach((a, i) => {
      const m = blendWithLA(f, l, a);
      totals[i]! += auc(
        vc.map((c) => predict(m, c.values).p),
        vy,
      );
    });
  }
  const validation = ANCHOR_ALPHAS.map((alpha, i) => ({ alpha, auc: round(totals[i]! / folds.length) }));
  const best = Math.max(...validation.map((v) => v.auc));
  const chosen = validation.find((v) => v.auc >= best - tie)!;
  const la0 = validation[0]!.auc;
  const reason =
    chosen.alpha === 1
      ? `validation AUC inside the training window ${chosen.auc.toFixed(3)}, lines added alone ${la0.toFixed(3)}`
      : chosen.alpha === 0
        ? `the fitted model did not beat lines added inside the training window (validation AUC ${validation[validation.length - 1]!.auc.toFixed(3)} vs ${la0.toFixed(3)})`
        : `a ${chosen.alpha} share of the fitted model validated best inside the training window (AUC ${chosen.auc.toFixed(3)}; fitted model ${validation[validation.length - 1]!.auc.toFixed(3)}, lines added ${la0.toFixed(3)})`;
  return pick(chosen.alpha, validation, reason);
}

/** The time-ordered folds inside the training window: oldest 75% | rest, oldest 50% | next 25%. */
function validationFolds(labels: number[]): (readonly [number, number])[] {
  const n = labels.length;
  return [
    [0.75, 1],
    [0.5, 0.75],
  ]
    .map(([a, b]) => [Math.floor(n * a!), Math.floor(n * b!)] as const)
    .filter(([cut, end]) => {
      const tr = labels.slice(0, cut).reduce((x, y) => x + y, 0);
      const va = labels.slice(cut, end).reduce((x, y) => x + y, 0);
      return tr > 0 && tr < cut && va > 0 && va < end - cut;
    });
}

/**
 * Fit on the commits that touch source, with the L2 strength chosen by time-ordered validation.
 * With `anchor` (the default when the features include LA and more), the result is the fitted
 * model shrunk toward lines added as far as validation inside the training window says (anchorToLA).
 */
export function train(
  commits: CommitFeatures[],
  labels: number[],
  features = MODEL_FEATURES,
  opts: { anchor?: boolean } = {},
): RiskModel {
  const keep = commits.map(touchesSource);
  const cs = commits.filter((_, i) => keep[i]);
  const ys = labels.filter((_, i) => keep[i]);
  if (cs.length < 2) throw new UserError("not enough commits that change source files to train on");
  const lambda = selectLambda(cs, ys, features);
  let model: RiskModel = { ...fit(cs, ys, features, lambda), lambda };
  if ((opts.anchor ?? true) && features.length > 1 && features.includes("LA")) {
    const la = train(cs, ys, ["LA"]);
    const a = anchorToLA(cs, ys, model, la);
    model = { ...a.model, anchor: a.anchor };
  }
  return {
    ...model,
    lambda,
    halfLifeDays: HALF_LIFE_DAYS,
    trainedOn: {
      commits: cs.length,
      buggy: ys.reduce((a, b) => a + b, 0),
      from: new Date(cs[0]!.time * 1000).toISOString().slice(0, 10),
      to: new Date(cs[cs.length - 1]!.time * 1000).toISOString().slice(0, 10),
    },
  };
}

/**
 * Share of the fitted model in the shipped default model; the rest is the lines-added-only model.
 * Chosen on the development histories (docs/BENCHMARKS.md, issue 15, branch h3): cross-project,
 * the full model fitted on other histories ranked below lines added on all three (by 0.005-0.061),
 * a 0.25 share still by 0.010 on one, a 0.1 share within 0.003 of it on each.
 */
export const DEFAULT_MODEL_SHARE = 0.1;

/**
 * The default model from pooled histories (oldest first): the full model shrunk toward lines
 * added, alpha = DEFAULT_MODEL_SHARE. Cross-project there is no validation window of the target
 * repository to choose alpha by, so it is fixed.
 */
export function fitDefaultModel(commits: CommitFeatures[], labels: number[]): RiskModel {
  const full = train(commits, labels, MODEL_FEATURES, { anchor: false });
  const la = train(commits, labels, ["LA"]);
  return {
    ...blendWithLA(full, la, DEFAULT_MODEL_SHARE),
    anchor: {
      alpha: DEFAULT_MODEL_SHARE,
      kept: "fitted model shrunk toward lines added",
      validation: [],
      reason: `cross-project default: a fixed ${DEFAULT_MODEL_SHARE} share of the fitted model, the rest lines added`,
    },
  };
}

/** The shipped default model (fitted on other repositories' histories). */
export function defaultModel(): RiskModel {
  return JSON.parse(readFileSync(packagePath("src", "risk", "default-model.json"), "utf8")) as RiskModel;
}

type Metrics = { auc: number; mcc: number; recall20: number; popt: number };

export interface EvalResult {
  train: number;
  test: number;
  buggyTrain: number;
  buggyTest: number;
  /** fixes blamed, fixes found in the history, and whether the blamed ones are a sample */
  fixes?: number;
  fixesFound?: number;
  sampled?: boolean;
  lambda: number;
  /** set when the labels cannot support an AUC (see insufficientLabels); the metrics are then absent */
  insufficient?: string;
  /** what `risk train` would keep: the fitted model shrunk toward lines added as far as validation says */
  model?: Metrics;
  /** the fitted model before that choice, and the choice (see anchorToLA) */
  fitted?: Metrics;
  anchor?: NonNullable<RiskModel["anchor"]>;
  baseline?: Metrics;
  /** the shipped default model on the same test commits */
  defaultModel?: Metrics;
  /** 10th-90th percentile of the trained model's 0-100 scores on the test commits */
  spread?: { p10: number; p90: number; spread: number };
  /** the trained model's scores barely spread (< MIN_SPREAD points): `risk train` would keep the default model */
  collapsed?: boolean;
}

type EvalInput = Pick<Dataset, "commits" | "labels" | "fixedAt" | "labelledFrom"> &
  Partial<Pick<Dataset, "fixes" | "fixesFound" | "sampled">>;

/** Indices of the training and test commits of a time-ordered split, and the time of the split. */
export function timeSplit(
  ds: Pick<Dataset, "commits" | "labelledFrom">,
  split = 0.7,
): { trI: number[]; teI: number[]; known: number } {
  const idx = usable(ds);
  const cut = Math.floor(idx.length * split);
  const trI = idx.slice(0, cut);
  const teI = idx.slice(cut);
  if (!trI.length || !teI.length) throw new UserError("not enough commits that change source files to evaluate");
  return { trI, teI, known: ds.commits[trI[trI.length - 1]!]!.time };
}

/**
 * Time-ordered split over the commits that touch source: train on the older 70%, test on the newer
 * 30%. Training labels come only from fixes committed before the split (what `risk train` would
 * have known then); test labels use every fix, as the best available truth. Below the minimum-label
 * rule no AUC is computed (`insufficient` says why).
 */
export function evaluate(
  ds: EvalInput,
  split = 0.7,
  min = { train: MIN_TRAIN_BUGGY, test: MIN_TEST_BUGGY },
  /** the trained model's features (an A/B of feature sets on the same labels) */
  features: FeatureName[] = MODEL_FEATURES,
): EvalResult {
  const { trI, teI, known } = timeSplit(ds, split);
  const trC = trI.map((i) => ds.commits[i]!);
  const trY = trI.map((i): number => (ds.labels[i] && ds.fixedAt[i]! <= known ? 1 : 0));
  const teC = teI.map((i) => ds.commits[i]!);
  const teY = teI.map((i) => ds.labels[i]!);
  const buggyTrain = trY.reduce((a, b) => a + b, 0);
  const buggyTest = teY.reduce((a, b) => a + b, 0);
  const counts = {
    train: trC.length,
    test: teC.length,
    buggyTrain,
    buggyTest,
    ...(ds.fixes !== undefined ? { fixes: ds.fixes } : {}),
    ...(ds.fixesFound !== undefined ? { fixesFound: ds.fixesFound, sampled: ds.sampled } : {}),
  };
  const insufficient = insufficientLabels(buggyTrain, buggyTest, min);
  if (insufficient) return { ...counts, lambda: 0, insufficient };
  const churn = teC.map((c) => c.values.LA + c.values.LD);
  const score = (m: RiskModel) => teC.map((c) => predict(m, c.values).p);
  const metrics = (s: number[]): Metrics => ({
    auc: auc(s, teY),
    mcc: mcc(
      s.map((p) => (p >= 0.5 ? 1 : 0)),
      teY,
    ),
    recall20: recallAt20(s, teY, churn),
    popt: popt(s, teY, churn),
  });
  // The fitted model, and what `risk train` keeps: that model shrunk toward lines added as far as
  // validation inside the training window says (anchorToLA); both are reported.
  const fitted = train(trC, trY, features, { anchor: false });
  const la = train(trC, trY, ["LA"]);
  const anchored = features.length > 1 && features.includes("LA") ? anchorToLA(trC, trY, fitted, la) : undefined;
  const model: RiskModel = anchored ? { ...anchored.model, anchor: anchored.anchor } : fitted;
  const spread = scoreSpread(
    model,
    teC.map((c) => c.values),
  );
  return {
    ...counts,
    lambda: model.lambda ?? 1,
    model: metrics(score(model)),
    ...(anchored ? { fitted: metrics(score(fitted)), anchor: anchored.anchor } : {}),
    baseline: metrics(score(la)),
    defaultModel: metrics(score(defaultModel())),
    spread,
    collapsed: spread.spread < MIN_SPREAD,
  };
}
