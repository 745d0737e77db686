import { describe, expect, it } from "vitest";
import { cpSync, readFileSync, readdirSync, symlinkSync, writeFileSync, existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { createRequire } from "node:module";
import { execFileSync, spawnSync } from "node:child_process";
import { makeRepo, makeTempDir, runCli } from "./helpers/repo.js";
import { compileUserPattern } from "../src/scan/safe-regex.js";
import { createScanner } from "../src/phi/index.js";
import { sanitize, shiftDate } from "../src/phi/sanitize.js";

const SSN = "512-84-3921";

/** With the pre-commit hook installed: a commit adding an SSN fails naming the rule; the file is then made clean and staged. */
function expectPreCommitBlocksAnSsn(repo: ReturnType<typeof makeRepo>): void {
  repo.write("leak.txt", `SSN ${SSN}\n`);
  repo.git("add", "leak.txt");
  const c = spawnSync("git", ["commit", "-m", "feat: leak"], { cwd: repo.dir, encoding: "utf8" });
  expect(c.status).not.toBe(0);
  expect(c.stderr).toMatch(/us-ssn/);
  repo.write("leak.txt", "nothing\n");
  repo.git("add", "leak.txt");
}

describe("scan targets", () => {
  it("scans files respecting .gitignore, exits 1 on high findings and 0 when clean", () => {
    const repo = makeRepo();
    repo.write(".gitignore", "ignored/\n");
    repo.write("notes/visit.txt", `Patient SSN ${SSN}\n`);
    repo.write("ignored/secret.txt", `SSN ${SSN}\n`);
    repo.write("clean.ts", "export const x = 1;\n");
    const r = runCli(["scan", ".", "--format", "json"], { cwd: repo.dir });
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.findings.map((f: { file: string }) => f.file)).toEqual(["notes/visit.txt"]);
    expect(r.stdout).not.toContain(SSN);
    expect(runCli(["scan", "clean.ts"], { cwd: repo.dir }).code).toBe(0);
    expect(runCli(["scan", "missing.txt"], { cwd: repo.dir }).code).toBe(2);
  });

  it("--staged reports only added lines with their line numbers; outside a repo exits 2", () => {
    const repo = makeRepo();
    repo.commit("chore: base", { "a.txt": `old ${SSN}\nline2\n` });
    repo.write("a.txt", `old ${SSN}\nline2\nnew phone 617-432-8810\n`);
    repo.git("add", "a.txt");
    const r = runCli(["scan", "--staged", "--format", "json"], { cwd: repo.dir });
    const f = JSON.parse(r.stdout).findings;
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ file: "a.txt", line: 3, category: "phone" });
    const out = runCli(["scan", "--staged"], { cwd: makeTempDir() });
    expect(out.code).toBe(2);
    expect(out.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("the pre-commit hook's own path (dist/hook.cjs) reports what the full CLI reports, from any directory", () => {
    const repo = makeRepo();
    repo.commit("chore: base", { "README.md": "hello\n" });
    repo.write(
      "docs/note.md",
      "Patient Maria Gonzalez was seen in Springfield on March 3, 2021 by Dr. Alan Whitfield.\nPhone 617-555-0199.\n",
    );
    repo.write("src/app.ts", `export const ssn = "${SSN}";\nexport const n = 1;\n`);
    repo.write("src/clean.ts", "export const x = 1;\n");
    repo.git("add", "-A");
    repo.git("config", "diff.relative", "true");
    expect(existsSync(join(__dirname, "..", "dist", "hook.cjs"))).toBe(true);
    const norm = (r: { code: number; stdout: string; stderr: string }) => ({
      ...r,
      stderr: r.stderr.replace(/, \d+ ms\n/, "\n"),
    });
    for (const cwd of [repo.dir, join(repo.dir, "src")]) {
      // `scan --staged` alone runs dist/hook.cjs; any other flag goes through commander
      const full = norm(runCli(["scan", "--staged", "--format", "text"], { cwd }));
      expect(full.code).toBe(1);
      expect(full.stderr).toContain("docs/note.md");
      expect(full.stderr).toContain("src/app.ts");
      // twice: the second run uses the V8 code cache the first one wrote
      expect(norm(runCli(["scan", "--staged"], { cwd }))).toEqual(full);
      expect(norm(runCli(["scan", "--staged"], { cwd }))).toEqual(full);
    }
    // a damaged cache is rejected (and rewritten), never run
    const dist = join(__dirname, "..", "dist");
    const caches = readdirSync(dist).filter((f) => f.startsWith(".hook.cjs.") && f.endsWith(".v8cache"));
    expect(caches.length).toBeGreaterThan(0);
    for (const f of caches) writeFileSync(join(dist, f), readFileSync(join(dist, f)).subarray(0, 999));
    expect(norm(runCli(["scan", "--staged", "--format", "text"], { cwd: repo.dir }))).toEqual(
      norm(runCli(["scan", "--staged"], { cwd: repo.dir })),
    );
    repo.git("reset", "-q", "docs/note.md", "src/app.ts");
    expect(runCli(["scan", "--staged"], { cwd: repo.dir }).code).toBe(0);
  });

  it("with a config file, the hook's scan --staged applies its path allowlist and its gitleaks rules from any directory", () => {
    const repo = makeRepo();
    repo.commit("chore: base", { "README.md": "hello\n" });
    repo.write(
      ".gitops-health.yml",
      `scan:\n  allowlist:\n    paths: ["fixtures/**"]\n  gitleaksConfig: gitleaks.toml\n`,
    );
    repo.write("gitleaks.toml", `title = "x"\n[[rules]]\nid = "acme-token"\nregex = '''(?i)acme_[a-z0-9]{12}'''\n`);
    repo.write("fixtures/a.txt", `SSN ${SSN}\n`);
    repo.write("src/b.txt", "token acme_abcdef123456\n");
    repo.git("add", "-A");
    for (const cwd of [repo.dir, join(repo.dir, "src")]) {
      const r = runCli(["scan", "--staged"], { cwd });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("gitleaks:acme-token");
      expect(r.stderr).not.toContain("fixtures/a.txt");
      expect(r.stderr).toContain("1 suppressed");
    }
  });

  it("has-command (run by installed hooks) knows every command while loading only the one asked about", () => {
    const cwd = makeTempDir();
    const has = (...words: string[]) => runCli(["has-command", ...words], { cwd }).code;
    for (const words of [
      ["scan"],
      ["commit", "lint"],
      ["commit", "generate"],
      ["hooks", "install"],
      ["run"],
      ["approve"],
      ["runs"],
      ["has-command"],
      ["audit"],
    ])
      expect(has(...words), words.join(" ")).toBe(0);
    for (const words of [["nope"], ["commit", "nope"], ["scan", "lint"]])
      expect(has(...words), words.join(" ")).toBe(1);
  });

  it("--diff and --history name the introducing commit with a rebase-stable fingerprint", () => {
    const repo = makeRepo();
    const base = repo.commit("chore: base", { "README.md": "hello\n" });
    const bad = repo.commit("feat: notes", { "notes.txt": `hi\nSSN ${SSN}\n` });
    repo.commit("docs: more", { "README.md": "hello\nworld\n" });
    const diff = JSON.parse(
      runCli(["scan", "--diff", `${base}..HEAD`, "--format", "json"], {
        cwd: repo.dir,
        env: { GITOPS_HEALTH_FINGERPRINT_KEY: "test-org-fingerprint-secret" },
      }).stdout,
    ).findings;
    expect(diff).toHaveLength(1);
    const hist = JSON.parse(
      runCli(["scan", "--history", "--format", "json"], {
        cwd: repo.dir,
        env: { GITOPS_HEALTH_FINGERPRINT_KEY: "test-org-fingerprint-secret" },
      }).stdout,
    ).findings;
    expect(hist).toHaveLength(1);
    expect(hist[0]).toMatchObject({ commit: bad, file: "notes.txt", line: 2 });
    // rebase: rewrite history (new SHAs), same finding fingerprint
    repo.git("rebase", "-q", "--exec", "true", "--root", "--committer-date-is-author-date");
    repo.git("commit", "-q", "--amend", "--allow-empty", "-m", "docs: reworded");
    const after = JSON.parse(
      runCli(["scan", "--history", "--format", "json"], {
        cwd: repo.dir,
        env: { GITOPS_HEALTH_FINGERPRINT_KEY: "test-org-fingerprint-secret" },
      }).stdout,
    ).findings;
    expect(after[0].fingerprint).toBe(hist[0].fingerprint);
    expect(runCli(["scan", "--diff", "nope..HEAD"], { cwd: repo.dir }).code).toBe(2);
  });

  it("reads stdin and jsonl batches", () => {
    const r = runCli(["scan", "-", "--format", "json"], { input: `call 617-432-8810` });
    expect(JSON.parse(r.stdout).findings[0].category).toBe("phone");
    const j = runCli(["scan", "--input-format", "jsonl"], {
      input: `{"id":1,"text":"SSN ${SSN}"}\n{"id":"b","text":"nothing here"}\n`,
    });
    const lines = j.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.id, l.findings.length])).toEqual([
      [1, 1],
      ["b", 0],
    ]);
    expect(j.code).toBe(1);
    const bad = runCli(["scan", "--input-format", "jsonl"], { input: `{"id":1}\n` });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/jsonl line 1/);
  });

  it("scans large jsonl batches on worker threads with the same output, in input order", () => {
    // records written for this test: some with PHI, some without, of varied length
    const people = ["Marta Kowalczyk", "Dr. Hesketh", "wife Ingrid Halvorsen"];
    const records = Array.from({ length: 400 }, (_, i) => ({
      id: i % 7 === 0 ? `r${i}` : i,
      text:
        i % 3 === 0
          ? `Seen by ${people[i % 3]} on 3/${(i % 28) + 1}/2021, call 617-432-${String(1000 + i)}.`
          : `Stable overnight, no events (${"x".repeat(i % 50)}).`,
    }));
    const input = records.map((r) => JSON.stringify(r)).join("\n") + "\n";
    const one = runCli(["scan", "--input-format", "jsonl"], {
      input,
      env: { GITOPS_HEALTH_SCAN_THREADS: "1", GITOPS_HEALTH_FINGERPRINT_KEY: "test-org-fingerprint-secret" },
    });
    const pool = runCli(["scan", "--input-format", "jsonl"], {
      input,
      env: {
        GITOPS_HEALTH_SCAN_THREADS: "2",
        GITOPS_HEALTH_SCAN_PARALLEL_BYTES: "2000",
        GITOPS_HEALTH_FINGERPRINT_KEY: "test-org-fingerprint-secret",
      },
    });
    expect(pool.code).toBe(1);
    expect(pool.stdout).toBe(one.stdout);
    const out = pool.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { id: string | number; findings: unknown[] });
    expect(out.map((o) => o.id)).toEqual(records.map((r) => r.id));
    expect(out.filter((o) => o.findings.length > 0).length).toBeGreaterThan(100);
    expect(pool.stderr).toContain("400 record(s)");
    // a bad record after the pool has started still names its line and exits 2
    const bad = runCli(["scan", "--input-format", "jsonl"], {
      input: input + `{"id":1}\n`,
      env: { GITOPS_HEALTH_SCAN_THREADS: "2", GITOPS_HEALTH_SCAN_PARALLEL_BYTES: "2000" },
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/jsonl line 401/);
  });

  it("skips binary files, scans oversized ones in chunks, tolerates invalid UTF-8, and counts them", () => {
    const dir = makeTempDir();
    writeFileSync(join(dir, "bin.dat"), Buffer.from([1, 2, 0, 3, ...Buffer.from(SSN)]));
    writeFileSync(join(dir, "big.txt"), `SSN ${SSN}\n` + "x".repeat(5000));
    writeFileSync(
      join(dir, "latin1.txt"),
      Buffer.concat([Buffer.from([0xff, 0xfe, 0xe9]), Buffer.from(` SSN ${SSN}\n`)]),
    );
    const r = runCli(["scan", ".", "--format", "json", "--max-file-size", "1000"], { cwd: dir });
    const j = JSON.parse(r.stdout);
    expect(j.stats).toMatchObject({ skippedBinary: 1, skippedLarge: 0, chunked: 1, files: 2 });
    expect(j.findings.map((f: { file: string; line: number }) => `${f.file}:${f.line}`).sort()).toEqual([
      "big.txt:1",
      "latin1.txt:1",
    ]);
  });
});

describe("suppression", () => {
  it("inline allow, config allowlists, baseline and custom rules", () => {
    const repo = makeRepo();
    repo.write("a.txt", `SSN ${SSN} // gitops-health:allow\nSSN 423-76-1298\nTicket TKT-4821\n`);
    repo.write(
      ".gitops-health.yml",
      `scan:\n  allowlist:\n    regexes: ["^423-"]\n  customRules:\n    - id: ticket\n      pattern: "TKT-\\\\d{4}"\n      severity: high\n`,
    );
    const j = JSON.parse(runCli(["scan", "a.txt", "--format", "json"], { cwd: repo.dir }).stdout);
    expect(j.findings.map((f: { ruleId: string }) => f.ruleId)).toEqual(["ticket"]);
    expect(j.stats.suppressed).toBe(2);
    const base = join(repo.dir, "baseline.txt");
    const env = { XDG_CONFIG_HOME: join(repo.dir, ".cfg-outside") };
    expect(runCli(["scan", "a.txt", "--write-baseline", base], { cwd: repo.dir, env }).code).toBe(0);
    expect(runCli(["scan", "a.txt", "--baseline", base], { cwd: repo.dir, env }).code).toBe(0);
  });

  it("reads gitleaks.toml rules", () => {
    const dir = makeTempDir();
    writeFileSync(
      join(dir, "gitleaks.toml"),
      `title = "x"\n[[rules]]\nid = "acme-token"\ndescription = "Acme"\nregex = '''(?i)acme_[a-z0-9]{12}'''\nkeywords = ["acme_"]\n`,
    );
    writeFileSync(join(dir, "c.txt"), "token ACME_abcdef123456\n");
    const j = JSON.parse(
      runCli(["scan", "c.txt", "--gitleaks-config", "gitleaks.toml", "--format", "json"], { cwd: dir }).stdout,
    );
    expect(j.findings[0].ruleId).toBe("gitleaks:acme-token");
  });

  it("runs user patterns on RE2: what it cannot express is refused naming the rule, and execution is bounded", () => {
    expect(() => compileUserPattern("evil", "a(?=b)")).toThrow(/rule "evil".*RE2/);
    const dir = makeTempDir();
    writeFileSync(
      join(dir, ".gitops-health.yml"),
      `scan:\n  customRules:\n    - id: evil\n      pattern: "(a)\\\\1"\n`,
    );
    const r = runCli(["scan", "-"], { cwd: dir, input: "a".repeat(40) + "!" });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/rule "evil"/);
    // A library caller's own V8 RegExp still only sees bounded lines.
    const s = createScanner({ extraRules: [{ id: "slow", regex: /(x|x?)+y/, category: "custom", severity: "low" }] });
    const t0 = Date.now();
    s.scan("x".repeat(20000));
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it("malformed config exits 2 naming file, line and field", () => {
    const dir = makeTempDir();
    writeFileSync(join(dir, ".gitops-health.yml"), "scan:\n  failOn: extreme\n");
    const r = runCli(["scan", "-"], { cwd: dir, input: "x" });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\.gitops-health\.yml:2: scan\.failOn:/);
  });
});

describe("reports", () => {
  it("SARIF validates against the official 2.1.0 schema; markdown masks values", () => {
    const dir = makeTempDir();
    writeFileSync(join(dir, "n.txt"), `Dr. Healey saw the patient, SSN ${SSN}, on 3/14/2023.\n`);
    const sarif = JSON.parse(runCli(["scan", "n.txt", "--format", "sarif"], { cwd: dir }).stdout);
    const schemaPath = createRequire(import.meta.url).resolve(
      "@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json",
    );
    const req = createRequire(import.meta.url);
    const Ajv = req("ajv-draft-04") as new (o: object) => {
      compile(s: object): ((d: unknown) => boolean) & { errors?: unknown };
    };
    const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
    (createRequire(import.meta.url)("ajv-formats") as (a: unknown) => void)(ajv);
    const validate = ajv.compile(JSON.parse(readFileSync(schemaPath, "utf8")));
    expect(validate(sarif), JSON.stringify(validate.errors)).toBe(true);
    expect(sarif.runs[0].results.length).toBe(3);
    expect(JSON.stringify(sarif)).not.toContain(SSN);
    const md = runCli(["scan", "n.txt", "--format", "markdown"], { cwd: dir }).stdout;
    expect(md).toMatch(/\| high \| us-ssn \| ssn \| 7 \|/);
    expect(md).not.toContain("Healey");
  });
});

describe("sanitize", () => {
  it("dry run leaves the file, --write rewrites it atomically; hash tokens are stable across files", () => {
    const dir = makeTempDir();
    const a = join(dir, "a.txt");
    const b = join(dir, "b.txt");
    writeFileSync(a, `Patient SSN ${SSN}, seen 3/14/2023\n`);
    writeFileSync(b, `Again ${SSN}\n`);
    const dry = runCli(["sanitize", "a.txt"], { cwd: dir });
    expect(dry.code).toBe(0);
    expect(dry.stderr).toMatch(/DRY RUN/);
    expect(readFileSync(a, "utf8")).toContain(SSN);
    expect(
      runCli(["sanitize", "a.txt", "b.txt", "--mode", "hash", "--write"], {
        cwd: dir,
        env: { GITOPS_HEALTH_SANITIZE_KEY: "k1-sanitize-test-key" },
      }).code,
    ).toBe(0);
    const ta = readFileSync(a, "utf8");
    const tb = readFileSync(b, "utf8");
    const tok = /\[SSN:[0-9a-f]{10}\]/.exec(ta)![0];
    expect(tb).toContain(tok);
    expect(ta).not.toContain(SSN);
    expect(
      runCli(["sanitize", "b.txt", "--mode", "hash"], { cwd: dir, env: { GITOPS_HEALTH_SANITIZE_KEY: "" } }).code,
    ).toBe(2);
    // a short key would be guessed along with the values
    const short = runCli(["sanitize", "b.txt", "--mode", "hash"], {
      cwd: dir,
      env: { GITOPS_HEALTH_SANITIZE_KEY: "k1" },
    });
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/at least 16 characters/);
  });

  it("synthetic mode: invalid-area SSNs, 555 phones and one date shift per document", () => {
    const r = sanitize(`SSN ${SSN}. Admitted 3/1/2023, discharged 3/15/2023. Call 617-432-8810.`, {
      mode: "synthetic",
      key: "k-sanitize-test-key",
      documentId: "doc1",
    });
    expect(r.text).toMatch(/SSN 9\d\d-\d\d-\d{4}/);
    expect(r.text).toMatch(/555-01\d\d/);
    const dates = [...r.text.matchAll(/(\d{1,2})\/(\d{1,2})\/(\d{4})/g)].map((m) =>
      Date.UTC(+m[3]!, +m[1]! - 1, +m[2]!),
    );
    expect((dates[1]! - dates[0]!) / 86400000).toBe(14);
    expect(shiftDate("2023-03-01", 1)).toBe("2023-03-02");
  });
});

describe("hooks", () => {
  it("installs a pre-commit hook that blocks a commit adding an SSN and refuses to clobber foreign hooks", () => {
    const repo = makeRepo();
    repo.commit("chore: init", { "a.txt": "x\n" });
    const r = runCli(["hooks", "install", "--hook", "pre-commit"], { cwd: repo.dir });
    expect(r.code).toBe(0);
    const hook = join(repo.dir, ".git", "hooks", "pre-commit");
    expect(statSync(hook).mode & 0o111).not.toBe(0);
    // one node process a commit: every version has `scan --staged`, so no has-command check first
    expect(readFileSync(hook, "utf8")).not.toContain("has-command");
    expectPreCommitBlocksAnSsn(repo);
    expect(spawnSync("git", ["commit", "-qm", "feat: fine"], { cwd: repo.dir }).status).toBe(0);
    writeFileSync(join(repo.dir, ".git", "hooks", "commit-msg"), "#!/bin/sh\nexit 0\n");
    expect(runCli(["hooks", "install", "--hook", "commit-msg"], { cwd: repo.dir }).code).toBe(2);
    expect(runCli(["hooks", "uninstall"], { cwd: repo.dir }).code).toBe(0);
    expect(existsSync(hook)).toBe(false);
    void execFileSync;
  });
});

describe("commit hooks", () => {
  it("commit-msg checks the installing build with grep, not a second node process, and still lints", () => {
    const repo = makeRepo();
    repo.commit("chore: init", { "a.txt": "x\n" });
    expect(runCli(["hooks", "install", "--hook", "commit-msg"], { cwd: repo.dir }).code).toBe(0);
    const hook = join(repo.dir, ".git", "hooks", "commit-msg");
    const script = readFileSync(hook, "utf8");
    expect(script).toMatch(
      /if ! grep -q 'program-[A-Z0-9]+\.js' "\$CLI" 2>\/dev\/null; then .* has-command commit lint/,
    );
    repo.write("b.txt", "y\n");
    repo.git("add", "b.txt");
    const bad = spawnSync("git", ["commit", "-m", "Added stuff."], { cwd: repo.dir, encoding: "utf8" });
    expect(bad.status).not.toBe(0);
    expect(spawnSync("git", ["commit", "-qm", "feat: add b"], { cwd: repo.dir }).status).toBe(0);
    // another build (the mark does not match) is asked with has-command first, and still lints
    writeFileSync(hook, script.replace(/program-[A-Z0-9]+\.js/, "program-OTHERBUILD.js"));
    repo.write("c.txt", "z\n");
    repo.git("add", "c.txt");
    expect(spawnSync("git", ["commit", "-m", "Added more."], { cwd: repo.dir }).status).not.toBe(0);
    expect(spawnSync("git", ["commit", "-qm", "feat: add c"], { cwd: repo.dir }).status).toBe(0);
  });
});

describe("hooks from a CLI whose path holds a space and a quote", () => {
  it("still finds and runs the CLI", () => {
    const dist = join(__dirname, "..", "dist");
    const base = join(makeTempDir(), "my tools'", "gitops health");
    cpSync(dist, join(base, "dist"), { recursive: true, filter: (src) => !src.includes(".v8cache") });
    cpSync(join(__dirname, "..", "package.json"), join(base, "package.json"));
    // the lexicons ship beside the bundle in the package (package.json "files")
    cpSync(join(__dirname, "..", "src", "phi", "data"), join(base, "src", "phi", "data"), { recursive: true });
    cpSync(join(__dirname, "..", "src", "phi", "model"), join(base, "src", "phi", "model"), { recursive: true });
    symlinkSync(join(__dirname, "..", "node_modules"), join(base, "node_modules"));
    const repo = makeRepo();
    repo.commit("chore: init", { "a.txt": "x\n" });
    const inst = spawnSync(process.execPath, [join(base, "dist", "cli.js"), "hooks", "install"], {
      cwd: repo.dir,
      encoding: "utf8",
    });
    expect(inst.status, inst.stderr).toBe(0);
    expect(readFileSync(join(repo.dir, ".git", "hooks", "pre-commit"), "utf8")).toContain(
      `CLI='${base.replace("'", "'\\''")}/dist/cli.js'`,
    );
    expectPreCommitBlocksAnSsn(repo);
    expect(spawnSync("git", ["commit", "-m", "Bad message."], { cwd: repo.dir }).status).not.toBe(0);
    expect(spawnSync("git", ["commit", "-qm", "feat: fine"], { cwd: repo.dir }).status).toBe(0);
  });
});

describe("worker threads", () => {
  it("a parallel scan finds exactly what a single-thread scan finds", () => {
    const dir = makeTempDir();
    for (let i = 0; i < 40; i++)
      writeFileSync(
        join(dir, `note${i}.txt`),
        `Visit ${i}: Dr. Healey saw the patient on 3/${(i % 27) + 1}/2023, SSN 512-84-${String(3900 + i)}.\n`,
      );
    const one = runCli(["scan", ".", "--format", "json"], {
      cwd: dir,
      env: { GITOPS_HEALTH_SCAN_THREADS: "1", GITOPS_HEALTH_FINGERPRINT_KEY: "test-org-fingerprint-secret" },
    });
    const many = runCli(["scan", ".", "--format", "json"], {
      cwd: dir,
      env: {
        GITOPS_HEALTH_SCAN_THREADS: "3",
        GITOPS_HEALTH_SCAN_PARALLEL_BYTES: "1",
        GITOPS_HEALTH_FINGERPRINT_KEY: "test-org-fingerprint-secret",
      },
    });
    const a = JSON.parse(one.stdout);
    const b = JSON.parse(many.stdout);
    expect(b.findings.length).toBe(120);
    expect(b.findings.map((f: { fingerprint: string }) => f.fingerprint)).toEqual(
      a.findings.map((f: { fingerprint: string }) => f.fingerprint),
    );
    expect(b.stats.files).toBe(40);
  });
});
