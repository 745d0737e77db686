// Structured data: HL7 v2 field recall (batch envelopes included) on synthetic messages, FHIR-shaped
// fake patients in code fixtures, patient-portal-url on URLs with and without a patient id, and
// code-profile false positives on node_modules (the scan-perf corpus, .js/.ts, plus .json files).
// `npm run bench -- phi-structured` (SCAN_BENCH_MB: MB of code, default 60).
import { Scanner } from "../src/phi/engine.js";
import type { Finding } from "../src/phi/types.js";
import { codeCorpus, type CorpusFile } from "./lib/code-corpus.js";
import { writeBenchSection } from "./lib/report.js";

const root = new URL("..", import.meta.url).pathname;
const scanner = new Scanner();

// ------------------------------------------------------------ HL7 v2 (synthetic)
// Gold: the identifier fields of HL7 v2.5.1 (chapter 3 and 6 field definitions), written here
// independently of src/phi/formats.ts. Kind picks a plausible synthetic value.
type Kind = "name" | "id" | "date" | "addr" | "phone" | "ssn";
const GOLD: Record<string, [number, Kind, string][]> = {
  PID: [
    [2, "id", "Patient ID"],
    [3, "id", "Patient Identifier List"],
    [4, "id", "Alternate Patient ID"],
    [5, "name", "Patient Name"],
    [6, "name", "Mother's Maiden Name"],
    [7, "date", "Date/Time of Birth"],
    [9, "name", "Patient Alias"],
    [11, "addr", "Patient Address"],
    [13, "phone", "Phone Number - Home"],
    [14, "phone", "Phone Number - Business"],
    [18, "id", "Patient Account Number"],
    [19, "ssn", "SSN Number - Patient"],
    [20, "id", "Driver's License Number"],
    [21, "id", "Mother's Identifier"],
    [23, "addr", "Birth Place"],
    [29, "date", "Patient Death Date and Time"],
  ],
  PD1: [
    [4, "name", "Patient Primary Care Provider Name & ID No."],
    [10, "id", "Duplicate Patient"],
  ],
  NK1: [
    [2, "name", "Name"],
    [4, "addr", "Address"],
    [5, "phone", "Phone Number"],
    [6, "phone", "Business Phone Number"],
    [12, "id", "Employee Number"],
    [16, "date", "Date/Time of Birth"],
    [26, "name", "Mother's Maiden Name"],
    [30, "name", "Contact Person's Name"],
    [31, "phone", "Contact Person's Telephone Number"],
    [32, "addr", "Contact Person's Address"],
    [33, "ssn", "Next of Kin/Associated Party's Identifiers"],
    [37, "ssn", "Contact Person Social Security Number"],
    [38, "addr", "Next of Kin Birth Place"],
  ],
  PV1: [
    [5, "id", "Preadmit Number"],
    [7, "name", "Attending Doctor"],
    [8, "name", "Referring Doctor"],
    [9, "name", "Consulting Doctor"],
    [17, "name", "Admitting Doctor"],
    [19, "id", "Visit Number"],
    [44, "date", "Admit Date/Time"],
    [45, "date", "Discharge Date/Time"],
    [50, "id", "Alternate Visit ID"],
  ],
  GT1: [
    [2, "id", "Guarantor Number"],
    [3, "name", "Guarantor Name"],
    [4, "name", "Guarantor Spouse Name"],
    [5, "addr", "Guarantor Address"],
    [6, "phone", "Guarantor Ph Num - Home"],
    [7, "phone", "Guarantor Ph Num - Business"],
    [8, "date", "Guarantor Date/Time Of Birth"],
    [12, "ssn", "Guarantor SSN"],
    [16, "name", "Guarantor Employer Name"],
    [17, "addr", "Guarantor Employer Address"],
    [18, "phone", "Guarantor Employer Phone Number"],
    [19, "id", "Guarantor Employee ID Number"],
    [24, "date", "Guarantor Death Date And Time"],
    [29, "id", "Guarantor Employer ID Number"],
    [45, "name", "Contact Person's Name"],
    [46, "phone", "Contact Person's Telephone Number"],
  ],
  IN1: [
    [16, "name", "Name Of Insured"],
    [18, "date", "Insured's Date Of Birth"],
    [19, "addr", "Insured's Address"],
    [36, "id", "Policy Number"],
    [44, "addr", "Insured's Employer's Address"],
    [49, "id", "Insured's ID Number"],
  ],
  IN2: [
    [1, "id", "Insured's Employee ID"],
    [2, "ssn", "Insured's Social Security Number"],
    [3, "name", "Insured's Employer's Name and ID"],
    [6, "id", "Medicare Health Ins Card Number"],
    [7, "name", "Medicaid Case Name"],
    [8, "id", "Medicaid Case Number"],
    [9, "name", "Military Sponsor Name"],
    [10, "id", "Military ID Number"],
    [26, "id", "Payor Subscriber ID"],
    [40, "name", "Mother's Maiden Name"],
    [49, "name", "Employer Contact Person Name"],
    [50, "phone", "Employer Contact Person Phone Number"],
    [52, "name", "Insured's Contact Person's Name"],
    [53, "phone", "Insured's Contact Person Phone Number"],
    [61, "id", "Patient Member Number"],
    [63, "phone", "Insured's Phone Number - Home"],
    [64, "phone", "Insured's Employer Phone Number"],
  ],
};
let seed = 42;
const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
const pick = <T>(xs: T[]) => xs[rnd(xs.length)]!;
const SUR = ["Okafor", "Lindqvist", "Haddad", "Moreau", "Tanaka", "Novak", "Brennan", "Castillo"];
const GIV = ["Amara", "Jonas", "Leila", "Pierre", "Yuki", "Milan", "Siobhan", "Mateo"];
const d2 = (n: number) => String(n).padStart(2, "0");
function value(k: Kind): string {
  switch (k) {
    case "name":
      return `${pick(SUR)}^${pick(GIV)}^${pick(["A", "B", ""])}`;
    case "id":
      return `${rnd(900000) + 100000}^^^HOSP^${pick(["MR", "AN", "PI", "VN"])}`;
    case "date":
      return `${1930 + rnd(90)}${d2(rnd(12) + 1)}${d2(rnd(28) + 1)}`;
    case "addr":
      return `${rnd(9000) + 100} ${pick(["Elm", "Harbor", "Quarry"])} St^^${pick(["Springfield", "Fairview", "Riverton"])}^${pick(["OH", "MA", "TX"])}^${rnd(90000) + 10000}`;
    case "phone":
      return `(${pick(["617", "312", "415"])})${rnd(800) + 200}-${rnd(9000) + 1000}`;
    case "ssn":
      return `${rnd(600) + 100}-${d2(rnd(98) + 1)}-${rnd(9000) + 1000}`;
  }
}
interface Planted {
  seg: string;
  field: number;
  start: number;
  end: number;
}
function message(i: number, planted: Planted[], base: number, sep: string): string {
  const segs = [`MSH|^~\\&|ADT|HOSP|RCV|FAC|20240101120000||ADT^A08|MSG${i}|P|2.5.1`, "EVN|A08|20240101120000"];
  let out = segs.join(sep) + sep;
  for (const [seg, fields] of Object.entries(GOLD)) {
    const max = Math.max(...fields.map((f) => f[0]));
    const vals: string[] = Array.from({ length: max }, () => "");
    for (const [n, k] of fields) vals[n - 1] = value(k);
    if (seg !== "IN2") vals[0] = "1";
    let pos = base + out.length + seg.length + 1;
    vals.forEach((v, idx) => {
      if (v && fields.some((f) => f[0] === idx + 1))
        planted.push({ seg, field: idx + 1, start: pos, end: pos + v.length });
      pos += v.length + 1;
    });
    out += `${seg}|${vals.join("|")}${sep}`;
  }
  return out;
}
const hl7 = {
  files: 0,
  fields: 0,
  found: 0,
  batchFiles: 0,
  batchFields: 0,
  batchFound: 0,
  missed: new Map<string, number>(),
};
for (let f = 0; f < 120; f++) {
  const batch = f % 3 === 0;
  const sep = f % 2 ? "\r" : "\n";
  const planted: Planted[] = [];
  let text = batch ? `FHS|^~\\&|ADT|HOSP|||20240101${sep}BHS|^~\\&|ADT|HOSP|||20240101${sep}` : "";
  const n = batch ? 3 : 1;
  for (let i = 0; i < n; i++) text += message(f * 10 + i, planted, text.length, sep);
  if (batch) text += `BTS|${n}${sep}FTS|1${sep}`;
  const found: Finding[] = scanner.scan(text, { path: `adt-${f}.hl7` });
  let hit = 0;
  for (const p of planted) {
    const ok = found.some((x) => x.start < p.end && p.start < x.end);
    if (ok) hit++;
    else hl7.missed.set(`${p.seg}-${p.field}`, (hl7.missed.get(`${p.seg}-${p.field}`) ?? 0) + 1);
  }
  hl7.files++;
  hl7.fields += planted.length;
  hl7.found += hit;
  if (batch) {
    hl7.batchFiles++;
    hl7.batchFields += planted.length;
    hl7.batchFound += hit;
  }
}

// ------------------------------------------------------------ FHIR-shaped fixtures and portal URLs
const fixtures: { text: string; path: string; objects: [number, number][] }[] = [];
for (let f = 0; f < 40; f++) {
  const json = f % 2 === 1;
  let text = json ? "[\n" : `import type { Patient } from "fhir/r4";\n\nexport const patients: Patient[] = [\n`;
  const objects: [number, number][] = [];
  for (let i = 0; i < 5; i++) {
    const q = json ? '"' : "";
    const s = text.length;
    const o = `  {\n    ${q}resourceType${q}: "Patient",\n    ${q}id${q}: "p${f}-${i}",\n    ${q}identifier${q}: [{ ${q}system${q}: "urn:oid:2.16.840.1.113883.19.5", ${q}value${q}: "${rnd(900000) + 100000}" }],\n    ${q}name${q}: [{ ${q}family${q}: "${pick(SUR)}", ${q}given${q}: ["${pick(GIV)}"] }],\n    ${q}telecom${q}: [{ ${q}system${q}: "phone", ${q}value${q}: "${value("phone").replace(/[()]/g, "")}" }],\n    ${q}birthDate${q}: "${1930 + rnd(90)}-0${rnd(9) + 1}-1${rnd(9)}",\n    ${q}address${q}: [{ ${q}line${q}: ["${rnd(9000) + 100} Elm St"], ${q}city${q}: "Fairview" }]\n  }`;
    text += o + (i < 4 ? ",\n" : "\n");
    objects.push([s, s + o.length]);
  }
  text += json ? "]\n" : "];\n";
  fixtures.push({ text, path: json ? `test/fixtures/patients-${f}.json` : `src/__mocks__/patients-${f}.ts`, objects });
}
let objs = 0;
let objsFlagged = 0;
let objsNamed = 0;
let fixtureFindings = 0;
for (const fx of fixtures) {
  const found = scanner.scan(fx.text, { path: fx.path }).filter((x) => x.severity !== "low");
  fixtureFindings += found.length;
  for (const [s, e] of fx.objects) {
    objs++;
    if (found.some((x) => x.start < e && s < x.end)) objsFlagged++;
    // the patient's name itself (the family value) found, not only a phone or date beside it
    const fam = fx.text.indexOf("family", s);
    const v = fx.text.indexOf('"', fx.text.indexOf(":", fam));
    if (found.some((x) => x.category === "name" && x.start <= v + 1 && v + 1 < x.end)) objsNamed++;
  }
}
const NO_ID_URLS = [
  "http://hl7.org/fhir/StructureDefinition/patient-birthPlace",
  "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient",
  "https://github.com/acme/patient-portal/issues/1234",
  "https://github.com/acme/patient/tree/main/src",
  "https://jira.example.com/browse/PATIENT-2231",
  "https://build.fhir.org/ig/HL7/US-Core/StructureDefinition-us-core-patient.html",
  "http://hl7.org/fhir/Patient/example",
  "https://docs.example.com/patients/overview",
];
const ID_URLS = [
  "https://portal.example.org/patients/84213377/chart",
  "https://ehr.example.com/fhir/Patient/a81f3c2e-77d1-4e0f-9c1a-3f2b8c6d1e90",
  "https://app.example.com/view?patientId=MRN448812",
  "https://x.example.net/chart?mrn=00918273",
  "https://portal.example.org/patient/id=AB12345",
];
const urlHits = (urls: string[]) =>
  urls.filter((u) => scanner.scan(`const u = "${u}";\n`, { path: "src/links.ts" }).some((x) => x.severity !== "low"))
    .length;
const portalFp = urlHits(NO_ID_URLS);
const portalTp = urlHits(ID_URLS);

// ------------------------------------------------------------ code false positives (node_modules)
const TARGET = Number(process.env.SCAN_BENCH_MB ?? 60) * 1e6;
function corpus(ext: RegExp, target: number): CorpusFile[] {
  return codeCorpus(root, { ext, maxBytes: target });
}
function fp(files: { path: string; text: string }[]) {
  let lines = 0;
  let bytes = 0;
  const bySev = { high: 0, medium: 0 };
  const rules = new Map<string, number>();
  const structured = new Map<string, number>();
  for (const f of files) {
    lines += f.text.split("\n").length;
    bytes += Buffer.byteLength(f.text);
    for (const x of scanner.scan(f.text, { path: f.path })) {
      if (x.severity === "low") continue;
      bySev[x.severity]++;
      if (x.severity === "high") rules.set(x.ruleId, (rules.get(x.ruleId) ?? 0) + 1);
      if (/^fhir-|patient-portal-url/.test(x.ruleId))
        structured.set(`${x.ruleId} ${x.severity}`, (structured.get(`${x.ruleId} ${x.severity}`) ?? 0) + 1);
    }
  }
  return { files: files.length, lines, bytes, ...bySev, rules, structured };
}
const code = fp(corpus(/\.(?:[cm]?js|ts)$/, TARGET));
const json = fp(corpus(/\.json$/, TARGET / 3));
const per = (n: number, lines: number) => ((n / lines) * 1000).toFixed(3);
const top = (m: Map<string, number>) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ") || "none";
const pct = (a: number, b: number) => (b ? ((100 * a) / b).toFixed(1) : "n/a");

const md = `
HL7 v2 (synthetic, ${hl7.files} files, ${hl7.batchFiles} of them batch files wrapped in FHS/BHS ... BTS/FTS, CR and LF segment separators): every identifier field of PID, PD1, NK1, PV1, GT1, IN1 and IN2 by the v2.5.1 field definitions (${Object.values(GOLD).reduce((n, f) => n + f.length, 0)} fields a message, a gold list kept in the benchmark) filled with synthetic values. Field recall (a finding overlaps the field): **${pct(hl7.found, hl7.fields)}%** (${hl7.found}/${hl7.fields}); in batch files ${pct(hl7.batchFound, hl7.batchFields)}%. Fields missed: ${top(hl7.missed)}.

FHIR-shaped fake patients in code and JSON fixtures (${fixtures.length} files, TypeScript mocks and JSON, ${objs} Patient objects with name/identifier/telecom/birthDate/address): ${objsFlagged}/${objs} objects with at least one finding, **${objsNamed}/${objs}** with the patient's name found (${fixtureFindings} findings above low).

URLs in code (\`patient-portal-url\`, or \`medical-record-number\` on an mrn=/patientId= parameter): a finding above low on ${portalTp}/${ID_URLS.length} URLs carrying a patient id (path segment after /patient(s)/, patientId=, mrn=) and on **${portalFp}/${NO_ID_URLS.length}** URLs without one (FHIR StructureDefinition and extension URLs, repository and issue-tracker links, FHIR's \`Patient/example\`).

Code-profile false positives on this project's \`node_modules\` (no PHI; test, fixture and example folders left out, as in scan-perf):

| corpus | files | lines | high / 1,000 lines | medium / 1,000 lines | top high rules | fhir-* / patient-portal-url findings |
| --- | --- | --- | --- | --- | --- | --- |
| .js/.ts, ${(code.bytes / 1e6).toFixed(1)} MB | ${code.files} | ${code.lines} | **${per(code.high, code.lines)}** (${code.high}) | ${per(code.medium, code.lines)} (${code.medium}) | ${top(code.rules)} | ${top(code.structured)} |
| .json, ${(json.bytes / 1e6).toFixed(1)} MB | ${json.files} | ${json.lines} | **${per(json.high, json.lines)}** (${json.high}) | ${per(json.medium, json.lines)} (${json.medium}) | ${top(json.rules)} | ${top(json.structured)} |
`;
console.log(md);
if (!process.env.BENCH_NO_WRITE) writeBenchSection("phi-structured", "npm run bench -- phi-structured", md);
