import { afterAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { chmodSync, cpSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, join } from "node:path";
import { makeRepo, makeTempDir, runCli } from "./helpers/repo.js";
import { makeProducer } from "./helpers/producer.js";

// gpg starts an agent per GNUPGHOME; stop each one so nothing outlives the tests.
const gpgHomes: string[] = [];
function gpgHome(): string {
  const home = makeTempDir("gh-gpg-");
  chmodSync(home, 0o700);
  gpgHomes.push(home);
  return home;
}
afterAll(() => {
  for (const home of gpgHomes) {
    try {
      execFileSync("gpgconf", ["--kill", "all"], { env: { ...process.env, GNUPGHOME: home }, stdio: "ignore" });
    } catch {
      // already gone
    }
  }
});

function validateSarif(sarif: unknown): { ok: boolean; errors: unknown } {
  const req = createRequire(import.meta.url);
  const schema = JSON.parse(
    readFileSync(req.resolve("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json"), "utf8"),
  );
  const Ajv = req("ajv-draft-04") as new (o: object) => {
    compile(s: object): ((d: unknown) => boolean) & { errors?: unknown };
  };
  const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
  (req("ajv-formats") as (a: unknown) => void)(ajv);
  const validate = ajv.compile(schema);
  const ok = validate(sarif);
  return { ok, errors: validate.errors };
}

const rulesFailed = (j: { violations: { rule: string }[] }) => [...new Set(j.violations.map((v) => v.rule))].sort();

function repoWith(config: string, extraEnv: Record<string, string> = {}) {
  const repo = makeRepo();
  repo.write(".gitops-health.yml", config);
  const base = repo.commit("chore: init", { "README.md": "x\n" });
  const env = { GITOPS_HEALTH_LEDGER: join(repo.dir, "ledger"), ...extraEnv };
  const cli = (args: string[]) => runCli(args, { cwd: repo.dir, env });
  return { repo, base, cli };
}

describe("compliance check", () => {
  it("business pack: trailers approve nothing (forge evidence does, test/review-gate.test.ts); required checks, citations and secrets decide the gate", () => {
    const producer = makeProducer();
    const { repo, base, cli } = repoWith(
      "classification: business\npolicy:\n  requiredChecks: [test]\n" + producer.yaml,
      producer.env,
    );
    repo.commit("feat(auth): add timeout\n\nApproved-by: Ann Lee <ann@example.invalid>\nCompliance: HIPAA-164.312(d)", {
      "src/a.js": "export const a = 1;\n",
    });
    let r = cli(["compliance", "check", "--range", `${base}..HEAD`, "--format", "json"]);
    let j = JSON.parse(r.stdout);
    expect(j.violations.map((v: { rule: string }) => v.rule).sort()).toEqual([
      "approved-by-another",
      "required-checks",
    ]);
    expect(r.code).toBe(1);
    expect(cli(["compliance", "record-check", "test", "--status", "passed"]).code).toBe(0);
    r = cli(["compliance", "check", "--range", `${base}..HEAD`, "--format", "json"]);
    j = JSON.parse(r.stdout);
    expect(r.code).toBe(1);
    expect(j.violations.map((v: { rule: string }) => v.rule)).toEqual(["approved-by-another"]);
    expect(j.reviews.commits[0].unverifiedTrailers).toEqual(["ann@example.invalid"]);
    const byId = Object.fromEntries(j.controls.map((c: { id: string; status: string }) => [c.id, c.status]));
    expect(byId["SOX-ITGC-CM-2"]).toBe("failed");
    expect(byId["SOX-ITGC-CM-3"]).toBe("met");
    expect(byId["21CFR11.10(e)"]).toBe("not evidenced");
    // self-approval, an invented citation and a secret
    repo.commit("fix: y\n\nApproved-by: Test Author <author@example.invalid>\nCompliance: HIPAA-999.9(q)", {
      "src/b.js": 'const k = "AKIAZ7VQ3K2LMN4PQR5T";\n',
    });
    expect(cli(["compliance", "record-check", "test", "--status", "passed"]).code).toBe(0);
    r = cli(["compliance", "check", "--range", `${base}..HEAD`, "--format", "json"]);
    j = JSON.parse(r.stdout);
    expect([...new Set(j.violations.map((v: { rule: string }) => v.rule))].sort()).toEqual([
      "approved-by-another",
      "no-secrets",
      "valid-citations",
    ]);
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
    const { repo, base, cli } = repoWith(
      "classification: clinical\nallowedSignersFile: signers\npolicy:\n  disable: [dual-approval, required-checks, audit-ledger]\n",
    );
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
    // init also creates the fingerprint key: with one in the environment it keeps the user's config dir untouched
    const env = { GITOPS_HEALTH_FINGERPRINT_KEY: "compliance-test-fingerprint-key" };
    expect(runCli(["init", "--classification", "clinical"], { cwd: repo.dir, env }).code).toBe(0);
    expect(runCli(["init"], { cwd: repo.dir, env }).code).toBe(2);
    expect(runCli(["scan", "-"], { cwd: repo.dir, input: "x" }).code).toBe(0);
    const show = JSON.parse(runCli(["policy", "show", "clinical", "--format", "json"], { cwd: repo.dir }).stdout);
    expect(show.rules.map((r: { id: string }) => r.id)).toContain("signed-commits");
  });

  it("clinical pack verifies GPG signatures for real: only G passes; unsigned, U, E, X, Y, R and B fail", () => {
    const home = gpgHome();
    const genv = { ...process.env, GNUPGHOME: home };
    execFileSync(
      "gpg",
      [
        "--batch",
        "--passphrase",
        "",
        "--quick-gen-key",
        "Test Author <author@example.invalid>",
        "ed25519",
        "sign",
        "never",
      ],
      { env: genv, stdio: "ignore" },
    );
    const { repo, base } = repoWith(
      "classification: clinical\npolicy:\n  disable: [dual-approval, required-checks, audit-ledger]\n",
    );
    repo.write("a.js", "export const a = 1;\n");
    repo.git("add", "-A");
    execFileSync(
      "git",
      ["-c", "user.signingkey=author@example.invalid", "commit", "-q", "-S", "-m", "feat: gpg signed change"],
      { cwd: repo.dir, env: genv },
    );
    const status = (env: Record<string, string>, rev = "HEAD") =>
      execFileSync("git", ["log", "-1", "--format=%G?", rev], {
        cwd: repo.dir,
        env: { ...process.env, ...env },
        encoding: "utf8",
      }).trim();
    const check = (env: Record<string, string>, range = `${base}..HEAD`) => {
      const r = runCli(["compliance", "check", "--range", range, "--format", "json"], {
        cwd: repo.dir,
        env: { GITOPS_HEALTH_LEDGER: join(repo.dir, "ledger"), ...env },
      });
      return { code: r.code, j: JSON.parse(r.stdout) };
    };
    // G: our own key, ultimately trusted in the keyring that verifies.
    expect(status({ GNUPGHOME: home })).toBe("G");
    let r = check({ GNUPGHOME: home });
    expect(r.code).toBe(0);
    expect(r.j.violations).toEqual([]);
    expect(r.j.controls.find((c: { id: string }) => c.id === "21CFR11.50").status).toBe("met");
    // E: the verifier does not have the key at all.
    const empty = gpgHome();
    expect(status({ GNUPGHOME: empty })).toBe("E");
    r = check({ GNUPGHOME: empty });
    expect(r.code).toBe(1);
    expect(rulesFailed(r.j)).toEqual(["signed-commits"]);
    expect(r.j.violations[0].message).toBe("not validly signed: %G? is E (unverifiable); only G (good) is accepted");
    // U: the key is imported but nobody certified it, so anyone could have made it with this email.
    const untrusted = gpgHome();
    const pub = execFileSync("gpg", ["--armor", "--export", "author@example.invalid"], { env: genv });
    execFileSync("gpg", ["--batch", "--import"], {
      env: { ...process.env, GNUPGHOME: untrusted },
      input: pub,
      stdio: ["pipe", "ignore", "ignore"],
    });
    expect(status({ GNUPGHOME: untrusted })).toBe("U");
    expect(rulesFailed(check({ GNUPGHOME: untrusted }).j)).toEqual(["signed-commits"]);
    // The CI recipe from the README: vouch for the team's keys in the verifying keyring.
    const trusted = gpgHome();
    cpSync(untrusted, trusted, { recursive: true, filter: (src) => !/S\.gpg-agent/.test(src) });
    const fpr = /^fpr:+([0-9A-F]{40}):/m.exec(
      execFileSync("gpg", ["--with-colons", "--fingerprint", "author@example.invalid"], {
        env: genv,
        encoding: "utf8",
      }),
    )![1]!;
    execFileSync("gpg", ["--import-ownertrust"], {
      env: { ...process.env, GNUPGHOME: trusted },
      input: `${fpr}:6:\n`,
      stdio: ["pipe", "ignore", "ignore"],
    });
    expect(status({ GNUPGHOME: trusted })).toBe("G");
    expect(check({ GNUPGHOME: trusted }).code).toBe(0);
    // R: the key was revoked after signing (its stored revocation certificate imported).
    const revoked = gpgHome();
    cpSync(home, revoked, { recursive: true, filter: (src) => !/S\.gpg-agent/.test(src) });
    const revDir = join(revoked, "openpgp-revocs.d");
    const cert = readFileSync(join(revDir, readdirSync(revDir)[0]!), "utf8").replace(/^:-----BEGIN/m, "-----BEGIN");
    execFileSync("gpg", ["--batch", "--import"], {
      env: { ...process.env, GNUPGHOME: revoked },
      input: cert,
      stdio: ["pipe", "ignore", "ignore"],
    });
    expect(status({ GNUPGHOME: revoked })).toBe("R");
    expect(rulesFailed(check({ GNUPGHOME: revoked }).j)).toEqual(["signed-commits"]);
    // B: the signed commit object altered after signing.
    const forged = execFileSync("git", ["hash-object", "-t", "commit", "-w", "--stdin"], {
      cwd: repo.dir,
      input: repo.git("cat-file", "commit", "HEAD").replace("feat: gpg signed change", "feat: forged change"),
      encoding: "utf8",
    }).trim();
    expect(status({ GNUPGHOME: home }, forged)).toBe("B");
    expect(rulesFailed(check({ GNUPGHOME: home }, `${base}..${forged}`).j)).toEqual(["signed-commits"]);
    // N: an unsigned commit on top fails even though the signed one still passes.
    repo.commit("feat: unsigned change", { "u.js": "1\n" });
    r = check({ GNUPGHOME: home });
    expect(r.j.violations.map((v: { rule: string; commit: string }) => v.rule)).toEqual(["signed-commits"]);
    expect(r.j.violations[0].commit).toBe(repo.git("rev-parse", "HEAD").trim());
    // X and Y: signatures made three days ago (gpg's faked clock) that expired since, or by a key
    // that expired since. The commit date cannot prove the signature predates the expiry.
    const past = gpgHome();
    const penv = { ...process.env, GNUPGHOME: past };
    const then = Math.floor(Date.now() / 1000) - 3 * 86400;
    const wrap = (name: string, extra: string) => {
      const p = join(past, name);
      writeFileSync(p, `#!/bin/sh\nexec gpg --faked-system-time ${then} ${extra} "$@"\n`, { mode: 0o755 });
      return p;
    };
    execFileSync(
      wrap("gen", ""),
      ["--batch", "--passphrase", "", "--quick-gen-key", "Sig Expiry <x@example.invalid>", "ed25519", "sign", "never"],
      { env: penv, stdio: "ignore" },
    );
    execFileSync(
      wrap("gen", ""),
      ["--batch", "--passphrase", "", "--quick-gen-key", "Key Expiry <y@example.invalid>", "ed25519", "sign", "1d"],
      { env: penv, stdio: "ignore" },
    );
    const signedThen = (program: string, key: string, msg: string) => {
      execFileSync(
        "git",
        [
          "-c",
          `gpg.program=${program}`,
          "-c",
          `user.signingkey=${key}`,
          "commit",
          "-q",
          "--allow-empty",
          "-S",
          "-m",
          msg,
        ],
        { cwd: repo.dir, env: penv },
      );
      return repo.git("rev-parse", "HEAD").trim();
    };
    const sigExpired = signedThen(
      wrap("sign-x", "--default-sig-expire 1d"),
      "x@example.invalid",
      "feat: signature expired",
    );
    const keyExpired = signedThen(wrap("sign-y", ""), "y@example.invalid", "feat: key expired");
    expect(status({ GNUPGHOME: past }, sigExpired)).toBe("X");
    expect(status({ GNUPGHOME: past }, keyExpired)).toBe("Y");
    for (const sha of [sigExpired, keyExpired])
      expect(rulesFailed(check({ GNUPGHOME: past }, `${sha}~1..${sha}`).j)).toEqual(["signed-commits"]);
  });

  it("an SSH signature by a key missing from allowedSignersFile (U) does not count", () => {
    const keys = makeTempDir();
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(keys, "k")]);
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(keys, "other")]);
    const { repo, base, cli } = repoWith(
      "classification: clinical\nallowedSignersFile: signers\npolicy:\n  disable: [dual-approval, required-checks, audit-ledger]\n",
    );
    repo.write("signers", `author@example.invalid ${readFileSync(join(keys, "other.pub"), "utf8").trim()}\n`);
    repo.git("config", "gpg.format", "ssh");
    repo.git("config", "user.signingkey", join(keys, "k"));
    repo.git("add", "-A");
    repo.git("commit", "-q", "-S", "-m", "feat: signed by an unlisted key");
    expect(repo.git("-c", "gpg.ssh.allowedSignersFile=signers", "log", "-1", "--format=%G?").trim()).toBe("U");
    const r = cli(["compliance", "check", "--range", `${base}..HEAD`, "--format", "json"]);
    expect(r.code).toBe(1);
    expect(rulesFailed(JSON.parse(r.stdout))).toEqual(["signed-commits"]);
  });

  it("clinical pack: Approved-by trailers do not make dual approval, and no PHI added in the range", () => {
    const { repo, base, cli } = repoWith(
      "classification: clinical\npolicy:\n  disable: [signed-commits, required-checks, audit-ledger]\n",
    );
    const a = repo.commit(
      "feat(ehr): a\n\nApproved-by: Ann Lee <ann@example.invalid>\nReviewed-by: Raj Rao <raj@example.invalid>",
      { "src/a.js": "export const a = 1;\n" },
    );
    let r = cli(["compliance", "check", "--range", `${base}..HEAD`, "--format", "json"]);
    let j = JSON.parse(r.stdout);
    expect(r.code).toBe(1);
    expect(j.violations.map((v: { rule: string; commit: string }) => [v.rule, v.commit])).toEqual([
      ["dual-approval", a],
    ]);
    expect(j.controls.find((c: { id: string }) => c.id === "SOX-ITGC-CM-2").status).toBe("failed");
    expect(j.reviews.commits[0].unverifiedTrailers).toEqual(["ann@example.invalid", "raj@example.invalid"]);
    // PHI added later in the range is caught at its commit; removing it afterwards does not hide it.
    repo.write(
      ".gitops-health.yml",
      "classification: clinical\npolicy:\n  disable: [signed-commits, required-checks, audit-ledger, dual-approval]\n",
    );
    const phi = repo.commit("test(ehr): c", { "notes.txt": "Patient SSN 512-84-3921 seen on 3/14/2023.\n" });
    repo.commit("test(ehr): d", { "notes.txt": "redacted\n" });
    r = cli(["compliance", "check", "--range", `${a}..HEAD`, "--format", "json"]);
    j = JSON.parse(r.stdout);
    expect(j.violations.map((v: { rule: string; commit: string }) => [v.rule, v.commit])).toEqual([["no-phi", phi]]);
    expect(j.controls.find((c: { id: string }) => c.id === "HIPAA-164.514(b)").status).toBe("failed");
    expect(JSON.stringify(j)).not.toContain("512-84-3921");
  });

  it("required checks follow the classification's pack", () => {
    const producer = makeProducer();
    const { repo, cli } = repoWith("classification: personal\n" + producer.yaml, producer.env);
    repo.commit("feat: x", { "x.js": "1\n" });
    for (const c of ["lint", "test", "security"])
      expect(cli(["compliance", "record-check", c, "--status", "passed"]).code).toBe(0);
    expect(cli(["compliance", "record-check", "compliance", "--status", "failed"]).code).toBe(0);
    const missing = (pack: string) => {
      const r = cli(["compliance", "check", "--pack", pack, "--format", "json"]);
      const j = JSON.parse(r.stdout);
      return {
        missing: j.checks.missing,
        failed: j.rules.find((x: { id: string }) => x.id === "required-checks").result,
      };
    };
    expect(missing("personal")).toEqual({ missing: [], failed: "pass" });
    expect(missing("business")).toEqual({ missing: ["compliance"], failed: "fail" });
    expect(missing("clinical")).toEqual({ missing: ["compliance", "phi"], failed: "fail" });
    const text = cli(["compliance", "check", "--pack", "clinical"]);
    expect(text.stderr).toMatch(/checks without a passed result for HEAD: compliance, phi \(record them/);
    // The rule's message template names them too, from the same input the rule saw.
    expect(text.stderr).toMatch(
      /high required-checks: required checks without a passed result for HEAD: compliance, phi\n/,
    );
  });

  it("bad configuration exits 2 with file, line and field; unknown classification lists the valid ones", () => {
    const cases: [string, RegExp][] = [
      ["classification: hospital\n", /\.gitops-health\.yml:1: classification: .*"personal".*"business".*"clinical"/],
      [
        "policy:\n  pack: hospital\n",
        /unknown pack or classification "hospital" \(valid: personal, business, clinical\)/,
      ],
      ["policy:\n  disable: nope\n", /\.gitops-health\.yml:2: policy\.disable: /],
      [
        "policy:\n  rules:\n    - id: r\n      exp: commit.files.size() > 0\n",
        /\.gitops-health\.yml:3: policy\.rules\.0\.expr: /,
      ],
      ["policy:\n  rules: [\n", /\.gitops-health\.yml:3:1: invalid YAML/],
      [
        "policy:\n  rules:\n    - id: r\n      expr: 'true'\n      message: 'n={{commit.files.size( }}'\n",
        /policy rule "r": invalid CEL in message placeholder \{\{commit\.files\.size\( \}\}/,
      ],
    ];
    for (const [config, re] of cases) {
      const { cli } = repoWith(config);
      const r = cli(["compliance", "check"]);
      expect(r.code, config).toBe(2);
      expect(r.stderr, config).toMatch(re);
      expect(r.stderr.trim().split("\n").length).toBe(1);
    }
    const { cli } = repoWith("classification: personal\n");
    const range = cli(["compliance", "check", "--range", "HEAD..no-such-branch"]);
    expect(range.code).toBe(2);
    expect(range.stderr).toMatch(/unknown revision in range: no-such-branch/);
    expect(cli(["compliance", "check", "--format", "csv"]).code).toBe(2);
  });

  it("a shallow clone missing the range's base is checked as far as it goes and fails, saying how much", () => {
    const { repo } = repoWith("classification: personal\npolicy:\n  requiredChecks: []\n");
    const first = repo.git("rev-parse", "HEAD").trim();
    for (let i = 0; i < 4; i++) repo.commit(`feat: change ${i}`, { [`f${i}.js`]: `${i}\n` });
    const clone = join(makeTempDir(), "clone");
    execFileSync("git", ["clone", "-q", "--depth", "2", `file://${repo.dir}`, clone]);
    const cli = (args: string[]) => runCli(args, { cwd: clone });
    let r = cli(["compliance", "check", "--range", `${first}..HEAD`, "--format", "json"]);
    expect(r.code).toBe(1);
    let j = JSON.parse(r.stdout);
    expect(j.range).toMatchObject({ commits: 2, shallow: true, complete: false, missingBase: first });
    expect(j.violations.map((v: { rule: string }) => v.rule)).toEqual(["complete-history"]);
    expect(j.violations[0].message).toMatch(/checked only the 2 commit\(s\) present/);
    expect(r.stderr).toMatch(
      /shallow clone: checked 2 commit\(s\) back to the shallow boundary, not the whole range .*git fetch --unshallow/,
    );
    // The part of history the clone has is complete: no warning, no violation.
    r = cli(["compliance", "check", "--range", "HEAD~1..HEAD", "--format", "json"]);
    j = JSON.parse(r.stdout);
    expect(r.code, r.stderr).toBe(0);
    expect(j.range).toMatchObject({ commits: 1, shallow: true, complete: true });
    expect(r.stderr).not.toMatch(/not the whole range/);
    // The base fetched on its own (depth 1) still leaves a hole between it and the clone's history.
    repo.git("tag", "base", first);
    execFileSync("git", ["fetch", "-q", "--depth=1", "origin", "tag", "base"], { cwd: clone });
    r = cli(["compliance", "check", "--range", "base..HEAD", "--format", "json"]);
    expect(r.code).toBe(1);
    j = JSON.parse(r.stdout);
    expect(j.range).toMatchObject({ commits: 2, complete: false });
    expect(j.range.missingBase).toBeUndefined();
    expect(j.violations[0].message).toMatch(
      /history is cut at [0-9a-f]{10} inside the range: checked only the 2 commit/,
    );
    // After deepening, the same range is complete and passes.
    execFileSync("git", ["fetch", "-q", "--unshallow"], { cwd: clone });
    r = cli(["compliance", "check", "--range", `${first}..HEAD`, "--format", "json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).range).toMatchObject({ commits: 4, shallow: false, complete: true });
  });

  it("every output format, SARIF valid against the 2.1.0 schema, and a summary entry in the ledger", () => {
    const producer = makeProducer();
    const { repo, base, cli } = repoWith(
      "classification: business\npolicy:\n  requiredChecks: [test]\n" + producer.yaml,
      producer.env,
    );
    repo.commit("feat: x\n\nApproved-by: Test Author <author@example.invalid>", {
      "src/x.js": "export const x = 1;\n",
    });
    const range = `${base}..HEAD`;
    const sarifRun = cli(["compliance", "check", "--range", range, "--format", "sarif"]);
    expect(sarifRun.code).toBe(1);
    const sarif = JSON.parse(sarifRun.stdout);
    const v = validateSarif(sarif);
    expect(v.ok, JSON.stringify(v.errors)).toBe(true);
    const results = sarif.runs[0].results as {
      ruleId: string;
      locations: { physicalLocation: { artifactLocation: { uri: string } } }[];
    }[];
    expect(results.map((x) => x.ruleId).sort()).toEqual(["approved-by-another", "required-checks"]);
    expect(
      results.find((x) => x.ruleId === "approved-by-another")!.locations[0]!.physicalLocation.artifactLocation.uri,
    ).toBe("src/x.js");
    expect(
      results.find((x) => x.ruleId === "required-checks")!.locations[0]!.physicalLocation.artifactLocation.uri,
    ).toBe(".gitops-health.yml");
    const md = cli(["compliance", "check", "--range", range, "--format", "markdown"]).stdout;
    expect(md).toMatch(/^# Compliance check: business pack/);
    expect(md).toMatch(/\| SOX-ITGC-CM-2 .* \| failed \|/);
    const junit = cli(["compliance", "check", "--range", range, "--format", "junit"]).stdout;
    expect(junit).toMatch(/failures="[1-9]/);
    const text = cli(["compliance", "check", "--range", range]);
    expect(text.stdout).toBe("");
    expect(text.stderr).toMatch(/FAILED SOX-ITGC-CM-2/);
    expect(text.stderr).toMatch(/1 commit\(s\) checked with the business pack: 2 violation\(s\) at or above high/);
    const log = JSON.parse(cli(["audit", "log", "--type", "compliance.check", "--format", "json"]).stdout) as {
      subject: string;
      payload: { pack: string; failing: number; range: { from: string } };
    }[];
    expect(log.length).toBe(4);
    expect(log.at(-1)!.payload).toMatchObject({ pack: "business", failing: 2, range: { from: base } });
    // labels for the dashboard's per-repository view: no origin remote here, so the directory's name
    expect(log.at(-1)!.payload).toMatchObject({ repo: basename(repo.dir), classification: "business" });
    // Without a ledger nothing is written and the gate still runs.
    const noLedger = runCli(["compliance", "check", "--range", range, "--format", "json"], { cwd: repo.dir });
    expect(noLedger.code).toBe(1);
  });
});
