import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { makeRepo, makeTempDir, runCli } from "./helpers/repo.js";
import { extractFeatures, isNonSource, sensitiveArea, type CommitFeatures } from "../src/risk/features.js";
import { szz } from "../src/risk/szz.js";
import {
  auc,
  blendWithLA,
  fitLogistic,
  popt,
  predict,
  recallAt20,
  scoreSpread,
  type RiskModel,
} from "../src/risk/model.js";
import { ANCHOR_ALPHAS, anchorToLA, evaluate, train } from "../src/risk/index.js";

const lines = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag} ${i}`).join("\n") + "\n";
const DAY = 86400;
const T0 = 1_700_000_000;
const at = (d: number) => `@${T0 + d * DAY} +0000`;

describe("JIT features (Kamei et al. 2013)", () => {
  it("match hand-computed values on a crafted history", async () => {
    const repo = makeRepo();
    repo.commit(
      "feat: start",
      { "a/x.js": lines(10, "x"), "b/y.js": lines(5, "y") },
      { date: at(0), author: "Alice <alice@example.invalid>" },
    );
    repo.commit(
      "feat: tweak",
      { "a/x.js": lines(10, "x").replace("x 3\n", "x 3b\nx 3c\n") },
      { date: at(1), author: "Bob <bob@example.invalid>" },
    );
    repo.commit(
      "fix: bug",
      {
        "a/x.js": lines(10, "x").replace("x 3\n", "x 3z\n").replace("x 7\n", ""),
        "b/y.js": lines(5, "y") + "y a\ny b\ny c\n",
        "c/z.md": lines(4, "z"),
      },
      { date: at(3), author: "Alice <alice@example.invalid>" },
    );
    const all: CommitFeatures[] = [];
    for await (const f of extractFeatures({ cwd: repo.dir, allFiles: true })) all.push(f);
    const v = all[2]!.values;
    // x.js: 11 lines before, changed "x 3b x 3c" -> "x 3z" and removed "x 7": +1 -3
    expect(v).toMatchObject({
      NS: 3,
      ND: 3,
      NF: 3,
      LA: 1 + 3 + 4,
      LD: 3,
      LT: 11 + 5,
      FIX: 1,
      NDEV: 2,
      NUC: 2,
      EXP: 1,
      SEXP: 2,
    });
    const churn = [4, 3, 4];
    const H = -churn.map((c) => (c / 11) * Math.log2(c / 11)).reduce((a, b) => a + b, 0);
    expect(v.Entropy).toBeCloseTo(H, 6);
    expect(v.AGE).toBeCloseTo((2 + 3) / 2, 6);
    expect(v.REXP).toBeCloseTo(1 / (3 / 365 + 1), 6);
    expect(all[1]!.values).toMatchObject({ NF: 1, LA: 2, LD: 1, LT: 10, NDEV: 1, EXP: 0, FIX: 0 });
    // By default the Markdown file is not source: size and diffusion count only x.js and y.js.
    const src: CommitFeatures[] = [];
    for await (const f of extractFeatures({ cwd: repo.dir })) src.push(f);
    expect(src[2]!.values).toMatchObject({ NS: 2, ND: 2, NF: 2, LA: 1 + 3, LD: 3, LT: 11 + 5, NUC: 2, SEXP: 2 });
    expect(src[2]!.values.Entropy).toBeCloseTo(
      -[4, 3].map((c) => (c / 7) * Math.log2(c / 7)).reduce((a, b) => a + b, 0),
      6,
    );
  });

  it("history of defects: fix share of the files' earlier changes (PFS) and of the author's earlier commits (AFIX)", async () => {
    const repo = makeRepo();
    const alice = { author: "Alice <alice@example.invalid>" };
    const bob = { author: "Bob <bob@example.invalid>" };
    repo.commit("feat: a", { "src/a.js": lines(5, "a") }, { date: at(0), ...alice });
    repo.commit("fix: a", { "src/a.js": lines(5, "a") + "a x\n" }, { date: at(1), ...alice });
    repo.commit("feat: b", { "src/b.js": lines(5, "b") }, { date: at(2), ...bob });
    repo.commit("docs: readme", { "README.md": "hi\n" }, { date: at(3), ...bob });
    repo.commit(
      "feat: both",
      { "src/a.js": lines(5, "a") + "a y\n", "src/b.js": lines(5, "b") + "b y\n" },
      { date: at(4), ...alice },
    );
    const all: CommitFeatures[] = [];
    for await (const f of extractFeatures({ cwd: repo.dir })) all.push(f);
    // a.js and b.js were changed before by commits 1-3, of which one (the fix) was a fix
    expect(all[4]!.values.PFS).toBeCloseTo(1 / 3, 9);
    // Alice's earlier commits: "feat: a" and "fix: a"
    expect(all[4]!.values.AFIX).toBeCloseTo(1 / 2, 9);
    // nothing known yet: no earlier changes, no earlier commits of the author
    expect(all[0]!.values).toMatchObject({ PFS: 0, AFIX: 0 });
    // Bob's first commit touches a new file: no history, whatever Alice fixed
    expect(all[2]!.values).toMatchObject({ PFS: 0, AFIX: 0 });
    // a fix of a.js is known to the next change of a.js, and only from then on
    expect(all[1]!.values.PFS).toBe(0);
  });

  it("leave docs, changelogs, lockfiles, generated and binary files out of size metrics, but not of sensitivity", async () => {
    for (const p of [
      "CHANGELOG.md",
      "packages/a/CHANGELOG.md",
      "README.md",
      "docs/guide/config.ts",
      "pnpm-lock.yaml",
      "package-lock.json",
      "yarn.lock",
      "Cargo.lock",
      "go.sum",
      "dist/index.js",
      "lib/app.min.js",
      "src/__snapshots__/a.test.ts.snap",
      "assets/logo.png",
      "LICENSE",
      "LICENSE-MIT",
      "HISTORY",
      ".yarn/releases/yarn-1.22.0.js",
      "third_party/github.com/x/lib/y.js",
    ])
      expect(isNonSource(p), p).toBe(true);
    for (const p of [
      "src/index.ts",
      "package.json",
      ".github/workflows/ci.yml",
      "test/a.test.ts",
      "templates/header.hbs",
      "src/docs.ts",
      "lib/history.js",
      "src/license.ts",
    ])
      expect(isNonSource(p), p).toBe(false);
    const repo = makeRepo();
    repo.commit("feat: start", { "src/a.ts": lines(5, "a") });
    repo.commit("chore(release): 1.0.0", {
      "CHANGELOG.md": lines(300, "entry"),
      "pnpm-lock.yaml": lines(900, "dep"),
      "SECURITY.md": "report to security@example.invalid\n",
    });
    repo.commit("feat: more", {
      "src/a.ts": lines(7, "a"),
      "logo.png": Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 1, 2, 3]) as unknown as string,
    });
    const all: CommitFeatures[] = [];
    for await (const f of extractFeatures({ cwd: repo.dir })) all.push(f);
    expect(all[1]!.values).toMatchObject({ NF: 0, LA: 0, LD: 0, NS: 0, POLICY: 1 });
    expect(all[2]!.values).toMatchObject({ NF: 1, LA: 2, LT: 5 });
    expect(all[2]!.files.find((f) => f.path === "logo.png")?.binary).toBe(true);
  });
});

describe("fix detection in the repository's own convention", () => {
  it("labels `(fix) Summary`, tracker-key and free-text fixes, sets FIX and lets SZZ blame them", async () => {
    const repo = makeRepo();
    const intro = repo.commit("(feat) O3-1: dose calculator", { "src/dose.js": "export const dose = (w) => w * 2;\n" });
    repo.commit("(chore) O3-2: tidy", { "src/other.js": "export const o = 1;\n" });
    repo.commit("(fix) O3-3: dose per kilogram", { "src/dose.js": "export const dose = (w) => w * 1.5;\n" });
    repo.commit("CDR-4 Fix broken query", { "src/q.js": "export const q = 2;\n" });
    repo.commit("Fixes flaky dose rounding (#12)", {
      "src/dose.js": "export const dose = (w) => Math.round(w * 1.5);\n",
    });
    const all: CommitFeatures[] = [];
    for await (const f of extractFeatures({ cwd: repo.dir })) all.push(f);
    expect(all.map((c) => c.values.FIX)).toEqual([0, 0, 1, 1, 1]);
    expect(all.map((c) => c.fixBy)).toEqual([undefined, undefined, "type", "keyword", "keyword"]);
    const bugs = await szz(repo.dir, [all[2]!.sha], new Set(all.map((c) => c.sha)));
    expect([...bugs.keys()]).toEqual([intro]);
  });
});

describe("sensitivity detectors", () => {
  it("match whole words of a path, not substrings", () => {
    const yes: [Parameters<typeof sensitiveArea>[0], string][] = [
      ["CRYPTO", "src/crypto/aes.ts"],
      ["CRYPTO", "lib/signing.ts"],
      ["CRYPTO", "src/KeyStore.java"],
      ["AUTH", "src/auth/x.ts"],
      ["AUTH", "src/TwoFactorSetup.tsx"],
      ["AUTH", "src/SignIn.tsx"],
      ["INFRA", "charts/app/values.yaml"],
      ["INFRA", ".github/workflows/ci.yml"],
      ["INFRA", "Dockerfile"],
      ["MIGRATION", "db/migrations/1.js"],
      ["POLICY", "policies/a.rego"],
    ];
    const no: [Parameters<typeof sensitiveArea>[0], string][] = [
      ["CRYPTO", "src/AssignedPatients.tsx"],
      ["CRYPTO", "src/design/x.ts"],
      ["CRYPTO", "src/SignIn.tsx"],
      ["CRYPTO", "src/monkey.ts"],
      ["AUTH", "src/author.ts"],
      ["AUTH", "src/AuthorList.tsx"],
      ["INFRA", "src/ChartView.tsx"],
      ["MIGRATION", "src/migrateUsers.ts"],
      ["POLICY", "src/policyNumber.ts"],
    ];
    for (const [k, p] of yes) expect(sensitiveArea(k, p), `${k} ${p}`).toBe(true);
    for (const [k, p] of no) expect(sensitiveArea(k, p), `${k} ${p}`).toBe(false);
  });
});

describe("SZZ", () => {
  it("finds the planted bug-introducing commit and ignores comment-only changes", async () => {
    const repo = makeRepo();
    repo.commit("feat: calc", { "calc.js": "export function sub(a, b) {\n  return a + b;\n}\n// note\n" });
    const buggy = repo.commit("refactor: tidy", {
      "calc.js": "export function sub(a, b) {\n  return b - a;\n}\n// note\n",
      "other.js": "x\n",
    });
    const noise = repo.commit("docs: comment", {
      "calc.js": "export function sub(a, b) {\n  return b - a;\n}\n// a better note\n",
    });
    const fix = repo.commit("fix: subtract in the right order", {
      "calc.js": "export function sub(a, b) {\n  return a - b;\n}\n// removed\n",
    });
    const known = new Set([buggy, noise, fix]);
    const found = await szz(repo.dir, [fix], known);
    expect([...found.keys()]).toEqual([buggy]);
  });

  it("does not blame changelogs, lockfiles or dependency manifests, nor revisions in .git-blame-ignore-revs", async () => {
    const repo = makeRepo();
    const pkg = (v: string, dep: string) =>
      `{\n  "name": "calc",\n  "version": "${v}",\n  "dependencies": {\n    "left-pad": "${dep}"\n  }\n}\n`;
    const start = repo.commit("feat: calc", {
      "calc.js": "export function sub(a, b) {\n  return a - b;\n}\n",
      "package.json": pkg("1.0.0", "^1.0.0"),
    });
    const buggy = repo.commit("feat: faster sub", { "calc.js": "export function sub(a, b) {\n  return b - a;\n}\n" });
    const release = repo.commit("chore(release): 1.1.0", {
      "CHANGELOG.md": "# 1.1.0\n- faster sub\n",
      "package.json": pkg("1.1.0", "^1.0.0"),
      "package-lock.json": '{"lockfileVersion": 3, "v": "1.1.0"}\n',
    });
    const fix = repo.commit("fix: sub order; bump left-pad", {
      "calc.js": "export function sub(a, b) {\n  return a - b;\n}\n",
      "CHANGELOG.md": "# 1.1.1\n- fixed sub\n",
      "package.json": pkg("1.1.1", "^1.3.0"),
      "package-lock.json": '{"lockfileVersion": 3, "v": "1.1.1"}\n',
    });
    const known = new Set([start, buggy, release, fix]);
    expect([...(await szz(repo.dir, [fix], known)).keys()]).toEqual([buggy]);

    // A formatting commit listed in .git-blame-ignore-revs is skipped: blame goes on to the commit before it.
    const repo2 = makeRepo();
    const intro = repo2.commit("feat: add", { "add.js": "export const add = (a, b) => a - b\n" });
    const style = repo2.commit("style: semicolons", { "add.js": "export const add = (a, b) => a - b;\n" });
    repo2.commit("chore: ignore formatting in blame", { ".git-blame-ignore-revs": `# style\n${style}\n` });
    const fix2 = repo2.commit("fix: add adds", { "add.js": "export const add = (a, b) => a + b;\n" });
    const found2 = await szz(repo2.dir, [fix2], new Set([intro, style, fix2]));
    expect([...found2.keys()]).toEqual([intro]);
  });

  it("batched blame labels what one diff and blame per fix labels, over odd paths, writing nothing to the repository", async () => {
    const repo = makeRepo();
    const odd = ["src/it's here.js", "src/with space.js", 'src/"quoted" $HOME `x`.js', "src/ünï.js"];
    const shas: string[] = [];
    shas.push(repo.commit("feat: start", Object.fromEntries(odd.map((p, i) => [p, lines(12, `v${i}`)]))));
    for (let k = 0; k < 6; k++) {
      const files = Object.fromEntries(
        odd
          .filter((_, i) => (i + k) % 2 === 0)
          .map((p, i) => [p, lines(12, `v${i}`).replace(`v${i} ${k + 2}\n`, `changed ${k}\n`)]),
      );
      shas.push(repo.commit(k % 2 ? `fix: round ${k}` : `feat: round ${k}`, files));
    }
    const fixes = shas.filter((_, i) => i % 2 === 0 && i > 0);
    const known = new Set(shas);
    const objects = execFileSync("git", ["rev-parse", "--git-path", "objects"], {
      cwd: repo.dir,
      encoding: "utf8",
    }).trim();
    const before = execFileSync("find", [join(repo.dir, objects)], { encoding: "utf8" });
    const batched = await szz(repo.dir, fixes, known);
    const perFix = await szz(repo.dir, fixes, known, { method: "per-fix" });
    expect(batched.size).toBeGreaterThan(0);
    expect([...batched].sort()).toEqual([...perFix].sort());
    expect(execFileSync("find", [join(repo.dir, objects)], { encoding: "utf8" })).toBe(before);
  });
});

describe("logistic regression and metrics", () => {
  it("recovers the sign and rough size of known coefficients", () => {
    let seed = 3;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const X: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 3000; i++) {
      const a = rand() * 4;
      const b = rand() * 4;
      const p = 1 / (1 + Math.exp(-(2 * a - b - 2)));
      X.push([a, b]);
      y.push(rand() < p ? 1 : 0);
    }
    const m = fitLogistic(
      X,
      y,
      y.map(() => 1),
      ["LA", "LD"],
      0.01,
    );
    // coefficients are on standardised features: scale back
    const ca = m.coef[0]! / m.scale[0]!;
    const cb = m.coef[1]! / m.scale[1]!;
    expect(ca).toBeGreaterThan(1.6);
    expect(ca).toBeLessThan(2.4);
    expect(cb).toBeLessThan(-0.7);
    expect(cb).toBeGreaterThan(-1.3);
  });

  it("AUC, recall at 20% effort and Popt on known rankings", () => {
    expect(auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.75, 6);
    expect(auc([1, 2, 3], [0, 0, 0])).toBe(0.5);
    const churn = [10, 10, 10, 10, 10];
    expect(recallAt20([0.9, 0.1, 0.1, 0.1, 0.1], [1, 0, 0, 0, 1], churn)).toBe(0.5);
    expect(popt([5, 4, 3, 2, 1], [1, 1, 0, 0, 0], churn)).toBeCloseTo(1, 6);
    expect(popt([1, 2, 3, 4, 5], [1, 1, 0, 0, 0], churn)).toBeCloseTo(0, 6);
  });
});

describe("likelihood and impact", () => {
  it("sensitivity features can raise risk, never lower it, in the fit and in a stored model", () => {
    // AUTH changes are planted as safer (bugs only among non-AUTH changes): an unconstrained fit learns a negative weight.
    const X: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 400; i++) {
      const authFlag = i % 3 === 0 ? 1 : 0;
      const la = 1 + (i % 11);
      X.push([Math.log1p(la), Math.log1p(authFlag)]);
      y.push(!authFlag && (la > 6 || i % 7 === 0) ? 1 : 0);
    }
    const w = X.map(() => 1);
    const free = fitLogistic(X, y, w, ["LA", "AUTH"], 1, []);
    expect(free.coef[1]).toBeLessThan(-0.5);
    const constrained = fitLogistic(X, y, w, ["LA", "AUTH"], 1);
    expect(constrained.coef[1]).toBe(0);
    expect(constrained.coef[0]).toBeGreaterThan(0.5);
    // A stored model with a negative AUTH weight (an old one) cannot make an AUTH change score lower.
    const values = (auth: number) => ({
      NS: 1,
      ND: 1,
      NF: 1,
      Entropy: 0,
      LA: 50,
      LD: 0,
      LT: 10,
      FIX: 0,
      NDEV: 1,
      AGE: 1,
      NUC: 1,
      EXP: 1,
      REXP: 1,
      SEXP: 1,
      PFS: 0,
      AFIX: 0,
      CRIT: 0,
      AUTH: auth,
      CRYPTO: 0,
      MIGRATION: 0,
      INFRA: 0,
      POLICY: 0,
      TESTLESS: 0,
    });
    const old: RiskModel = { ...free, coef: [0.5, -3] };
    expect(predict(old, values(1)).p).toBeGreaterThanOrEqual(predict(old, values(0)).p);
    expect(scoreSpread(old, [values(0), values(1)]).spread).toBe(0);
  });

  it("a configured tier-1 path is never LOW nor standard, whatever the likelihood", () => {
    const repo = makeRepo();
    repo.write(
      ".gitops-health.yml",
      "criticalPaths:\n  - pattern: 'src/clinical/**'\n    tier: 1\n  - pattern: 'src/billing/**'\n    tier: 2\n",
    );
    repo.commit("feat: start", { "src/a.js": lines(5, "a") });
    repo.commit("docs: tweak", { "src/clinical/login.js": "export const x = 1;\n" });
    const j = JSON.parse(runCli(["risk", "score", "--format", "json"], { cwd: repo.dir }).stdout);
    expect(j.impact).toEqual({ tier: 1, floor: "HIGH" });
    expect(j.likelihood).toBeLessThan(55);
    expect(j.score).toBeGreaterThanOrEqual(55);
    expect(j.level).toBe("HIGH");
    expect(j.strategy).toBe("blue-green");
    repo.commit("docs: billing", { "src/billing/x.js": "export const y = 1;\n" });
    const b = JSON.parse(runCli(["risk", "score", "--format", "json"], { cwd: repo.dir }).stdout);
    expect(b.impact).toEqual({ tier: 2, floor: "MEDIUM" });
    expect(b.level).not.toBe("LOW");
    repo.commit("docs: other", { "src/other.js": "export const z = 1;\n" });
    expect(JSON.parse(runCli(["risk", "score", "--format", "json"], { cwd: repo.dir }).stdout).impact).toBeUndefined();
  });
});

describe("evaluation protocol", () => {
  const commit = (i: number, la: number, nf = 1): CommitFeatures => ({
    sha: i.toString(16).padStart(40, "0"),
    author: "a",
    time: T0 + i * DAY,
    subject: "",
    files: [],
    values: {
      NS: nf,
      ND: nf,
      NF: nf,
      Entropy: 0,
      LA: la,
      LD: 0,
      LT: 10,
      FIX: 0,
      NDEV: 1,
      AGE: 1,
      NUC: 1,
      EXP: i,
      REXP: 1,
      SEXP: 1,
      PFS: 0,
      AFIX: 0,
      CRIT: 0,
      AUTH: 0,
      CRYPTO: 0,
      MIGRATION: 0,
      INFRA: 0,
      POLICY: 0,
      TESTLESS: 0,
    },
  });

  it("skips commits without source, and trains only on labels known before the split", () => {
    const commits: CommitFeatures[] = [];
    const labels: number[] = [];
    const fixedAt: number[] = [];
    for (let i = 0; i < 100; i++) {
      const big = i % 5 === 0;
      commits.push(commit(i, big ? 400 + i : 3 + (i % 7)));
      labels.push(big ? 1 : 0);
      // Bugs of commits 60-69 are fixed only after the split (commit 70): not known at training time.
      fixedAt.push(big ? T0 + (i >= 60 && i < 70 ? 95 : i + 3) * DAY : Infinity);
    }
    for (let i = 0; i < 20; i++) {
      commits.push(commit(100 + i, 0, 0)); // docs-only: no source files
      labels.push(0);
      fixedAt.push(Infinity);
    }
    const min = { train: 5, test: 5 };
    const r = evaluate({ commits, labels, fixedAt, fixes: 20, labelledFrom: -Infinity }, 0.7, min);
    expect(r.train + r.test).toBe(100);
    expect(r.train).toBe(70);
    expect(r.buggyTrain).toBe(14 - 2);
    expect(r.buggyTest).toBe(6);
    expect(r.model!.auc).toBeGreaterThan(0.9);
    expect(r.baseline!.auc).toBe(1);
    expect(r.spread!.spread).toBeGreaterThan(0);
    // The minimum-label rule (30 in training, 10 in test by default): counts, but no AUC.
    const d = evaluate({ commits, labels, fixedAt, fixes: 20, labelledFrom: -Infinity });
    expect(d.insufficient).toMatch(
      /insufficient labels: 12 bug-introducing commit\(s\) to train on \(at least 30 needed\), 6 in the test window \(at least 10 needed\)/,
    );
    expect(d.model).toBeUndefined();
    expect(d.buggyTest).toBe(6);
    // Only recent fixes blamed (from day 50 on): older commits' clean labels are unknown, so they are left out.
    const w = evaluate({ commits, labels, fixedAt, fixes: 20, labelledFrom: T0 + 50 * DAY }, 0.7, {
      train: 1,
      test: 1,
    });
    expect(w.train + w.test).toBe(50);
    expect(w.train).toBe(35);
  });

  it("keeps the fitted model only when it beats lines added inside the training window (anchorToLA)", () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    // EXP carries signal (steady over time) or, in the second history, a signal that flips halfway.
    const history = (steady: boolean) => {
      const cs: CommitFeatures[] = [];
      const ys: number[] = [];
      for (let i = 0; i < 1200; i++) {
        const c = commit(i, Math.round(Math.exp(rand() * 5)));
        c.values.EXP = Math.round(Math.exp(rand() * 5));
        const sign = steady || i < 600 ? 1 : -1;
        const logit = 0.8 * Math.log1p(c.values.LA) + 1.5 * sign * Math.log1p(c.values.EXP) - 4 - (steady ? 3 : 0);
        cs.push(c);
        ys.push(rand() < 1 / (1 + Math.exp(-logit)) ? 1 : 0);
      }
      return { cs, ys };
    };
    const s = history(true);
    const full = train(s.cs, s.ys, undefined, { anchor: false });
    const la = train(s.cs, s.ys, ["LA"]);
    const kept = anchorToLA(s.cs, s.ys, full, la);
    // A steady second signal: most of the fitted model is kept (blends near it rank almost alike, and
    // a tie goes to the share nearer lines added).
    expect(kept.anchor.alpha).toBeGreaterThanOrEqual(0.5);
    expect(kept.anchor.validation[0]!.auc).toBeLessThan(kept.anchor.validation[4]!.auc - 0.05);
    expect(train(s.cs, s.ys).anchor?.alpha).toBe(kept.anchor.alpha);
    // The effect that flips is learned from the older half and misleads on the newer: lines added is kept.
    const f = history(false);
    const shrunk = train(f.cs, f.ys);
    expect(shrunk.anchor!.alpha).toBeLessThan(1);
    expect(shrunk.anchor!.reason).toMatch(/lines added/);
    const v = shrunk.anchor!.validation;
    expect(v.map((x) => x.alpha)).toEqual(ANCHOR_ALPHAS);
    expect(v.find((x) => x.alpha === shrunk.anchor!.alpha)!.auc).toBeGreaterThan(v[v.length - 1]!.auc);
    // evaluate reports the fitted model and what train keeps
    const fixedAt = f.ys.map((y, i) => (y ? T0 + (i + 1) * DAY : Infinity));
    const r = evaluate({ commits: f.cs, labels: f.ys, fixedAt, labelledFrom: -Infinity }, 0.7, { train: 5, test: 5 });
    expect(r.insufficient).toBeUndefined();
    expect(r.anchor!.alpha).toBeLessThan(1);
    expect(r.fitted!.auc).toBeTypeOf("number");
  });

  it("a blend with the lines-added model is the same blend of the two models' logits", () => {
    const cs = Array.from({ length: 200 }, (_, i) => commit(i, 1 + ((i * 37) % 300)));
    const ys = cs.map((c, i) => (c.values.LA > 150 || i % 9 === 0 ? 1 : 0));
    cs.forEach((c, i) => (c.values.EXP = (i * 13) % 50));
    const full = train(cs, ys, undefined, { anchor: false });
    const la = train(cs, ys, ["LA"]);
    const logit = (m: RiskModel, c: CommitFeatures) => {
      const p = predict(m, c.values).p;
      return Math.log(p / (1 - p));
    };
    for (const alpha of [0, 0.25, 1]) {
      const b = blendWithLA(full, la, alpha);
      for (const c of cs.slice(0, 20))
        expect(logit(b, c)).toBeCloseTo(alpha * logit(full, c) + (1 - alpha) * logit(la, c), 6);
    }
  });
});

describe("risk CLI", () => {
  it("reads a declared Risk-Level trailer in any case, among other trailers, and none when there is none", async () => {
    const { scoreChange } = await import("../src/risk/index.js");
    const repo = makeRepo();
    repo.commit("feat: a", { "src/a.js": lines(20, "a") });
    repo.commit("feat: b\n\nRefs: #12\nrisk-level: critical\nSigned-off-by: A <a@example.com>", {
      "src/b.js": lines(3, "b"),
    });
    const head = repo.git("rev-parse", "HEAD").trim();
    for (const t of [{ rev: "HEAD" }, { rev: head, resolved: true }])
      expect((await scoreChange({ cwd: repo.dir, ...t })).declared).toBe("CRITICAL");
    repo.commit("feat: c\n\nRefs: #13\nSigned-off-by: A <a@example.com>", { "src/c.js": lines(3, "c") });
    expect((await scoreChange({ cwd: repo.dir })).declared).toBeUndefined();
    repo.commit("feat: d", { "src/d.js": lines(3, "d") });
    expect((await scoreChange({ cwd: repo.dir })).declared).toBeUndefined();
  });

  it("scores a commit with factors, strategy and approvals; a declared level only raises", () => {
    const repo = makeRepo();
    repo.commit("feat: a", { "src/a.js": lines(20, "a") });
    repo.commit("feat: b\n\nRisk-Level: CRITICAL", { "src/b.js": lines(3, "b") });
    const r = runCli(["risk", "score", "--format", "json"], { cwd: repo.dir });
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.level).toBe("CRITICAL");
    expect(j.declared).toBe("CRITICAL");
    expect(j.strategy).toBe("blue-green");
    expect(j.approvals).toBe(2);
    expect(j.score).toBeGreaterThanOrEqual(0);
    expect(j.score).toBeLessThanOrEqual(100);
    expect(j.factors.length).toBeGreaterThan(10);
    const abs = j.factors.map((f: { contribution: number }) => Math.abs(f.contribution));
    expect(abs).toEqual([...abs].sort((a: number, b: number) => b - a));
    expect(j.model).toMatch(/default model/);
    repo.write("src/c.js", lines(50, "c"));
    repo.git("add", "-A");
    expect(
      JSON.parse(runCli(["risk", "score", "--staged", "--format", "json"], { cwd: repo.dir }).stdout).factors.find(
        (f: { name: string }) => f.name === "LA",
      ).value,
    ).toBe(50);
    repo.git("commit", "-q", "-m", "feat: c");
    const empty = runCli(["risk", "score", "--staged"], { cwd: repo.dir });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/nothing staged/);
    expect(empty.stdout).toBe("");
  });

  it("eval splits source-changing commits in time order and reports model and baseline", () => {
    const repo = makeRepo();
    let day = 0;
    for (let i = 0; i < 8; i++) {
      // a feature with a planted bug, a docs-only commit, then the fix of the bug
      repo.commit(
        `feat: m${i}`,
        {
          [`src/m${i}.js`]:
            `export const v${i} = (a) => a - ${i};\n` +
            lines(5 + 10 * (i % 3), `// n${i}`)
              .replace(/^\/\/ /gm, `export const k${i}_`)
              .replace(/ (\d+)$/gm, " = $1;"),
        },
        { date: at(day++) },
      );
      repo.commit(
        `docs: m${i}`,
        { "README.md": lines(i + 1, "doc"), "CHANGELOG.md": lines(20 * (i + 1), "entry") },
        { date: at(day++) },
      );
      repo.commit(`feat: small ${i}`, { [`src/s${i}.js`]: `export const s${i} = ${i};\n` }, { date: at(day++) });
      repo.commit(
        `fix: m${i} adds`,
        {
          [`src/m${i}.js`]:
            `export const v${i} = (a) => a + ${i};\n` +
            lines(5 + 10 * (i % 3), `// n${i}`)
              .replace(/^\/\/ /gm, `export const k${i}_`)
              .replace(/ (\d+)$/gm, " = $1;"),
        },
        { date: at(day++) },
      );
    }
    const r = runCli(["risk", "eval", "--format", "json", "--min-labels", "1,1"], { cwd: repo.dir });
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.fixes).toBe(8);
    expect(j.fixesFound).toBe(8);
    // 24 commits change source; the 8 docs-only commits are left out
    expect(j.train + j.test).toBe(24);
    expect(j.test).toBe(24 - Math.floor(24 * 0.7));
    expect(j.buggyTrain + j.buggyTest).toBeLessThanOrEqual(8);
    expect(j.buggyTest).toBeGreaterThan(0);
    for (const m of [j.model, j.baseline])
      for (const k of ["auc", "mcc", "recall20", "popt"]) expect(typeof m[k]).toBe("number");
    const text = runCli(["risk", "eval", "--min-labels", "1,1"], { cwd: repo.dir });
    expect(text.stdout).toMatch(/model\s+AUC \d\.\d{3} \(95% CI/);
    expect(text.stdout).toMatch(/fixes blamed 8 of 8 found/);
    expect(text.stdout).toMatch(/score spread \d+-\d+/);
    // which model train keeps (the fitted one, lines added, or a blend) and why
    expect(text.stdout).toMatch(
      /model = what risk train keeps: (fitted model|lines added|fitted model shrunk toward lines added) \(share of the fitted model [\d.]+\)/,
    );
    expect(j.anchor.validation).toHaveLength(5);
    // More fixes than --max-fixes: an even sample over the whole history is blamed, and no commit is left out.
    const sampled = JSON.parse(
      runCli(["risk", "eval", "--format", "json", "--min-labels", "1,1", "--max-fixes", "3"], { cwd: repo.dir }).stdout,
    );
    expect(sampled).toMatchObject({ fixes: 3, fixesFound: 8, sampled: true });
    expect(sampled.train + sampled.test).toBe(24);
    expect(sampled.buggyTrain + sampled.buggyTest).toBeLessThan(j.buggyTrain + j.buggyTest);
    // At the default minimum (30 bug-introducing commits to train on, 10 to test on): no AUC, exit 1.
    const short = runCli(["risk", "eval"], { cwd: repo.dir });
    expect(short.code).toBe(1);
    expect(short.stdout).toMatch(/insufficient labels/);
    expect(short.stdout).not.toMatch(/AUC \d/);
  });

  it("train writes a model that score then uses; one commit or a shallow clone gives a clear message", () => {
    const repo = makeRepo();
    repo.commit("feat: calc", { "calc.js": "export const f = (a, b) => a + b;\n" });
    for (let i = 0; i < 6; i++) repo.commit(`feat: m${i}`, { [`m${i}.js`]: lines(i + 2, "m") });
    repo.commit("refactor: calc", { "calc.js": "export const f = (a, b) => a - b;\n" });
    repo.commit("fix: calc adds again", { "calc.js": "export const f = (a, b) => a + b;\n" });
    const refused = runCli(["risk", "train"], { cwd: repo.dir });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /insufficient labels: 1 bug-introducing commit\(s\) to train on \(at least 30 needed\): no model written/,
    );
    expect(JSON.parse(runCli(["risk", "score", "--format", "json"], { cwd: repo.dir }).stdout).model).toMatch(
      /default model/,
    );
    const trained = runCli(["risk", "train", "--min-labels", "1"], { cwd: repo.dir });
    expect(trained.code, trained.stderr).toBe(0);
    expect(trained.stderr).toMatch(/1 fix\(es\) blamed of 1 found \(type 1\)/);
    expect(trained.stderr).toMatch(/kept: .+ \(share of the fitted model [\d.]+\): /);
    expect(JSON.parse(runCli(["risk", "score", "--format", "json"], { cwd: repo.dir }).stdout).model).toMatch(
      /repository model/,
    );
    const one = makeRepo();
    one.commit("chore: init", { a: "1\n" });
    const t = runCli(["risk", "train"], { cwd: one.dir });
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/not enough history/);
    const shallow = join(makeTempDir(), "shallow");
    execFileSync("git", ["clone", "-q", "--depth", "1", `file://${repo.dir}`, shallow]);
    const s = runCli(["risk", "score", "--format", "json"], { cwd: shallow });
    expect(s.code).toBe(0);
    expect(JSON.parse(s.stdout).warnings[0]).toMatch(/shallow clone/);
  });
});
