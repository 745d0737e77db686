import { createHmac, randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { fingerprint, setFingerprintKey } from "../src/phi/fingerprint.js";

// fingerprint() computes HMAC-SHA256 from precomputed key pads and one-shot hashes: it must give
// the bytes of node:crypto's createHmac for every key length and message.
const reference = (key: Uint8Array, rule: string, path: string | undefined, value: string) =>
  createHmac("sha256", key)
    .update(`${rule}\0${path ?? ""}\0${value.replace(/\s+/g, " ").trim().toLowerCase()}`)
    .digest("hex")
    .slice(0, 32);

describe("keyed fingerprints", () => {
  afterAll(() => setFingerprintKey(undefined));

  it("equal createHmac for keys of every length class and for short, long and non-ASCII values", () => {
    const values = [
      "",
      "John  Smith",
      "512-84-3921",
      "Ærøskøbing Sygehus",
      "名前 太郎",
      "x".repeat(1023),
      "é".repeat(900),
      "long ".repeat(700),
    ];
    for (const len of [0, 1, 16, 32, 63, 64, 65, 200]) {
      const key = randomBytes(len);
      setFingerprintKey(key);
      for (const v of values)
        for (const path of [undefined, "notes/1.txt"])
          expect(fingerprint("phi-name", path, v), `key ${len}, value ${v.slice(0, 12)}`).toBe(
            reference(key, "phi-name", path, v),
          );
    }
  });

  it("follow a key change, and a key given as a function is read once", () => {
    const a = randomBytes(32);
    const b = randomBytes(32);
    setFingerprintKey(a);
    expect(fingerprint("r", "p", "v")).toBe(reference(a, "r", "p", "v"));
    setFingerprintKey(b);
    expect(fingerprint("r", "p", "v")).toBe(reference(b, "r", "p", "v"));
    let calls = 0;
    setFingerprintKey(() => {
      calls++;
      return a;
    });
    expect(fingerprint("r", "p", "v")).toBe(reference(a, "r", "p", "v"));
    expect(fingerprint("r", "p", "w")).toBe(reference(a, "r", "p", "w"));
    expect(calls).toBe(1);
  });
});
