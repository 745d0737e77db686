// Fail closed, leak nothing: large files are scanned (in chunks), unreadable files fail the gate,
// fingerprints are keyed, baselines migrate, and the default gate follows the classification.
import { describe, expect, it } from "vitest";
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { basename, join } from "node:path";
import { makeRepo, makeTempDir, runCli } from "./helpers/repo.js";
import { CHUNK_BYTES, CHUNK_OVERLAP, prepare, scanChunked, scanFileList } from "../src/scan/index.js";
import { Scanner, legacyFingerprint, setFingerprintKey } from "../src/phi/engine.js";
import { fingerprintKeyFile, loadFingerprintKey } from "../src/scan/fingerprint-key.js";
import type { Finding } from "../src/phi/types.js";

const KEY = { GITOPS_HEALTH_FINGERPRINT_KEY: "org-wide fingerprint secret 0001" };
/** SSNs with valid area/group numbers, one per planted line (distinct values). */
const ssn = (i: number) => `512-84-${String(1000 + i).padStart(4, "0")}`;
type JsonFinding = Pick<Finding, "ruleId" | "line" | "column" | "start" | "end" | "fingerprint" | "severity">;

describe("large files", () => {
  it("a 20 MB notes export is scanned in chunks: PHI at every chunk boundary found once, at its own line", () => {
    const dir = makeTempDir();
    // window k starts at k * CHUNK_BYTES and stops accepting findings near k * CHUNK_BYTES + CHUNK_OVERLAP
    const targets: number[] = [];
    for (let k = 1; k <= 4; k++)
      for (const base of [k * CHUNK_BYTES, k * CHUNK_BYTES + CHUNK_OVERLAP])
        for (const d of [-300, -60, -12, -4, 0, 4, 12, 60]) targets.push(base + d);
    targets.sort((a, b) => a - b);
    const parts: string[] = [];
    const planted: { line: number; offset: number; value: string }[] = [];
    let offset = 0;
    let line = 1;
    let t = 0;
    while (offset < 20_000_000) {
      if (t < targets.length && offset >= targets[t]!) {
        const value = ssn(planted.length);
        const text = `Patient SSN ${value} on file.\n`;
        planted.push({ line, offset: offset + text.indexOf(value), value });
        parts.push(text);
        offset += text.length;
        while (t < targets.length && offset >= targets[t]!) t++;
      } else {
        parts.push("-- \n");
        offset += 4;
      }
      line++;
    }
    const file = join(dir, "notes-export.txt");
    writeFileSync(file, parts.join(""));
    expect(statSync(file).size).toBeGreaterThanOrEqual(20_000_000);
    const r = runCli(["scan", "notes-export.txt", "--format", "json"], { cwd: dir, env: KEY });
    expect(r.code, r.stderr).toBe(1);
    const j = JSON.parse(r.stdout) as {
      findings: JsonFinding[];
      stats: { chunked: number; skippedLarge: number; files: number };
    };
    expect(j.stats).toMatchObject({ chunked: 1, skippedLarge: 0, files: 1 });
    const ssns = j.findings.filter((f) => f.ruleId === "us-ssn");
    expect(ssns.map((f) => [f.line, f.start, f.end - f.start])).toEqual(planted.map((p) => [p.line, p.offset, 11]));
    expect(ssns.every((f) => f.column === 13)).toBe(true);
    expect(j.findings).toHaveLength(planted.length);
  }, 120_000);

  it("chunked findings equal a whole-file scan, whatever the chunk size (offsets, lines, columns, fingerprints)", () => {
    const dir = makeTempDir();
    const lines: string[] = [];
    for (let i = 0; i < 400; i++)
      lines.push(
        i % 7 === 0
          ? `Call ${617}-432-${String(1000 + i)} or mail jdoe${i}@example.org; SSN ${ssn(i)}.`
          : `Line ${i}: no identifiers here, only ${"words ".repeat(i % 13)}text.`,
      );
    const file = join(dir, "notes.txt");
    writeFileSync(file, lines.join("\n") + "\n");
    const fingerprintKey = Buffer.alloc(32, 7);
    const whole = scanFileList([file], { cwd: dir, fingerprintKey }).findings;
    expect(whole.length).toBeGreaterThan(100);
    const prepared = prepare({ cwd: dir, fingerprintKey });
    for (const [chunk, overlap] of [
      [1024, 256],
      [3000, 700],
      [9999, 128],
    ] as const) {
      const out: Finding[] = [];
      const stats = { suppressed: 0, skippedBinary: 0 };
      expect(scanChunked(file, "notes.txt", prepared, out, stats, chunk, overlap)).toBe("scanned");
      expect(out).toEqual(whole);
    }
  });

  it("a CSV export keeps its column detection in every chunk (the header is carried over)", () => {
    const dir = makeTempDir();
    const rows = ["mrn,first_name,notes,dob"];
    for (let i = 0; i < 300; i++)
      rows.push(
        `${100200 + i},Theodora${i % 10 ? "" : "-Rose"},follow-up ${i},1948-02-${String((i % 28) + 1).padStart(2, "0")}`,
      );
    const file = join(dir, "export.csv");
    writeFileSync(file, rows.join("\n") + "\n");
    const fingerprintKey = Buffer.alloc(32, 9);
    const whole = scanFileList([file], { cwd: dir, fingerprintKey }).findings;
    expect(whole.filter((f) => f.ruleId === "csv-mrn")).toHaveLength(300);
    const out: Finding[] = [];
    expect(
      scanChunked(
        file,
        "export.csv",
        prepare({ cwd: dir, fingerprintKey }),
        out,
        { suppressed: 0, skippedBinary: 0 },
        2048,
        300,
      ),
    ).toBe("scanned");
    expect(out).toEqual(whole);
  });

  it("a file that cannot be read is a high scan-skipped finding (exit 1) unless skipping is allowed", () => {
    const dir = makeTempDir();
    mkdirSync(join(dir, "not-a-file"));
    // a directory opens but cannot be read: the same path as an unreadable file
    const r = scanFileList([join(dir, "not-a-file")], { cwd: dir });
    expect(r.findings.map((f) => [f.ruleId, f.category, f.severity])).toEqual([
      ["scan-skipped", "scan-incomplete", "high"],
    ]);
    expect(scanFileList([join(dir, "not-a-file")], { cwd: dir, allowSkip: true }).findings).toEqual([]);
    expect(scanFileList([join(dir, "not-a-file")], { cwd: dir, scan: { allowSkip: true } as never }).findings).toEqual(
      [],
    );
  });

  it("a staged or range scan of a large added file scans all of it", () => {
    const repo = makeRepo();
    repo.commit("chore: init", { "a.txt": "x\n" });
    repo.write("big.txt", "-- \n".repeat(2000) + `SSN ${ssn(1)}\n` + "-- \n".repeat(2000) + `SSN ${ssn(2)}\n`);
    repo.git("add", "big.txt");
    const r = runCli(["scan", "--staged", "--format", "json", "--max-file-size", "4096"], { cwd: repo.dir, env: KEY });
    const j = JSON.parse(r.stdout) as { findings: JsonFinding[]; stats: { chunked: number } };
    expect(j.findings.map((f) => f.line)).toEqual([2001, 4002]);
    expect(j.stats.chunked).toBe(1);
    repo.cleanup();
  });
});

describe("finding fingerprints", () => {
  it("a planted SSN's fingerprint is not recovered by hashing all 10^4 candidates without the key", () => {
    const planted = "536-22-8147";
    const scanner = new Scanner();
    setFingerprintKey(Buffer.from(loadFingerprintKey("/", undefined, KEY).key));
    const [f] = scanner.scan(`SSN ${planted}\n`, { path: "note.txt" });
    expect(f?.ruleId).toBe("us-ssn");
    const unkeyed = (v: string) =>
      createHash("sha256").update(`${f!.ruleId}\0note.txt\0${v}`).digest("hex").slice(0, 32);
    const candidates = Array.from({ length: 10_000 }, (_, i) => `536-22-${String(i).padStart(4, "0")}`);
    expect(candidates.filter((v) => unkeyed(v) === f!.fingerprint)).toEqual([]);
    // the attack works on the old scheme: the same search finds the value from a v1 fingerprint
    const v1 = legacyFingerprint(f!.ruleId, "note.txt", planted);
    expect(candidates.filter((v) => unkeyed(v) === v1)).toEqual([planted]);
    // and another key gives another fingerprint
    setFingerprintKey(Buffer.alloc(32, 1));
    expect(scanner.scan(`SSN ${planted}\n`, { path: "note.txt" })[0]!.fingerprint).not.toBe(f!.fingerprint);
    setFingerprintKey(undefined);
  });

  it("init creates the key outside the repository (0600); SARIF and JSON carry keyed fingerprints that are stable across runs", () => {
    const repo = makeRepo();
    const cfg = makeTempDir("gh-cfg-");
    const env = { XDG_CONFIG_HOME: cfg, GITOPS_HEALTH_FINGERPRINT_KEY: "" };
    const init = runCli(["init"], { cwd: repo.dir, env });
    expect(init.code, init.stderr).toBe(0);
    const keys = readdirSync(join(cfg, "gitops-health", "keys"));
    expect(keys).toHaveLength(1);
    expect(keys[0]).toBe(basename(fingerprintKeyFile(repo.dir)));
    const keyFile = join(cfg, "gitops-health", "keys", keys[0]!);
    expect(init.stderr).toContain(keyFile);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(cfg, "gitops-health", "keys")).mode & 0o777).toBe(0o700);
    expect(keyFile.startsWith(repo.dir)).toBe(false);
    repo.write("a.txt", `SSN ${ssn(5)}\n`);
    const a = JSON.parse(runCli(["scan", "a.txt", "--format", "json"], { cwd: repo.dir, env }).stdout) as {
      fingerprintScheme: string;
      findings: JsonFinding[];
    };
    const b = JSON.parse(runCli(["scan", "a.txt", "--format", "json"], { cwd: repo.dir, env }).stdout) as {
      findings: JsonFinding[];
    };
    expect(a.fingerprintScheme).toBe("hmac-sha256/v2");
    expect(a.findings[0]!.fingerprint).toBe(b.findings[0]!.fingerprint);
    expect(a.findings[0]!.fingerprint).not.toBe(legacyFingerprint("us-ssn", "a.txt", ssn(5)));
    const sarif = JSON.parse(runCli(["scan", "a.txt", "--format", "sarif"], { cwd: repo.dir, env }).stdout) as {
      runs: { results: { partialFingerprints: Record<string, string> }[] }[];
    };
    expect(sarif.runs[0]!.results[0]!.partialFingerprints["gitopsHealth/v2"]).toBe(a.findings[0]!.fingerprint);
    repo.cleanup();
  });

  it("an unkeyed baseline still suppresses, with a warning, and --update-baseline rewrites it keyed", () => {
    const repo = makeRepo();
    const env = { XDG_CONFIG_HOME: makeTempDir("gh-cfg-"), GITOPS_HEALTH_FINGERPRINT_KEY: "" };
    repo.write("a.txt", `SSN ${ssn(1)}\nSSN ${ssn(2)}\n`);
    const base = join(repo.dir, "baseline.txt");
    // written by an earlier version: unkeyed fingerprints, no scheme line; accepts the first SSN only
    writeFileSync(
      base,
      `# gitops-health baseline: accepted finding fingerprints\n${legacyFingerprint("us-ssn", "a.txt", ssn(1))}\n`,
    );
    const old = runCli(["scan", "a.txt", "--baseline", base, "--format", "json"], { cwd: repo.dir, env });
    expect(old.stderr).toMatch(/unkeyed \(sha256\/v1\).*--update-baseline/);
    expect((JSON.parse(old.stdout) as { findings: JsonFinding[] }).findings.map((f) => f.line)).toEqual([2]);
    const up = runCli(["scan", "a.txt", "--baseline", base, "--update-baseline"], { cwd: repo.dir, env });
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toMatch(/created the fingerprint key/);
    const text = readFileSync(base, "utf8");
    expect(text).toMatch(/^# scheme: hmac-sha256\/v2 key: [0-9a-f]{12}$/m);
    expect(text).not.toContain(legacyFingerprint("us-ssn", "a.txt", ssn(1)));
    const now = runCli(["scan", "a.txt", "--baseline", base, "--format", "json"], { cwd: repo.dir, env });
    expect(now.stderr).not.toMatch(/warning/);
    expect((JSON.parse(now.stdout) as { findings: JsonFinding[] }).findings.map((f) => f.line)).toEqual([2]);
    // under another key the keyed baseline matches nothing, and says so
    const other = runCli(["scan", "a.txt", "--baseline", base, "--format", "json"], {
      cwd: repo.dir,
      env: { ...env, ...KEY },
    });
    expect(other.stderr).toMatch(/written with fingerprint key [0-9a-f]{12}.*none of its fingerprints can match/);
    expect((JSON.parse(other.stdout) as { findings: JsonFinding[] }).findings).toHaveLength(2);
    repo.cleanup();
  });
});

describe("default gate", () => {
  it("clinical repositories fail on medium findings; the text report counts findings below the gate", () => {
    const dir = makeTempDir();
    writeFileSync(join(dir, "note.txt"), "Pt lives in Springfield.\n");
    const personal = runCli(["scan", "note.txt"], { cwd: dir, env: KEY });
    expect(personal.code).toBe(0);
    expect(personal.stderr).toMatch(/gate --fail-on high: 0 finding\(s\) at or above it, 1 below it/);
    writeFileSync(join(dir, ".gitops-health.yml"), "classification: clinical\n");
    const clinical = runCli(["scan", "note.txt"], { cwd: dir, env: KEY });
    expect(clinical.code).toBe(1);
    expect(clinical.stderr).toMatch(/gate --fail-on medium: 1 finding\(s\) at or above it/);
    writeFileSync(join(dir, ".gitops-health.yml"), "classification: clinical\nscan:\n  failOn: high\n");
    expect(runCli(["scan", "note.txt"], { cwd: dir, env: KEY }).code).toBe(0);
  });
});
