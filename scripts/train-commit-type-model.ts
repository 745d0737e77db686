// `npx tsx scripts/train-commit-type-model.ts [--cache DIR] [--lambda L] [--out FILE] REPO...`
//
// Fits src/commit/type-model-weights.ts: the conditional-logit type model for source changes (see
// src/commit/type-model.ts) on the histories of public Conventional Commits repositories cloned under
// GITOPS_HEALTH_BENCH_REPOS (default /work/bench-repos). For each repository the vocabulary is learnt
// from the commits before each example, exactly as `commit generate` would see it; the last 300
// commits (the benchmark window) are never used for training. Each repository gets the same total
// weight, so that no single project's conventions dominate. Prints leave-one-repository-out accuracy.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { collectCommit, type ChangeSet } from "../src/commit/changes.js";
import { readHistory, type HistoryCommit } from "../src/commit/generate-history.js";
import { Vocabulary, parseHeader, shapeFeatures, sourceDirs } from "../src/commit/history.js";
import { extractFeatures, modelDecides } from "../src/commit/generate.js";
import { changeWords, diffFeatures, repoTerms, wordTerms, MODEL_TYPES, type TypeModel } from "../src/commit/type-model.js";

const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const cacheDir = opt("--cache");
const lambda = Number(opt("--lambda") ?? 0.02);
const out = opt("--out") ?? new URL("../src/commit/type-model-weights.ts", import.meta.url).pathname;
const ROOT = process.env.GITOPS_HEALTH_BENCH_REPOS ?? "/work/bench-repos";
const repos = args;
const HISTORY = 2300;
const WARMUP = 500;
const WINDOW = 300;

interface Example {
  repo: number;
  x: number[];
  prior: number[];
  shape: number[];
  dirs: number[];
  words: number[];
  tokens: string[];
  y: number;
}

type Row = HistoryCommit & { change: ChangeSet | null };

async function loadRows(name: string): Promise<Row[]> {
  const cached = cacheDir && join(cacheDir, `train-${name}.json`);
  if (cached && existsSync(cached)) return JSON.parse(readFileSync(cached, "utf8")) as Row[];
  const dir = join(ROOT, name);
  const all: HistoryCommit[] = [];
  for await (const c of readHistory(dir, "HEAD", HISTORY)) all.push(c);
  all.reverse();
  const rows: Row[] = [];
  for (let i = 0; i < all.length; i++) {
    const c = all[i]!;
    let change: ChangeSet | null = null;
    if (i >= WARMUP && i < all.length - WINDOW) change = await collectCommit(dir, c.sha).catch(() => null);
    rows.push({ ...c, change });
  }
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
    const h = parseHeader(c.header);
    if (c.change && h && types.includes(h.type) && i >= WARMUP && i < rows.length - WINDOW) {
      const f = extractFeatures(c.change);
      if (modelDecides(f)) {
        const x = diffFeatures(f);
        featureNames ??= Object.keys(x);
        const shape = shapeFeatures(f.files.map((file) => ({ path: file.path, status: { added: "A", deleted: "D", modified: "M", renamed: "R" }[file.status] })));
        const terms = repoTerms(vocab, shape, sourceDirs(f.files.map((file) => file.path)), types);
        examples.push({ repo: ri, x: featureNames.map((k) => x[k] ?? 0), ...terms, words: [], tokens: changeWords(f), y: types.indexOf(h.type) });
        n++;
      }
    }
    vocab.add(c.header, c.paths, c.statuses);
  }
  console.error(`${name}: ${n} examples`);
}
if (!featureNames) throw new Error("no examples");
const names = featureNames;
const D = names.length;
const K = types.length;

const MAX_WORDS = Number(process.env.MAX_WORDS ?? 3000);
const MIN_REPOS = Number(process.env.MIN_REPOS ?? 3);

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
  for (let r = 0; r < repos.length; r++) {
    if (r === exclude) continue;
    const table = wordTable(all.filter((e) => e.repo !== r && e.repo !== exclude));
    for (const e of all) if (e.repo === r) e.words = wordTerms(table, e.tokens, K);
  }
}

/** Fit by full-batch Adam on the L2-penalised, repository-balanced log-likelihood. */
function fit(train: Example[], l2: number, iters = 1500): TypeModel {
  const perRepo = new Map<number, number>();
  for (const e of train) perRepo.set(e.repo, (perRepo.get(e.repo) ?? 0) + 1);
  const sw = train.map((e) => 1 / perRepo.get(e.repo)! / perRepo.size);
  const W = Array.from({ length: K }, () => new Array<number>(D).fill(0));
  let a = 1, b = 0.5, c = 0.5, d4 = 0.5;
  const m = { W: W.map((r) => r.map(() => 0)), a: 0, b: 0, c: 0, d4: 0 };
  const v = { W: W.map((r) => r.map(() => 0)), a: 0, b: 0, c: 0, d4: 0 };
  const lr = 0.05, b1 = 0.9, b2 = 0.999, eps = 1e-8;
  for (let it = 1; it <= iters; it++) {
    const gW = W.map((r) => r.map(() => 0));
    let ga = 0, gb = 0, gc = 0, gd = 0;
    for (let i = 0; i < train.length; i++) {
      const e = train[i]!;
      const logits = W.map((w, k) => {
        let s = a * e.prior[k]! + b * e.shape[k]! + c * e.dirs[k]! + d4 * e.words[k]!;
        for (let j = 0; j < D; j++) s += w[j]! * e.x[j]!;
        return s;
      });
      const mx = Math.max(...logits);
      const ex = logits.map((l) => Math.exp(l - mx));
      const z = ex.reduce((p, q) => p + q, 0);
      for (let k = 0; k < K; k++) {
        const g = (ex[k]! / z - (k === e.y ? 1 : 0)) * sw[i]!;
        const row = gW[k]!;
        for (let j = 0; j < D; j++) row[j]! += g * e.x[j]!;
        ga += g * e.prior[k]!;
        gb += g * e.shape[k]!;
        gc += g * e.dirs[k]!;
        gd += g * e.words[k]!;
      }
    }
    for (let k = 0; k < K; k++) for (let j = 0; j < D; j++) gW[k]![j]! += l2 * W[k]![j]! * (names[j] === "bias" ? 0.1 : 1);
    const step = (g: number, mm: number, vv: number): [number, number, number] => {
      const m2 = b1 * mm + (1 - b1) * g;
      const v2 = b2 * vv + (1 - b2) * g * g;
      const d = (lr * (m2 / (1 - b1 ** it))) / (Math.sqrt(v2 / (1 - b2 ** it)) + eps);
      return [d, m2, v2];
    };
    for (let k = 0; k < K; k++)
      for (let j = 0; j < D; j++) {
        const [d, m2, v2] = step(gW[k]![j]!, m.W[k]![j]!, v.W[k]![j]!);
        W[k]![j]! -= d;
        m.W[k]![j] = m2;
        v.W[k]![j] = v2;
      }
    let d: number;
    [d, m.a, v.a] = step(ga, m.a, v.a);
    a = Math.max(0, a - d);
    [d, m.b, v.b] = step(gb, m.b, v.b);
    b = Math.max(0, b - d);
    [d, m.c, v.c] = step(gc, m.c, v.c);
    c = Math.max(0, c - d);
    [d, m.d4, v.d4] = step(gd, m.d4, v.d4);
    d4 = Math.max(0, d4 - d);
  }
  const round = (x: number) => Math.round(x * 1e4) / 1e4;
  return {
    version: 1,
    types,
    features: names,
    weights: Object.fromEntries(types.map((t, k) => [t, W[k]!.map(round)])),
    prior: round(a),
    shape: round(b),
    dirs: round(c),
    words: round(d4),
    wordTable: {},
    trainedOn: repos,
  };
}

function accuracy(model: TypeModel, test: Example[]): number {
  let ok = 0;
  for (const e of test) {
    const logits = types.map((t, k) => model.weights[t]!.reduce((s, w, j) => s + w * e.x[j]!, 0) + model.prior * e.prior[k]! + model.shape * e.shape[k]! + model.dirs * e.dirs[k]! + model.words * e.words[k]!);
    if (logits.indexOf(Math.max(...logits)) === e.y) ok++;
  }
  return ok / Math.max(1, test.length);
}

{
  const argmax = (v: number[]) => v.indexOf(Math.max(...v));
  const base = repos.map((r, ri) => {
    const ex = examples.filter((e) => e.repo === ri);
    const prior = ex.filter((e) => argmax(e.prior) === e.y).length / Math.max(1, ex.length);
    const nb = ex.filter((e) => argmax(e.prior.map((p, k) => p + e.shape[k]! + e.dirs[k]!)) === e.y).length / Math.max(1, ex.length);
    return `${r} ${prior.toFixed(3)}/${nb.toFixed(3)}`;
  });
  console.error(`repository prior only / prior+shape+dirs naive Bayes: ${base.join(", ")}`);
}
if (process.env.LORO !== "0") {
  const accs: string[] = [];
  for (let r = 0; r < repos.length; r++) {
    crossFitWords(examples, r);
    const model = fit(examples.filter((e) => e.repo !== r), lambda, 600);
    const table = wordTable(examples.filter((e) => e.repo !== r));
    const test = examples.filter((e) => e.repo === r);
    for (const e of test) e.words = wordTerms(table, e.tokens, K);
    accs.push(`${repos[r]} ${accuracy(model, test).toFixed(3)}`);
  }
  console.error(`leave-one-repository-out accuracy on source changes (lambda ${lambda}): ${accs.join(", ")}`);
}
crossFitWords(examples);
const model = fit(examples, lambda);
model.wordTable = wordTable(examples);
console.error(`prior ${model.prior} shape ${model.shape} dirs ${model.dirs}; training accuracy ${accuracy(model, examples).toFixed(3)}`);
writeFileSync(
  out,
  `// Generated by scripts/train-commit-type-model.ts (lambda ${lambda}); do not edit by hand.\n` +
    `import type { TypeModel } from "./type-model.js";\n\n` +
    `export const TYPE_MODEL: TypeModel = ${JSON.stringify(model)};\n`,
);
