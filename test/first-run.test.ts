/** First-run polish: what a new user hits in the first minutes, through the built CLI. */
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { parse } from "yaml";
import { makeRepo, makeTempDir, runCli } from "./helpers/repo.js";

describe("policy show", () => {
  it.each(["personal", "business", "clinical"])(
    "prints the %s pack as YAML (the default format) without crashing",
    (name) => {
      const r = runCli(["policy", "show", name], { cwd: makeTempDir() });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const pack = parse(r.stdout) as { name: string; rules: unknown[] };
      expect(pack.name).toBe(name);
      expect(pack.rules.length).toBeGreaterThan(0);
    },
  );
});

describe("npm run bench without the shared data", () => {
  it("names the missing data and skips the benchmarks that need it, without a stack trace", () => {
    const missing = join(makeTempDir(), "no-shared");
    const r = spawnSync(process.execPath, [join(__dirname, "..", "bench", "run.mjs"), "phi-accuracy", "jsonl"], {
      env: { ...process.env, GITOPS_HEALTH_SHARED: missing },
      encoding: "utf8",
    });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(
      `skip bench phi-accuracy: the PHI corpora (PhysioNet deid notes, presidio-synth) not found at ${join(missing, "testdata", "phi")}`,
    );
    expect(r.stderr).toContain("skip bench jsonl:");
    expect(r.stderr).toContain("GITOPS_HEALTH_SHARED");
    expect(r.stderr).not.toMatch(/\bat .*\(.*:\d+:\d+\)|Error:/);
    expect(r.stdout).toBe("");
  });
});

describe("a blocked commit says what to do next", () => {
  const SSN = ["234", "56", "7891"].join("-");
  const hint =
    /^commit blocked\. Next: fix or remove the values above .*gitops-health:allow RULE.*scan\.allowlist .*\.gitops-health\.yml.*--write-baseline FILE.*--baseline FILE/m;
  it.each([
    ["without a config (the bundled hook path)", false],
    ["with .gitops-health.yml (the full scan path)", true],
  ])("scan --staged %s prints one hint line on stderr, after the findings, and no value", (_label, withConfig) => {
    const repo = makeRepo();
    if (withConfig) repo.write(".gitops-health.yml", "classification: business\n");
    repo.write("notes.txt", `patient ssn ${SSN}\n`);
    repo.git("add", "-A");
    const r = runCli(["scan", "--staged"], { cwd: repo.dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(hint);
    expect(r.stderr.match(/commit blocked/g)).toHaveLength(1);
    expect(r.stderr.indexOf("commit blocked")).toBeGreaterThan(r.stderr.indexOf("notes.txt"));
    expect(r.stderr).not.toContain(SSN);
  });

  it("a real git commit through the installed pre-commit hook is refused with the hint", () => {
    const repo = makeRepo();
    repo.commit("chore: init", { "README.md": "hello\n" });
    const inst = runCli(["hooks", "install"], { cwd: repo.dir });
    expect(inst.code, inst.stderr).toBe(0);
    repo.write("notes.txt", `patient ssn ${SSN}\n`);
    repo.git("add", "-A");
    const c = spawnSync("git", ["commit", "-q", "-m", "feat: notes"], {
      cwd: repo.dir,
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1" },
    });
    expect(c.status).not.toBe(0);
    expect(c.stderr).toMatch(hint);
  });

  it("a clean staged change and a scan of paths print no hint", () => {
    const repo = makeRepo();
    repo.write("a.txt", "nothing here\n");
    repo.git("add", "-A");
    expect(runCli(["scan", "--staged"], { cwd: repo.dir }).stderr).not.toContain("commit blocked");
    repo.write("b.txt", `ssn ${SSN}\n`);
    const paths = runCli(["scan", "b.txt"], { cwd: repo.dir });
    expect(paths.code).toBe(1);
    expect(paths.stderr).not.toContain("commit blocked");
  });
});

describe("text report columns", () => {
  it("aligns location, rule, category and HIPAA columns in the demo output", () => {
    const root = join(__dirname, "..");
    const r = runCli(
      ["--config", "examples/sample-tree/.gitops-health.yml", "scan", "examples/sample-tree", "--exit-zero"],
      { cwd: root },
    );
    expect(r.code).toBe(0);
    const rows = r.stderr.split("\n").filter((l) => /^ +\d+:\d+  /.test(l));
    expect(rows.length).toBeGreaterThan(10);
    // Offsets of the rule, category, HIPAA and preview columns, taken from a row that has all four.
    const full = rows.find((l) => l.includes("HIPAA#"))!;
    const m = /^( +\d+:\d+  (?:high  |medium|low   )  )(\S+ +)(\S+ +)(HIPAA#\d+ +)\S/.exec(full)!;
    const offsets = [m[1]!.length, m[1]!.length + m[2]!.length, m[1]!.length + m[2]!.length + m[3]!.length];
    const preview = offsets[2]! + m[4]!.length;
    for (const l of rows) {
      for (const o of [...offsets, preview])
        expect(l[o - 1] === " " && (l[o] !== " " || o === offsets[2]), `${l} @${o}`).toBe(true);
      expect(/^(HIPAA#\d+ *| +)$/.test(l.slice(offsets[2]!, preview)), l).toBe(true);
      expect(l[preview], l).not.toBe(" ");
    }
  });
});
