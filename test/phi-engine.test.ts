import { describe, expect, it } from "vitest";
import { scanText, redact, createScanner } from "../src/phi/index.js";
import {
  deaValid,
  ibanValid,
  luhnValid,
  mbiValid,
  npiValid,
  ssnValid,
  vinValid,
  ipv4Public,
} from "../src/phi/validators.js";

const cats = (t: string, path?: string) =>
  scanText(t, { path })
    .filter((f) => f.severity !== "low")
    .map((f) => f.category);

describe("validators", () => {
  it("check digits and structure", () => {
    expect(luhnValid("4539578763621486")).toBe(true);
    expect(luhnValid("4539578763621487")).toBe(false);
    expect(ssnValid("512", "84", "3921")).toBe(true);
    expect(ssnValid("666", "12", "3456")).toBe(false);
    expect(ssnValid("912", "12", "3456")).toBe(false);
    expect(ssnValid("512", "00", "3456")).toBe(false);
    expect(npiValid("1234567893")).toBe(true);
    expect(npiValid("1234567890")).toBe(false);
    expect(deaValid("AB1234563")).toBe(true);
    expect(deaValid("AB1234567")).toBe(false);
    expect(vinValid("1M8GDM9AXKP042788")).toBe(true);
    expect(vinValid("1M8GDM9AYKP042788")).toBe(false);
    expect(mbiValid("1EG4-TE5-MK73")).toBe(true);
    expect(mbiValid("1EG4-TE5-MK7S")).toBe(false);
    expect(ibanValid("GB82 WEST 1234 5698 7654 32")).toBe(true);
    expect(ibanValid("GB82 WEST 1234 5698 7654 33")).toBe(false);
    expect(ipv4Public("8.8.8.8")).toBe(true);
    expect(ipv4Public("10.1.2.3")).toBe(false);
    expect(ipv4Public("192.0.2.10")).toBe(false);
  });
});

describe("engine", () => {
  it("finds validated identifiers and ignores invalid look-alikes", () => {
    expect(cats("SSN: 512-84-3921")).toEqual(["ssn"]);
    expect(cats("code 666-12-3456 and 912-34-5678")).toEqual([]);
    expect(cats("card 4539 5787 6362 1486 on file")).toEqual(["account"]);
    expect(cats("card 4539 5787 6362 1487 on file")).toEqual([]);
    expect(cats("Medicare MBI 1EG4-TE5-MK73")).toEqual(["health-plan-id"]);
    expect(cats("VIN 1M8GDM9AXKP042788")).toEqual(["vehicle-id"]);
    expect(cats("MRN: 00482913")).toEqual(["mrn"]);
    expect(cats("Patient is 94 yo and stable")).toEqual(["age"]);
    expect(cats("Patient is 54 yo and stable")).toEqual([]);
  });

  it("reports synthetic test values at low severity", () => {
    const f = scanText("ssn 123-45-6789 phone (617) 555-0123 mail a@example.com");
    expect(f.map((x) => [x.category, x.severity, x.synthetic])).toEqual([
      ["ssn", "low", true],
      ["phone", "low", true],
      ["email", "low", true],
    ]);
  });

  it("finds names, dates, phones and places in clinical prose", () => {
    const text =
      "Pt seen by Dr. Healey on 3/14/2023. Daughter Maria called from (617) 432-8810. Transferred from Calvert Hospital. Lives at 12 Elm Street.";
    const found = scanText(text).map((f) => [f.category, text.slice(f.start, f.end)]);
    expect(found).toEqual(
      expect.arrayContaining([
        ["name", "Healey"],
        ["date", "3/14/2023"],
        ["name", "Maria"],
        ["phone", "(617) 432-8810"],
        ["location", "Calvert Hospital"],
        ["location", "12 Elm Street"],
      ]),
    );
  });

  it("stays quiet on ordinary source code but catches secrets and labelled PHI there", () => {
    const code = `import { Dr } from "./x";\nconst version = "1.2.3";\nexport function add(a, b) { return a / b; }\n// Copyright 2020-01-01 John Smith <john@company.io>\n`;
    expect(scanText(code, { path: "src/x.ts" }).filter((f) => f.severity === "high")).toEqual([]);
    const leaky = `const patient_name = "Maria Delgado";\nconst key = "AKIAZ7VQ3K2LMN4PQR5T";\nconst ssn = "512-84-3921";\n`;
    expect(
      scanText(leaky, { path: "src/y.ts" })
        .map((f) => f.category)
        .sort(),
    ).toEqual(["name", "secret", "ssn"]);
  });

  it("detects common secret formats", () => {
    const jwt = `${Buffer.from('{"alg":"HS256","typ":"JWT"}').toString("base64url")}.${Buffer.from('{"sub":"1234567890"}').toString("base64url")}.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c`;
    const samples = [
      "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
      "xoxb-123456789012-abcdefghijkl",
      "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
      "AIza" + "SyA1234567890abcdefghijklmnopqrstuv",
      jwt,
      "postgres://app:S3cr3tP4ss@db.internal:5432/ehr",
      "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA1234567890abcdefghijklmnopqrstuvwxyzABCDEFG\n-----END RSA PRIVATE KEY-----",
    ];
    for (const s of samples)
      expect(
        scanText(`x = "${s}"`, { path: "a.ts" }).map((f) => f.category),
        s,
      ).toContain("secret");
    expect(scanText(`url = "postgres://app:password@localhost/db"`, { path: "a.ts" })).toEqual([]);
  });

  it("masks previews, computes stable fingerprints and correct offsets with non-ASCII text", () => {
    const text = "Résumé ✓ — patient SSN 512-84-3921 here";
    const [f] = scanText(text);
    expect(text.slice(f!.start, f!.end)).toBe("512-84-3921");
    expect(f!.preview).not.toContain("84-39");
    expect(f!.column).toBe(f!.start + 1);
    const again = scanText("other text\n" + "SSN 512-84-3921", { path: undefined });
    expect(again[0]!.fingerprint).toBe(f!.fingerprint);
    expect(again[0]!.line).toBe(2);
  });

  it("redacts and supports extra and disabled rules", () => {
    expect(redact("call 617-432-8810 now").text).toBe("call [PHONE] now");
    const s = createScanner({
      extraRules: [{ id: "ticket", regex: /\bTKT-\d{4}\b/, category: "custom", severity: "medium" }],
      disabledRules: ["email"],
    });
    expect(s.scan("TKT-1234 bob@corp.io").map((f) => f.ruleId)).toEqual(["ticket"]);
  });
});

describe("engine precision on numbers", () => {
  it("does not read decimal fractions as card numbers", () => {
    expect(
      scanText('{"auc": 0.24921901673960117, "x": 4539578763621486.5}', { path: "m.json" }).filter(
        (f) => f.category === "account",
      ),
    ).toEqual([]);
    expect(scanText("card 4539578763621486 ok").map((f) => f.category)).toEqual(["account"]);
  });
});
