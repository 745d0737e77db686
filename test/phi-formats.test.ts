import { describe, expect, it } from "vitest";
import { scanText } from "../src/phi/index.js";
import { HL7_IDENTIFIER_FIELDS } from "../src/phi/formats.js";

const found = (text: string, path?: string) =>
  scanText(text, { path })
    .filter((f) => f.severity === "high")
    .map((f) => [f.category, text.slice(f.start, f.end)]);

describe("format awareness", () => {
  it("HL7 v2: identifiers by segment and field position", () => {
    const msg =
      "MSH|^~\\&|EPIC|MGH|LAB|MGH|202311150830||ADT^A01|MSG1|P|2.5\rPID|1||4820193^^^MGH^MR||Quinlan^Theodora^R||19480211|F|||44 Birch Rd^^Somerville^MA^02144||(617)432-8810||||||512-84-3921\rNK1|1|Quinlan^Brendan|SPO|||(617)432-8811\r";
    const f = found(msg, "adt.hl7");
    expect(f).toEqual(
      expect.arrayContaining([
        ["mrn", "4820193^^^MGH^MR"],
        ["name", "Quinlan^Theodora^R"],
        ["date", "19480211"],
        ["location", "44 Birch Rd^^Somerville^MA^02144"],
        ["phone", "(617)432-8810"],
        ["ssn", "512-84-3921"],
        ["name", "Quinlan^Brendan"],
      ]),
    );
  });

  it("HL7 v2 batches: FHS/BHS before MSH and BTS/FTS trailers keep field detection; GT1-2, NK1-33, IN1/IN2, PD1, PV1 dates", () => {
    const seg = (id: string, fields: Record<number, string>) =>
      `${id}|${Array.from({ length: Math.max(...Object.keys(fields).map(Number)) }, (_, i) => fields[i + 1] ?? "").join("|")}`;
    const msg = [
      "FHS|^~\\&|ADT|HOSP|||20240101",
      "BHS|^~\\&|ADT|HOSP|||20240101",
      "MSH|^~\\&|ADT|HOSP|RCV|FAC|20240101120000||ADT^A08|MSG1|P|2.5.1",
      seg("PID", { 1: "1", 3: "4820193^^^HOSP^MR", 5: "Quinlan^Theodora", 21: "7712004^^^HOSP^MR" }),
      seg("PD1", { 4: "Abernathy^Colm^^^^DR", 10: "4820100^^^HOSP^MR" }),
      seg("NK1", { 1: "1", 2: "Quinlan^Brendan", 33: "423-76-1298^^^SSA^SS", 37: "423-76-1299" }),
      seg("PV1", { 1: "1", 5: "PRE88123", 44: "20240101083000", 45: "20240105120000" }),
      seg("GT1", { 1: "1", 2: "G-7788123", 3: "Quinlan^Brendan", 12: "423-76-1298", 19: "EMP-55102" }),
      seg("IN1", {
        1: "1",
        16: "Quinlan^Brendan",
        18: "19470312",
        19: "44 Birch Rd^^Somerville^MA^02144",
        49: "XJH88120034",
      }),
      seg("IN2", { 2: "423-76-1298", 6: "1EG4TE5MK73", 61: "MBR-0091" }),
      "BTS|1",
      "FTS|1",
    ].join("\r");
    const byRule = new Map(scanText(msg, { path: "batch.hl7" }).map((f) => [f.ruleId, msg.slice(f.start, f.end)]));
    expect(Object.fromEntries(byRule)).toMatchObject({
      "hl7-pid-3": "4820193^^^HOSP^MR",
      "hl7-pid-5": "Quinlan^Theodora",
      "hl7-pid-21": "7712004^^^HOSP^MR",
      "hl7-pd1-4": "Abernathy^Colm^^^^DR",
      "hl7-pd1-10": "4820100^^^HOSP^MR",
      "hl7-nk1-33": "423-76-1298^^^SSA^SS",
      "hl7-nk1-37": "423-76-1299",
      "hl7-pv1-5": "PRE88123",
      "hl7-pv1-44": "20240101083000",
      "hl7-pv1-45": "20240105120000",
      "hl7-gt1-2": "G-7788123",
      "hl7-gt1-19": "EMP-55102",
      "hl7-in1-18": "19470312",
      "hl7-in1-49": "XJH88120034",
      "hl7-in2-2": "423-76-1298",
      "hl7-in2-6": "1EG4TE5MK73",
      "hl7-in2-61": "MBR-0091",
    });
    // a part of a batch that starts at a segment (a chunk of a large file) is still HL7 when it holds an MSH
    const part = msg.slice(msg.indexOf("PV1|"));
    expect(
      scanText(part + "\rMSH|^~\\&|ADT|HOSP\r" + seg("PID", { 3: "991" }), { path: "part.hl7" }).some(
        (f) => f.ruleId === "hl7-pid-3",
      ),
    ).toBe(true);
    // the field table names every field by the standard
    expect(HL7_IDENTIFIER_FIELDS.GT1![2]![0]).toBe("Guarantor Number");
    expect(HL7_IDENTIFIER_FIELDS.NK1![33]![0]).toBe("Next of Kin/Associated Party's Identifiers");
  });

  it("FHIR-shaped patients in code fixtures and JSON without resourceType: medium findings on name, birthDate, telecom, identifier, address line", () => {
    const ts = `export const patient = {\n  id: "p1",\n  identifier: [{ system: "urn:oid:2.16.840.1.113883.19.5", value: "4820193" }],\n  name: [{ family: "Quinlan", given: ["Theodora"] }],\n  telecom: [{ system: "phone", value: "617 432 8810" }],\n  birthDate: "1948-02-11",\n  address: [{ line: ["44 Birch Rd"], city: "Somerville" }],\n};\n`;
    const f = scanText(ts, { path: "src/__mocks__/patient.ts" });
    // every value is found at medium or above; where no other rule knows it, by its FHIR shape
    expect(f.map((x) => ts.slice(x.start, x.end))).toEqual([
      "4820193",
      "Quinlan",
      "Theodora",
      "617 432 8810",
      "1948-02-11",
      "44 Birch Rd",
    ]);
    expect(f.every((x) => x.severity !== "low")).toBe(true);
    expect(
      f.filter((x) => x.ruleId.startsWith("fhir-shaped")).map((x) => [x.ruleId, x.severity, ts.slice(x.start, x.end)]),
    ).toEqual([
      ["fhir-shaped-identifier", "medium", "4820193"],
      ["fhir-shaped-name", "medium", "Quinlan"],
      ["fhir-shaped-name", "medium", "Theodora"],
    ]);
    const json = JSON.stringify(
      [{ name: [{ family: "Quinlan", given: ["Theodora"] }], birthDate: "1948-02-11" }],
      null,
      2,
    );
    const j = scanText(json, { path: "test/fixtures/people.json" });
    expect(j.map((x) => json.slice(x.start, x.end))).toEqual(["Quinlan", "Theodora", "1948-02-11"]);
    expect(j.filter((x) => x.ruleId === "fhir-shaped-name")).toHaveLength(2);
    // types, generators and CSS are not values
    const notValues = `interface HumanName { family: string; given: string[] }\nconst p = { name: [{ family: faker.person.lastName(), given: [faker.person.firstName()] }] };\nconst css = { fontFamily: "Arial", "font-family": "Helvetica", given: "x" };\n`;
    expect(scanText(notValues, { path: "src/types.ts" }).filter((x) => x.ruleId.startsWith("fhir-shaped"))).toEqual([]);
  });

  it("patient-portal-url: only URLs that carry a patient id", () => {
    const fires = (u: string) =>
      scanText(`const u = "${u}";\n`, { path: "src/links.ts" }).some((x) => x.ruleId === "patient-portal-url");
    for (const u of [
      "https://portal.example.org/patients/84213377/chart",
      "https://ehr.example.com/fhir/Patient/a81f3c2e-77d1-4e0f-9c1a-3f2b8c6d1e90",
      "https://portal.example.org/patient/id=AB12345",
      "https://app.example.com/view?x=1&patient_id=77120034",
    ])
      expect(fires(u), u).toBe(true);
    for (const u of [
      "http://hl7.org/fhir/StructureDefinition/patient-birthPlace",
      "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient",
      "https://github.com/acme/patient-portal/issues/1234",
      "https://github.com/acme/patient/tree/main/src",
      "http://hl7.org/fhir/Patient/example",
      "https://docs.example.com/patients/overview",
    ])
      expect(fires(u), u).toBe(false);
  });

  it("FHIR JSON: Patient keys, telecom, identifier systems and base64 attachments", () => {
    const note = Buffer.from("Discharge summary for patient, SSN 423-76-1298.").toString("base64");
    const json = JSON.stringify({
      resourceType: "Patient",
      identifier: [{ system: "http://hl7.org/fhir/sid/us-ssn", value: "512-84-3921" }],
      name: [{ family: "Quinlan", given: ["Theodora", "Rose"] }],
      telecom: [{ system: "phone", value: "617 432 8810" }],
      birthDate: "1948-02-11",
      address: [{ line: ["44 Birch Rd"], city: "Somerville", postalCode: "02144" }],
      photo: [{ contentType: "text/plain", data: note }],
    });
    const f = found(json, "patient.json");
    const cats = f.map(([c]) => c);
    expect(f).toEqual(
      expect.arrayContaining([
        ["ssn", "512-84-3921"],
        ["name", "Quinlan"],
        ["name", "Theodora"],
        ["phone", "617 432 8810"],
        ["date", "1948-02-11"],
        ["location", "Somerville"],
      ]),
    );
    expect(f.some(([c, v]) => c === "ssn" && v === note)).toBe(true);
    expect(cats.length).toBeGreaterThanOrEqual(9);
  });

  it("CSV by column header, with quoted fields", () => {
    const csv = 'mrn,first_name,notes,dob\n00123,"Theodora",ok,1948-02-11\n';
    expect(found(csv, "export.csv")).toEqual([
      ["mrn", "00123"],
      ["name", "Theodora"],
      ["date", "1948-02-11"],
    ]);
  });
});
