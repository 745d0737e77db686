import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { sign, verify } from "node:crypto";
import { generateNoteSigner, parseSignerKey, parseVerifierKey } from "../src/core/note-key.js";

describe("signed-note keys", () => {
  it("parses the C2SP example verifier key and checks its key ID", () => {
    const ex = JSON.parse(readFileSync(join(__dirname, "fixtures", "signed-note", "c2sp-example.json"), "utf8"));
    const v = parseVerifierKey(ex.verifierKey);
    expect(v.name).toBe("example.com/foo");
    expect(v.keyId.toString("hex")).toBe("530d903a");
    const tampered = ex.verifierKey.replace("+530d903a+", "+530d903b+");
    expect(() => parseVerifierKey(tampered)).toThrow(/key ID/);
  });

  it("round-trips a generated signer and signs verifiably", () => {
    const { signerKey, verifierKey } = generateNoteSigner("ledger.example/test");
    const s = parseSignerKey(signerKey);
    const v = parseVerifierKey(verifierKey);
    expect(v.keyId.equals(s.keyId)).toBe(true);
    const sig = sign(null, Buffer.from("hello"), s.privateKey);
    expect(verify(null, Buffer.from("hello"), v.publicKey, sig)).toBe(true);
    expect(verify(null, Buffer.from("hellO"), v.publicKey, sig)).toBe(false);
  });
});

import { findControl } from "../src/policy/controls.js";
describe("control catalog", () => {
  it("knows real citations and rejects invented ones", () => {
    expect(findControl("HIPAA-164.312(b)")?.title).toBe("Audit controls");
    expect(findControl("hipaa-164.312(c)(1)")?.id).toBe("HIPAA-164.312(c)(1)");
    expect(findControl("21 CFR 11.10(e)")?.id).toBe("21CFR11.10(e)");
    expect(findControl("21CFR11.10(e)")?.framework).toBe("21CFR11");
    expect(findControl("HIPAA-164.999(z)")).toBeUndefined();
  });
});
