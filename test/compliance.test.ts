import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { makeRepo, makeTempDir, runCli } from "./helpers/repo.js";

function repoWith(config: string) {
  const repo = makeRepo();
  repo.write(".gitops-health.yml", config);
  const base = repo.commit("chore: init", { "README.md": "x\n" });
  const env = { GITOPS_HEALTH_LEDGER: join(repo.dir, "ledger") };
  const cli = (args: string[]) => runCli(args, { cwd: repo.dir, env });
  return { repo, base, cli };
}

describe("compliance check", () => {
  it("business pack: approvals by someone else, required checks, citations and secrets decide the gate", () => {
    const { repo, base, cli } = repoWith("classification: business\npolicy:\n  requiredChecks: [test]\n");
    repo.commit("feat(auth): add timeout\n\nApproved-by: Ann Lee <ann@example.invalid>\nCompliance: HIPAA-164.312(d)", { "src/a.js": "export const a = 1;\n" });
    let r = cli(["compliance", "check", "--range", `${base}..HEAD`, "--format", "json"]);
    let j = JSON.parse(r.stdout);
    expect(j.violations.map((v: { rule: string }) => v.rule)).toEqual(["required-checks"]);
    expect(r.code).toBe(1);
    expect(cli(["compliance", "record-check", "test", "--status", "passed"]).code).toBe(0);
    r = cli(["compliance", "check", "--range", `${base}..HEAD`, "--format", "json"]);
    j = JSON.parse(r.stdout);
    expect(r.code).toBe(0);
    const byId = Object.fromEntries(j.controls.map((c: { id: string; status: string }) => [c.id, c.status]));
    expect(byId["SOX-ITGC-CM-2"]).toBe("met");
    expect(byId["21CFR11.10(e)"]).toBe("not evidenced");
    // self-approval, an invented citation and a secret
    repo.commit("fix: y\n\nApproved-by: Test Author <author@example.invalid>\nCompliance: HIPAA-999.9(q)", { "src/b.js": 'const k = "AKIAZ7VQ3K2LMN4PQR5T";\n' });
    expect(cli(["compliance", "record-check", "test", "--status", "passed"]).code).toBe(0);
    r = cli(["compliance", "check", "--range", `${base}..HEAD`, "--format", "json"]);
    j = JSON.parse(r.stdout);
    expect(j.violations.map((v: { rule: string }) => v.rule).sort()).toEqual(["approved-by-another", "no-secrets", "valid-citations"]);
    const junit = cli(["compliance", "check", "--range", `${base}..HEAD`, "--format", "junit"]).stdout;
    expect(junit).toMatch(/<testsuite name="gitops-health compliance" tests="\d+" failures="[1-9]/);
    const log = JSON.parse(cli(["audit", "log", "--type", "compliance.check", "--format", "json"]).stdout);
    expect(log.length).toBe(4);
    expect(cli(["audit", "verify"]).code).toBe(0);
  });

  it("clinical pack verifies SSH-signed commits for real", () => {
    const keys = makeTempDir();
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(keys, "k")]);
    const pub = readFileSync(join(keys, "k.pub"), "utf8").trim();
    const { repo, base, cli } = repoWith("classification: clinical\nallowedSignersFile: signers\npolicy:\n  disable: [dual-approval, required-checks, audit-ledger]\n");
    repo.write("signers", `author@example.invalid ${pub}\n`);
    repo.git("config", "gpg.format", "ssh");
    repo.git("config", "user.signingkey", join(keys, "k"));
    repo.git("add", "-A");
    repo.git("commit", "-q", "-S", "-m", "feat: signed change");
    let j = JSON.parse(cli(["compliance", "check", "--range", `${base}..HEAD`, "--format", "json"]).stdout);
    expect(j.violations).toEqual([]);
    expect(j.controls.find((c: { id: string }) => c.id === "21CFR11.50").status).toBe("met");
    repo.commit("feat: unsigned change", { "u.js": "1\n" });
    j = JSON.parse(cli(["compliance", "check", "--range", `${base}..HEAD`, "--format", "json"]).stdout);
    expect(j.violations.map((v: { rule: string }) => v.rule)).toEqual(["signed-commits"]);
  });

  it("bad input: unknown pack, unknown range and invalid CEL exit 2 with one line", () => {
    const { cli } = repoWith("policy:\n  rules:\n    - id: broken\n      expr: 'commit.files.size() >'\n");
    const bad = cli(["compliance", "check"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/policy rule "broken": invalid CEL at 1:\d+/);
    const { cli: c2 } = repoWith("classification: personal\n");
    expect(c2(["compliance", "check", "--pack", "secret"]).stderr).toMatch(/valid: personal, business, clinical/);
    expect(c2(["compliance", "check", "--range", "nope..HEAD"]).code).toBe(2);
  });

  it("init writes a starter config that validates, and policy show prints a pack", () => {
    const repo = makeRepo();
    expect(runCli(["init", "--classification", "clinical"], { cwd: repo.dir }).code).toBe(0);
    expect(runCli(["init"], { cwd: repo.dir }).code).toBe(2);
    expect(runCli(["scan", "-"], { cwd: repo.dir, input: "x" }).code).toBe(0);
    const show = JSON.parse(runCli(["policy", "show", "clinical", "--format", "json"], { cwd: repo.dir }).stdout);
    expect(show.rules.map((r: { id: string }) => r.id)).toContain("signed-commits");
  });
});
