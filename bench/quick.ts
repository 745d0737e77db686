// The quick check (`npm run bench -- --quick`, see bench/run.mjs): a small form of every benchmark,
// each run as `node --import tsx bench/quick.ts NAME` in its own process, printing its headline
// figures as one JSON line on stdout. Where an in-run reference exists, a figure carries the ratio
// to it (raw SHA-256 for the ledger, `node -e 0` for whole-process latency, the peer for scanning,
// `git log` for git-bound work), so today's run compares with the recorded one on a noisy machine.
import { createHash } from "node:crypto";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { codeCorpus, type CorpusFile } from "./lib/code-corpus.js";
import { buildComplianceRepo } from "./lib/compliance-repo.js";

export interface QuickFigure {
  /** Stable key, "bench/figure". */
  key: string;
  label: string;
  value: number;
  unit: string;
  /** Direction of better for the compared number (the ratio when there is one, else the value). */
  better: "higher" | "lower";
  /** Value relative to the in-run reference, and what the reference is. */
  ratio?: number;
  reference?: string;
  /** Why the figure could not be measured (no data on this machine). */
  skipped?: string;
}

const root = new URL("..", import.meta.url).pathname;
const CLI = join(root, "dist", "cli.js");
const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: "b",
  GIT_AUTHOR_EMAIL: "b@b.invalid",
  GIT_COMMITTER_NAME: "b",
  GIT_COMMITTER_EMAIL: "b@b.invalid",
  GIT_CONFIG_NOSYSTEM: "1",
};
const ms = (t0: number) => performance.now() - t0;
const tmp = (p: string) => mkdtempSync(join(tmpdir(), `gh-quick-${p}-`));
const requireCli = () => {
  if (!existsSync(CLI)) throw new Error("dist/cli.js is missing: run `npm run build` first");
};

/**
 * Wall time of a whole process, interleaved with `node -e 0` (the reference): the fastest of the
 * runs of each, which moves far less than the median when other jobs share the machine.
 */
function processLatency(
  args: string[],
  cwd: string,
  runs: number,
  env: NodeJS.ProcessEnv = process.env,
): { ours: number; node: number } {
  const ours: number[] = [];
  const node: number[] = [];
  for (let i = 0; i < runs + 1; i++) {
    let t0 = performance.now();
    spawnSync(process.execPath, ["-e", "0"]);
    const n = ms(t0);
    t0 = performance.now();
    const r = spawnSync(process.execPath, [CLI, ...args], { cwd, env, encoding: "utf8" });
    const o = ms(t0);
    if (r.status !== 0 && r.status !== 1) throw new Error(`${args.join(" ")} exited ${r.status}: ${r.stderr}`);
    if (i === 0) continue; // first run warms the page cache
    ours.push(o);
    node.push(n);
  }
  return { ours: Math.min(...ours), node: Math.min(...node) };
}

function nodeModulesSample(maxBytes: number, every: number): CorpusFile[] {
  return codeCorpus(root, { maxBytes, every, maxFileSize: 2e5 - 1 });
}

const FORMS: Record<string, () => Promise<QuickFigure[]>> = {
  async ledger() {
    const { openLedger } = await import("../src/audit/index.js");
    const { resetScreenMemo } = await import("../src/audit/screen.js");
    const dir = tmp("ledger");
    const { checkEntry: entry, cpuSeconds: cpu } = await import("./lib/ledger-entries.js");
    // Ratios use this process's CPU time, which other jobs on the machine barely move (wall
    // time moves with them, and with the disk's fsync latency); the values are wall time.
    // Raw SHA-256 per entry over the canonical bytes these entries produce: the floor.
    const rawPerEntry = (bytes: Buffer) => {
      const c0 = cpu();
      let n = 0;
      for (let p = 0; p < bytes.length; n++) {
        const len = bytes.readUInt32BE(p);
        createHash("sha256")
          .update(bytes.subarray(p + 4, p + 4 + len))
          .digest();
        p += 4 + len;
      }
      return (cpu() - c0) / n;
    };
    const figures: QuickFigure[] = [];
    const batched = async (spec: string, label: string, key: string, batches: number) => {
      resetScreenMemo();
      const l = await openLedger(spec);
      await l.appendBatch(Array.from({ length: 1000 }, (_, i) => entry(i))); // warm-up
      // The best of five rounds: the machine is shared.
      let rate = 0;
      let cpuPer = Infinity;
      for (let round = 0, b = 1; round < 5; round++) {
        const t0 = performance.now();
        const c0 = cpu();
        for (let k = 0; k < batches; k++, b++)
          await l.appendBatch(Array.from({ length: 1000 }, (_, i) => entry(b * 1000 + i)));
        rate = Math.max(rate, (batches * 1000) / (ms(t0) / 1000));
        cpuPer = Math.min(cpuPer, (cpu() - c0) / (batches * 1000));
      }
      await l.close();
      return { rate, cpuPer, label, key };
    };
    const emb = await batched(
      join(dir, "emb"),
      "embedded batched appends (batches of 1,000)",
      "ledger/append-embedded",
      4,
    );
    const N = 100_000;
    const big = join(dir, "big");
    const l = await openLedger(big);
    for (let b = 0; b < N / 10_000; b++)
      await l.appendBatch(Array.from({ length: 10_000 }, (_, i) => entry(b * 10_000 + i)));
    await l.close();
    const bytes = readFileSync(join(big, "entries.log"));
    // Raw SHA-256 and verify alternate, the best of four each.
    let raw = Infinity;
    let verifySecs = Infinity;
    let verifyCpu = Infinity;
    for (let round = 0; round < 4; round++) {
      raw = Math.min(raw, rawPerEntry(bytes));
      const l2 = await openLedger(big);
      const t0 = performance.now();
      const c0 = cpu();
      const v = await l2.verify({});
      verifyCpu = Math.min(verifyCpu, cpu() - c0);
      verifySecs = Math.min(verifySecs, ms(t0) / 1000);
      await l2.close();
      if (!v.ok) throw new Error(`verify failed: ${v.problem}`);
    }
    figures.push({
      key: emb.key,
      label: emb.label,
      value: emb.rate,
      unit: "/s",
      better: "lower",
      ratio: emb.cpuPer / raw,
      reference: "CPU time per append ÷ CPU time of a raw SHA-256 per entry",
    });
    figures.push({
      key: "ledger/verify",
      label: `verify ${N.toLocaleString("en-US")} entries`,
      value: verifySecs,
      unit: "s",
      better: "lower",
      ratio: verifyCpu / (raw * N),
      reference: "CPU time ÷ CPU time of raw SHA-256 over the same entries",
    });
    const PG = process.env.GITOPS_HEALTH_TEST_PG ?? "postgres://postgres@127.0.0.1:5432/test";
    const prefix = `quick${process.pid}_`;
    try {
      const pg = await batched(
        `${PG}?table_prefix=${prefix}`,
        "PostgreSQL batched appends (batches of 1,000)",
        "ledger/append-pg",
        3,
      );
      figures.push({
        key: pg.key,
        label: pg.label,
        value: pg.rate,
        unit: "/s",
        better: "lower",
        ratio: pg.cpuPer / raw,
        reference: "client CPU time per append ÷ CPU time of a raw SHA-256 per entry",
      });
    } catch (err) {
      figures.push({
        key: "ledger/append-pg",
        label: "PostgreSQL batched appends",
        value: NaN,
        unit: "/s",
        better: "lower",
        skipped: `PostgreSQL not reachable: ${(err as Error).message}`,
      });
    } finally {
      try {
        const pg = (await import("pg")).default;
        const c = new pg.Client({ connectionString: PG });
        await c.connect();
        await c.query(`DROP TABLE IF EXISTS ${prefix}entries, ${prefix}checkpoints CASCADE`);
        await c.query(`DROP FUNCTION IF EXISTS ${prefix}append_only() CASCADE`);
        await c.end();
      } catch {
        /* not reachable: nothing was created */
      }
    }
    rmSync(dir, { recursive: true, force: true });
    return figures;
  },

  async "scan-perf"() {
    requireCli();
    const { Scanner } = await import("../src/phi/engine.js");
    const require = createRequire(import.meta.url);
    const { OpenRedaction } = require("@openredaction/openredaction") as {
      OpenRedaction: new (o: object) => { detect(t: string): unknown };
    };
    const files = nodeModulesSample(3e6, 20);
    const bytes = files.reduce((n, f) => n + Buffer.byteLength(f.text), 0);
    const ours = new Scanner();
    const or = new OpenRedaction({ preset: "hipaa" });
    files.slice(0, 40).forEach((f) => (ours.scan(f.text, { path: f.path }), or.detect(f.text)));
    // Alternating passes, the fastest of three each: the machine is shared.
    let oursSecs = Infinity;
    let orSecs = Infinity;
    for (let pass = 0; pass < 3; pass++) {
      let t0 = performance.now();
      for (const f of files) ours.scan(f.text, { path: f.path });
      oursSecs = Math.min(oursSecs, ms(t0) / 1000);
      t0 = performance.now();
      for (const f of files) or.detect(f.text);
      orSecs = Math.min(orSecs, ms(t0) / 1000);
    }
    const { makeHookRepo } = await import("./lib/hook-repo.js");
    const repo = makeHookRepo("gh-quick-hook-");
    const lat = processLatency(["scan", "--staged"], repo, 9);
    rmSync(repo, { recursive: true, force: true });
    return [
      {
        key: "scan-perf/throughput",
        label: `scanner MB/s, single thread (${(bytes / 1e6).toFixed(1)} MB of node_modules)`,
        value: bytes / 1e6 / oursSecs,
        unit: "MB/s",
        better: "higher",
        ratio: orSecs / oursSecs,
        reference: "× @openredaction (hipaa) on the same files",
      },
      {
        key: "scan-perf/hook",
        label: "pre-commit `scan --staged` (20 files), fastest of 9",
        value: lat.ours,
        unit: "ms",
        better: "lower",
        ratio: lat.ours / lat.node,
        reference: "÷ `node -e 0`",
      },
    ];
  },

  async "phi-accuracy"() {
    const { loadPhysionet, loadPresidio, evaluate, PHYSIONET_MAP, PRESIDIO_MAP, normalizeCategory, SHARED } =
      await import("./lib/phi-corpora.js");
    if (!existsSync(join(SHARED, "testdata", "phi")))
      return [
        {
          key: "phi-accuracy/physionet-f1",
          label: "PhysioNet F1",
          value: NaN,
          unit: "",
          better: "higher",
          skipped: `no corpus at ${SHARED}/testdata/phi (set GITOPS_HEALTH_SHARED)`,
        },
      ];
    const { scanText } = await import("../src/phi/index.js");
    const predict = (d: { text: string }) =>
      scanText(d.text, { kinds: ["phi"] })
        .filter((f) => f.severity !== "low")
        .map((f) => ({ start: f.start, end: f.end, category: normalizeCategory(f.category) }));
    const f1 = (r: unknown) => (r as { overlap: { f1: number } }).overlap.f1;
    const physio = evaluate(loadPhysionet().slice(0, 200), predict, PHYSIONET_MAP);
    const presidio = evaluate(loadPresidio().slice(0, 300), predict, PRESIDIO_MAP);
    return [
      {
        key: "phi-accuracy/physionet-f1",
        label: "PhysioNet overlap F1 (first 200 notes)",
        value: f1(physio),
        unit: "",
        better: "higher",
      },
      {
        key: "phi-accuracy/presidio-f1",
        label: "presidio-synth overlap F1 (first 300 sentences)",
        value: f1(presidio),
        unit: "",
        better: "higher",
      },
    ];
  },

  async jsonl() {
    requireCli();
    const { loadPhysionet, SHARED } = await import("./lib/phi-corpora.js");
    if (!existsSync(join(SHARED, "testdata", "phi")))
      return [
        {
          key: "jsonl/throughput",
          label: "jsonl scan",
          value: NaN,
          unit: "MB/s",
          better: "higher",
          skipped: `no corpus at ${SHARED}/testdata/phi (set GITOPS_HEALTH_SHARED)`,
        },
      ];
    const { scanText } = await import("../src/phi/index.js");
    const notes = loadPhysionet().slice(0, 400);
    const dir = tmp("jsonl");
    const input = join(dir, "notes.jsonl");
    writeFileSync(input, notes.map((d) => JSON.stringify({ id: d.id, text: d.text })).join("\n") + "\n");
    const chars = notes.reduce((n, d) => n + d.text.length, 0);
    notes.slice(0, 20).forEach((d) => scanText(d.text));
    let inProcess = Infinity;
    let whole = Infinity;
    for (let round = 0; round < 2; round++) {
      let t0 = performance.now();
      for (const d of notes) scanText(d.text);
      inProcess = Math.min(inProcess, ms(t0) / 1000);
      const fd = openSync(input, "r");
      t0 = performance.now();
      const r = spawnSync(process.execPath, [CLI, "scan", "--input-format", "jsonl", "-"], {
        stdio: [fd, "pipe", "pipe"],
        env: { ...process.env, GITOPS_HEALTH_SCAN_THREADS: "1" },
        maxBuffer: 1 << 28,
      });
      whole = Math.min(whole, ms(t0) / 1000);
      closeSync(fd);
      if (r.status !== 0 && r.status !== 1)
        throw new Error(`scan --input-format jsonl exited ${r.status}: ${r.stderr}`);
    }
    rmSync(dir, { recursive: true, force: true });
    return [
      {
        key: "jsonl/throughput",
        label: `\`scan --input-format jsonl\`, one thread, ${(chars / 1e6).toFixed(1)} MB of notes`,
        value: chars / 1e6 / whole,
        unit: "MB/s",
        better: "higher",
        ratio: inProcess / whole,
        reference: "× the scanner in-process on the same texts",
      },
    ];
  },

  async compliance() {
    requireCli();
    const N = 200;
    const dir = tmp("compliance");
    const range = buildComplianceRepo(dir, N);
    const ours: number[] = [];
    const base: number[] = [];
    for (let i = 0; i < 4; i++) {
      let t0 = performance.now();
      spawnSync(process.execPath, ["-e", "0"]);
      spawnSync("git", ["log", "--numstat", "-p", range], { cwd: dir, maxBuffer: 1 << 30 });
      base.push(ms(t0));
      t0 = performance.now();
      const r = spawnSync(process.execPath, [CLI, "compliance", "check", "--range", range, "--format", "json"], {
        cwd: dir,
        encoding: "utf8",
        maxBuffer: 1 << 30,
      });
      ours.push(ms(t0));
      if (!r.stdout.startsWith("{")) throw new Error(`compliance check printed no report: ${r.stderr}`);
    }
    rmSync(dir, { recursive: true, force: true });
    return [
      {
        key: "compliance/check",
        label: `\`compliance check\` over ${N} commits, fastest of 4`,
        value: Math.min(...ours),
        unit: "ms",
        better: "lower",
        ratio: Math.min(...ours) / Math.min(...base),
        reference: "÷ (`node -e 0` + `git log --numstat -p` over the range)",
      },
    ];
  },

  async risk() {
    const { extractFeatures } = await import("../src/risk/features.js");
    const base = process.env.RISK_REPOS_DIR ?? join(root, "..", "bench-repos");
    const repo = ["vite", "vitest"].map((r) => join(base, r)).find((d) => existsSync(d)) ?? root;
    const n = Math.min(
      1500,
      Number(execFileSync("git", ["rev-list", "--count", "--no-merges", "HEAD"], { cwd: repo, encoding: "utf8" })),
    );
    const start = execFileSync("git", ["rev-list", "--no-merges", "--reverse", "HEAD"], {
      cwd: repo,
      encoding: "utf8",
      maxBuffer: 1 << 28,
    })
      .trim()
      .split("\n")
      .slice(-n)[0]!;
    const range =
      n === Number(execFileSync("git", ["rev-list", "--count", "--no-merges", "HEAD"], { cwd: repo, encoding: "utf8" }))
        ? "HEAD"
        : `${start}^..HEAD`;
    const gits: number[] = [];
    const ours: number[] = [];
    let count = 0;
    for (let i = 0; i < 3; i++) {
      let t0 = performance.now();
      spawnSync(
        "git",
        ["log", "--reverse", "--no-merges", "--numstat", "--no-renames", "--format=%H%x09%ae%x09%at%x09%s", range],
        { cwd: repo, maxBuffer: 1 << 30 },
      );
      gits.push(ms(t0));
      t0 = performance.now();
      count = 0;
      for await (const _ of extractFeatures({ cwd: repo, rev: range })) count++;
      ours.push(ms(t0));
    }
    const o = Math.min(...ours);
    const g = Math.min(...gits);
    return [
      {
        key: "risk/features",
        label: `feature extraction, ${count} commits of ${repo === root ? "this repository" : repo.split("/").pop()}`,
        value: o,
        unit: "ms",
        better: "lower",
        ratio: o / g,
        reference: "÷ `git log --numstat` over the same range",
      },
    ];
  },

  async bisect() {
    requireCli();
    const { gitBisectRun, ourBisect } = await import("./lib/bisect-tools.js");
    const N = 64;
    const culprit = 41;
    const dir = tmp("bisect");
    const areas = ["auth", "billing", "fhir", "ui", "reports", "audit"];
    let stream = "";
    let mark = 0;
    const commit = (msg: string, files: Record<string, string>, t: number) => {
      const marks = Object.entries(files).map(([p, c]) => {
        stream += `blob\nmark :${++mark}\ndata ${Buffer.byteLength(c)}\n${c}\n`;
        return [p, mark] as const;
      });
      stream += `commit refs/heads/main\ncommitter b <b@b.invalid> ${1700000000 + t * 60} +0000\ndata ${msg.length}\n${msg}\n`;
      for (const [p, m] of marks) stream += `M 100644 :${m} ${p}\n`;
    };
    const base: Record<string, string> = {
      "test.sh":
        '#!/bin/sh\nfor f in "$@"; do grep -q BROKEN "$(dirname "$f")/$(basename "$f" .test.js).js" && exit 1; done\nexit 0\n',
    };
    for (const a of areas) {
      base[`src/${a}/core.js`] = `export function ${a}() { return 1; }\n`;
      base[`src/${a}/core.test.js`] = `import { ${a} } from "./core.js";\n`;
    }
    commit("chore: base", base, 0);
    for (let i = 1; i <= N; i++) {
      const a = areas[i % areas.length]!;
      const files: Record<string, string> = { [`src/${a}/m${i}.js`]: `export const v${i} = ${i};\n` };
      if (i === culprit) files["src/billing/core.js"] = "export function billing() { return 2; } // BROKEN\n";
      commit(`feat(${a}): change ${i}`, files, i);
    }
    execFileSync("git", ["init", "-q", "-b", "main", dir], { env: GIT_ENV });
    execFileSync("git", ["fast-import", "--quiet"], { cwd: dir, input: stream, env: GIT_ENV });
    execFileSync("git", ["checkout", "-q", "main"], { cwd: dir, env: GIT_ENV });
    const revs = execFileSync("git", ["rev-list", "--reverse", "main"], { cwd: dir, encoding: "utf8" })
      .trim()
      .split("\n");
    const cmd = ["sh", "test.sh", "src/billing/core.test.js"];
    const g = gitBisectRun(dir, revs[0]!, revs.at(-1)!, cmd);
    const o = ourBisect(CLI, dir, revs[0]!, revs.at(-1)!, cmd);
    rmSync(dir, { recursive: true, force: true });
    if (o.report.culprit?.sha !== revs[culprit] || g.culprit !== revs[culprit])
      throw new Error(
        `bisect found ${o.report.culprit?.sha ?? "nothing"} (git: ${g.culprit ?? "nothing"}), expected ${revs[culprit]}: ${o.stderr.slice(0, 300)}`,
      );
    const runs = o.report.searchRuns ?? o.report.runs?.length ?? NaN;
    return [
      {
        key: "bisect/runs",
        label: `test runs to find the culprit in ${N} commits (relevance prior)`,
        value: runs,
        unit: "runs",
        better: "lower",
        ratio: runs / g.runs,
        reference: "÷ `git bisect run` runs",
      },
      {
        key: "bisect/time",
        label: `\`forensics bisect\` wall time, ${N} commits`,
        value: o.ms,
        unit: "ms",
        better: "lower",
        ratio: o.ms / g.ms,
        reference: "÷ `git bisect run` wall time",
      },
    ];
  },

  async "bisect-replay"() {
    return [realReposSkip("bisect-replay/found", "oracle replay on real histories")];
  },

  async "bisect-real"() {
    return [realReposSkip("bisect-real/found", "real tests on real regressions")];
  },

  async guard() {
    requireCli();
    const dir = tmp("guard");
    const env = { ...process.env, GITOPS_HEALTH_LEDGER: join(dir, "ledger"), GIT_CONFIG_NOSYSTEM: "1", NO_COLOR: "1" };
    const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, env, encoding: "utf8" });
    git("init", "-q", "-b", "main");
    git("config", "user.email", "requester@example.invalid");
    git("config", "user.name", "Requester");
    git("config", "commit.gpgsign", "false");
    // A plan that needs an approval is signed by its requester's key (run --key), as in guard.bench.ts.
    const key = join(dir, "requester");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "requester", "-f", key]);
    writeFileSync(
      join(dir, "allowed_signers"),
      `requester@example.invalid namespaces="gitops-health" ${readFileSync(`${key}.pub`, "utf8").trim()}\n`,
    );
    writeFileSync(
      join(dir, ".gitops-health.yml"),
      "allowedSignersFile: allowed_signers\npolicy:\n  requiredChecks: []\n",
    );
    writeFileSync(join(dir, "README.md"), "x\n");
    git("add", "-A");
    git("commit", "-q", "-m", "chore: init");
    let i = 0;
    const ours: number[] = [];
    const node: number[] = [];
    for (let r = 0; r < 8; r++) {
      let t0 = performance.now();
      spawnSync(process.execPath, ["-e", "0"]);
      const n = ms(t0);
      t0 = performance.now();
      const res = spawnSync(
        process.execPath,
        [CLI, "run", "--classification", "business", "--run-id", `quick-${i++}`, "--key", key, "--", "true"],
        { cwd: dir, env, encoding: "utf8" },
      );
      const o = ms(t0);
      if (res.status !== 0 && res.status !== 1) throw new Error(`run exited ${res.status}: ${res.stderr}`);
      if (r === 0) continue;
      ours.push(o);
      node.push(n);
    }
    rmSync(dir, { recursive: true, force: true });
    return [
      {
        key: "guard/plan",
        label: "`run` dry-run plan (signed by the requester's SSH key, recorded in the ledger), fastest of 7",
        value: Math.min(...ours),
        unit: "ms",
        better: "lower",
        ratio: Math.min(...ours) / Math.min(...node),
        reference: "÷ `node -e 0`",
      },
    ];
  },

  async commit() {
    requireCli();
    const dir = tmp("commit");
    const git = (...a: string[]) => execFileSync("git", a, { cwd: dir, env: GIT_ENV });
    git("init", "-q", "-b", "feature/ABC-12-session");
    for (let i = 0; i < 30; i++) {
      mkdirSync(join(dir, "src", `mod${i % 6}`), { recursive: true });
      writeFileSync(
        join(dir, "src", `mod${i % 6}`, `file${i}.ts`),
        Array.from({ length: 40 }, (_, j) => `export function f${i}_${j}(x: number) {\n  return x + ${j};\n}`).join(
          "\n",
        ),
      );
    }
    git("add", "-A");
    git("commit", "-qm", "feat: initial");
    for (let i = 0; i < 40; i++) {
      writeFileSync(join(dir, "src", `mod${i % 6}`, `file${i % 30}.ts`), `// rev ${i}\n`);
      git("commit", "-qam", `${["fix", "feat", "refactor"][i % 3]}(mod${i % 6}): change ${i}`);
    }
    writeFileSync(
      join(dir, "src", "mod1", "file1.ts"),
      Array.from(
        { length: 40 },
        (_, j) => `export function f1_${j}(x: number) {\n  if (x < 0) return 0;\n  return x + ${j};\n}`,
      ).join("\n"),
    );
    writeFileSync(
      join(dir, "src", "mod1", "session.ts"),
      "export function openSession(user: string) {\n  return { user, at: Date.now() };\n}\n",
    );
    git("add", "-A");
    const lat = processLatency(["commit", "generate"], dir, 7, GIT_ENV);
    rmSync(dir, { recursive: true, force: true });
    return [
      {
        key: "commit/generate",
        label: "`commit generate` on a staged change (2 files), fastest of 7",
        value: lat.ours,
        unit: "ms",
        better: "lower",
        ratio: lat.ours / lat.node,
        reference: "÷ `node -e 0`",
      },
      realReposSkip("commit/header-accuracy", "header accuracy on real histories"),
    ];
  },
};

/** Benchmarks on cloned real repositories have no small form without those clones. */
function realReposSkip(key: string, label: string): QuickFigure {
  const dir = process.env.GITOPS_HEALTH_BENCH_REPOS ?? "/work/bench-repos";
  return {
    key,
    label,
    value: NaN,
    unit: "",
    better: "higher",
    skipped: `needs the real-repository clones of the full benchmark (${dir}); run \`npm run bench -- ${key.split("/")[0]}\``,
  };
}

export const QUICK_NAMES = Object.keys(FORMS);

if (import.meta.url === `file://${process.argv[1]}`) {
  const name = process.argv[2];
  if (name === "--list") {
    process.stdout.write(JSON.stringify(QUICK_NAMES) + "\n");
  } else {
    const form = name ? FORMS[name] : undefined;
    if (!form) {
      console.error(`unknown quick benchmark "${name}" (have: ${QUICK_NAMES.join(", ")})`);
      process.exit(2);
    }
    const figures = await form();
    process.stdout.write(JSON.stringify(figures) + "\n");
  }
}
