import type { ChangeFeatures } from "./offline.js";
import type { Vocabulary } from "./vocabulary.js";

/**
 * Type model for changes that touch source code: a conditional-logit (multinomial logistic)
 * combination of diff evidence with the repository's own habits.
 *
 *   score(type) = w[type] · x  +  a · log P_repo(type)  +  b · log P_repo(path shape | type)
 *
 * `x` are diff features (what the added and removed lines look like), `w` is learnt across several
 * public Conventional Commits histories (scripts/train-commit-type-model.ts), and the two repository
 * terms come from the vocabulary learnt from this repository's history, so a repository that calls
 * source changes "chore" or "refactor" is followed. `a` and `b` are learnt too: they say how far a
 * repository's own habits should be trusted against the diff, instead of a hand-set rule order.
 */
export const MODEL_TYPES = ["feat", "fix", "refactor", "perf", "chore", "docs", "test", "style"] as const;

/** Per-type terms, each entering the score with one learnt coefficient. */
export const TERMS = ["prior", "recent", "shape", "dirs", "words"] as const;
export type Term = (typeof TERMS)[number];
export type Terms = Record<Term, number[]>;

export interface TypeModel {
  version: number;
  types: string[];
  features: string[];
  /** weights[type][feature index] */
  weights: Record<string, number[]>;
  /**
   * Coefficients of the per-type terms (see TERMS): the repository's type prior, its recent type
   * prior, its path-shape and directory naive Bayes log-likelihoods, and the word naive Bayes.
   */
  coef: Record<Term, number>;
  /** word → log P(word | type) - mean over types */
  wordTable: Record<string, number[]>;
  trainedOn: string[];
}

const COMMENT = /^\s*(\/\/|\/\*|\*|#(?!include|if|define|!)|<!--|-->|"""|''')/;
const IMPORT =
  /^\s*(import\b|export\s+(\*|\{[^}]*\})\s+from\b|(const|let|var)\s+[\w{}\s,]+=\s*require\(|from\s+\S+\s+import\b|use\s+[\w:]+;)/;
const PERF_CODE =
  /\b(cache[ds]?|caching|memo(i[sz]e[ds]?)?|lazy|lazily|fast ?path|hot ?path|perf(ormance)?|faster|optimi[sz]\w*|debounce|throttle|pool(ed)?|batch(ed|ing)?|precompute[ds]?|reuse[ds]?|avoid\w*)\b|\bnew (WeakMap|Map|Set)\b/i;
const ERROR = /\b(throw|catch|reject|Error\(|try\s*\{|finally)\b/;
const OPTION = /^\s*(readonly\s+)?['"]?[A-Za-z_$][\w$]*['"]?\?:\s*\S/;
const DEPRECATE = /\bdeprecat\w*/i;
const LOG = /\b(console\.(warn|error|log|info)|logger\.\w+|warn\(|log\(|debug\()/;
const TEST_FIX =
  /\b(fix(es|ed)?|bug|regression|issue|#\d+|should not|shouldn't|does not|doesn't|do not|don't|not (throw|crash|fail|break)|correct(ly)?|properly|edge case|no longer)\b/i;
const TEST_NEW = /\b(supports?|allows?|adds?|new|options?|can|enables?|works with|accepts?)\b/i;
const TEST_CALL = /^\s*(it|test|describe|bench)(\.\w+)*\s*\(/;
const TYPE_LINE = /^\s*(export\s+)?(declare\s+)?(type|interface)\s|^\s*[\w$'"]+\??:\s*[^=;]+;?\s*$|^\s*\|\s*/;

const squash = (s: string) => s.replace(/\s+/g, "");
const loose = (s: string) => s.replace(/[\s'"`;,()]/g, "");
const log1p = (n: number) => Math.log(1 + n);

/** Diff features of a source change (names are stable: they index the model's weights). */
export function diffFeatures(f: ChangeFeatures): Record<string, number> {
  const added = f.source.flatMap((x) => x.added).filter((l) => l.trim());
  const removed = f.source.flatMap((x) => x.removed).filter((l) => l.trim());
  const changed = [...added, ...removed];
  const n = Math.max(1, changed.length);
  const share = (re: RegExp, lines = changed) => lines.filter((l) => re.test(l)).length / Math.max(1, lines.length);
  const tests = f.files.filter((x) => f.kinds.get(x) === "test");
  const testAdded = tests.flatMap((x) => x.added);
  const testCalls = testAdded.filter((l) => TEST_CALL.test(l));
  const removedSet = new Set(removed.map(squash));
  const looseRemoved = new Set(removed.map(loose));
  const moved = added.filter((l) => removedSet.has(squash(l))).length;
  const nearSame = added.filter((l) => looseRemoved.has(loose(l))).length;
  const declaredBoth = f.changedSymbols.length;
  const dts = f.source.filter((x) => /\.d\.[cm]?ts$/.test(x.path)).length;
  const commentShare = share(COMMENT);
  const churn = f.srcAdded + f.srcRemoved;
  return {
    bias: 1,
    added: log1p(f.srcAdded) / 4,
    removed: log1p(f.srcRemoved) / 4,
    addShare: f.srcAdded / Math.max(1, churn),
    smallChange: churn <= 20 ? 1 : 0,
    largeChange: churn > 300 ? 1 : 0,
    sourceFiles: log1p(f.source.length) / 2,
    newExports: Math.min(3, f.newExports.length) / 3,
    removedExports: Math.min(3, f.removedExports.length) / 3,
    newSourceFile: f.newSourceFiles.length > 0 ? 1 : 0,
    onlyNewFiles: f.source.every((x) => x.status === "added") ? 1 : 0,
    pureAddition: f.srcRemoved === 0 && f.srcAdded > 0 ? 1 : 0,
    pureNewExports: f.newExports.length > 0 && f.srcRemoved === 0 ? 1 : 0,
    deletedSourceFile: f.source.some((x) => x.status === "deleted") ? 1 : 0,
    renamed: f.source.some((x) => x.status === "renamed") ? 1 : 0,
    guardShare: f.guardLines / Math.max(1, churn),
    smallGuard: churn <= 40 && f.guardLines > 0 ? 1 : 0,
    commentShare,
    commentOnly: commentShare === 1 ? 1 : 0,
    importShare: share(IMPORT),
    errorHandling: added.some((l) => ERROR.test(l)) ? 1 : 0,
    options: Math.min(3, added.filter((l) => OPTION.test(l)).length) / 3,
    typeShare: share(TYPE_LINE),
    dts: dts > 0 ? 1 : 0,
    perfCode: Math.min(3, added.filter((l) => PERF_CODE.test(l)).length) / 3,
    perfComment: f.perfHint ? 1 : 0,
    deprecate: added.some((l) => DEPRECATE.test(l)) ? 1 : 0,
    logging: share(LOG) > 0 ? 1 : 0,
    movedShare: moved / Math.max(1, added.length),
    nearSameShare: nearSame / Math.max(1, added.length),
    symbols: log1p(declaredBoth) / 3,
    whitespaceOnly: f.whitespaceOnly ? 1 : 0,
    docs: f.files.some((x) => f.kinds.get(x) === "docs") ? 1 : 0,
    tests: tests.length > 0 ? 1 : 0,
    testFileAdded: tests.some((x) => x.status === "added") ? 1 : 0,
    testLines: log1p(testAdded.length) / 4,
    testFixWords: testCalls.some((l) => TEST_FIX.test(l)) ? 1 : 0,
    testNewWords: testCalls.some((l) => TEST_NEW.test(l)) ? 1 : 0,
    config: f.files.some((x) => ["tooling", "build", "ci"].includes(f.kinds.get(x)!)) ? 1 : 0,
    manifest: f.files.some((x) => f.kinds.get(x) === "manifest") ? 1 : 0,
    otherShare: f.files.filter((x) => f.kinds.get(x) === "other").length / Math.max(1, f.files.length),
    lineShareSmall: n <= 4 ? 1 : 0,
  };
}

const WORD_LINES = 400;

/** Words of an identifier or comment: camelCase and snake_case split, lower case, 3 to 20 letters. */
function words(line: string, out: Set<string>, prefix: string): void {
  for (const raw of line.split(/[^A-Za-z]+/)) {
    if (raw.length < 3) continue;
    for (const w of raw
      .replace(/([a-z])([A-Z])/g, "$1 $2")
      .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
      .split(" ")) {
      if (w.length >= 3 && w.length <= 20) out.add(prefix + w.toLowerCase());
    }
  }
}

/**
 * The words of a change, once each: `+w` in added source lines, `-w` in removed ones, `t:w` in added
 * test names (they describe the behaviour a change brings or repairs), `d:w` in added documentation
 * and `p:w` in the paths.
 */
export function changeWords(f: ChangeFeatures): string[] {
  const out = new Set<string>();
  let budget = WORD_LINES;
  for (const file of f.source) {
    for (const l of file.added) if (budget-- > 0) words(l, out, "+");
    for (const l of file.removed) if (budget-- > 0) words(l, out, "-");
  }
  budget = WORD_LINES / 2;
  for (const file of f.files) {
    if (f.kinds.get(file) !== "test") continue;
    for (const l of file.added) if (budget-- > 0 && TEST_CALL.test(l)) words(l, out, "t:");
  }
  budget = WORD_LINES / 4;
  for (const file of f.files) {
    words(file.path, out, "p:");
    if (f.kinds.get(file) !== "docs") continue;
    for (const l of file.added) if (budget-- > 0) words(l, out, "d:");
  }
  return [...out];
}

/** Centred word naive Bayes log-likelihood per type, averaged over the known words of the change. */
export function wordTerms(table: Record<string, number[]>, ws: string[], k: number): number[] {
  const sum = new Array<number>(k).fill(0);
  let n = 0;
  for (const w of ws) {
    const row = table[w];
    if (!row) continue;
    n++;
    for (let i = 0; i < k; i++) sum[i]! += row[i]!;
  }
  // sum / sqrt(n): grows with evidence, but slower than independent words would.
  return n ? sum.map((v) => v / Math.sqrt(n)) : sum;
}

/** The repository's terms for each candidate type (zeros without history). */
export function repoTerms(
  vocab: Vocabulary | undefined,
  shape: string[] | undefined,
  dirs: string[],
  types: readonly string[],
): Omit<Terms, "words"> {
  const zero = types.map(() => 0);
  if (!vocab) return { prior: zero, recent: zero, shape: zero, dirs: zero };
  const center = (v: number[]) => {
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    return v.map((x) => x - m);
  };
  return {
    prior: center(types.map((t) => vocab.sourceTypeLogPrior(t, types.length))),
    recent: center(types.map((t) => vocab.recentSourceTypeLogPrior(t, types.length))),
    shape: shape ? center(types.map((t) => vocab.sourceFeatureLogLikelihood(t, shape))) : zero,
    dirs: center(types.map((t) => vocab.sourceFeatureLogLikelihood(t, dirs))),
  };
}

/** Probability of each model type for these features and per-type terms. */
export function scoreTypes(model: TypeModel, x: Record<string, number>, terms: Terms): Record<string, number> {
  const vec = model.features.map((k) => x[k] ?? 0);
  const logits = model.types.map((t, i) => {
    const w = model.weights[t]!;
    let s = 0;
    for (let j = 0; j < vec.length; j++) s += w[j]! * vec[j]!;
    for (const term of TERMS) s += (model.coef[term] ?? 0) * (terms[term]?.[i] ?? 0);
    return s;
  });
  const max = Math.max(...logits);
  const z = logits.reduce((a, v) => a + Math.exp(v - max), 0);
  return Object.fromEntries(model.types.map((t, i) => [t, Math.exp(logits[i]! - max) / z]));
}
