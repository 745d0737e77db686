import type { Candidate } from "./candidate.js";

/**
 * Format awareness: structured health data says what each value is, so values are found by
 * position or key, not by guessing. HL7 v2 (PID/NK1/PV1/GT1/IN1 fields), FHIR JSON
 * (Patient/RelatedPerson/Practitioner keys, identifier systems), CSV/TSV by column header,
 * and base64 attachments in JSON (decoded and scanned; a hit marks the encoded span).
 */
type Cat = { category: string; hipaa: number };
const C = {
  name: { category: "name", hipaa: 1 },
  location: { category: "location", hipaa: 2 },
  date: { category: "date", hipaa: 3 },
  phone: { category: "phone", hipaa: 4 },
  email: { category: "email", hipaa: 6 },
  ssn: { category: "ssn", hipaa: 7 },
  mrn: { category: "mrn", hipaa: 8 },
  plan: { category: "health-plan-id", hipaa: 9 },
  account: { category: "account", hipaa: 10 },
  license: { category: "license", hipaa: 11 },
} satisfies Record<string, Cat>;

const cand = (c: Cat, start: number, end: number, ruleId: string): Candidate => ({
  ruleId,
  category: c.category,
  hipaa: c.hipaa,
  kind: "phi",
  start,
  end,
  severity: "high",
  confidence: 0.95,
});

/**
 * HL7 v2 identifier fields, by the v2.5.1 field definitions (chapter 3, patient administration; chapter
 * 6, financial management): segment, then field number (1-based after the segment id), its name in
 * the standard, and what it holds. Fields of a person (patient, next of kin, guarantor, insured,
 * contacts, clinicians) that name, locate, date or number them.
 */
export const HL7_IDENTIFIER_FIELDS: Record<string, Record<number, [name: string, what: Cat]>> = {
  PID: {
    2: ["Patient ID", C.mrn],
    3: ["Patient Identifier List", C.mrn],
    4: ["Alternate Patient ID - PID", C.mrn],
    5: ["Patient Name", C.name],
    6: ["Mother's Maiden Name", C.name],
    7: ["Date/Time of Birth", C.date],
    9: ["Patient Alias", C.name],
    11: ["Patient Address", C.location],
    12: ["County Code", C.location],
    13: ["Phone Number - Home", C.phone],
    14: ["Phone Number - Business", C.phone],
    18: ["Patient Account Number", C.account],
    19: ["SSN Number - Patient", C.ssn],
    20: ["Driver's License Number - Patient", C.license],
    21: ["Mother's Identifier", C.mrn],
    23: ["Birth Place", C.location],
    29: ["Patient Death Date and Time", C.date],
  },
  PD1: {
    4: ["Patient Primary Care Provider Name & ID No.", C.name],
    10: ["Duplicate Patient", C.mrn],
  },
  NK1: {
    2: ["Name", C.name],
    4: ["Address", C.location],
    5: ["Phone Number", C.phone],
    6: ["Business Phone Number", C.phone],
    12: ["Next of Kin / Associated Parties Employee Number", C.account],
    16: ["Date/Time of Birth", C.date],
    26: ["Mother's Maiden Name", C.name],
    30: ["Contact Person's Name", C.name],
    31: ["Contact Person's Telephone Number", C.phone],
    32: ["Contact Person's Address", C.location],
    33: ["Next of Kin/Associated Party's Identifiers", C.ssn],
    37: ["Contact Person Social Security Number", C.ssn],
    38: ["Next of Kin Birth Place", C.location],
  },
  PV1: {
    5: ["Preadmit Number", C.account],
    7: ["Attending Doctor", C.name],
    8: ["Referring Doctor", C.name],
    9: ["Consulting Doctor", C.name],
    17: ["Admitting Doctor", C.name],
    19: ["Visit Number", C.account],
    44: ["Admit Date/Time", C.date],
    45: ["Discharge Date/Time", C.date],
    50: ["Alternate Visit ID", C.account],
    52: ["Other Healthcare Provider", C.name],
  },
  GT1: {
    2: ["Guarantor Number", C.account],
    3: ["Guarantor Name", C.name],
    4: ["Guarantor Spouse Name", C.name],
    5: ["Guarantor Address", C.location],
    6: ["Guarantor Ph Num - Home", C.phone],
    7: ["Guarantor Ph Num - Business", C.phone],
    8: ["Guarantor Date/Time Of Birth", C.date],
    12: ["Guarantor SSN", C.ssn],
    16: ["Guarantor Employer Name", C.name],
    17: ["Guarantor Employer Address", C.location],
    18: ["Guarantor Employer Phone Number", C.phone],
    19: ["Guarantor Employee ID Number", C.account],
    24: ["Guarantor Death Date And Time", C.date],
    29: ["Guarantor Employer ID Number", C.account],
    42: ["Mother's Maiden Name", C.name],
    45: ["Contact Person's Name", C.name],
    46: ["Contact Person's Telephone Number", C.phone],
    56: ["Guarantor Birth Place", C.location],
  },
  IN1: {
    16: ["Name Of Insured", C.name],
    18: ["Insured's Date Of Birth", C.date],
    19: ["Insured's Address", C.location],
    36: ["Policy Number", C.plan],
    44: ["Insured's Employer's Address", C.location],
    49: ["Insured's ID Number", C.plan],
    52: ["Insured's Birth Place", C.location],
  },
  IN2: {
    1: ["Insured's Employee ID", C.account],
    2: ["Insured's Social Security Number", C.ssn],
    3: ["Insured's Employer's Name and ID", C.name],
    6: ["Medicare Health Ins Card Number", C.plan],
    7: ["Medicaid Case Name", C.name],
    8: ["Medicaid Case Number", C.plan],
    9: ["Military Sponsor Name", C.name],
    10: ["Military ID Number", C.license],
    26: ["Payor Subscriber ID", C.plan],
    40: ["Mother's Maiden Name", C.name],
    49: ["Employer Contact Person Name", C.name],
    50: ["Employer Contact Person Phone Number", C.phone],
    52: ["Insured's Contact Person's Name", C.name],
    53: ["Insured's Contact Person Phone Number", C.phone],
    61: ["Patient Member Number", C.plan],
    63: ["Insured's Phone Number - Home", C.phone],
    64: ["Insured's Employer Phone Number", C.phone],
  },
  MRG: {
    1: ["Prior Patient Identifier List", C.mrn],
    2: ["Prior Alternate Patient ID", C.mrn],
    3: ["Prior Patient Account Number", C.account],
    4: ["Prior Patient ID", C.mrn],
    5: ["Prior Visit Number", C.account],
    6: ["Prior Alternate Visit ID", C.account],
    7: ["Prior Patient Name", C.name],
  },
};

/**
 * HL7 v2: a text whose first segment is MSH, or a batch (FHS/BHS headers before the first MSH, BTS/FTS
 * trailers), or a part of one that starts at a segment (a chunk of a large file) and holds an MSH.
 */
const HL7_START = /^(?:MSH|FHS|BHS)\|/;
const HL7_SEGMENT = /^[A-Z][A-Z0-9]{2}\|/;

export function scanHl7(text: string): Candidate[] | undefined {
  const head = text.trimStart();
  if (!HL7_START.test(head) && !(HL7_SEGMENT.test(head) && /[\r\n]MSH\|/.test(text))) return undefined;
  const out: Candidate[] = [];
  const re = /(^|[\r\n])([A-Z][A-Z0-9]{2})\|([^\r\n]*)/g;
  for (const m of text.matchAll(re)) {
    const fields = HL7_IDENTIFIER_FIELDS[m[2]!];
    if (!fields) continue;
    let pos = m.index + m[1]!.length + 4;
    const parts = m[3]!.split("|");
    parts.forEach((value, k) => {
      const cat = fields[k + 1]?.[1];
      if (cat && value.replace(/[\^~&\\]/g, "").trim()) {
        // Components (^) and repetitions (~) are scanned as one span per field.
        const lead = value.length - value.trimStart().length;
        out.push(cand(cat, pos + lead, pos + value.trimEnd().length, `hl7-${m[2]!.toLowerCase()}-${k + 1}`));
      }
      pos += value.length + 1;
    });
  }
  return out;
}

const CSV_HEADERS: [RegExp, Cat][] = [
  [/^(?:ssn|social[_ ]?security(?:[_ ]?(?:number|no))?|ss_?num|tin)$/, C.ssn],
  [
    /^(?:dob|date[_ ]?of[_ ]?birth|birth[_ ]?date|birthdate|dod|date[_ ]?of[_ ]?death|admit[_ ]?date|admission[_ ]?date|discharge[_ ]?date|deceased[_ ]?date)$/,
    C.date,
  ],
  [/^(?:mrn|medical[_ ]?record(?:[_ ]?(?:number|no|num))?|patient[_ ]?id|chart[_ ]?(?:number|no))$/, C.mrn],
  [
    /^(?:(?:first|last|middle|given|family|full|patient|maiden|sur)[_ ]?name|name|surname|fname|lname|firstname|lastname|guarantor|next[_ ]?of[_ ]?kin|emergency[_ ]?contact)$/,
    C.name,
  ],
  [/^(?:phone|telephone|tel|mobile|cell|fax|home[_ ]?phone|work[_ ]?phone|phone[_ ]?number)$/, C.phone],
  [/^(?:e[-_ ]?mail|email[_ ]?address)$/, C.email],
  [/^(?:zip|zip[_ ]?code|postal[_ ]?code|postcode|address|street|address[_ ]?line[_ ]?\d?|city|county)$/, C.location],
  [
    /^(?:member[_ ]?id|policy[_ ]?(?:number|no|id)|subscriber[_ ]?id|mbi|medicare[_ ]?id|medicaid[_ ]?id|insurance[_ ]?id|beneficiary[_ ]?id)$/,
    C.plan,
  ],
  [/^(?:account[_ ]?(?:number|no|id)?|acct[_ ]?(?:no|num)?|card[_ ]?number|iban)$/, C.account],
  [/^(?:license[_ ]?(?:number|no)?|dl[_ ]?number|npi|dea)$/, C.license],
];

export function scanDelimited(text: string, path: string | undefined): Candidate[] | undefined {
  const nl = text.indexOf("\n");
  const header = (nl === -1 ? text : text.slice(0, nl)).replace(/\r$/, "");
  const delim = path?.toLowerCase().endsWith(".tsv") || (header.includes("\t") && !header.includes(",")) ? "\t" : ",";
  if (!(path && /\.(?:csv|tsv)$/i.test(path)) && header.split(delim).length < 3) return undefined;
  const cols = header.split(delim).map((h) => h.trim().replace(/^"|"$/g, "").toLowerCase());
  const cats = cols.map((h) => CSV_HEADERS.find(([re]) => re.test(h))?.[1]);
  if (!cats.some(Boolean)) return undefined;
  const out: Candidate[] = [];
  let lineStart = nl + 1;
  while (nl !== -1 && lineStart < text.length) {
    let lineEnd = text.indexOf("\n", lineStart);
    if (lineEnd === -1) lineEnd = text.length;
    const pos = lineStart;
    let col = 0;
    const line = text.slice(lineStart, lineEnd).replace(/\r$/, "");
    for (let i = 0; i <= line.length;) {
      let end: number;
      let vs = i;
      let ve: number;
      if (line[i] === '"') {
        let j = i + 1;
        while (j < line.length && !(line[j] === '"' && line[j + 1] !== '"')) j += line[j] === '"' ? 2 : 1;
        vs = i + 1;
        ve = j;
        end = line.indexOf(delim, j);
      } else {
        end = line.indexOf(delim, i);
        ve = end === -1 ? line.length : end;
      }
      if (end === -1) end = line.length;
      const cat = cats[col];
      if (cat && line.slice(vs, ve).trim())
        out.push(cand(cat, pos + vs, pos + ve, `csv-${cols[col]!.replace(/\s+/g, "_")}`));
      col++;
      i = end + 1;
      if (end >= line.length) break;
    }
    lineStart = lineEnd + 1;
  }
  return out;
}

const FHIR_KEYS: Record<string, Cat> = {
  family: C.name,
  given: C.name,
  prefix: C.name,
  birthDate: C.date,
  deceasedDateTime: C.date,
  line: C.location,
  city: C.location,
  postalCode: C.location,
  district: C.location,
};

export function scanFhirJson(text: string, scanInner: (decoded: string) => Candidate[]): Candidate[] | undefined {
  if (!/"resourceType"\s*:/.test(text) && !/"data"\s*:\s*"[A-Za-z0-9+/=]{40,}"/.test(text)) return undefined;
  const out: Candidate[] = [];
  const fhirPerson = /"resourceType"\s*:\s*"(?:Patient|RelatedPerson|Practitioner|Person|Bundle)"/.test(text);
  if (fhirPerson) {
    for (const m of text.matchAll(
      /"(family|given|prefix|birthDate|deceasedDateTime|line|city|postalCode|district)"\s*:\s*(\[[^\]]*\]|"(?:[^"\\]|\\.)*")/g,
    )) {
      const cat = FHIR_KEYS[m[1]!]!;
      const valueStart = m.index + m[0].length - m[2]!.length;
      for (const s of m[2]!.matchAll(/"((?:[^"\\]|\\.)*)"/g))
        if (s[1]) out.push(cand(cat, valueStart + s.index + 1, valueStart + s.index + 1 + s[1].length, `fhir-${m[1]}`));
    }
    // telecom values and identifiers with a known system
    for (const m of text.matchAll(/\{[^{}]*"system"\s*:\s*"([^"]+)"[^{}]*\}/g)) {
      const sys = m[1]!;
      const v = /"value"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(m[0]);
      if (!v || !v[1]) continue;
      const cat = /phone|fax|sms|pager/.test(sys)
        ? C.phone
        : sys === "email"
          ? C.email
          : /us-ssn|2\.16\.840\.1\.113883\.4\.1\b/.test(sys)
            ? C.ssn
            : /mrn|medical-record|MR\b/i.test(sys) || /"code"\s*:\s*"MR"/.test(m[0])
              ? C.mrn
              : /us-npi|npi/.test(sys)
                ? C.license
                : /medicare|mbi|member/.test(sys)
                  ? C.plan
                  : undefined;
      if (!cat) continue;
      const start = m.index + v.index + v[0].length - v[1].length - 1;
      out.push(cand(cat, start, start + v[1].length, "fhir-identifier"));
    }
  }
  // base64 attachments: decode, scan as text, mark the encoded value
  for (const m of text.matchAll(/"data"\s*:\s*"([A-Za-z0-9+/=]{40,})"/g)) {
    const decoded = Buffer.from(m[1]!, "base64").toString("utf8");
    if (!/^[\x09\x0a\x0d\x20-\x7e\u00a0-\uffff]*$/.test(decoded)) continue;
    const inner = scanInner(decoded).filter((c) => c.severity !== "low");
    if (inner.length === 0) continue;
    const start = m.index + m[0].length - m[1]!.length - 1;
    const top = inner.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === "high" ? -1 : 1))[0]!;
    out.push({ ...top, ruleId: `base64-${top.ruleId}`, start, end: start + m[1]!.length });
  }
  return out;
}

/**
 * FHIR-shaped people in code and in JSON without a resourceType: test fixtures and mocks of patients
 * (`name: [{ family: "…", given: ["…"] }]`, `birthDate`, `telecom` and `identifier` entries with a
 * system and a value, `address: [{ line: [...] }]`), keys quoted or not, string literals only (a type
 * declaration `family: string` or a call `family: faker.person.lastName()` is not a value). Medium
 * severity: what such a fixture holds is usually fake, but a real record pasted into a test is exactly
 * what must not be committed. A family name counts only with a given name in the same object, and a
 * text is looked at only when it holds a family name (a fixture of people).
 */
const STR = String.raw`(["'\x60])((?:(?!\1)[^\\\r\n]){1,80})\1`;
const FHIR_FAMILY = new RegExp(String.raw`(?<![\w-])["']?family["']?\s*:\s*` + STR, "g");
const FHIR_GIVEN = new RegExp(
  String.raw`(?<![\w-])["']?given["']?\s*:\s*\[?\s*` + STR + String.raw`(?:\s*,\s*` + STR + ")?",
);
const FHIR_BIRTH = new RegExp(
  String.raw`(?<![\w-])["']?(?:birthDate|deceasedDateTime)["']?\s*:\s*(["'\x60])(\d{4}(?:-\d{2}(?:-\d{2})?)?)\1`,
  "g",
);
const FHIR_SYSTEM_VALUE = /\{[^{}]{0,400}?\}/g;
const KEY_STR = (key: string) =>
  new RegExp(String.raw`(?<![\w-])["']?${key}["']?\s*:\s*(["'\x60])((?:(?!\1)[^\\\r\n]){1,120})\1`);
const SYSTEM = KEY_STR("system");
const VALUE = KEY_STR("value");
const FHIR_LINE = new RegExp(String.raw`(?<![\w-])["']?line["']?\s*:\s*\[\s*` + STR, "g");
const PERSON_NAME = /^\p{Lu}[\p{L}'’ .-]{0,60}$/u;

const medium = (c: Cat, start: number, end: number, ruleId: string): Candidate => ({
  ...cand(c, start, end, ruleId),
  severity: "medium",
  confidence: 0.6,
});
const valueAt = (m: RegExpExecArray, group: number) => m.index + m[0].lastIndexOf(m[group]!, m[0].length - 1);

export function scanFhirShaped(text: string): Candidate[] {
  // One literal test gates it all (it runs on every code file): a person-shaped object has a family
  // name. Without one, birthDate/telecom/identifier entries are left to the general rules.
  if (!text.includes("family") || !/family["']?\s*:\s*["'\x60]/.test(text)) return [];
  const hasBirth = /(?:birthDate|deceasedDateTime)["']?\s*:\s*["'\x60]\d/.test(text);
  const hasSystem = /system["']?\s*:\s*["'\x60]/.test(text);
  const hasLine = /line["']?\s*:\s*\[\s*["'\x60]/.test(text) && text.includes("address");
  const out: Candidate[] = [];
  // names: a family value with a given value within the same object (no brace between them)
  for (const m of text.matchAll(FHIR_FAMILY)) {
    if (!PERSON_NAME.test(m[2]!)) continue;
    const from = Math.max(text.lastIndexOf("{", m.index), text.lastIndexOf("}", m.index) + 1, m.index - 300);
    let to = text.indexOf("}", m.index);
    if (to === -1 || to > m.index + 400) to = Math.min(text.length, m.index + 400);
    const around = text.slice(from, to);
    const g = FHIR_GIVEN.exec(around);
    if (!g || !PERSON_NAME.test(g[2]!)) continue;
    const fs = valueAt(m as RegExpExecArray, 2);
    out.push(medium(C.name, fs, fs + m[2]!.length, "fhir-shaped-name"));
    const gs = from + g.index + g[0].indexOf(g[1]! + g[2]!) + 1;
    out.push(medium(C.name, gs, gs + g[2]!.length, "fhir-shaped-name"));
  }
  if (hasBirth)
    for (const m of text.matchAll(FHIR_BIRTH)) {
      const s = valueAt(m as RegExpExecArray, 2);
      out.push(medium(C.date, s, s + m[2]!.length, "fhir-shaped-birthdate"));
    }
  // telecom and identifier entries: { system, value } with a system that says what the value is
  if (hasSystem) {
    for (const m of text.matchAll(FHIR_SYSTEM_VALUE)) {
      const sys = SYSTEM.exec(m[0]);
      const val = VALUE.exec(m[0]);
      if (!sys || !val) continue;
      const system = sys[2]!;
      const cat = /^(?:phone|fax|sms|pager)$/.test(system)
        ? C.phone
        : system === "email"
          ? C.email
          : /us-ssn|2\.16\.840\.1\.113883\.4\.1$/.test(system)
            ? C.ssn
            : /mrn|medical-record/i.test(system)
              ? C.mrn
              : /medicare|mbi|member/i.test(system)
                ? C.plan
                : /^urn:oid:|^https?:\/\//.test(system) &&
                    /\bidentifier\b/.test(text.slice(Math.max(0, m.index - 200), m.index)) &&
                    /\d/.test(val[2]!)
                  ? C.mrn
                  : undefined;
      if (!cat) continue;
      const s = m.index + val.index + val[0].length - val[2]!.length - 1;
      out.push(medium(cat, s, s + val[2]!.length, "fhir-shaped-identifier"));
    }
  }
  // address lines: a street line (number and word) in an address object
  if (hasLine)
    for (const m of text.matchAll(FHIR_LINE)) {
      if (
        !/\d/.test(m[2]!) ||
        !/\p{L}{2}/u.test(m[2]!) ||
        !/address/.test(text.slice(Math.max(0, m.index - 200), m.index))
      )
        continue;
      const s = valueAt(m as RegExpExecArray, 2);
      out.push(medium(C.location, s, s + m[2]!.length, "fhir-shaped-address"));
    }
  return out;
}
