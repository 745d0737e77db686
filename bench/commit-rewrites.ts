// Rewrite evidence for the commit type model (issue 15): what a change does to existing code, from
// `git blame` of the lines it rewrites (src/commit/generate/rewrites.ts).
//
//   npx tsx bench/commit-rewrites.ts dump OUT_DIR REPO...   replay each repository as the benches do
//     (vocabulary strictly from earlier commits) and write, per typed commit the type model decides,
//     the model's probabilities (with the branch), the rewrite features and the author's type.
//   npx tsx bench/commit-rewrites.ts fit OUT_DIR REPO...    fit the per-type coefficients of the rewrite
//     term on those dumps (L2, the model's log-probabilities as offset), leave-one-repository-out over
//     the given repositories to choose the penalty, and print the coefficients fitted on all of them.
//   npx tsx bench/commit-rewrites.ts cost - REPO...         CPU time of the blame calls (the git children's
//     user + system time from /proc/self/stat, and the process's own) on the last REWRITE_N commits the
//     type model decides, each blamed against its parent as `commit generate` blames a staged change
//     against HEAD.
//
// Only development repositories may be given to `fit` (see docs/BENCHMARKS.md, issue 15, h2).
// Env: COMMIT_CONV_REPOS_DIR (default /work/bench-repos), REWRITE_N (window, default 300),
// REWRITE_TRAIN (history before the window, default 500).
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { collectCommit } from "../src/commit/generate/changes.js";
import { readHistory, type HistoryCommit } from "../src/commit/generate/vocabulary-cache.js";
import { Vocabulary } from "../src/commit/generate/vocabulary.js";
import { extractFeatures, modelDecides, modelType } from "../src/commit/generate/offline.js";
import { TYPE_MODEL } from "../src/commit/generate/type-model-weights.js";
import { canonicalType, parseAnyHeader } from "../src/commit/convention.js";
import { classifyPath } from "../src/commit/generate/classify.js";
import { blameRewrites, rewriteFeatures, applyRewrites, type RewriteModel } from "../src/commit/generate/rewrites.js";
import { REWRITE_FEATURES } from "../src/commit/generate/rewrite-weights.js";

const ROOT = process.env.COMMIT_CONV_REPOS_DIR ?? "/work/bench-repos";
const N = Number(process.env.REWRITE_N ?? 300);
const TRAIN = Number(process.env.REWRITE_TRAIN ?? 500);
const [mode, out, ...repos] = process.argv.slice(2);
if (!mode || !out || repos.length === 0) {
  console.error("usage: commit-rewrites.ts dump|fit OUT_DIR REPO...");
  process.exit(2);
}

interface Example {
  repo: string;
  sha: string;
  label: string;
  p: Record<string, number>;
  x: Record<string, number>;
  blameMs: number;
  /** Typed source commits before this one: by its author, and in all, per canonical type. */
  author: Record<string, number>;
  all: Record<string, number>;
}

async function dump(name: string): Promise<void> {
  const dir = join(ROOT, name);
  const all: HistoryCommit[] = [];
  for await (const c of readHistory(dir, "HEAD", N + TRAIN)) all.push(c);
  all.reverse();
  const window = all.slice(Math.max(Math.ceil(all.length / 2), all.length - N));
  const before = all.slice(0, all.length - window.length);
  const vocab = new Vocabulary();
  const mailOf = new Map(
    execFileSync("git", ["-C", dir, "log", "--format=%H %ae", "-n", String(N + TRAIN + 1000)], {
      encoding: "utf8",
      maxBuffer: 1 << 28,
    })
      .trim()
      .split("\n")
      .map((l) => l.split(" ") as [string, string]),
  );
  const byAuthor = new Map<string, Record<string, number>>();
  const overall: Record<string, number> = {};
  const count = (c: HistoryCommit) => {
    const t = parseAnyHeader(c.header).type;
    if (!t || !c.paths.some((p) => classifyPath(p) === "source")) return;
    const k = canonicalType(t);
    const mail = (mailOf.get(c.sha) ?? "").toLowerCase();
    const a = byAuthor.get(mail) ?? {};
    a[k] = (a[k] ?? 0) + 1;
    byAuthor.set(mail, a);
    overall[k] = (overall[k] ?? 0) + 1;
  };
  for (const c of before) {
    vocab.add(c.header, c.paths, c.statuses, c.branch);
    count(c);
  }
  const lines: string[] = [];
  for (const c of window) {
    const human = parseAnyHeader(c.header);
    const enough = Object.values(vocab.state.sourceTypes ?? {}).reduce((a, b) => a + b, 0) >= 20;
    if (human.type && enough) {
      const change = await collectCommit(dir, c.sha);
      const f = extractFeatures(change);
      if (modelDecides(f)) {
        const [at, mail] = execFileSync("git", ["-C", dir, "log", "-1", "--format=%at %ae", c.sha], {
          encoding: "utf8",
        })
          .trim()
          .split(" ");
        const t0 = performance.now();
        const e = await blameRewrites(dir, `${c.sha}^`, change, Number(at), mail);
        const blameMs = performance.now() - t0;
        const p = modelType(f, vocab, [], TYPE_MODEL, { branch: c.branch }).probabilities;
        const ex: Example = {
          repo: name,
          sha: c.sha,
          label: canonicalType(human.type),
          p,
          x: rewriteFeatures(change, e),
          blameMs,
          author: { ...(byAuthor.get((mailOf.get(c.sha) ?? "").toLowerCase()) ?? {}) },
          all: { ...overall },
        };
        lines.push(JSON.stringify(ex));
      }
    }
    vocab.add(c.header, c.paths, c.statuses, c.branch);
    count(c);
  }
  writeFileSync(join(out!, `${name}.jsonl`), lines.join("\n") + "\n");
  console.error(`${name}: ${lines.length} examples`);
}

/** Author's type habit as centred log likelihood ratios log P(t | author) / P(t) (m-estimate, m = M). */
const M = Number(process.env.REWRITE_AUTHOR_M ?? 4);
function authorFeatures(ex: Example): Record<string, number> {
  const n = Object.values(ex.author).reduce((a, b) => a + b, 0);
  const tot = Object.values(ex.all).reduce((a, b) => a + b, 0);
  const out: Record<string, number> = {};
  for (const t of ["feat", "fix", "refactor"]) {
    const p = ((ex.all[t] ?? 0) + 1) / (tot + 3);
    out[`auth_${t}`] = Math.log(((ex.author[t] ?? 0) + M * p) / (n + M) / p);
  }
  return out;
}

const argmax = (p: Record<string, number>) => Object.entries(p).sort((a, b) => b[1] - a[1])[0]![0];

/** L2-penalised multinomial logit with the model's log-probabilities as offset, full-batch gradient descent. */
function fit(examples: Example[], features: string[], types: string[], lambda: number): RewriteModel {
  const W: Record<string, number[]> = Object.fromEntries(types.map((t) => [t, features.map(() => 0)]));
  const model: RewriteModel = { features, weights: W };
  let lr = 0.5;
  let prevLoss = Infinity;
  for (let it = 0; it < 3000; it++) {
    const g: Record<string, number[]> = Object.fromEntries(types.map((t) => [t, features.map(() => 0)]));
    let loss = 0;
    for (const ex of examples) {
      const q = applyRewrites(ex.p, ex.x, model);
      loss -= Math.log(Math.max(1e-12, q[ex.label] ?? 1e-12));
      for (const t of types) {
        const r = (q[t] ?? 0) - (ex.label === t ? 1 : 0);
        for (let j = 0; j < features.length; j++) g[t]![j]! += r * (ex.x[features[j]!] ?? 0);
      }
    }
    const n = examples.length;
    loss /= n;
    for (const t of types) for (let j = 0; j < features.length; j++) loss += (lambda / 2) * W[t]![j]! ** 2;
    if (loss > prevLoss) lr *= 0.5;
    if (Math.abs(prevLoss - loss) < 1e-9) break;
    prevLoss = loss;
    for (const t of types)
      for (let j = 0; j < features.length; j++) W[t]![j]! -= lr * (g[t]![j]! / n + lambda * W[t]![j]!);
  }
  return model;
}

function accuracy(examples: Example[], model?: RewriteModel): number {
  return examples.filter((ex) => argmax(model ? applyRewrites(ex.p, ex.x, model) : ex.p) === ex.label).length;
}

/** CPU seconds of waited-for children (cutime + cstime, /proc/self/stat fields 16-17). */
function childCpu(): number {
  const f = readFileSync("/proc/self/stat", "utf8");
  const rest = f.slice(f.lastIndexOf(")") + 2).split(" ");
  return (Number(rest[13]) + Number(rest[14])) / 100; // fields 16, 17 counted from 1; USER_HZ 100
}

async function cost(name: string): Promise<void> {
  const dir = join(ROOT, name);
  const shas = execFileSync("git", ["-C", dir, "rev-list", "--no-merges", "-n", String(4 * N), "HEAD"], {
    encoding: "utf8",
  })
    .trim()
    .split("\n");
  const per: { wall: number; cpu: number; lines: number }[] = [];
  let files = 0;
  for (const sha of shas) {
    if (per.length >= N) break;
    const change = await collectCommit(dir, sha);
    if (!modelDecides(extractFeatures(change))) continue;
    const c0 = childCpu();
    const u0 = process.cpuUsage();
    const t0 = performance.now();
    const e = await blameRewrites(dir, `${sha}^`, change, 0, "");
    const own = process.cpuUsage(u0);
    per.push({
      wall: performance.now() - t0,
      cpu: (childCpu() - c0) * 1000 + (own.user + own.system) / 1000,
      lines: e.lines,
    });
    files += change.files.filter((f) => f.status !== "added").length;
  }
  const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.floor(p * (xs.length - 1))]!;
  const cpu = per.map((x) => x.cpu);
  const wall = per.map((x) => x.wall);
  console.error(
    `${name}: ${per.length} changes (${files} files); blame CPU ms mean ${(cpu.reduce((a, b) => a + b, 0) / per.length).toFixed(1)}, median ${q(cpu, 0.5).toFixed(0)}, p90 ${q(cpu, 0.9).toFixed(0)}, max ${q(cpu, 1).toFixed(0)}; wall ms median ${q(wall, 0.5).toFixed(0)}, p90 ${q(wall, 0.9).toFixed(0)}; lines blamed median ${q(
      per.map((x) => x.lines),
      0.5,
    )}`,
  );
}

if (mode === "cost") {
  for (const r of repos) await cost(r);
} else if (mode === "dump") {
  mkdirSync(out, { recursive: true });
  for (const r of repos) await dump(r);
} else if (mode === "fit") {
  const byRepo = new Map<string, Example[]>();
  for (const r of repos) {
    const file = join(out, `${r}.jsonl`);
    if (!existsSync(file)) throw new Error(`no dump for ${r}`);
    byRepo.set(
      r,
      readFileSync(file, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Example),
    );
  }
  const all = [...byRepo.values()].flat();
  for (const ex of all) Object.assign(ex.x, authorFeatures(ex));
  // REWRITE_SELECT=a,b: fit a subset of the features (development only).
  const features = process.env.REWRITE_SELECT ? process.env.REWRITE_SELECT.split(",") : [...REWRITE_FEATURES];
  const types = ["feat", "fix", "refactor"];
  const ms = all.map((e) => e.blameMs).sort((a, b) => a - b);
  console.error(
    `examples ${all.length} (${[...byRepo].map(([r, e]) => `${r} ${e.length}`).join(", ")}); blame ms median ${ms[ms.length >> 1]?.toFixed(0)}, p90 ${ms[Math.floor(ms.length * 0.9)]?.toFixed(0)}, max ${ms[ms.length - 1]?.toFixed(0)}`,
  );
  // Per-type means of the features (what the evidence looks like on the development histories).
  for (const t of types) {
    const ex = all.filter((e) => e.label === t);
    console.error(
      `  ${t} (${ex.length}): ${features.map((k) => `${k} ${(ex.reduce((a, e) => a + (e.x[k] ?? 0), 0) / Math.max(1, ex.length)).toFixed(2)}`).join(", ")}`,
    );
  }
  let best = { lambda: 0, ok: -1 };
  if (process.env.REWRITE_DEBUG)
    console.error(JSON.stringify(fit(all, features, types, Number(process.env.REWRITE_DEBUG)).weights));
  for (const lambda of [0.003, 0.01, 0.03, 0.1, 0.3, 1]) {
    let ok = 0,
      base = 0,
      tested = 0;
    const per: string[] = [];
    // REWRITE_CV=time: train on the older half of every repository, test on the newer halves.
    const splits =
      process.env.REWRITE_CV === "time"
        ? [...byRepo].map(([r, ex]) => {
            const old = new Set(ex.slice(0, ex.length >> 1));
            return [
              r,
              ex.filter((e) => !old.has(e)),
              all.filter(
                (e) =>
                  !byRepo
                    .get(e.repo)!
                    .slice(byRepo.get(e.repo)!.length >> 1)
                    .includes(e),
              ),
            ] as const;
          })
        : [...byRepo].map(([r, ex]) => [r, ex, all.filter((e) => e.repo !== r)] as const);
    for (const [r, test, train] of splits) {
      const m = fit(train, features, types, lambda);
      const a = accuracy(test, m);
      const b = accuracy(test);
      ok += a;
      base += b;
      tested += test.length;
      per.push(`${r} ${a}/${test.length} (model alone ${b})`);
    }
    console.error(`LORO λ ${lambda}: ${ok}/${tested} (model alone ${base}): ${per.join("; ")}`);
    if (ok > best.ok || (ok === best.ok && lambda > best.lambda)) best = { lambda, ok };
  }
  const m = fit(all, features, types, best.lambda);
  console.error(`chosen λ ${best.lambda}; in-sample ${accuracy(all, m)}/${all.length} (model alone ${accuracy(all)})`);
  const round = (v: number) => Math.round(v * 1000) / 1000;
  console.log(
    JSON.stringify({
      lambda: best.lambda,
      features,
      weights: Object.fromEntries(types.map((t) => [t, m.weights[t]!.map(round)])),
    }),
  );
}
