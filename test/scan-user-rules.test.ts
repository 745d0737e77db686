import { describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeRepo, makeTempDir, runCli } from "./helpers/repo.js";
import { compileUserPattern } from "../src/scan/safe-regex.js";
import { createScanner } from "../src/phi/index.js";

// Generous: CI machines are loaded. On V8 these patterns ran for minutes (issue 13, item 6).
const BOUND_MS = 15_000;

function timed<T>(f: () => T): { value: T; ms: number } {
  const t0 = Date.now();
  const value = f();
  return { value, ms: Date.now() - t0 };
}

describe("user patterns run in linear time (issue 13, item 6)", () => {
  for (const pattern of ["a*a*a*a*a*a*a*b", ".*.*.*.*.*=x"]) {
    it(`${pattern} from .gitops-health.yml finishes on a 4,000-character line and on a 1 MB file`, () => {
      const dir = makeTempDir();
      writeFileSync(
        join(dir, ".gitops-health.yml"),
        `scan:\n  customRules:\n    - id: hostile\n      pattern: ${JSON.stringify(pattern)}\n      severity: high\n`,
      );
      writeFileSync(join(dir, "line.txt"), "a".repeat(4000) + "\n");
      // one 1 MB line, and 1 MB of 4,000-character lines ("a=" defeats a literal pretest for "=x")
      writeFileSync(join(dir, "big.txt"), "a=".repeat(512 * 1024));
      writeFileSync(join(dir, "lines.txt"), ("a".repeat(3999) + "\n").repeat(256));
      for (const file of ["line.txt", "big.txt", "lines.txt"]) {
        const r = timed(() => runCli(["scan", file, "--format", "json"], { cwd: dir }));
        expect(r.ms).toBeLessThan(BOUND_MS);
        expect(r.value.code).toBe(0);
        expect(JSON.parse(r.value.stdout).findings).toEqual([]);
      }
    });
  }

  it("the same patterns in a gitleaks.toml, through the library scanner, stay bounded on 1 MB", () => {
    const dir = makeTempDir();
    const rules = compileUserPattern("nested", "(a+)+$");
    const s = createScanner({
      extraRules: [
        { id: "nested", regex: rules, category: "custom", severity: "low" },
        { id: "stars", regex: compileUserPattern("stars", "a*a*a*a*a*a*a*b"), category: "custom", severity: "low" },
      ],
    });
    const r = timed(() => s.scan("a".repeat(1 << 20) + "!"));
    expect(r.ms).toBeLessThan(BOUND_MS);
    expect(r.value).toEqual([]);
    writeFileSync(join(dir, "gitleaks.toml"), `[[rules]]\nid = "hostile"\nregex = '''.*.*.*.*.*=x'''\n`);
    writeFileSync(join(dir, "big.txt"), "a".repeat(1 << 20));
    const cli = timed(() => runCli(["scan", "big.txt", "--gitleaks-config", "gitleaks.toml"], { cwd: dir }));
    expect(cli.ms).toBeLessThan(BOUND_MS);
    expect(cli.value.code).toBe(0);
  });

  it("refuses what RE2 cannot express with one line naming the rule", () => {
    const dir = makeTempDir();
    writeFileSync(
      join(dir, ".gitops-health.yml"),
      `scan:\n  customRules:\n    - id: lookahead\n      pattern: "key(?=[0-9])"\n`,
    );
    const r = runCli(["scan", "-"], { cwd: dir, input: "key1\n" });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/rule "lookahead": pattern is not valid RE2 syntax/);
    const other = makeTempDir();
    writeFileSync(join(other, "gitleaks.toml"), `[[rules]]\nid = "backref"\nregex = '''(a)\\1'''\n`);
    const g = runCli(["scan", "-", "--gitleaks-config", "gitleaks.toml"], { cwd: other, input: "aa\n" });
    expect(g.code).toBe(2);
    expect(g.stderr).toMatch(/rule "backref"/);
  });

  it("keeps gitleaks' RE2 semantics: (?i), inline flag groups, named groups, \\A", () => {
    const dir = makeTempDir();
    writeFileSync(
      join(dir, "gitleaks.toml"),
      [
        `[[rules]]\nid = "ci"\nregex = '''(?i)acme_[a-z0-9]{12}'''`,
        `[[rules]]\nid = "group-flag"\nregex = '''tok_(?i:live)_[0-9]{6}'''`,
        `[[rules]]\nid = "named"\nregex = '''(?P<key>zq[0-9]{8})'''`,
        `[[rules]]\nid = "start"\nregex = '''\\Abegin-[0-9]{4}'''`,
      ].join("\n") + "\n",
    );
    writeFileSync(
      join(dir, "c.txt"),
      "token ACME_ABCDEF123456\nx tok_LIVE_123456 tok_live_654321 TOK_live_111111\nid zq12345678\nbegin-2024\n",
    );
    const j = JSON.parse(
      runCli(["scan", "c.txt", "--gitleaks-config", "gitleaks.toml", "--format", "json"], { cwd: dir }).stdout,
    );
    const ids = j.findings.map(
      (f: { ruleId: string; line: number; column: number }) => `${f.ruleId}@${f.line}:${f.column}`,
    );
    expect(ids).toEqual([
      "gitleaks:ci@1:7",
      "gitleaks:group-flag@2:3",
      "gitleaks:group-flag@2:19",
      "gitleaks:named@3:4",
      "gitleaks:start@4:1",
    ]);
  });

  it("a text that exhausts the per-file budget is reported, not silently passed", () => {
    const dir = makeTempDir();
    writeFileSync(
      join(dir, ".gitops-health.yml"),
      `scan:\n  customRules:\n${Array.from({ length: 8 }, (_, i) => `    - id: r${i}\n      pattern: "a+b${i}"\n`).join("")}`,
    );
    writeFileSync(join(dir, "big.txt"), "x y z\n".repeat(100_000) + "aab1\n");
    const r = runCli(["scan", "big.txt", "--format", "json"], { cwd: dir, env: { GITOPS_HEALTH_RULE_BUDGET_MS: "1" } });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).findings.map((f: { ruleId: string }) => f.ruleId)).toContain("custom-rule-budget");
    const ok = runCli(["scan", "big.txt", "--format", "json"], { cwd: dir });
    expect(JSON.parse(ok.stdout).findings.map((f: { ruleId: string }) => f.ruleId)).toEqual(["r1"]);
  });

  it("the pre-commit hook loads re2js only when the config has user patterns", () => {
    const repo = makeRepo();
    const trace = join(makeTempDir(), "trace.cjs");
    writeFileSync(
      trace,
      `const M = require("node:module"); const load = M._load; M._load = function (req, ...rest) { if (req === "re2js") process.stderr.write("LOADED re2js\\n"); return load.call(this, req, ...rest); };\n`,
    );
    repo.write("a.txt", "hello\n");
    repo.git("add", "a.txt");
    const env = { NODE_OPTIONS: `--require ${trace}` };
    const plain = runCli(["scan", "--staged"], { cwd: repo.dir, env });
    expect(plain.code).toBe(0);
    expect(plain.stderr).not.toContain("LOADED re2js");
    repo.write(".gitops-health.yml", `scan:\n  failOn: medium\n`);
    expect(runCli(["scan", "--staged"], { cwd: repo.dir, env }).stderr).not.toContain("LOADED re2js");
    repo.write(".gitops-health.yml", `scan:\n  customRules:\n    - id: t\n      pattern: "TKT-[0-9]{4}"\n`);
    expect(runCli(["scan", "--staged"], { cwd: repo.dir, env }).stderr).toContain("LOADED re2js");
  });
});
