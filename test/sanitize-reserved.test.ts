/**
 * The reserved ranges of `sanitize --mode synthetic` (src/phi/reserved.ts): what sanitize writes scans
 * as known synthetic (low), over real-looking notes, HL7 v2, FHIR JSON and CSV; and the near misses,
 * real identifiers that look like reserved ones, stay above low.
 */
import { describe, expect, it } from "vitest";
import { copyFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { scanText } from "../src/phi/index.js";
import { sanitize } from "../src/phi/sanitize.js";
import {
  isReservedDate,
  isReservedId,
  isReservedPlace,
  isReservedSsn,
  isReservedSynthetic,
  reservedId,
  syntheticDate,
} from "../src/phi/reserved.js";
import { makeTempDir, runCli } from "./helpers/repo.js";

const FIXTURES = join(import.meta.dirname, "fixtures", "sanitize");
/** Each fixture with values of it that must not survive sanitizing. */
const CASES: [file: string, originals: string[]][] = [
  [
    "discharge-note.txt",
    ["Quinlan", "Theodora", "4820193", "02/11/1948", "age 92", "11/15/2023", "November 21", "Okonkwo", "Marsh"],
  ],
  ["discharge-note.txt", ["Birch Rd", "Somerville", "02144", "432-8810", "tquinlan48", "512-84-3921", "XJH482913377"]],
  ["discharge-note.txt", ["2231-7740-91", "Brendan", "2023-10-02", "Mount Auburn", "December 5"]],
  [
    "adt-a01.hl7",
    ["4820193", "Quinlan", "Theodora", "19480211", "Birch Rd", "Somerville", "02144", "432-8810", "512-84-3921"],
  ],
  ["adt-a01.hl7", ["88213377", "Elm St", "Cambridge", "1234567893", "Okonkwo", "V7730912", "202311211400"]],
  // the MRN of this Patient (an identifier with a type coding) is a scanner miss, not asserted here
  ["patient.fhir.json", ["512-84-3921", "Quinlan", "Theodora", "1948-02-11", "Birch Rd", "Somerville", "02144"]],
  ["patient.fhir.json", ["432-8810", "tquinlan48"]],
  ["patients.csv", ["4820193", "5531870", "Theodora", "Quinlan", "Brendan", "1948-02-11", "03/22/1975", "02139"]],
];
const KEYS = ["0123456789abcdef0123", "another-key-of-twenty-chars", "k".repeat(16)];

describe("sanitize --mode synthetic: reserved ranges over real-looking fixtures", () => {
  for (const file of [...new Set(CASES.map(([f]) => f))]) {
    it(`${file}: before, findings above low; after, every finding is a known synthetic value (3 keys)`, () => {
      const text = readFileSync(join(FIXTURES, file), "utf8");
      const before = scanText(text, { path: file });
      expect(before.filter((f) => f.severity !== "low").length, file).toBeGreaterThanOrEqual(8);
      for (const key of KEYS) {
        const r = sanitize(text, { mode: "synthetic", key, path: file, documentId: file });
        for (const [, originals] of CASES.filter(([f]) => f === file))
          for (const o of originals) expect(r.text, `${file}: ${o}`).not.toContain(o);
        // every replacement is reserved (the dry run shows it), none masked
        for (const x of r.replacements) expect(x.reserved, `${x.finding.category} -> ${x.after}`).toBe(true);
        const after = scanText(r.text, { path: file });
        const above = after
          .filter((f) => f.severity !== "low" || !f.synthetic)
          .map((f) => `${f.ruleId} ${f.severity} ${JSON.stringify(r.text.slice(f.start, f.end))}`);
        expect(above, r.text).toEqual([]);
        expect(after.length).toBeGreaterThan(0);
      }
    });
  }

  it("the CLI round trip over every fixture: the dry run shows reserved values, --write then scan exits 0", () => {
    const dir = makeTempDir("gh-syn-fx-");
    const files = [...new Set(CASES.map(([f]) => f))].map((f) => {
      copyFileSync(join(FIXTURES, f), join(dir, f));
      return join(dir, f);
    });
    const dry = runCli(["sanitize", ...files, "--mode", "synthetic", "--key", KEYS[0]!]);
    expect(dry.code, dry.stderr).toBe(0);
    const lines = dry.stderr.split("\n").filter((l) => / -> /.test(l));
    expect(lines.length).toBeGreaterThan(50);
    // no replacement masked: each shows the reserved value it writes
    for (const l of lines) expect(l).not.toMatch(/ -> \*+$/);
    expect(dry.stderr).toMatch(/mrn: \S+ -> SYN\d{9}\b/);
    expect(dry.stderr).toMatch(/date: \S+ -> \d\d\/\d\d\/(?:3[89]|4[01])\d\d$/m);
    expect(dry.stderr).toMatch(/location: \S+ -> 000\d\d$/m);
    for (const [, originals] of CASES) for (const o of originals) expect(dry.stderr).not.toContain(o);
    const w = runCli(["sanitize", ...files, "--mode", "synthetic", "--key", KEYS[0]!, "--write"]);
    expect(w.code, w.stderr).toBe(0);
    const s = runCli(["scan", ...files, "--format", "json"]);
    expect(s.code, s.stdout).toBe(0);
    const findings = (JSON.parse(s.stdout) as { findings: { severity: string; synthetic?: boolean }[] }).findings;
    expect(findings.length).toBeGreaterThan(40);
    for (const f of findings) expect(f).toMatchObject({ severity: "low", synthetic: true });
  });
});

describe("reserved ranges: narrow, and the near misses stay above low", () => {
  const sev = (text: string, path?: string) =>
    scanText(text, path ? { path } : { profile: "prose" }).map((f) => [
      text.slice(f.start, f.end),
      f.severity,
      f.synthetic === true,
    ]);

  it("identifiers: SYN + 7 digits + MOD 97-10 check digits, exactly", () => {
    for (let i = 0; i < 300; i++) {
      const body = String((i * 7919 + 12345) % 10_000_000).padStart(7, "0");
      const id = reservedId(body);
      expect(isReservedId(id), id).toBe(true);
      // every other pair of check digits fails
      const wrong = (Number(id.slice(-2)) + 1 + (i % 96)) % 100;
      expect(isReservedId(id.slice(0, -2) + String(wrong).padStart(2, "0")), id).toBe(false);
    }
    const id = reservedId("1234567");
    for (const miss of [id.toLowerCase(), `SYN-${id.slice(3)}`, id.slice(0, -1), `${id}0`, `XSYN${id.slice(3)}`])
      expect(isReservedId(miss), miss).toBe(false);
    expect(sev(`MRN: ${id}`)).toEqual([[id, "low", true]]);
    const bad = id.slice(0, -2) + String((Number(id.slice(-2)) + 1) % 100).padStart(2, "0");
    expect(sev(`MRN: ${bad}`)).toEqual([[bad, "high", false]]);
    expect(sev(`MRN: ${id.toLowerCase()}`).every(([, s]) => s === "high")).toBe(true);
    // an HL7 identifier list: every repetition must be reserved
    const pid = (f3: string) => `MSH|^~\\&|A|B|C|D|202401011200||ADT^A01|1|P|2.5.1\rPID|1||${f3}||Placeholder^Avery\r`;
    expect(sev(pid(`${id}^^^MGH^MR`), "a.hl7")[0]).toEqual([`${id}^^^MGH^MR`, "low", true]);
    expect(sev(pid(`${id}^^^MGH^MR~4820193^^^MGH^MR`), "a.hl7")[0]?.[1]).toBe("high");
    expect(sev(pid(`${id}^^^Jane Smith^MR`), "a.hl7")[0]?.[1]).toBe("high");
  });

  it("SSNs: 9xx with group 01-49 only (other 9xx groups are ITINs, real taxpayer numbers)", () => {
    expect(isReservedSsn("912-34-5678")).toBe(true);
    for (const miss of ["912-70-1234", "950-50-1234", "912-93-1234", "912-00-1234", "123-45-6789", "912345678"])
      expect(isReservedSsn(miss), miss).toBe(false);
    const pid = (ssn: string) => `MSH|^~\\&|A|B|C|D|202401011200||ADT^A01|1|P|2.5.1\rPID|1||||||||||||||||||${ssn}\r`;
    expect(sev(pid("912-34-5678"), "a.hl7")).toEqual([["912-34-5678", "low", true]]);
    expect(sev(pid("912-70-1234"), "a.hl7")).toEqual([["912-70-1234", "high", false]]);
  });

  it("dates: +2000 years keeps the weekday and the intervals; only complete dates in 3800..4199 are reserved", () => {
    for (const [d, want] of [
      ["2021-04-03", "4021-04-03"],
      ["04/03/2021", "04/03/4021"],
      ["4/3/21", "4/3/4021"],
      ["20210403", "40210403"],
      ["202104030830", "402104030830"],
      ["April 3, 2021", "April 3, 4021"],
      ["3 Apr 2021", "3 Apr 4021"],
      ["2021-04-03T08:30:00Z", "4021-04-03T08:30:00Z"],
    ] as const)
      expect(syntheticDate(d, 0), d).toBe(want);
    // a 400-year Gregorian cycle is a whole number of weeks
    for (const y of [1931, 1948, 2000, 2023, 2024]) {
      const a = new Date(Date.UTC(y, 1, 29 - (y % 4 === 0 ? 0 : 1)));
      const b = new Date(Date.UTC(y + 2000, 1, 29 - (y % 4 === 0 ? 0 : 1)));
      expect(b.getUTCDay()).toBe(a.getUTCDay());
    }
    expect(syntheticDate("12/30/2023", 5)).toBe("01/04/4024");
    expect(syntheticDate("2/29/2024", 365)).toBe("2/28/4025");
    // without a year: shifted, written with the year `yyyy`
    expect(syntheticDate("3/4", 2)).toBe("3/6/yyyy");
    expect(syntheticDate("March 4", 2)).toBe("March 6, yyyy");
    expect(isReservedDate("3962-03-14")).toBe(true);
    for (const miss of ["1962-03-14", "3799-12-31", "4200-01-01", "3962-02-30", "3962-13-01", "2962-03-14"])
      expect(isReservedDate(miss), miss).toBe(false);
    expect(sev("DOB 03/14/3962")).toEqual([["03/14/3962", "low", true]]);
    expect(sev("DOB 03/14/1962")).toEqual([["03/14/1962", "high", false]]);
    expect(sev("DOB 03/14/3799")).toEqual([["03/14/3799", "high", false]]);
    expect(sev("DOB 02/30/3962")).toEqual([["02/30/3962", "high", false]]);
    expect(sev("Seen on March 6, yyyy.")).toEqual([["March 6", "low", true]]);
    expect(sev("Seen on March 6, 2023.")).toEqual([["March 6, 2023", "high", false]]);
    const hl7 = (f7: string) => `MSH|^~\\&|A|B|C|D|202401011200||ADT^A01|1|P|2.5.1\rPID|1||||||${f7}\r`;
    expect(sev(hl7("39620314"), "a.hl7")).toEqual([["39620314", "low", true]]);
    expect(sev(hl7("19620314"), "a.hl7")).toEqual([["19620314", "high", false]]);
  });

  it("places: the invented place words and ZIP 000xx; a real street, city or ZIP beside them is not", () => {
    expect(isReservedPlace("4411 Mockwell Lane, Apt 3B")).toBe(true);
    expect(isReservedPlace("00052")).toBe(true);
    for (const miss of ["4411 Larkspur Lane", "Mockwell Lane, Springfield", "Mockwell 02144", "Apt 3B", "00501", "MA"])
      expect(isReservedPlace(miss), miss).toBe(false);
    expect(sev("Lives at 84 Testperson Rd, Placeholder, MA 00052.").every(([, s, syn]) => s === "low" && syn)).toBe(
      true,
    );
    const real = sev("Lives at 84 Birch Rd, Springfield, MA 02144.");
    expect(real.filter(([, s]) => s !== "low").length).toBeGreaterThanOrEqual(3);
    // fake surnames are no fake places: Sample Road is a real road
    expect(sev("Lives at 123 Sample Road, Placeholder.").find(([v]) => v === "123 Sample Road")?.[1]).not.toBe("low");
    expect(isReservedSynthetic("location", "123 Sample Road")).toBe(false);
    expect(isReservedSynthetic("location", "Sample")).toBe(true);
    const mixed = sev("Lives at 84 Birch Rd, Placeholder, MA 00052.");
    expect(mixed.find(([v]) => v === "84 Birch Rd")?.[1]).not.toBe("low");
    const xad = (a: string) => `MSH|^~\\&|A|B|C|D|202401011200||ADT^A01|1|P|2.5.1\rPID|1|||||||||||${a}\r`;
    expect(sev(xad("44 Mockwell Rd^^Placeholder^MA^00021"), "a.hl7")[0]?.[1]).toBe("low");
    expect(sev(xad("44 Mockwell Rd^^Somerville^MA^00021"), "a.hl7")[0]?.[1]).toBe("high");
    expect(sev(xad("44 Mockwell Rd^^Placeholder^MA^02144"), "a.hl7")[0]?.[1]).toBe("high");
  });

  it("ages over 89: only the Safe Harbor aggregate 90+ is reserved", () => {
    expect(sev("Patient is age 90+.")).toEqual([["age 90", "low", true]]);
    expect(sev("Patient is age 92+.")).toEqual([["age 92", "high", false]]);
    expect(sev("Patient is age 90.")).toEqual([["age 90", "high", false]]);
    expect(isReservedSynthetic("age", "age 90", "+")).toBe(true);
    expect(isReservedSynthetic("age", "age 190", "+")).toBe(false);
  });

  it("names, IPs and URLs", () => {
    expect(isReservedSynthetic("name", "Placeholder^Avery^Dr")).toBe(true);
    expect(isReservedSynthetic("name", `${reservedId("7654321")}^Mockwell^Quinn`)).toBe(true);
    expect(isReservedSynthetic("name", "Placeholder^John")).toBe(false);
    expect(isReservedSynthetic("name", "4820193^Mockwell^Quinn")).toBe(false);
    expect(isReservedSynthetic("ip-address", "192.0.2.17")).toBe(true);
    expect(isReservedSynthetic("ip-address", "192.0.3.17")).toBe(false);
    expect(isReservedSynthetic("url", "https://example.org/u123456")).toBe(true);
    expect(isReservedSynthetic("url", "https://example.org.evil.com/u1")).toBe(false);
    // a category with no reserved range is never synthetic
    expect(isReservedSynthetic("secret", reservedId("1234567"))).toBe(false);
  });
});
