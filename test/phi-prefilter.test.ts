import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { INDEX_SPEC, PREFILTER_AFTER, Scanner } from "../src/phi/scanner.js";
import type { Profile } from "../src/phi/candidate.js";
import { DETECTORS, DETECTOR_KEYWORDS } from "../src/phi/detect/index.js";
import { TextIndex, anchorsCover, markerStarts, regexHash, stickyEach, toSticky } from "../src/phi/prefilter.js";
import { DERIVED_FROM, RULES, RULE_KEYWORDS, RULE_STARTS } from "../src/phi/rules/index.js";

// The prefiltered engine must report exactly what a plain full-text run of every rule reports.
// Texts: hand-written snippets full of identifiers, secrets and near misses (all values are
// synthetic or published test values), this repository's sources, the synthetic sample tree,
// and seeded random splices of all of them, so rule windows meet at odd offsets.

const SNIPPETS = [
  `const patient = { firstName: "Maria", lastName: "Gonzalez", patient_name: "Maria Gonzalez", name: "John Smith", dob: "03/14/1962" };`,
  `// Patient DOB: 1961-07-04, admitted 2023-01-05 and discharged Jan 9, 2023; birth_date = '12/02/1955'`,
  `SSN: 512-84-3921 ssn=512843921 social security 512 84 3921 tax id 512843921 ss# 512-84-3921 SSN 078-05-1120`,
  `MRN: 00482913, mr# A-4829133, medical record number 48291339, chart no 1234567, Patient ID: PT-009182`,
  `member id XJH-123456789 group no 0048213 policy number W123456789 medicare 1EG4-TE5-MK73 MBI 1EG4TE5MK73`,
  `account 123-456-7890-12 acct #00123456789 a/c 987654321 routing 021000021 invoice INV-2023-00042`,
  `NPI 1234567893 national provider identifier 1234567893 DEA AB1234563 BB1388568 license LIC-99-123456 driver's license D1234567`,
  `VIN 1M8GDM9AXKP042788 vehicle id 1M8GDM9AXKP042788 serial SN-0042-77831 s/n 8842-AB-11 device id DEV12345678 pacemaker PM-77881234`,
  `UDI (01)00643169007222(17)141120(10)7654321D(21)10 imei 490154203237518`,
  `card 4539 5787 6362 1486, 4111111111111111, 5555-5555-5555-4444 iban GB82 WEST 1234 5698 7654 32 DE89370400440532013000`,
  `call 617-555-0142 or (617) 555-0198 x204, +1 617.555.0123, fax: 617 555 0100, cell 1-800-555-0199 +44 20 7946 0958`,
  `email jane.doe@hospital.org, x@example.com, @param name, user@localhost, foo@bar.png, "a@b.io"@`,
  `server 8.8.8.8, 10.0.0.1, 192.168.1.1, 1.2.3.4.5, version 1.2.3, ipv6 2001:4860:4860::8888 fe80::1`,
  `https://facebook.com/jane.doe.77 https://portal.example.org/patient/id=AB12345 http://x.com/@someone`,
  `Patient is 94 yo, aged 101, age of 97, 92-year-old, 99 years old, page 90 years`,
  `AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" ASIAY34FZKBOKMUTVV7A`,
  `const token = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"; glpat-abcdefghijklmnopqrst1234 xoxb-123456789012-abcdefghijkl`,
  `stripe sk_live_4eC39HqLyjWDarjtT1zdp7dc rk_live_abcdefghijklmnopqrstuvwx sk-ant-api03-${"a".repeat(90)} npm_abcdefghijklmnopqrstuvwxyz0123456789`,
  `openai sk-proj-abcdefghijklmnopqrstT3BlbkFJabcdefghijklmnopqrst sk-${"Ab1".repeat(16)} AIzaSyA-abcdefghijklmnopqrstuvwxyz012345`,
  `jwt eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U`,
  `postgres://admin:s3cr3tP4ss@db.internal:5432/app mongodb+srv://u:hunter22@cluster0 jdbc:mysql://root:pw123456@h/x redis://:@h`,
  `DefaultEndpointsProtocol=https;AccountName=x;AccountKey=${"A".repeat(86)}== https://x.blob.core.windows.net/c?sv=2020-08-04&sig=${"a".repeat(44)}%3D`,
  `"private_key": "-----BEGIN PRIVATE KEY-----\\n${"MIIE".repeat(20)}\\n-----END PRIVATE KEY-----\\n"`,
  `-----BEGIN RSA PRIVATE KEY-----\n${"MIIEpAIBAAKCAQEA".repeat(4)}\n-----END RSA PRIVATE KEY-----`,
  `https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX twilio SK0123456789abcdef0123456789abcdef`,
  `api_key: "a8F3kL9qZ2xW7vB1nM4cR6tY0uI5oP"; clientSecret = 'Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0F'; password := "short"`,
  `const headers = { "x-api-key" : "AbCdEf1234567890GhIjKl" }; self.access_token=>"tok_1234567890abcdefABCDEF"`,
  `address: "123 Main Street, Apt 4B", addr = '77 Massachusetts Ave', line1: "1 Infinite Loop Dr", 500 Elm St`,
  `residence 42 Wallaby Way, Sydney; homeAddress 10 Downing Street; zip: 02139, postal code 94105-1234, ZIP 10001`,
  `Dr. Healey saw the patient with her husband John and daughter Mary Smith. Carole Hayes, RN\nW. MAROTTA aware.`,
  `Transferred from Worcester Memorial Hospital to Boston, MA 02114 on 5/12. Lives in Springfield, IL.`,
  `PID|1||12345^^^MRN||DOE^JOHN||19600101|M|||1 MAIN ST^^BOSTON^MA^02114||617-555-0142`,
  `Serial\tnumber:\tAB-123456\r\nSSN\r\n512-84-3921\r\nMRN:\t\t00482913\r\naccount\n\n\n0012345678`,
  `soc. sec. 512-84-3921 d.o.b. 01/02/1960 b-day 3/4/1970 date of birth: 1970-03-04 DOS 2024-02-29`,
  `lic. no 12-345-678 cert # C-998877 DL# D12-34-5678 registration no REG-20231 dl no 88-77-66`,
  `ipv6 2001:db8:85a3:0:0:8a2e:370:7334 a:b:c:d:e, x2001:4860:4860:0:0:0:0:8888 :fe80:1:2:3:4 12345:1:2:3 beef:cafe:1:2:3;`,
  `VIN:1M8GDM9AXKP042788. 1M8GDM9AXKP042788x 1M8GDM9AXKP0427881 _1M8GDM9AXKP042788 (1M8GDM9AXKP042788) 1HGCM82633A004352`,
  `HOME PHONE#617-555-0142 pager#4567 Rm#12 beeper 1234, call(617) 555-0198, (617)-555-0100 617 - 555 - 0123 617/253/1000`,
  `contact: DAUGHTER-KRISSY---301 944-5032 --617-555-0100 ref # 12345 Order no. A12345 confirmation num: 88421 AUTH#7788`,
  `Mobile 085 175 7641 texted; office: +44 20 7946 0958 whatsapp 0044 20 7946 0958 credit card 4539 5787 6362 1486 amex 378282246310005`,
  `twilio SK0123456789abcdef0123456789abcdef ASK RISK SKULL xSK0123456789abcdef0123456789abcdef`,
]
  .join("\n")
  .split("\n");

function sources(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) sources(p, out);
    else if (/\.(?:ts|md|csv|hl7)$/.test(e.name)) out.push(p);
  }
  return out;
}

/** Deterministic PRNG (mulberry32) so failures reproduce. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// the statistical tagger runs after the rules on what they found (test/phi-tagger.test.ts): off here
const fast = new Scanner({ prefilter: true, tagger: false });
const reference = new Scanner({ prefilter: false, tagger: false });

function same(text: string, profile: Profile, path?: string): number {
  const a = fast.scan(text, { profile, path });
  const b = reference.scan(text, { profile, path });
  expect(a, `${path ?? "text"} (${profile}): ${text.slice(0, 80)}`).toEqual(b);
  return b.length;
}

describe("prefiltered engine", () => {
  it("finds exactly what a full-text run of every rule finds, on dense snippets", () => {
    const rules = new Set<string>();
    let n = 0;
    for (const profile of ["code", "prose"] as const) {
      for (const s of SNIPPETS) n += same(s, profile);
      const all = SNIPPETS.join("\n");
      n += same(all, profile);
      for (const f of reference.scan(all, { profile })) rules.add(f.ruleId);
    }
    // the comparison means something only if the snippets exercise most rules
    expect(n).toBeGreaterThan(200);
    expect(rules.size).toBeGreaterThan(30);
  });

  it("matches on real files: this repository's sources and the sample tree", () => {
    const root = new URL("..", import.meta.url).pathname;
    let n = 0;
    for (const file of [
      ...sources(join(root, "src")),
      ...sources(join(root, "examples")),
      ...sources(join(root, "docs")),
    ]) {
      const text = readFileSync(file, "utf8");
      for (const profile of ["code", "prose"] as const) n += same(text, profile, file.slice(root.length));
    }
    expect(n).toBeGreaterThan(100);
  });

  it("matches on seeded random splices, where windows and anchors meet at odd offsets", () => {
    const next = rng(20261123);
    const pieces = SNIPPETS.flatMap((s) => s.split(/(?<=[\s,;:=])/));
    const seps = ["", " ", "\n", "\t", ": ", "=", "\r\n", "  ", "_", "-", ".", "/", "#"];
    for (let i = 0; i < 300; i++) {
      let text = "";
      const k = 3 + Math.floor(next() * 25);
      for (let j = 0; j < k; j++)
        text += pieces[Math.floor(next() * pieces.length)]! + seps[Math.floor(next() * seps.length)]!;
      same(text, next() < 0.5 ? "code" : "prose");
    }
  });
});

describe("start functions of the rules that scanned whole texts", () => {
  it("equal the full-text scan on random texts made of their own characters", () => {
    // ipv6 (hex words and ':'), vin (17-character words of VIN characters), phone layouts, '#', keywords
    const next = rng(4242);
    const alphabet = [
      "2001:",
      "4860:",
      "2001:4860:4860:0:0:0:0:8888",
      "8888",
      "db8:",
      "0:",
      ":",
      "::",
      "beef",
      "cafe:",
      "1M8GDM9AXKP042788",
      "1HGCM82633A004352",
      "ABCDEFGH",
      "123456789",
      "x",
      "_",
      "I",
      "O",
      "617",
      "-",
      "--",
      "/",
      "(",
      ")",
      "555",
      "0142",
      " ",
      "\t",
      "\n",
      "#",
      ".",
      "+",
      "44 ",
      "phone",
      "Pager",
      "home",
      "number",
      "Office",
      "texted",
      "call",
      "ref",
      "Order",
      "no.",
      "num",
      "card",
      "JCB",
      "4539 5787 6362 1486",
      "é",
    ];
    for (let i = 0; i < 600; i++) {
      let text = "";
      const k = 4 + Math.floor(next() * 40);
      for (let j = 0; j < k; j++) text += alphabet[Math.floor(next() * alphabet.length)]!;
      same(text, "prose");
    }
  });
});

describe("prefilter building blocks", () => {
  it("auto mode switches to the prefilters after its first characters, with the same findings", () => {
    const auto = new Scanner({ tagger: false });
    const text = SNIPPETS.join("\n");
    const expected = reference.scan(text, { profile: "prose" });
    for (let seen = 0; seen < 3 * PREFILTER_AFTER; seen += text.length)
      expect(auto.scan(text, { profile: "prose" })).toEqual(expected);
  });

  it("markerStarts reports every start position, including ones inside an earlier match", () => {
    expect(markerStarts("1234567", /\d\d\d/g)).toEqual([0, 1, 2, 3, 4]);
    expect(markerStarts("ab 617-555-0142", /[2-9]\d\d[\s.-]\d\d\d\d/g, [4, 5])).toEqual([2, 3]);
  });

  it("stickyEach reproduces a global scan's matches", () => {
    const text = "aaa aa a aaaa";
    const global = [...text.matchAll(/a+/g)].map((m) => [m.index, m[0]]);
    const got: [number, string][] = [];
    stickyEach(toSticky(/a+/g), text, [...Array(text.length).keys()], (m) => got.push([m.index, m[0]]));
    expect(got).toEqual(global);
  });

  it("keyword anchors are found at word starts, case-insensitively, and only there", () => {
    const idx = new TextIndex("MRN: 1; xmrn 2; Medical record; the chart", INDEX_SPEC);
    expect(idx.anchors("medical-record-number")).toEqual([0, 16, 36]);
    expect(idx.anchors("no-such-group")).toBeUndefined();
  });

  it("the keyword pass covers every built-in context regex, and notices a keyword it does not know", () => {
    // A context regex the pass does not cover runs over the whole text (slow, still exact):
    // adding a keyword to one of these regexes needs its prefix in ANCHOR_PREFIXES.
    // rules: each anchored rule's context regex is covered by the keywords it declares
    // (rules with their own anchor function use their group with more: phone-with-context, phone-labelled)
    const anchored = RULES.filter((r) => r.context && r.keywords && !r.anchorStarts);
    expect(anchored.map((r) => r.id).sort()).toEqual([
      "account-number",
      "card-with-context",
      "device-serial",
      "health-plan-id",
      "license-number",
      "medical-record-number",
      "npi",
      "us-ssn-unformatted",
      "vin",
    ]);
    for (const r of anchored) expect(anchorsCover(r.keywords, r.context!.source), r.id).toBe(true);
    // detectors: each declared keyword group covers its context regex
    const groups = DETECTORS.flatMap((d) => Object.entries(d.keywords ?? {}));
    expect(groups.map(([g]) => g).sort()).toEqual(["code-name", "code-name-generic", "date", "zip"]);
    for (const [group, k] of groups) expect(anchorsCover(k.prefixes, k.context.source), group).toBe(true);
    expect(anchorsCover(RULE_KEYWORDS["medical-record-number"], String.raw`\b(?:mrn|record\s*#)\b`)).toBe(false);
    expect(anchorsCover(DETECTOR_KEYWORDS.zip, String.raw`\b(?:zip|(?:post)code)\b`)).toBe(false);
    expect(anchorsCover(undefined, "x")).toBe(false);
    // without a leading \b a context can match inside a word, where the keyword pass does not look
    expect(anchorsCover(RULE_KEYWORDS["medical-record-number"], "(?:mrn|medical)")).toBe(false);
  });

  it("every start function is used: each rule's regex is the one it was derived from", () => {
    // A changed regex silently falls back to the full-text scan; this keeps the fast path in use.
    // (an anchor function is derived from the rule's regex or from its context regex)
    const rules = (
      new Scanner() as unknown as { rules: { id: string; re: RegExp; context?: RegExp; anchorStarts?: unknown }[] }
    ).rules.filter((r) => RULE_STARTS[r.id] || r.anchorStarts);
    const current = Object.fromEntries(
      rules.map((r) => [
        r.id,
        r.anchorStarts && regexHash(r.re) !== DERIVED_FROM[r.id] ? regexHash(r.context!) : regexHash(r.re),
      ]),
    );
    expect(current).toEqual(DERIVED_FROM);
  });

  it("the shared number pass equals its separate regexes: digit runs, street numbers, assignments, dotted quads, AWS prefixes", () => {
    const next = rng(7);
    const alphabet = [
      "1",
      "23",
      "456",
      "7890",
      "1234567",
      " ",
      "\t",
      "  ",
      "a",
      "Main",
      "'",
      ".",
      "-",
      ":",
      "=",
      "=>",
      '"',
      "'",
      "x".repeat(16),
      "Ab1_-+/=.~!@#$%^&*",
      "\n",
      "#",
      "A",
      "AK",
      "IA",
      "SIA",
      "CCA",
      "KIA",
      "B",
      ".1",
      "2.",
      "1.2.3.4",
    ];
    for (let i = 0; i < 400; i++) {
      let text = "";
      for (let k = 0; k < 40; k++) text += alphabet[Math.floor(next() * alphabet.length)]!;
      const idx = new TextIndex(text, INDEX_SPEC);
      expect(idx.digitRuns()).toEqual([...text.matchAll(/\d{2,}/g)].flatMap((m) => [m.index, m.index + m[0].length]));
      // the former marker pass: a digit before blanks and a word character, back to its run's start, at most six digits
      const streets = markerStarts(text, /\d[ \t]+[A-Za-z0-9'.-]/g)
        .map((q) => {
          let s = q;
          while (s > 0 && /\d/.test(text[s - 1]!)) s--;
          return q - s < 6 ? s : -1;
        })
        .filter((s) => s >= 0);
      expect(idx.streetNumberStarts(), text).toEqual(streets);
      expect(idx.assignments(), text).toEqual(
        markerStarts(text, /[:=](?=[=>]?\s*["'][A-Za-z0-9_\-+/=.~!@#$%^&*]{16})/g),
      );
      expect(idx.dottedQuads(), text).toEqual(markerStarts(text, /\d\.\d{1,3}\.\d{1,3}\.\d/g));
      expect(idx.awsKeyPrefixes(), text).toEqual(markerStarts(text, /A(?:[KSB]IA|CCA)/g));
    }
  });

  it("literals found through the shared '_' and '-' lists equal a plain search", () => {
    const text = "x ghp_a sk-b sk_live_c npm_d -----BEGIN RSA glpat-e ghp_ sk- _ -";
    const idx = new TextIndex(text, INDEX_SPEC);
    for (const lit of ["ghp_", "sk-", "sk_live_", "npm_", "-----BEGIN ", "glpat-"]) {
      const plain: number[] = [];
      for (let i = text.indexOf(lit); i !== -1; i = text.indexOf(lit, i + 1)) plain.push(i);
      expect(idx.literals([lit])).toEqual(plain);
    }
  });
});
