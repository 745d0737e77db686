import { describe, expect, it } from "vitest";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { makeTempDir } from "./helpers/repo.js";
import { decodeText, prepare, scanChunked, scanFileList, type ScanOptions } from "../src/scan/index.js";
import type { Finding } from "../src/phi/types.js";
import type { ScanStats } from "../src/report/findings.js";

// A directory scan batches whole files through Scanner.scanMany. It must report exactly what one
// scan per file reports (the loop before batching, written out below): the same findings in the
// same order, the same stats and the same progress calls.

const SENTENCES = [
  "Pt seen by Dr. Healey on 3/4/2019; wife Mary Souza called from 410-555-0192.",
  "Lives at 123 Main Street, Apt 4, Towson, MD 21204 with his daughter, Rose.",
  "CASEWORKER LEONA LABOWICH SPOKE WITH SON ROB. D/C TO GBMC ON 12-JAN-2020.",
  "MRN 4820193, SSN 512-84-3921, email theo.quinlan@example.org, seen 2019-03-04.",
  "Carole Hayes, RN. Hijacinta Godina and Murphy visited; Mijail C Adomo (son) aware.",
  "AKIAIOSFODNN7EXAMPLE and ghp_0123456789abcdefghijABCDEFGHIJ012345 in the note.",
  'const owner = "Theodora Quinlan"; // SSN 512-84-3921 gitops-health:allow',
  "ÉLODIE Brünhilde Ñúñez (mother) from Zürich, seen 5 März 2021 at Charité.",
];
const HL7 =
  "MSH|^~\\&|EPIC|MGH|LAB|MGH|202311150830||ADT^A01|MSG1|P|2.5\rPID|1||4820193^^^MGH^MR||Quinlan^Theodora^R||19480211|F|||44 Birch Rd^^Somerville^MA^02144||(617)432-8810\r";

function note(i: number, sentences: number): string {
  const parts: string[] = [];
  for (let j = 0; j < sentences; j++) parts.push(SENTENCES[(i * 7 + j * 3) % SENTENCES.length]!);
  return parts.join(i % 2 ? "\n" : " ");
}

/** A tree of notes, code, HL7, CSV, empty, binary and over-size files, some with PHI in their names. */
function tree(): { dir: string; list: string[] } {
  const dir = makeTempDir();
  const list: string[] = [];
  const add = (rel: string, body: string | Buffer) => {
    const p = join(dir, rel);
    mkdirSync(join(p, ".."), { recursive: true });
    writeFileSync(p, body);
    list.push(p);
  };
  const ext = ["txt", "ts", "md", "json", "csv", "hl7", "py"];
  for (let i = 0; i < 260; i++) {
    const e = ext[i % ext.length]!;
    const body = e === "hl7" ? HL7 : note(i, (i * 13) % 40);
    add(i % 29 === 0 ? `notes/mary_souza_512-84-3921_${i}.${e}` : `d${i % 5}/f${i}.${e}`, body);
    if (i % 37 === 0) add(`bin/b${i}.dat`, Buffer.from([1, 2, 0, 3, ...Buffer.from(note(i, 3))]));
    if (i % 130 === 0) add(`big/n${i}.txt`, note(i, 500)); // over maxFileSize: scanned in windows
    if (i % 53 === 0) add(`empty/e${i}.txt`, "");
  }
  // one large file among small ones
  add("large/all.txt", note(3, 400));
  list.splice(40, 0, join(dir, "gone.txt")); // listed, then gone
  list.splice(90, 0, join(dir, "d1")); // a directory: unreadable as a file
  return { dir, list };
}

/**
 * The loop before batching, written out: per file its path findings, then one `scan` of the file
 * (or windows for an over-size file, a skip for an unreadable one, nothing for a binary one).
 */
function oneByOne(list: string[], options: ScanOptions) {
  const prepared = prepare(options);
  const { scanner, suppressed, path } = prepared;
  const stats: ScanStats = {
    files: 0,
    bytes: 0,
    skippedBinary: 0,
    skippedLarge: 0,
    chunked: 0,
    suppressed: 0,
    durationMs: 0,
  };
  const findings: Finding[] = [];
  const max = options.maxFileSize!;
  for (const file of list) {
    const named = path(relative(options.cwd!, file).split(sep).join("/"));
    const rel = named.shown;
    findings.push(...named.findings);
    if (!existsSync(file)) continue;
    if (statSync(file).isDirectory()) {
      if (!options.allowSkip) findings.push(scanSkipped(rel));
      continue;
    }
    const buf = readFileSync(file);
    if (buf.length > max) {
      expect(scanChunked(file, rel, prepared, findings, stats)).toBe("scanned");
      stats.files++;
      stats.chunked++;
      stats.bytes += buf.length;
      options.onProgress?.(stats.files, stats.bytes);
      continue;
    }
    if (buf.subarray(0, 8192).includes(0)) {
      stats.skippedBinary++;
      continue;
    }
    stats.files++;
    stats.bytes += buf.length;
    const text = decodeText(buf);
    for (const f of scanner.scan(text, { path: rel })) {
      if (suppressed(f, text)) stats.suppressed++;
      else findings.push(f);
    }
    options.onProgress?.(stats.files, stats.bytes);
  }
  return { findings, stats };
}

/** The scan-skipped finding of an unreadable file, as the batched scan made it. */
let skippedTemplate: Finding | undefined;
function scanSkipped(rel: string): Finding {
  expect(skippedTemplate?.file).toBe(rel);
  return skippedTemplate!;
}

describe("directory scan batching", () => {
  it("reports what one scan per file reports: findings, order, stats, progress", { timeout: 120_000 }, () => {
    const { dir, list } = tree();
    const key = new Uint8Array(32).fill(7);
    const progressA: number[][] = [];
    const progressB: number[][] = [];
    const base: ScanOptions = { cwd: dir, fingerprintKey: key, maxFileSize: 32 * 1024 };
    const a = scanFileList(list, { ...base, onProgress: (f, b) => progressA.push([f, b]) });
    skippedTemplate = a.findings.find((f) => f.ruleId === "scan-skipped");
    const b = oneByOne(list, { ...base, onProgress: (f, b) => progressB.push([f, b]) });
    expect(JSON.stringify(a.findings)).toBe(JSON.stringify(b.findings));
    expect({ ...a.stats, durationMs: 0 }).toEqual({ ...b.stats, durationMs: 0 });
    expect(progressA).toEqual(progressB);
    // the comparison is not between empty or trivial reports
    expect(a.findings.length).toBeGreaterThan(500);
    const rules = new Set(a.findings.map((f) => f.ruleId));
    for (const r of ["phi-in-path", "scan-skipped"]) expect(rules).toContain(r);
    expect(a.stats.chunked).toBe(2);
    expect(a.stats.skippedBinary).toBeGreaterThan(3);
    expect(a.stats.suppressed).toBeGreaterThan(0);
    expect(new Set(a.findings.map((f) => f.file)).size).toBeGreaterThan(200);
  });

  it("also with files allowed to be skipped and rules disabled by config", { timeout: 120_000 }, () => {
    const { dir, list } = tree();
    const base: ScanOptions = {
      cwd: dir,
      fingerprintKey: new Uint8Array(32).fill(9),
      maxFileSize: 32 * 1024,
      allowSkip: true,
      scan: { disabledRules: ["name-title"] } as ScanOptions["scan"],
    };
    const a = scanFileList(list, base);
    const b = oneByOne(list, base);
    expect(JSON.stringify(a.findings)).toBe(JSON.stringify(b.findings));
    expect({ ...a.stats, durationMs: 0 }).toEqual({ ...b.stats, durationMs: 0 });
    expect(a.findings.some((f) => f.ruleId === "scan-skipped")).toBe(false);
  });
});
