import { describe, expect, it } from "vitest";
import type { UserPattern } from "../src/phi/candidate.js";
import { PREFILTER_AFTER, SCAN_MANY_CHARS, Scanner, type ScannerOptions } from "../src/phi/scanner.js";

// Scanner.scanMany takes a group of texts through the scanner's stages together (rules, then
// detectors, then the tagger). It must give exactly the findings of one `scan` after another
// with a scanner in the same state: same spans, rules, severities, fingerprints, in order.

const SENTENCES = [
  "Pt seen by Dr. Healey on 3/4/2019; wife Mary Souza called from 410-555-0192.",
  "Lives at 123 Main Street, Apt 4, Towson, MD 21204 with his daughter, Rose.",
  "CASEWORKER LEONA LABOWICH SPOKE WITH SON ROB. D/C TO GBMC ON 12-JAN-2020.",
  "transferred to Johns Hopkins, came from the Glenmore; per np grace, pt stable.",
  "MRN 4820193, SSN 512-84-3921, email theo.quinlan@example.org, seen 2019-03-04.",
  "Carole Hayes, RN. Hijacinta Godina and Murphy visited; Mijail C Adomo (son) aware.",
  "BP 120/80, HR 72, started on Cipro, Lasix 40 mg PO BID; f/u with PCP in 2 weeks.",
  'Koppány: "Who are you?" Ubul: What a wife. my name is vitoria, call me višeslav.',
  "The patient is an 89 year old man, DOB 02/11/1935, admitted Christmas eve to MICU.",
  "AKIAIOSFODNN7EXAMPLE and ghp_0123456789abcdefghijABCDEFGHIJ012345 in the note.",
  "St. Agnes Hospital, University of Maryland; Via Roma 3; PSC 1437, Box 3833, APO AA 66791",
  "",
  "   \n\n",
  "ÉLODIE Brünhilde Ñúñez (mother) from Zürich, seen 5 März 2021 at Charité.",
];

const HL7 =
  "MSH|^~\\&|EPIC|MGH|LAB|MGH|202311150830||ADT^A01|MSG1|P|2.5\rPID|1||4820193^^^MGH^MR||Quinlan^Theodora^R||19480211|F|||44 Birch Rd^^Somerville^MA^02144||(617)432-8810||||||512-84-3921\rNK1|1|Quinlan^Brendan|SPO|||(617)432-8811\r";
const FHIR = JSON.stringify({
  resourceType: "Patient",
  name: [{ family: "Quinlan", given: ["Theodora"] }],
  birthDate: "1948-02-11",
  telecom: [{ system: "phone", value: "(617) 432-8810" }],
  text: { div: "Seen by Dr. Healey; wife Mary Souza at bedside." },
});

/** A deterministic pseudo-random generator (xorshift32). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

/** Notes made of the sentences above, in random order and case, of random lengths. */
function notes(n: number, seed: number, maxSentences = 12): string[] {
  const r = rng(seed);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const parts: string[] = [];
    const k = Math.floor(r() * maxSentences);
    for (let j = 0; j < k; j++) {
      let s = SENTENCES[Math.floor(r() * SENTENCES.length)]!;
      const c = r();
      if (c < 0.15) s = s.toUpperCase();
      else if (c < 0.25) s = s.toLowerCase();
      parts.push(s);
    }
    out.push(parts.join(r() < 0.5 ? " " : "\n"));
  }
  return out;
}

/** A user pattern (the linear-time interface of config patterns) over a RegExp. */
function userPattern(re: RegExp): UserPattern {
  return {
    source: re.source,
    test: (text) => new RegExp(re.source).test(text),
    mayMatch: (text) => text.includes("MRN"),
    matchAll: (line) => [...line.matchAll(re)].map((m) => ({ index: m.index, length: m[0].length })),
  };
}

function same(
  options: ScannerOptions,
  texts: string[],
  scanOptions: Parameters<Scanner["scan"]>[1] = {},
  paths?: (string | undefined)[],
) {
  const one = new Scanner(options);
  const many = new Scanner(options);
  const expected = texts.map((t, k) => one.scan(t, paths ? { ...scanOptions, path: paths[k] } : scanOptions));
  const got = many.scanMany(texts, scanOptions, paths);
  expect(got.length).toBe(texts.length);
  expect(JSON.stringify(got)).toBe(JSON.stringify(expected));
  // the scanners are left in the same state: the next scan agrees too
  const next = texts.slice(0, 5).join("\n");
  expect(JSON.stringify(many.scan(next, scanOptions))).toBe(JSON.stringify(one.scan(next, scanOptions)));
  return expected;
}

describe("Scanner.scanMany", () => {
  it("gives the findings of one scan after another on generated notes", () => {
    const found = same({}, notes(300, 7));
    // the texts hold PHI the scanner finds: the comparison is not between empty lists
    expect(found.flat().length).toBeGreaterThan(300);
    expect(new Set(found.flat().map((f) => f.ruleId)).size).toBeGreaterThan(15);
  });

  it("is exact when the prefilters switch on inside a group ('auto' counts the characters seen)", () => {
    const texts = notes(400, 11, 40);
    const total = texts.reduce((a, t) => a + t.length, 0);
    expect(total).toBeGreaterThan(PREFILTER_AFTER + 1000);
    expect(total).toBeLessThan(SCAN_MANY_CHARS * 4);
    same({ prefilter: "auto" }, texts);
    same({ prefilter: true }, texts);
    same({ prefilter: false }, texts);
  });

  it("splits long input into groups, keeps texts larger than a group whole", () => {
    const one = SENTENCES.join(" ");
    const big = one.repeat(Math.ceil((SCAN_MANY_CHARS * 1.5) / one.length));
    expect(big.length).toBeGreaterThan(SCAN_MANY_CHARS);
    same({}, [...notes(20, 5), big, ...notes(20, 6), big.slice(0, SCAN_MANY_CHARS - 10), "Dr. Healey"]);
  });

  it("handles structured formats, profiles, kinds, user rules and the tagger switched off", () => {
    const texts = [HL7, ...notes(10, 21), FHIR, "", ...notes(10, 22), HL7.replace(/\r/g, "\n")];
    same({}, texts);
    same({}, texts, { path: "src/app/fixtures.ts" });
    same({}, texts, { path: "export.json", kinds: ["phi"] });
    same({}, texts, { kinds: ["secret"], firstLine: 40, commit: "abc123" });
    same({ kinds: ["phi"], disabledRules: ["phi-tagger", "name-title"] }, texts);
    same(
      {
        extraRules: [
          { id: "ward-code", regex: /\bMICU\b/, category: "location", severity: "medium" },
          { id: "user-mrn", regex: userPattern(/MRN \d+/g), category: "mrn", severity: "high" },
        ],
      },
      texts,
    );
  });

  it("takes each text's own path (profile, format and the findings' file) when given paths", () => {
    const texts = [HL7, ...notes(12, 31), FHIR, "", ...notes(12, 32), HL7.replace(/\r/g, "\n")];
    const kinds = ["notes/a.txt", "src/app/x.ts", "export.json", "msg.hl7", undefined, "README.md", "data.csv"];
    const paths = texts.map((_, k) => kinds[k % kinds.length]);
    const found = same({}, texts, {}, paths);
    expect(new Set(found.flat().map((f) => f.file)).size).toBeGreaterThan(4);
    same({}, texts, { kinds: ["phi"], firstLine: 3 }, paths);
    // the path in options is overridden text by text, the profile in options is not
    same({}, texts, { path: "ignored.ts", profile: "prose" }, paths);
  });
});
