import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { signNote, verifyNote, formatCheckpoint, parseCheckpoint } from "../src/audit/note.js";
import { generateNoteSigner, parseSignerKey, parseVerifierKey } from "../src/core/note-key.js";

const ex = JSON.parse(readFileSync(join(__dirname, "fixtures", "signed-note", "c2sp-example.json"), "utf8"));

describe("C2SP signed notes", () => {
  it("verifies the specification's example", () => {
    const r = verifyNote(ex.signedNote, [parseVerifierKey(ex.verifierKey)]);
    expect(r).toMatchObject({ ok: true, text: ex.text, verifiedBy: ["example.com/foo"] });
  });

  it("rejects the example with any single text byte changed", () => {
    const v = [parseVerifierKey(ex.verifierKey)];
    for (let i = 0; i < ex.text.length - 1; i++) {
      const bytes = Buffer.from(ex.signedNote, "utf8");
      bytes[i]! ^= 0x01;
      expect(verifyNote(bytes.toString("utf8"), v).ok).toBe(false);
    }
  });

  it("rejects an unknown key and a wrong key ID", () => {
    const other = generateNoteSigner("example.com/foo");
    expect(verifyNote(ex.signedNote, [parseVerifierKey(other.verifierKey)]).ok).toBe(false);
    const sigLine = ex.signedNote.split("\n").at(-2) as string;
    const raw = Buffer.from(sigLine.split(" ").at(-1)!, "base64");
    raw[0]! ^= 0xff;
    const wrongId = ex.signedNote.replace(sigLine.split(" ").at(-1)!, raw.toString("base64"));
    expect(verifyNote(wrongId, [parseVerifierKey(ex.verifierKey)]).ok).toBe(false);
  });

  it("signs and verifies a checkpoint round trip", () => {
    const { signerKey, verifierKey } = generateNoteSigner("gitops-health.test/ledger");
    const body = formatCheckpoint({
      origin: "gitops-health.test/ledger",
      size: 42,
      rootHash: Buffer.alloc(32, 7),
      extensions: [],
    });
    const note = signNote(body, parseSignerKey(signerKey));
    const r = verifyNote(note, [parseVerifierKey(verifierKey)]);
    expect(r.ok).toBe(true);
    expect(parseCheckpoint(r.text!)).toMatchObject({ size: 42, origin: "gitops-health.test/ledger" });
    expect(() => parseCheckpoint("o\n01\nAAAA\n")).toThrow();
  });
});
