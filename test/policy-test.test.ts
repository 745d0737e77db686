import { describe, expect, it } from "vitest";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { makeRepo, makeTempDir, runCli } from "./helpers/repo.js";

const EXAMPLES = resolve(__dirname, "..", "examples", "policy-tests");

function dirWith(files: Record<string, string>): string {
  const dir = makeTempDir();
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(join(dir, p, ".."), { recursive: true });
    writeFileSync(join(dir, p), c);
  }
  return dir;
}

describe("policy test", () => {
  it("the shipped examples for the three built-in packs all pass", () => {
    const r = runCli(["policy", "test", EXAMPLES, "--format", "json"], { cwd: makeTempDir() });
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.failed).toBe(0);
    expect(new Set(j.cases.map((c: { pack: string }) => c.pack))).toEqual(
      new Set(["personal", "business", "clinical"]),
    );
    expect(j.passed).toBeGreaterThanOrEqual(20);
    // The examples exercise both outcomes of the gate, not just passing inputs.
    expect(j.cases.some((c: { decision: string }) => c.decision === "fail")).toBe(true);
    expect(j.cases.some((c: { decision: string }) => c.decision === "pass")).toBe(true);
  });

  it("a failing case exits 1 with a diff of expected vs actual, in text, json and junit", () => {
    const dir = dirWith({
      "t.yaml": [
        "pack: business",
        "cases:",
        "  - name: self-approved change",
        "    input:",
        "      checks: { passed: [lint, test, security, compliance] }",
        "      commit:",
        "        author: Dana Dev <dana@example.invalid>",
        '        message: "feat: x\\n\\nApproved-by: Dana Dev <dana@example.invalid>"',
        "    expect:",
        "      decision: pass",
        "      rules: { approved-by-another: pass, conventional-message: pass }",
        "  - name: passes",
        "    input:",
        "      checks: { passed: [lint, test, security, compliance] }",
        '      commit: { message: "feat: y", review: { pull: 3, approvers: [ann-lee] } }',
        "    expect: { decision: pass, failed: [] }",
      ].join("\n"),
    });
    const text = runCli(["policy", "test", "t.yaml"], { cwd: dir });
    expect(text.code).toBe(1);
    expect(text.stderr).toMatch(/FAIL self-approved change/);
    expect(text.stderr).toMatch(/decision: expected pass, got fail/);
    expect(text.stderr).toMatch(/rule approved-by-another: expected pass, got fail \(commit-1: /);
    expect(text.stderr).not.toMatch(/conventional-message: expected/);
    expect(text.stderr).toMatch(/PASS passes/);
    expect(text.stderr).toMatch(/2 case\(s\): 1 passed, 1 failed/);
    const j = JSON.parse(runCli(["policy", "test", "t.yaml", "--format", "json"], { cwd: dir }).stdout);
    expect(j.cases.map((c: { status: string }) => c.status)).toEqual(["fail", "pass"]);
    expect(j.cases[0].rules["approved-by-another"]).toBe("fail");
    const junit = runCli(["policy", "test", "t.yaml", "--format", "junit"], { cwd: dir });
    expect(junit.code).toBe(1);
    expect(junit.stdout).toMatch(/<testsuites name="gitops-health policy test" tests="2" failures="1">/);
    expect(junit.stdout).toMatch(
      /<testcase classname="t.yaml" name="self-approved change"><failure message="decision: expected pass, got fail/,
    );
  });

  it("bad files exit 2 with one line naming file, line and field", () => {
    const cases: [string, RegExp][] = [
      [
        "cases:\n  - name: a\n    input:\n      commit:\n        mesage: x\n    expect: { decision: pass }\n",
        /bad\.yaml:5: cases\.0\.input\.commit\.mesage: unknown field "mesage"/,
      ],
      [
        "cases:\n  - name: a\n    input:\n      commit: { signature: Q }\n    expect: { decision: pass }\n",
        /bad\.yaml:4: cases\.0\.input\.commit\.signature: .*"G"\|"B"\|"U"/,
      ],
      [
        "pack: hospital\ncases:\n  - name: a\n    expect: { decision: pass }\n",
        /bad\.yaml:1: pack: unknown pack \(valid: config, personal, business, clinical\)/,
      ],
      ["cases:\n  - name: a\n    expect:\n      decision: maybe\n", /bad\.yaml:4: cases\.0\.expect\.decision: /],
      ["cases:\n  - name: a\n    expect: {}\n", /bad\.yaml:3: cases\.0\.expect: expect needs at least one of/],
      [
        "cases:\n  - name: a\n    expect:\n      controls: { HIPAA-1: met }\n",
        /bad\.yaml:4: cases\.0\.expect\.controls\.HIPAA-1: unknown control/,
      ],
      ["cases: [\n", /bad\.yaml:2:1: invalid YAML/],
      ["cases: []\n", /bad\.yaml:1: cases: /],
      [
        "pack: personal\ncases:\n  - name: a\n    policy:\n      rules: [{ id: r, expr: 'commit.files.size() >' }]\n    expect: { decision: pass }\n",
        /bad\.yaml: cases\.0 \("a"\): policy rule "r": invalid CEL/,
      ],
    ];
    for (const [content, re] of cases) {
      const dir = dirWith({ "bad.yaml": content });
      const r = runCli(["policy", "test", "bad.yaml"], { cwd: dir });
      expect(r.code, content).toBe(2);
      expect(r.stderr, content).toMatch(re);
      expect(r.stderr.trim().split("\n").length, r.stderr).toBe(1);
    }
    expect(runCli(["policy", "test", "missing-dir"], { cwd: makeTempDir() }).stderr).toMatch(
      /missing-dir does not exist/,
    );
    const empty = makeTempDir();
    mkdirSync(join(empty, "empty"));
    expect(runCli(["policy", "test", "empty"], { cwd: empty }).code).toBe(2);
    expect(runCli(["policy", "test", "--format", "sarif"], { cwd: empty }).code).toBe(2);
  });

  it('pack "config" tests the repository configuration with its overrides; the default directory is found from a subdirectory', () => {
    const repo = makeRepo();
    repo.write(
      ".gitops-health.yml",
      [
        "classification: clinical",
        "policy:",
        "  disable: [audit-ledger]",
        "  requiredChecks: [test]",
        "  rules:",
        "    - id: small-changes",
        "      expr: commit.files.all(f, f.additions <= 400)",
        "      severity: high",
        "      controls: [SOC2-CC8.1]",
      ].join("\n") + "\n",
    );
    repo.write(
      ".gitops-health/policy-tests/config.yaml",
      [
        "defaults:",
        "  checks: { passed: [test] }",
        "  commit:",
        "    signature: good",
        '    message: "feat: a"',
        "    review: { pull: 4, merge: squash, approvers: [a-login, b-login] }",
        "cases:",
        "  - name: the config's rules apply",
        "    input:",
        "      commit: { files: [{ path: src/big.ts, additions: 900 }] }",
        "    expect: { failed: [small-changes] }",
        "  - name: the disabled ledger rule and the overridden checks",
        "    input:",
        "      commit: { files: [src/small.ts] }",
        "    expect: { decision: pass, failed: [], controls: { 21CFR11.10(e): not evidenced } }",
        "  - name: a case can add its own overrides on top",
        "    policy: { disable: [dual-approval] }",
        "    input:",
        '      commit: { message: "feat: unreviewed" }',
        "    expect: { failed: [] }",
      ].join("\n") + "\n",
    );
    mkdirSync(join(repo.dir, "src"), { recursive: true });
    const r = runCli(["policy", "test", "--format", "json"], { cwd: join(repo.dir, "src") });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.passed).toBe(3);
    expect(j.cases[0].pack).toBe("clinical");
    expect(Object.keys(j.cases[0].rules)).not.toContain("audit-ledger");
    // A broken repository config is reported as such, with its file and line.
    repo.write(".gitops-health.yml", "classification: hospital\n");
    const bad = runCli(["policy", "test"], { cwd: repo.dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/\.gitops-health\.yml:1: classification: .*personal.*business.*clinical/);
  });

  it("a case gives the same decision as compliance check on the real commit it describes", () => {
    const repo = makeRepo();
    repo.write(".gitops-health.yml", "classification: business\npolicy:\n  requiredChecks: []\n");
    const base = repo.commit("chore: init", { "README.md": "x\n" });
    repo.commit(
      "feat(api): add endpoint\n\nApproved-by: Test Author <author@example.invalid>\nCompliance: SOX-ITGC-CM-9",
      { "src/api.js": "export const api = 1;\n" },
    );
    const real = JSON.parse(
      runCli(["compliance", "check", "--range", `${base}..HEAD`, "--format", "json"], { cwd: repo.dir }).stdout,
    );
    repo.write(
      "pt.yaml",
      [
        "cases:",
        "  - name: mirror of the real commit",
        "    input:",
        "      commit:",
        "        author: Test Author <author@example.invalid>",
        '        message: "feat(api): add endpoint\\n\\nApproved-by: Test Author <author@example.invalid>\\nCompliance: SOX-ITGC-CM-9"',
        "        files: [src/api.js]",
        `    expect: { failed: [${real.rules
          .filter((x: { result: string }) => x.result === "fail")
          .map((x: { id: string }) => x.id)
          .join(", ")}] }`,
      ].join("\n") + "\n",
    );
    expect(
      real.rules
        .filter((x: { result: string }) => x.result === "fail")
        .map((x: { id: string }) => x.id)
        .sort(),
    ).toEqual(["approved-by-another", "valid-citations"]);
    const r = runCli(["policy", "test", "pt.yaml"], { cwd: repo.dir });
    expect(r.code, r.stderr).toBe(0);
  });
});
