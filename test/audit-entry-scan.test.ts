import { describe, expect, it } from "vitest";
import canonicalize from "canonicalize";
import { scanEntry } from "../src/audit/entry-scan.js";

/** What verify read before: JSON.parse of the decoded bytes (undefined when it throws). */
function parsed(b: Buffer): { seq: unknown; time: unknown; type: unknown } | undefined {
  try {
    const e = JSON.parse(b.toString("utf8")) as Record<string, unknown> | null;
    return e && typeof e === "object"
      ? { seq: e.seq, time: e.time, type: e.type }
      : { seq: undefined, time: undefined, type: undefined };
  } catch {
    return undefined;
  }
}

/** The property verify relies on: whenever the scan answers, JSON.parse agrees on all three. */
function agrees(b: Buffer): boolean {
  const s = scanEntry(b);
  if (!s) return true;
  const p = parsed(b);
  return p !== undefined && Object.is(p.seq, s.seq) && p.time === s.time && p.type === s.type;
}

const entry = (seq: number, extra: Record<string, unknown> = {}) =>
  Buffer.from(
    canonicalize({
      seq,
      type: "check",
      actor: "ci@example.invalid",
      subject: `c0ffee${seq}`,
      payload: { name: "test", status: "passed", run: seq, ...extra },
      time: "2026-12-06T22:00:00.000Z",
    })!,
    "utf8",
  );

describe("scanEntry (verify's validating scan; JSON.parse decides everything it does not answer)", () => {
  it("answers the plain case, with exactly what JSON.parse reads", () => {
    const samples = [
      entry(0),
      entry(123456789),
      entry(7, {
        note: 'caf\u00e9 \u2028 \ud83d\ude00 "quoted" back\\slash \u0001',
        nested: { seq: 99, time: "x", type: "ledger.checkpoint" },
        list: [1, -2.5e-3, true, false, null, [], {}],
      }),
      Buffer.from(
        canonicalize({
          seq: 3,
          type: "ledger.checkpoint",
          actor: "a",
          payload: { signer: "s", keyId: "00" },
          time: "2026-12-06T22:00:00.000Z",
        })!,
      ),
    ];
    for (const b of samples) {
      const s = scanEntry(b);
      expect(s, b.toString()).toBeDefined();
      expect(agrees(b)).toBe(true);
    }
    expect(scanEntry(samples[3]!)!.type).toBe("ledger.checkpoint");
  });

  it("leaves every unusual or invalid text to JSON.parse (returns undefined), and never disagrees with it", () => {
    const t = '"time":"2026-12-06T22:00:00.000Z","type":"check"';
    const cases = [
      `{"seq":1,"seq":2,${t}}`, // duplicate: the last wins in both
      `{"seq":1,${t},"seq":5}`,
      `{"s\\u0065q":4,"seq":1,${t}}`, // an escaped top-level key: left to JSON.parse
      `{"seq":1,"time":"2026-12-06T22:00:00.000Z","type":"ledger.checkpoin\\u0074"}`,
      `{"seq":-0,${t}}`,
      `{"seq":1.0,${t}}`,
      `{"seq":1e0,${t}}`,
      `{"seq":01,${t}}`,
      `{"seq":"1",${t}}`,
      `{"seq":1234567890123456789,${t}}`,
      `{"seq":1,${t},}`,
      `{"seq":1,,${t}}`,
      `{"seq":1 ${t}}`,
      `{"seq":1,${t}} x`,
      `{"seq":1,${t}}{}`,
      ` \t\r\n{ "seq" : 1 , "time" : "2026-12-06T22:00:00.000Z" , "type" : "check" } \n`,
      `\ufeff{"seq":1,${t}}`,
      `{"seq":1,${t},"payload":"a\u0001b"}`,
      `{"seq":1,${t},"payload":"\\x"}`,
      `{"seq":1,${t},"payload":"\\u12G4"}`,
      `{"seq":1,${t},"payload":[1,]}`,
      `{"seq":1,${t},"payload":{"a" 1}}`,
      `{"seq":1,${t},"payload":tru}`,
      `{"seq":1,${t},"payload":-}`,
      `{"seq":1,${t},"payload":1.}`,
      `{"seq":1,${t},"payload":1e}`,
      `{"seq":1,${t},"payload":${"[".repeat(200)}${"]".repeat(200)}}`,
      `{"seq":1,"time":"2026-12-06T22:00:00.000Z"}`,
      `{"seq":1,"time":5,"type":"check"}`,
      `{"seq":1,"time":"caf\u00e9","type":"check"}`,
      `[{"seq":1,${t}}]`,
      `null`,
      `{"seq":1,${t}`,
      `{"seq":1,${t},"payload":"unterminated}`,
      ``,
    ];
    for (const c of cases) expect(agrees(Buffer.from(c, "utf8")), c).toBe(true);
    // The cases the scan must decline (JSON.parse reads them differently from a naive byte match, or rejects them).
    for (const c of [
      cases[2]!,
      cases[3]!,
      cases[4]!,
      cases[5]!,
      cases[6]!,
      cases[7]!,
      cases[8]!,
      cases[10]!,
      cases[16]!,
      cases[17]!,
      cases[26]!,
    ])
      expect(scanEntry(Buffer.from(c, "utf8")), c).toBeUndefined();
    expect(scanEntry(Buffer.from(cases[0]!))!.seq).toBe(2);
    expect(scanEntry(Buffer.from(cases[1]!))!.seq).toBe(5);
    // Invalid UTF-8 inside a string decodes to U+FFFD and stays valid JSON; outside a string it is invalid.
    const bad = Buffer.concat([Buffer.from(`{"seq":1,${t},"payload":"`), Buffer.from([0xe2, 0x22]), Buffer.from(`}`)]);
    expect(agrees(bad)).toBe(true);
    expect(
      agrees(Buffer.concat([Buffer.from(`{"seq":1,${t},"payload":"a`), Buffer.from([0xff, 0xfe]), Buffer.from(`"}`)])),
    ).toBe(true);
    expect(
      agrees(Buffer.concat([Buffer.from(`{"seq":1,${t},"payload":`), Buffer.from([0xc3, 0xa9]), Buffer.from(`}`)])),
    ).toBe(true);
  });

  it("agrees with JSON.parse on 200,000 random mutations of real entries", () => {
    let x = 0x9e3779b9;
    const rand = (n: number) => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>> 0) % n;
    };
    const alphabet = Buffer.from('{}[]":,\\ -+.0123456789eEtrufalsn\u0001\t\nuA"sqtimype', "latin1");
    const bases = [
      entry(5),
      entry(42, { note: "x\\y", nested: { seq: 1 } }),
      Buffer.from(`{"seq":3,"time":"t","type":"u"}`),
    ];
    let answered = 0;
    for (let k = 0; k < 200_000; k++) {
      const b = Buffer.from(bases[rand(bases.length)]!);
      let m: Buffer = b;
      for (let j = 0, edits = 1 + rand(3); j < edits; j++) {
        const at = rand(m.length + 1);
        const op = rand(4);
        const c = op === 3 ? rand(256) : alphabet[rand(alphabet.length)]!;
        if (op === 0) m = Buffer.concat([m.subarray(0, at), m.subarray(at + 1)]);
        else if (op === 1) m = Buffer.concat([m.subarray(0, at), Buffer.from([c]), m.subarray(at)]);
        else if (at < m.length) m[at] = c;
      }
      if (scanEntry(m)) answered++;
      if (!agrees(m)) expect.fail(`disagrees on ${JSON.stringify(m.toString("latin1"))}`);
    }
    // The mutations do reach the answering path (else this test could not fail).
    expect(answered).toBeGreaterThan(10_000);
  });
});
