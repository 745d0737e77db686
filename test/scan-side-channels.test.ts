import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createRequire } from "node:module";
import { makeRepo, makeTempDir, runCli } from "./helpers/repo.js";

// Issue 13, item 7: PHI in file names and commit messages.
const SSN = "536-22-8147";
const NAME = `smithers_${SSN}.txt`;
const MASKED = "smithers_***-**-****.txt";

const all = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;

function validSarif(sarif: unknown): boolean {
  const req = createRequire(import.meta.url);
  const schema = JSON.parse(
    readFileSync(req.resolve("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json"), "utf8"),
  );
  const Ajv = req("ajv-draft-04") as new (o: object) => { compile(s: object): (d: unknown) => boolean };
  const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
  (req("ajv-formats") as (a: unknown) => void)(ajv);
  return ajv.compile(schema)(sarif);
}

describe("identifiers in paths", () => {
  it("a file named with an SSN is a phi-in-path finding, and no output format shows the raw path", () => {
    const dir = makeTempDir();
    writeFileSync(join(dir, NAME), "nothing to see\n");
    writeFileSync(join(dir, "clean.txt"), "hello\n");
    const json = runCli(["scan", ".", "--format", "json"], { cwd: dir });
    expect(json.code).toBe(1);
    const findings = JSON.parse(json.stdout).findings as {
      ruleId: string;
      file: string;
      category: string;
      preview: string;
    }[];
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ ruleId: "phi-in-path", category: "ssn", file: MASKED });
    for (const format of ["text", "json", "sarif", "markdown"]) {
      const r = runCli(["scan", ".", "--format", format], { cwd: dir });
      expect(r.code).toBe(1);
      expect(all(r)).not.toContain(SSN);
      expect(all(r)).not.toContain("8147");
      expect(all(r)).toContain(MASKED);
    }
    // the file's own findings name it by the masked path too
    writeFileSync(join(dir, NAME), "SSN 512-84-3921\n");
    const both = JSON.parse(runCli(["scan", NAME, "--format", "json"], { cwd: dir }).stdout).findings as {
      ruleId: string;
      file: string;
    }[];
    expect(both.map((f) => `${f.ruleId} ${f.file}`)).toEqual([`phi-in-path ${MASKED}`, `us-ssn ${MASKED}`]);
    // ordinary names with digits and at-signs stay quiet
    const quiet = makeTempDir();
    for (const f of ["v2-report-2024-01-15.md", "modified-proof@0-bit-@4.json", "rfc6962.txt", "IMG_20240115_1234.png"])
      writeFileSync(join(quiet, f), "x\n");
    expect(runCli(["scan", ".", "--format", "json"], { cwd: quiet }).code).toBe(0);
  });

  it("--staged (the pre-commit hook's own path) and --history report the path, masked", () => {
    const repo = makeRepo();
    repo.commit("chore: base", { "README.md": "hello\n" });
    repo.write(`exports/${NAME}`, "");
    repo.git("add", "-A");
    const staged = runCli(["scan", "--staged"], { cwd: repo.dir });
    expect(staged.code).toBe(1);
    expect(staged.stderr).toContain("phi-in-path");
    expect(staged.stderr).toContain(`exports/${MASKED}`);
    expect(all(staged)).not.toContain(SSN);
    const sarif = runCli(["scan", "--staged", "--format", "sarif"], { cwd: repo.dir });
    expect(sarif.stdout).not.toContain(SSN);
    expect(validSarif(JSON.parse(sarif.stdout))).toBe(true);
    expect(JSON.parse(sarif.stdout).runs[0].results[0].ruleId).toBe("phi-in-path");
    repo.git("commit", "-q", "--no-verify", "-m", "chore: add export");
    const hist = runCli(["scan", "--history", "--format", "json"], { cwd: repo.dir });
    expect(hist.code).toBe(1);
    expect(hist.stdout).not.toContain(SSN);
    expect(
      JSON.parse(hist.stdout).findings.map((f: { ruleId: string; file: string }) => `${f.ruleId} ${f.file}`),
    ).toEqual([`phi-in-path exports/${MASKED}`]);
  });
});

describe("identifiers in commit messages", () => {
  it("commit lint fails a message holding an SSN, from a file, stdin and a range, without echoing it", () => {
    const repo = makeRepo();
    repo.commit("chore: base", { "README.md": "hello\n" });
    const file = join(repo.dir, "MSG");
    writeFileSync(file, `fix(records): correct the record of ${SSN}\n`);
    const r = runCli(["commit", "lint", file], { cwd: repo.dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("[us-ssn]");
    expect(all(r)).not.toContain(SSN);
    const stdin = runCli(["commit", "lint", "-"], { cwd: repo.dir, input: `fix: patient ${SSN}\n` });
    expect(stdin.code).toBe(1);
    expect(stdin.stderr).toContain("[us-ssn]");
    // a clean message with the usual trailers (names, addresses) passes
    const ok = runCli(["commit", "lint", "-"], {
      cwd: repo.dir,
      input:
        "fix(records): correct the record\n\nSigned-off-by: Jane Doe <jane.doe@hospital.org>\nCo-authored-by: Alan Whitfield <alan@clinic.net>\n",
    });
    expect(ok.code).toBe(0);
    repo.commit(`fix(records): correct a record\n\nFor patient ${SSN}.`);
    const range = runCli(["commit", "lint", "--range", "HEAD~1..HEAD"], { cwd: repo.dir });
    expect(range.code).toBe(1);
    expect(range.stderr).toContain("[us-ssn]");
    expect(all(range)).not.toContain(SSN);
  });

  it("the commit-msg hook refuses a commit whose message holds an SSN", () => {
    const repo = makeRepo();
    repo.commit("chore: base", { "README.md": "hello\n" });
    expect(runCli(["hooks", "install", "--hook", "commit-msg"], { cwd: repo.dir }).code).toBe(0);
    repo.write("a.txt", "x\n");
    repo.git("add", "a.txt");
    const bad = spawnSync("git", ["commit", "-m", `fix: record of ${SSN}`], { cwd: repo.dir, encoding: "utf8" });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain("us-ssn");
    expect(bad.stderr + bad.stdout).not.toContain(SSN);
    const good = spawnSync("git", ["commit", "-m", "fix: record of the patient"], { cwd: repo.dir, encoding: "utf8" });
    expect(good.status).toBe(0);
  });

  it("commit generate does not copy an identifier from a file name into the message", () => {
    const repo = makeRepo();
    repo.commit("chore: base", { "README.md": "hello\n", "exports/readme.md": "x\n" });
    repo.git("mv", "exports/readme.md", `exports/${NAME}`);
    const r = runCli(["commit", "generate", "--format", "json"], {
      cwd: repo.dir,
      env: { GITOPS_HEALTH_LLM_PROVIDER: "offline" },
    });
    expect(r.code).toBe(0);
    const text = (JSON.parse(r.stdout) as { candidates: { text: string }[] }).candidates[0]!.text;
    expect(text).toContain("smithers_***-**-****");
    expect(all(r)).not.toContain(SSN);
  });

  it("scan --history scans every commit's message as commit:<sha>:message", () => {
    const repo = makeRepo();
    repo.commit("chore: base", { "README.md": "hello\n" });
    const sha = repo.commit(`docs: note\n\nAsked by the patient with SSN ${SSN}.`, { "b.md": "fine\n" });
    repo.commit("docs: more", { "c.md": "fine too\n" });
    const r = runCli(["scan", "--history", "--format", "json"], { cwd: repo.dir });
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain(SSN);
    const f = JSON.parse(r.stdout).findings as { ruleId: string; file: string; commit: string; line: number }[];
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ ruleId: "us-ssn", file: `commit:${sha}:message`, commit: sha, line: 3 });
    const text = runCli(["scan", "--history"], { cwd: repo.dir });
    expect(text.stderr).toContain(`commit:${sha}:message`);
    expect(all(text)).not.toContain(SSN);
  });
});
