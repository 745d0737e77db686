import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { openLedger } from "../src/audit/index.js";
import type { LedgerEntry } from "../src/audit/types.js";
import { makeRepo, makeTempDir, runCli } from "./helpers/repo.js";
import { makeProducer } from "./helpers/producer.js";

/** A repository whose config trusts one producer key and requires the given checks. */
function setup(required: string[], extra = "") {
  const producer = makeProducer();
  const repo = makeRepo();
  repo.write(
    ".gitops-health.yml",
    `classification: personal\npolicy:\n  requiredChecks: [${required.join(", ")}]\n${producer.yaml}${extra}`,
  );
  const head = repo.commit("chore: init", { "README.md": "x\n" });
  const ledgerDir = join(repo.dir, "ledger");
  const cli = (args: string[], env: Record<string, string> = {}) =>
    runCli(args, { cwd: repo.dir, env: { GITOPS_HEALTH_LEDGER: ledgerDir, ...env } });
  const gate = (args: string[] = []) => {
    const r = cli(["compliance", "check", "--format", "json", ...args]);
    return {
      code: r.code,
      report: JSON.parse(r.stdout) as {
        checks: {
          passed: string[];
          missing: string[];
          untrusted: { name: string; reason: string }[];
          producers: Record<string, string>;
        };
      },
    };
  };
  const entries = async (type = "check"): Promise<LedgerEntry[]> => {
    const l = await openLedger(ledgerDir);
    const out: LedgerEntry[] = [];
    for await (const e of l.query({ type })) out.push(e);
    await l.close();
    return out;
  };
  const appendRaw = async (entry: { type: string; subject: string; payload: unknown }) => {
    const l = await openLedger(ledgerDir);
    await l.append(entry);
    await l.close();
  };
  return { producer, repo, head, cli, gate, entries, appendRaw };
}

describe("check run", () => {
  it("runs the command, streams its output to stderr, records a signed result for HEAD that counts, and exits with its status", async () => {
    const { producer, head, cli, gate, entries } = setup(["test"]);
    expect(gate().code).toBe(1);
    const failed = cli([
      "check",
      "run",
      "test",
      "--key",
      producer.keyFile,
      "--",
      "sh",
      "-c",
      "echo hello-output; exit 3",
    ]);
    expect(failed.code).toBe(3);
    expect(failed.stderr).toContain("hello-output");
    expect(failed.stdout).toBe("");
    let g = gate();
    expect(g.code).toBe(1);
    expect(g.report.checks.missing).toEqual(["test"]);
    const [e] = await entries();
    expect(e!.subject).toBe(head);
    expect(e!.payload).toMatchObject({
      name: "test",
      status: "failed",
      exitCode: 3,
      commit: head,
      tree: "clean",
      ran: true,
      outputSha256: createHash("sha256").update("hello-output\n").digest("hex"),
      signature: { method: "note", keyId: producer.vkey },
    });
    expect(JSON.stringify(e)).not.toContain("hello-output");
    // The key from the environment, machine output on stdout.
    const ok = cli(["check", "run", "test", "--format", "json", "--", "true"], producer.env);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ name: "test", status: "passed", exitCode: 0, commit: head });
    g = gate();
    expect(g.code).toBe(0);
    expect(g.report.checks.passed).toEqual(["test"]);
    expect(g.report.checks.producers).toEqual({ test: "ci.example.invalid" });
    // A command that does not exist fails the check (127), recorded; the latest trusted result wins.
    expect(cli(["check", "run", "test", "--", "no-such-command-gh"], producer.env).code).toBe(127);
    expect(gate().code).toBe(1);
  });

  it("hand-written check entries do not count: unsigned, untrusted key, tampered, signed for another HEAD, or run on a dirty tree", async () => {
    const { producer, repo, head, cli, gate, entries, appendRaw } = setup(["test"]);
    // Through the library ledger API, as anyone who can write the ledger could.
    await appendRaw({ type: "check", subject: head, payload: { name: "test", status: "passed" } });
    let g = gate();
    expect(g.code).toBe(1);
    expect(g.report.checks.untrusted).toEqual([{ name: "test", reason: "unsigned" }]);
    expect(cli(["compliance", "check"]).stderr).toContain(
      "check 'test' recorded but not signed by a trusted producer (unsigned)",
    );
    // Signed, but by a key the config does not trust.
    const stranger = makeProducer("stranger.example.invalid");
    expect(cli(["check", "run", "test", "--key", stranger.keyFile, "--", "true"]).code).toBe(0);
    g = gate();
    expect(g.code).toBe(1);
    expect(g.report.checks.untrusted[0]!.reason).toMatch(/not in the trusted list/);
    // A trusted failure edited into a pass: the signature no longer matches.
    expect(cli(["check", "run", "test", "--key", producer.keyFile, "--", "false"]).code).toBe(1);
    const failure = (await entries()).at(-1)!;
    await appendRaw({
      type: "check",
      subject: head,
      payload: { ...(failure.payload as object), status: "passed", exitCode: 0 },
    });
    g = gate();
    expect(g.code).toBe(1);
    expect(g.report.checks.untrusted[0]!.reason).toMatch(/does not match/);
    // A trusted pass for this commit...
    expect(cli(["check", "run", "test", "--key", producer.keyFile, "--", "true"]).code).toBe(0);
    const pass = (await entries()).at(-1)!;
    expect(gate().code).toBe(0);
    // ...does not carry over to the next commit, copied as is or with its commit rewritten.
    const next = repo.commit("feat: more", { "b.txt": "b\n" });
    await appendRaw({ type: "check", subject: next, payload: pass.payload });
    g = gate();
    expect(g.code).toBe(1);
    expect(g.report.checks.untrusted[0]!.reason).toMatch(/signed for another commit/);
    await appendRaw({ type: "check", subject: next, payload: { ...(pass.payload as object), commit: next } });
    g = gate();
    expect(g.code).toBe(1);
    expect(g.report.checks.untrusted[0]!.reason).toMatch(/does not match/);
    expect(gate(["--range", head]).code).toBe(0);
    // Run with uncommitted changes: recorded as dirty, and not a result for the commit.
    repo.write("local-edit.txt", "not committed\n");
    const dirty = cli(["check", "run", "test", "--key", producer.keyFile, "--", "true"]);
    expect(dirty.code).toBe(0);
    expect(dirty.stderr).toMatch(/uncommitted changes/);
    expect((await entries()).at(-1)!.payload).toMatchObject({ tree: "dirty", commit: next });
    g = gate();
    expect(g.code).toBe(1);
    expect(g.report.checks.untrusted[0]!.reason).toMatch(/uncommitted changes/);
  });

  it("audit append refuses reserved entry types with one line and exit 2; other types still append", async () => {
    const { cli } = setup([]);
    for (const type of [
      "check",
      "Check ",
      "compliance.check",
      "run.completed",
      "run.plan",
      "approval",
      "deploy.started",
      "llm.call",
    ]) {
      const r = cli([
        "audit",
        "append",
        "--type",
        type,
        "--subject",
        "x",
        "--data",
        '{"name":"test","status":"passed"}',
      ]);
      expect(r.code, type).toBe(2);
      expect(r.stderr.trim().split("\n"), type).toHaveLength(1);
      expect(r.stderr).toMatch(/is reserved/);
    }
    expect(cli(["audit", "append", "--type", "deployment", "--subject", "v1"]).code).toBe(0);
    // Nothing reserved got in: the only entry is the one ordinary append.
    expect(JSON.parse(cli(["audit", "log", "--format", "json"]).stdout).map((e: { type: string }) => e.type)).toEqual([
      "deployment",
    ]);
  });

  it("SSH producer keys count through the producers' allowed-signers file only in the producer namespace", () => {
    const keys = makeTempDir("gh-ssh-");
    for (const k of ["ci", "approver"])
      execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", k, "-f", join(keys, k)]);
    const pub = (k: string) => readFileSync(join(keys, `${k}.pub`), "utf8").trim();
    const { repo, cli, gate } = setup(["lint", "test"], "");
    repo.write(
      "producers",
      `ci@example.invalid namespaces="gitops-health-producer" ${pub("ci")}\napprover@example.invalid namespaces="gitops-health" ${pub("approver")}\n`,
    );
    repo.write(
      ".gitops-health.yml",
      `classification: personal\npolicy:\n  requiredChecks: [lint, test]\nevidence:\n  allowedSignersFile: producers\n`,
    );
    repo.commit("chore: producers", {});
    expect(cli(["check", "run", "test", "--key", join(keys, "ci"), "--", "true"]).code).toBe(0);
    expect(cli(["check", "run", "lint", "--key", join(keys, "approver"), "--", "true"]).code).toBe(0);
    const g = gate();
    expect(g.code).toBe(1);
    expect(g.report.checks.passed).toEqual(["test"]);
    expect(g.report.checks.producers).toEqual({ test: "ci@example.invalid" });
    expect(g.report.checks.untrusted).toEqual([
      { name: "lint", reason: expect.stringMatching(/namespace gitops-health-producer/) },
    ]);
  });

  it("built-ins: security scans the change, compliance runs the gate, configured commands run through the shell", async () => {
    const { producer, repo, cli, gate, entries } = setup(
      ["lint", "security", "compliance"],
      'checks:\n  lint: "echo linted && test -f README.md"\n',
    );
    repo.commit("feat: add client", { "src/client.js": 'const key = "AKIAZ7VQ3K2LMN4PQR5T";\n' });
    const env = producer.env;
    const lint = cli(["check", "run", "lint"], env);
    expect(lint.code).toBe(0);
    expect(lint.stderr).toContain("linted");
    const sec = cli(["check", "run", "security"], env);
    expect(sec.code).toBe(1);
    expect(sec.stderr).toMatch(/scan --diff [0-9a-f]{40}\.\.[0-9a-f]{40}/);
    expect(sec.stderr).not.toContain("AKIAZ7VQ3K2LMN4PQR5T");
    // The gate as a check: it does not wait for its own result, but does for security.
    expect(cli(["check", "run", "compliance"], env).code).toBe(1);
    const fixed = repo.commit("fix: read the key from the environment", {
      "src/client.js": "const key = process.env.KEY;\n",
    });
    for (const c of ["lint", "security", "compliance"]) expect(cli(["check", "run", c], env).code, c).toBe(0);
    expect(gate().code).toBe(0);
    const last = (await entries())
      .filter((e) => e.subject === fixed)
      .map((e) => [(e.payload as { name: string }).name, (e.payload as { status: string }).status]);
    expect(last).toEqual([
      ["lint", "passed"],
      ["security", "passed"],
      ["compliance", "passed"],
    ]);
    // No command, no configured one, no built-in; no key: usage errors, nothing runs.
    const none = cli(["check", "run", "test"], env);
    expect(none.code).toBe(2);
    expect(none.stderr.trim().split("\n")).toHaveLength(1);
    const nokey = cli(["check", "run", "test", "--", "touch", "ran.txt"]);
    expect(nokey.code).toBe(2);
    expect(nokey.stderr).toMatch(/producer key/);
    expect(existsSync(join(repo.dir, "ran.txt"))).toBe(false);
    expect(cli(["check", "run", "Bad Name", "--", "true"], env).code).toBe(2);
  });

  it("a range that makes its own key a trusted producer fails the gate, whatever it signs", () => {
    const { repo, head, cli } = setup(["test"]);
    const mine = makeProducer("me.example.invalid");
    repo.commit("chore: trust my key", {
      ".gitops-health.yml": `classification: personal\npolicy:\n  requiredChecks: [test]\n${mine.yaml}`,
    });
    expect(cli(["check", "run", "test", "--key", mine.keyFile, "--", "true"]).code).toBe(0);
    const r = cli(["compliance", "check", "--range", `${head}..HEAD`, "--format", "json"]);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout) as { violations: { rule: string; message: string }[]; checks: { passed: string[] } };
    expect(j.checks.passed).toEqual(["test"]);
    expect(j.violations.map((v) => v.rule)).toEqual(["producer-trust"]);
    expect(j.violations[0]!.message).toMatch(/changes who may produce check evidence/);
    // The same range with the trust list untouched has no such violation.
    expect(cli(["compliance", "check", "--range", "HEAD..HEAD", "--format", "json"]).stdout).not.toContain(
      "producer-trust",
    );
  });

  it("compliance.check entries record resolved 40-hex commit ids, never HEAD or branch names", async () => {
    const { repo, head, cli, entries } = setup([]);
    repo.git("checkout", "-q", "-b", "feature/x");
    repo.commit("feat: one", { "a.txt": "1\n" });
    const tip = repo.commit("feat: two", { "a.txt": "2\n" });
    expect(cli(["compliance", "check"]).code).toBe(0);
    expect(cli(["compliance", "check", "--range", "main..feature/x"]).code).toBe(0);
    expect(cli(["compliance", "check", "--range", "HEAD~1..HEAD"]).code).toBe(0);
    const checks = await entries("compliance.check");
    expect(checks).toHaveLength(3);
    for (const e of checks) {
      expect(e.subject).toBe(tip);
      const range = (e.payload as { range: { from: string | null; to: string } }).range;
      expect(range.to).toBe(tip);
      if (range.from !== null) expect(range.from).toMatch(/^[0-9a-f]{40}$/);
      expect(JSON.stringify(e.payload)).not.toMatch(/HEAD|main|feature\/x/);
    }
    expect((checks[1]!.payload as { range: { from: string } }).range.from).toBe(head);
    expect((checks[0]!.payload as { range: { from: string | null } }).range.from).toBeNull();
  });

  it("run --approve counts only checks signed by a trusted producer", () => {
    const { producer, head, cli, appendRaw } = setup(["test"]);
    // Runs execute in a throwaway worktree of the approved commit: write the output outside the repository.
    const out = join(makeTempDir("gh-out-"), "out.txt");
    const args = (id: string) => [
      "run",
      "--classification",
      "personal",
      "--run-id",
      id,
      "--approve",
      "--",
      "sh",
      "-c",
      `echo ran >> ${out}`,
    ];
    return (async () => {
      await appendRaw({ type: "check", subject: head, payload: { name: "test", status: "passed" } });
      const refused = cli(args("ev-1"));
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/check "test" has not passed/);
      expect(existsSync(out)).toBe(false);
      expect(cli(["check", "run", "test", "--key", producer.keyFile, "--", "true"]).code).toBe(0);
      expect(cli(args("ev-2")).code).toBe(0);
      expect(readFileSync(out, "utf8")).toBe("ran\n");
    })();
  });
});
