import { describe, expect, it } from "vitest";
import { scanText } from "../src/phi/index.js";

const found = (text: string, path?: string) => scanText(text, { path }).filter((f) => f.severity === "high").map((f) => [f.category, text.slice(f.start, f.end)]);

describe("format awareness", () => {
  it("HL7 v2: identifiers by segment and field position", () => {
    const msg = "MSH|^~\\&|EPIC|MGH|LAB|MGH|202311150830||ADT^A01|MSG1|P|2.5\rPID|1||4820193^^^MGH^MR||Quinlan^Theodora^R||19480211|F|||44 Birch Rd^^Somerville^MA^02144||(617)432-8810||||||512-84-3921\rNK1|1|Quinlan^Brendan|SPO|||(617)432-8811\r";
    const f = found(msg, "adt.hl7");
    expect(f).toEqual(expect.arrayContaining([
      ["mrn", "4820193^^^MGH^MR"],
      ["name", "Quinlan^Theodora^R"],
      ["date", "19480211"],
      ["location", "44 Birch Rd^^Somerville^MA^02144"],
      ["phone", "(617)432-8810"],
      ["ssn", "512-84-3921"],
      ["name", "Quinlan^Brendan"],
    ]));
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
    expect(f).toEqual(expect.arrayContaining([["ssn", "512-84-3921"], ["name", "Quinlan"], ["name", "Theodora"], ["phone", "617 432 8810"], ["date", "1948-02-11"], ["location", "Somerville"]]));
    expect(f.some(([c, v]) => c === "ssn" && v === note)).toBe(true);
    expect(cats.length).toBeGreaterThanOrEqual(9);
  });

  it("CSV by column header, with quoted fields", () => {
    const csv = 'mrn,first_name,notes,dob\n00123,"Theodora",ok,1948-02-11\n';
    expect(found(csv, "export.csv")).toEqual([["mrn", "00123"], ["name", "Theodora"], ["date", "1948-02-11"]]);
  });
});
