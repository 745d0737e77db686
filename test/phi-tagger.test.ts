import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Scanner } from "../src/phi/scanner.js";
import { combine, decodeModel, shippedModel, tagText } from "../src/phi/tagger/model.js";
import { tokenize } from "../src/phi/tagger/features.js";
import { modelDigest, train } from "../src/phi/tagger/train.js";
import type { Candidate } from "../src/phi/candidate.js";
import { makeTempDir, runCli } from "./helpers/repo.js";

const root = join(import.meta.dirname, "..");
const fixtures = join(root, "test", "fixtures", "phi-tagger");
const note = readFileSync(join(fixtures, "note.txt"), "utf8");
const show = (text: string, spans: { start: number; end: number; cls?: string; category?: string }[]) =>
  spans.map((s) => `${s.cls ?? s.category}:${text.slice(s.start, s.end)}`);

describe("PHI tagger: model", () => {
  it("loads the shipped weights and tags a synthetic note", () => {
    const m = shippedModel();
    expect(m.header.version).toBe(1);
    expect(m.header.features).toBeGreaterThan(1000);
    expect(m.header.trainedOn).toMatch(/folds 1-4/);
    const tagged = show(note, tagText(m, note, []));
    expect(tagged).toEqual(expect.arrayContaining(["name:QUENBY", "name:VARNAKIS", "name:jorgensen"]));
    // nothing clinical is tagged
    for (const w of ["NEURO", "ALERT", "NSR", "BP", "ortho", "PLAN"])
      expect(tagged.some((t) => t.endsWith(`:${w}`))).toBe(false);
  });

  it("tokenizes letters, digits and single marks, keeping apostrophes inside names", () => {
    const t = "O'Hara 12/3-x";
    const tok = tokenize(t);
    const words = Array.from({ length: tok.n }, (_, i) => t.slice(tok.start[i], tok.end[i]));
    expect(words).toEqual(["O'Hara", "12", "/", "3", "-", "x"]);
  });

  it("trains deterministically: the fixture's weights digest is fixed", () => {
    const out1 = join(makeTempDir("tagger-"), "m.bin.gz");
    const out2 = join(makeTempDir("tagger-"), "m.bin.gz");
    const run = (out: string) =>
      execFileSync(
        process.execPath,
        [
          join(root, "node_modules", "tsx", "dist", "cli.mjs"),
          join(root, "scripts", "train-phi-tagger.ts"),
          "--fixture",
          join(fixtures, "train.json"),
          "--out",
          out,
        ],
        { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
      ).trim();
    const d1 = run(out1);
    expect(run(out2)).toBe(d1);
    expect(readFileSync(out1).equals(readFileSync(out2))).toBe(true);
    expect(modelDigest(readFileSync(out1))).toBe(d1);
    expect(d1).toBe("1c5448011f5d1b2357c04a98e7fa181b00f130c3b3e686f86a4880693c833dc9");
  }, 60_000);

  it("learns from labelled text in process, and a model survives encoding", () => {
    const docs = (
      JSON.parse(readFileSync(join(fixtures, "train.json"), "utf8")) as {
        text: string;
        spans: { start: number; end: number; cls: "name" | "location" | "date" | "phone" }[];
      }[]
    ).map((d) => ({ text: d.text, rules: [], gold: d.spans }));
    const { model, file } = train(docs, { epochs: 10, seed: 1, ruleDropout: 0 });
    expect(decodeModel(file).header.features).toBe(model.header.features);
    const text = docs[0]!.text;
    expect(show(text, tagText(model, text, []))).toEqual(["name:MARTELLA", "date:9/21"]);
  });
});

describe("PHI tagger: combination with the rules", () => {
  const cand = (start: number, end: number, category: string, ruleId = "r"): Candidate => ({
    ruleId,
    category,
    kind: "phi",
    start,
    end,
    severity: "high",
    confidence: 0.9,
  });

  it("adds tagger spans where no rule candidate overlaps; on an overlap the rule's finding stays", () => {
    const rules = [cand(0, 5, "ssn", "us-ssn"), cand(20, 30, "name")];
    const out = combine(rules, [
      { start: 2, end: 4, cls: "phone" },
      { start: 10, end: 15, cls: "location" },
      { start: 25, end: 35, cls: "name" },
      { start: 40, end: 44, cls: "date" },
    ]);
    expect(out.map((c) => [c.ruleId, c.start, c.end, c.category])).toEqual([
      ["us-ssn", 0, 5, "ssn"],
      ["phi-tagger-location", 10, 15, "location"],
      ["r", 20, 30, "name"],
      ["phi-tagger-date", 40, 44, "date"],
    ]);
    const added = out.find((c) => c.ruleId === "phi-tagger-location")!;
    expect([added.severity, added.hipaa, added.kind]).toEqual(["medium", 2, "phi"]);
  });

  it("runs in the prose profile only, not on structured formats, and can be turned off", () => {
    const text = "Discussed with Kelvorn, RN, who agrees.\n";
    const ids = (s: Scanner, path?: string) =>
      s.scan(text, path ? { path } : { profile: "prose" }).map((f) => f.ruleId);
    expect(ids(new Scanner())).toContain("phi-tagger-name");
    expect(ids(new Scanner(), "notes.txt")).toContain("phi-tagger-name");
    expect(ids(new Scanner(), "src/a.ts")).not.toContain("phi-tagger-name");
    expect(ids(new Scanner({ tagger: false }))).not.toContain("phi-tagger-name");
    expect(ids(new Scanner({ disabledRules: ["phi-tagger"] }))).not.toContain("phi-tagger-name");
    expect(ids(new Scanner({ kinds: ["secret"] }))).toEqual([]);
    const hl7 = "MSH|^~\\&|A|B|C|D|202401011200||ADT^A01|1|P|2.5.1\rNTE|1||Discussed with Kelvorn, RN, who agrees.\r";
    expect(new Scanner().scan(hl7, { path: "msg.hl7" }).map((f) => f.ruleId)).not.toContain("phi-tagger-name");
  });

  it("the CLI's prose scan reports the tagger's findings", () => {
    const dir = makeTempDir("tagger-cli-");
    const r = runCli(["scan", "-", "--format", "json"], {
      cwd: dir,
      input: "Discussed with Kelvorn, RN, who agrees.\n",
    });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { findings: { ruleId: string; preview: string }[] };
    const f = report.findings.find((x) => x.ruleId === "phi-tagger-name");
    expect(f?.preview).toBe("K******");
    expect(r.stdout).not.toContain("Kelvorn");
  });
});
