// `npx tsx scripts/train-commit-type-model.ts [--cache DIR] [--lambda L] [--out FILE] [--adapt] REPO...`
// (the shipped model: commitlint semantic-release vite angular-cli vitepress release-please nitro nuxt vue-router vite-plugin-vue;
// LORO=0 skips the leave-one-repository-out report)
//
// Headers are read in any typed family (`fix: s`, `(fix) s`, `[fix] s`, gitmoji), types in their canonical
// spelling, as `commit generate`'s vocabulary reads them. The first WARMUP (default 500) commits of each history,
// or its first third if shorter, only feed the vocabulary. FULL=name,... names repositories used in no benchmark, whose last WINDOW commits may
// be trained on too (every other repository's last 300 commits never are). `--adapt` keeps the shipped
// model's word table and shrinks towards the shipped coefficients instead of towards zero (lambda is then
// the strength of that pull), so a small pool of histories adapts the model rather than replacing it.
//
// Fits src/commit/generate/type-model-weights.ts: the conditional-logit type model for source changes (see
// src/commit/type-model.ts) on the histories of public Conventional Commits repositories cloned under
// GITOPS_HEALTH_BENCH_REPOS (default /work/bench-repos). For each repository the vocabulary is learnt
// from the commits before each example, exactly as `commit generate` would see it; the last 300
// commits (the benchmark window) are never used for training. Each repository gets the same total
// weight, so that no single project's conventions dominate. Prints leave-one-repository-out accuracy.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { collectCommit, type ChangeSet } from "../src/commit/generate/changes.js";
import { readHistory, type HistoryCommit } from "../src/commit/generate/vocabulary-cache.js";
import { Vocabulary, shapeFeatures, sourceDirs } from "../src/commit/generate/vocabulary.js";
import { canonicalType, parseAnyHeader } from "../src/commit/convention.js";
import { TYPE_MODEL } from "../src/commit/generate/type-model-weights.js";
import { extractFeatures, modelDecides } from "../src/commit/generate/offline.js";
import {
  changeWords,
  diffFeatures,
  repoTerms,
  wordTerms,
  MODEL_TYPES,
  TERMS,
  type Terms,
  type TypeModel,
} from "../src/commit/generate/type-model.js";

const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const cacheDir = opt("--cache");
const lambda = Number(opt("--lambda") ?? 0.001);
const out = opt("--out") ?? new URL("../src/commit/generate/type-model-weights.ts", import.meta.url).pathname;
const adapt = args.includes("--adapt");
if (adapt) args.splice(args.indexOf("--adapt"), 1);
const ROOT = process.env.GITOPS_HEALTH_BENCH_REPOS ?? "/work/bench-repos";
const repos = args;
const HISTORY = Number(process.env.HISTORY ?? 2300);
const WARMUP = Number(process.env.WARMUP ?? 500);
const WINDOW = 300;
const FULL = new Set((process.env.FULL ?? "").split(",").filter(Boolean));
const windowOf = (name: string) => (FULL.has(name) ? 0 : WINDOW);
/** Commits that only feed the vocabulary: WARMUP, or the first third of a shorter history. */
const warmupOf = (length: number) => Math.min(WARMUP, Math.floor(length / 3));
/** A header's type in any typed family, canonical spelling (`tests` → `test`), or undefined. */
const headerType = (header: string) => {
  const t = parseAnyHeader(header).type;
  return t ? canonicalType(t) : undefined;
};

interface Example {
  repo: number;
  x: number[];
  terms: Terms;
  tokens: string[];
  y: number;
}

type Row = HistoryCommit & { change: ChangeSet | null };

async function loadRows(name: string): Promise<Row[]> {
  const cached = cacheDir && join(cacheDir, `train-${name}-${HISTORY}-${WARMUP}-${windowOf(name)}.json`);
  if (cached && existsSync(cached)) return JSON.parse(readFileSync(cached, "utf8")) as Row[];
  const dir = join(ROOT, name);
  const all: HistoryCommit[] = [];
  for await (const c of readHistory(dir, "HEAD", HISTORY)) all.push(c);
  all.reverse();
  const rows: Row[] = [];
  for (let i = 0; i < all.length; i++) {
    const c = all[i]!;
    let change: ChangeSet | null = null;
    const t = headerType(c.header);
    if (t && MODEL_TYPES.includes(t as never) && i >= warmupOf(all.length) && i < all.length - windowOf(name))
      change = await collectCommit(dir, c.sha).catch(() => null);
    rows.push({ ...c, change });
  }
  if (cached) writeFileSync(cached, JSON.stringify(rows));
  return rows;
}

const types = [...MODEL_TYPES] as string[];
let featureNames: string[] | undefined;
const examples: Example[] = [];
for (const [ri, name] of repos.entries()) {
  const rows = await loadRows(name);
  const vocab = new Vocabulary();
  let n = 0;
  for (let i = 0; i < rows.length; i++) {
    const c = rows[i]!;
    const ht = headerType(c.header);
    if (c.change && ht && types.includes(ht) && i >= warmupOf(rows.length) && i < rows.length - windowOf(name)) {
      const f = extractFeatures(c.change);
      if (modelDecides(f)) {
        const x = diffFeatures(f);
        featureNames ??= Object.keys(x);
        const shape = shapeFeatures(
          f.files.map((file) => ({
            path: file.path,
            status: { added: "A", deleted: "D", modified: "M", renamed: "R" }[file.status],
          })),
        );
        const terms = repoTerms(vocab, shape, sourceDirs(f.files.map((file) => file.path)), types);
        examples.push({
          repo: ri,
          x: featureNames.map((k) => x[k] ?? 0),
          terms: { ...terms, words: types.map(() => 0) },
          tokens: changeWords(f),
          y: types.indexOf(ht),
        });
        n++;
      }
    }
    vocab.add(c.header, c.paths, c.statuses, c.branch);
  }
  console.error(`${name}: ${n} examples`);
}
if (!featureNames) throw new Error("no examples");
const names = featureNames;
const D = names.length;
const K = types.length;

const MAX_WORDS = Number(process.env.MAX_WORDS ?? 1500);
const MIN_REPOS = Number(process.env.MIN_REPOS ?? 4);

/**
 * Word naive Bayes table from `train`: words seen in at least MIN_REPOS repositories (so that no
 * project's own identifiers are learnt), the MAX_WORDS most type-dependent by chi-square, with
 * Laplace-smoothed, centred log P(word | type).
 */
function wordTable(train: Example[]): Record<string, number[]> {
  const counts = new Map<string, { c: number[]; repos: Set<number> }>();
  const classDocs = new Array<number>(K).fill(0);
  for (const e of train) {
    classDocs[e.y]!++;
    for (const w of e.tokens) {
      let r = counts.get(w);
      if (!r) counts.set(w, (r = { c: new Array<number>(K).fill(0), repos: new Set() }));
      r.c[e.y]!++;
      r.repos.add(e.repo);
    }
  }
  const n = train.length;
  const scored: [string, number[], number][] = [];
  for (const [w, r] of counts) {
    const df = r.c.reduce((a, b) => a + b, 0);
    if (r.repos.size < MIN_REPOS || df < 8) continue;
    let chi = 0;
    for (let k = 0; k < K; k++) {
      const exp = (df * classDocs[k]!) / n;
      if (exp > 0) chi += (r.c[k]! - exp) ** 2 / exp;
    }
    scored.push([w, r.c, chi]);
  }
  scored.sort((a, b) => b[2] - a[2]);
  const kept = scored.slice(0, MAX_WORDS);
  const totals = new Array<number>(K).fill(0);
  for (const [, c] of kept) for (let k = 0; k < K; k++) totals[k]! += c[k]!;
  const table: Record<string, number[]> = {};
  for (const [w, c] of kept) {
    const lp = c.map((v, k) => Math.log((v + 1) / (totals[k]! + kept.length)));
    const mean = lp.reduce((a, b) => a + b, 0) / K;
    table[w] = lp.map((v) => Math.round((v - mean) * 100) / 100);
  }
  return table;
}

/** Word terms for each example from a table that never saw its repository (nor `exclude`). */
function crossFitWords(all: Example[], exclude?: number): void {
  if (adapt) {
    // the shipped table, learnt on other repositories than these
    for (const e of all) e.terms.words = wordTerms(TYPE_MODEL.wordTable, e.tokens, K);
    return;
  }
  for (let r = 0; r < repos.length; r++) {
    if (r === exclude) continue;
    const table = wordTable(all.filter((e) => e.repo !== r && e.repo !== exclude));
    for (const e of all) if (e.repo === r) e.terms.words = wordTerms(table, e.tokens, K);
  }
}

/** Fit by full-batch Adam on the L2-penalised, repository-balanced log-likelihood. */
function fit(train: Example[], l2: number, iters = 1500): TypeModel {
  const perRepo = new Map<number, number>();
  for (const e of train) perRepo.set(e.repo, (perRepo.get(e.repo) ?? 0) + 1);
  const sw = train.map((e) => 1 / perRepo.get(e.repo)! / perRepo.size);
  const T = TERMS.length;
  // parameters: K×D weights, then T term coefficients (kept >= 0: a habit never counts against itself)
  const P = K * D + T;
  // The point the penalty pulls towards: zero, or with --adapt the shipped model (also the start).
  const theta0 = new Array<number>(P).fill(0);
  if (adapt) {
    for (let k = 0; k < K; k++)
      for (let j = 0; j < D; j++)
        theta0[k * D + j] = TYPE_MODEL.weights[types[k]!]![TYPE_MODEL.features.indexOf(names[j]!)] ?? 0;
    for (let t = 0; t < T; t++) theta0[K * D + t] = TYPE_MODEL.coef[TERMS[t]!] ?? 0;
  }
  const theta = adapt ? [...theta0] : new Array<number>(P).fill(0);
  if (!adapt) for (let t = 0; t < T; t++) theta[K * D + t] = 0.5;
  const m = new Array<number>(P).fill(0);
  const v = new Array<number>(P).fill(0);
  const lr = 0.05,
    b1 = 0.9,
    b2 = 0.999,
    eps = 1e-8;
  for (let it = 1; it <= iters; it++) {
    const g = new Array<number>(P).fill(0);
    for (let i = 0; i < train.length; i++) {
      const e = train[i]!;
      const termRows = TERMS.map((t) => e.terms[t]);
      const logits = new Array<number>(K);
      for (let k = 0; k < K; k++) {
        let s = 0;
        for (let j = 0; j < D; j++) s += theta[k * D + j]! * e.x[j]!;
        for (let t = 0; t < T; t++) s += theta[K * D + t]! * termRows[t]![k]!;
        logits[k] = s;
      }
      const mx = Math.max(...logits);
      const ex = logits.map((l) => Math.exp(l - mx));
      const z = ex.reduce((p, q) => p + q, 0);
      for (let k = 0; k < K; k++) {
        const r = (ex[k]! / z - (k === e.y ? 1 : 0)) * sw[i]!;
        for (let j = 0; j < D; j++) g[k * D + j]! += r * e.x[j]!;
        for (let t = 0; t < T; t++) g[K * D + t]! += r * termRows[t]![k]!;
      }
    }
    for (let k = 0; k < K; k++)
      for (let j = 0; j < D; j++)
        g[k * D + j]! += l2 * (theta[k * D + j]! - theta0[k * D + j]!) * (names[j] === "bias" && !adapt ? 0.1 : 1);
    if (adapt) for (let t = 0; t < T; t++) g[K * D + t]! += l2 * (theta[K * D + t]! - theta0[K * D + t]!);
    for (let p = 0; p < P; p++) {
      m[p] = b1 * m[p]! + (1 - b1) * g[p]!;
      v[p] = b2 * v[p]! + (1 - b2) * g[p]! ** 2;
      theta[p]! -= (lr * (m[p]! / (1 - b1 ** it))) / (Math.sqrt(v[p]! / (1 - b2 ** it)) + eps);
      if (p >= K * D) theta[p] = Math.max(0, theta[p]!);
    }
  }
  const round = (x: number) => Math.round(x * 1e4) / 1e4;
  return {
    version: 2,
    types,
    features: names,
    weights: Object.fromEntries(types.map((t, k) => [t, theta.slice(k * D, (k + 1) * D).map(round)])),
    coef: Object.fromEntries(TERMS.map((t, i) => [t, round(theta[K * D + i]!)])) as Record<
      (typeof TERMS)[number],
      number
    >,
    wordTable: {},
    trainedOn: repos,
  };
}

function accuracy(model: TypeModel, test: Example[]): number {
  let ok = 0;
  for (const e of test) {
    const logits = types.map(
      (t, k) =>
        model.weights[t]!.reduce((s, w, j) => s + w * e.x[j]!, 0) +
        TERMS.reduce((s, term) => s + model.coef[term] * e.terms[term][k]!, 0),
    );
    if (logits.indexOf(Math.max(...logits)) === e.y) ok++;
  }
  return ok / Math.max(1, test.length);
}

if (process.env.LORO !== "0") {
  const accs: string[] = [];
  let okAll = 0,
    okShipped = 0;
  for (let r = 0; r < repos.length; r++) {
    crossFitWords(examples, r);
    const model = fit(
      examples.filter((e) => e.repo !== r),
      lambda,
      600,
    );
    const table = adapt ? TYPE_MODEL.wordTable : wordTable(examples.filter((e) => e.repo !== r));
    const test = examples.filter((e) => e.repo === r);
    for (const e of test) e.terms.words = wordTerms(table, e.tokens, K);
    const a = accuracy(model, test);
    for (const e of test) e.terms.words = wordTerms(TYPE_MODEL.wordTable, e.tokens, K);
    const a0 = accuracy(TYPE_MODEL, test);
    okAll += a * test.length;
    okShipped += a0 * test.length;
    accs.push(`${repos[r]} ${a.toFixed(3)} (shipped ${a0.toFixed(3)}, n ${test.length})`);
  }
  console.error(
    `leave-one-repository-out accuracy on source changes (lambda ${lambda}${adapt ? ", adapt" : ""}): ${accs.join(", ")}`,
  );
  console.error(
    `pooled: ${(okAll / examples.length).toFixed(3)}, shipped model ${(okShipped / examples.length).toFixed(3)}, ${examples.length} examples`,
  );
}
if (process.env.FIT === "0") process.exit(0);
crossFitWords(examples);
const model = fit(examples, lambda);
model.wordTable = adapt ? TYPE_MODEL.wordTable : wordTable(examples);
if (adapt) model.trainedOn = [...TYPE_MODEL.trainedOn, ...repos];
console.error(
  `term coefficients ${JSON.stringify(model.coef)}; training accuracy ${accuracy(model, examples).toFixed(3)}`,
);
writeFileSync(
  out,
  `// Generated by scripts/train-commit-type-model.ts (lambda ${lambda}, ${adapt ? "adapted from the shipped model" : `${MAX_WORDS} words seen in >= ${MIN_REPOS} repositories`}); do not edit by hand.\n` +
    `import type { TypeModel } from "./type-model.js";\n\n` +
    `export const TYPE_MODEL: TypeModel = ${JSON.stringify(model)};\n`,
);
