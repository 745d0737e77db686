import { describe, expect, it, beforeAll } from "vitest";
import { createHash, randomUUID } from "node:crypto";
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { openLedger } from "../src/audit/index.js";
import { screenEntry, screenFindings, resetScreenMemo, WORKFORCE_IDENTITY_KEYS } from "../src/audit/screen.js";
import { scanText } from "../src/phi/index.js";
import { newRunId } from "../src/guard/plan.js";
import { UserError } from "../src/core/errors.js";
import { makeTempDir, runCli } from "./helpers/repo.js";

/** One planted sample per identifier class, with the raw part that must never be stored or echoed. */
const PLANTS = [
  { cls: "SSN", text: "SSN 512-84-3921", raw: "512-84-3921", category: "ssn" },
  { cls: "MRN", text: "MRN 12345678", raw: "12345678", category: "mrn" },
  { cls: "phone", text: "call 617-862-4417", raw: "617-862-4417", category: "phone" },
  { cls: "email", text: "contact jane.roe@gmail.com", raw: "jane.roe@gmail.com", category: "email" },
  { cls: "name with a cue", text: "patient John Smith", raw: "John Smith", category: "name" },
  { cls: "date of birth", text: "DOB 03/14/1980", raw: "03/14/1980", category: "date" },
  { cls: "address", text: "lives at 12 Main Street, Springfield", raw: "12 Main Street", category: "location" },
  {
    cls: "secret (GitHub token)",
    text: "token ghp_a8F3kLm9Qz2Xc7Vb1Nn4Rt6Yu0Ws5Pe8DdHj",
    raw: "ghp_a8F3kLm9Qz2Xc7Vb1Nn4Rt6Yu0Ws5Pe8DdHj",
    category: "secret",
  },
  { cls: "secret (AWS key ID)", text: "key AKIA4KXJ2MZQ7RBN3WTS", raw: "AKIA4KXJ2MZQ7RBN3WTS", category: "secret" },
] as const;

type Field = "type" | "subject" | "actor" | "payload key" | "payload nested value";
const FIELDS: Field[] = ["type", "subject", "actor", "payload key", "payload nested value"];

function planted(field: Field, text: string) {
  const base = {
    type: "note",
    subject: "c0ffee1234",
    actor: "ci@example.invalid",
    payload: { a: { b: [1, { c: "ok" }] } } as unknown,
  };
  switch (field) {
    case "type":
      return { ...base, type: text };
    case "subject":
      return { ...base, subject: text };
    case "actor":
      return { ...base, actor: text };
    case "payload key":
      return { ...base, payload: { a: { [text]: true } } };
    case "payload nested value":
      return { ...base, payload: { a: { b: [1, { c: text }] } } };
  }
}

describe("ledger screening: every identifier class in every field", () => {
  beforeAll(() => {
    // The samples are what the scanner flags (above low severity) when scanned alone; if the
    // scanner changes, fix the samples rather than let this test pass on nothing.
    for (const p of PLANTS)
      expect(
        scanText(p.text, { path: "ledger-entry.txt" })
          .filter((f) => f.severity !== "low")
          .map((f) => f.category),
        p.cls,
      ).toContain(p.category);
  });

  for (const field of FIELDS) {
    it(`refuses each class in the ${field}, naming no raw value, and writes nothing`, async () => {
      const dir = join(makeTempDir(), "l");
      const l = await openLedger(dir);
      for (const p of PLANTS) {
        const err = await l.append(planted(field, p.text)).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err, `${p.cls} in ${field}`).toBeInstanceOf(UserError);
        const message = (err as Error).message;
        expect(message).toMatch(
          field === "type" ? /entry type must be|refusing to write PHI/ : /refusing to write PHI\/secret to the ledger/,
        );
        expect(message).not.toContain(p.raw);
        expect(message).not.toContain("\n");
      }
      expect(await l.size()).toBe(0);
      await l.close();
    });

    it(`with phi: "hash", keeps only a keyed hash of each class in the ${field}`, async () => {
      const dir = join(makeTempDir(), "l");
      const l = await openLedger(dir, { phi: "hash", hmacKey: "test-key" });
      let stored = 0;
      for (const p of PLANTS) {
        if (field === "type") {
          // A type names a kind of event: refused even with keyed hashing.
          await expect(l.append(planted(field, p.text))).rejects.toThrow(UserError);
          continue;
        }
        await l.append(planted(field, p.text));
        stored++;
      }
      expect(await l.size()).toBe(stored);
      if (stored > 0) {
        const raw = readFileSync(join(dir, "entries.log"), "utf8");
        for (const p of PLANTS) {
          expect(raw, p.cls).not.toContain(p.raw);
          expect(raw).toMatch(new RegExp(`\\[${p.category}:hmac:[0-9a-f]{16}\\]`));
        }
        const entries = [];
        for await (const e of l.query()) entries.push(e);
        expect(entries).toHaveLength(PLANTS.length);
      }
      await l.close();
    });
  }

  it('with phi: "hash", errors name a hashed key, never the raw one', () => {
    let message = "";
    try {
      screenEntry(
        { time: "", type: "note", actor: "a", payload: { "SSN 512-84-3921": { n: Infinity } } },
        { mode: "hash", key: "k" },
      );
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^ledger payload has a non-finite number at payload\.SSN \[ssn:hmac:[0-9a-f]{16}\]\.n$/);
  });

  it("refuses identifiers that fit the type charset (ssn., mrn., phone-)", async () => {
    const l = await openLedger(join(makeTempDir(), "l"), { phi: "hash", hmacKey: "k" });
    for (const t of ["ssn.512-84-3921", "mrn.12345678", "phone-617-862-4417"]) {
      const err = await l.append({ type: t }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((err as Error).message, t).toMatch(/refusing to write PHI\/secret to the ledger: \w+ .* at type/);
      expect((err as Error).message).not.toMatch(/512-84-3921|12345678|862-4417/);
    }
    expect(await l.size()).toBe(0);
    await l.close();
  });
});

describe("ledger screening: entry types and actors", () => {
  it("accepts types of the fixed charset and refuses others with one line that echoes nothing", async () => {
    const l = await openLedger(join(makeTempDir(), "l"));
    for (const t of ["scan", "compliance.check", "run.started", "llm.call", "a", `a${"b".repeat(63)}`, "x_y-z.0"])
      await l.append({ type: t });
    for (const t of ["Deploy", "run started", "1abc", ".x", `a${"b".repeat(64)}`, "naïve", "type\nforged", "a/b"]) {
      const err = await l.append({ type: t }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, JSON.stringify(t)).toBeInstanceOf(UserError);
      expect((err as Error).message).toBe(
        "ledger entry type must be 1-64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter",
      );
    }
    expect(await l.size()).toBe(7);
    await l.close();
  });

  it("stores an actor that is exactly one workforce identity as given", async () => {
    const dir = join(makeTempDir(), "l");
    const l = await openLedger(dir);
    for (const actor of [
      "alice@hospital.org",
      "Jane Doe <jane.doe@hospital.org>",
      "<bob@hospital.org>",
      "Jane Doe",
      "ci-bot",
    ])
      await l.append({ type: "deploy", actor });
    const actors = [];
    for await (const e of l.query()) actors.push(e.actor);
    expect(actors).toEqual([
      "alice@hospital.org",
      "Jane Doe <jane.doe@hospital.org>",
      "<bob@hospital.org>",
      "Jane Doe",
      "ci-bot",
    ]);
    // An identity with anything else in it is screened.
    await expect(l.append({ type: "deploy", actor: "alice@hospital.org SSN 512-84-3921" })).rejects.toThrow(
      /refusing to write PHI\/secret to the ledger: .* at actor/,
    );
    await expect(l.append({ type: "deploy", actor: "Jane Doe <jane.doe@hospital.org> 617-862-4417" })).rejects.toThrow(
      /at actor/,
    );
    await l.close();
  });

  it("audit append --type with PHI exits 2 with one line and writes nothing", () => {
    const cwd = makeTempDir();
    const env = { GITOPS_HEALTH_LEDGER: join(cwd, "ledger") };
    for (const type of ["ssn.512-84-3921", "SSN 512-84-3921"]) {
      const r = runCli(["audit", "append", "--type", type], { cwd, env });
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).not.toContain("512-84-3921");
      expect(r.stdout).toBe("");
    }
    expect(
      !existsSync(join(cwd, "ledger", "entries.log")) || readFileSync(join(cwd, "ledger", "entries.log")).length === 0,
    ).toBe(true);
  });
});

/** The screening before issue 23: one scanner call per string, keys and actor unscreened. */
function previousScreen(payload: unknown, subject?: string): "refused" | "clean" {
  const visit = (value: unknown): boolean => {
    if (typeof value === "string")
      return scanText(value, { path: "ledger-entry.txt" }).some((f) => f.severity !== "low");
    if (Array.isArray(value)) return value.some(visit);
    if (value && typeof value === "object")
      return Object.entries(value as Record<string, unknown>).some(
        ([k, v]) => v !== undefined && !(WORKFORCE_IDENTITY_KEYS.test(k) && typeof v === "string") && visit(v),
      );
    return false;
  };
  return (subject !== undefined && visit(subject)) || visit(payload) ? "refused" : "clean";
}

describe("ledger screening: same verdicts as one scanner call per string", () => {
  const VALUES = [
    ...PLANTS.map((p) => p.text),
    "smith",
    "test",
    "passed",
    "failed",
    "main",
    "release/1.2",
    "Boston",
    "SSN 123-45-6789",
    "AKIAIOSFODNN7EXAMPLE",
    "2026-12-06T20:56:18.123Z",
    "1980-03-14",
    "deploy to prod by Jane",
    "Mr. Jones called",
    '{"name":"John Smith","ssn":"512-84-3921"}',
    "MSH|^~\\&|ADT|HOSP|||202612061200||ADT^A01|1|P|2.5\rPID|1||12345678^^^HOSP^MR||Smith^John||19800314|M",
    "5128439210",
    "6178624417",
    "c0ffee00000000ab",
    "deadbeef",
    randomUUID(),
    newRunId(),
    "run-abc",
    "unit tests",
    "lint",
    "x".repeat(300),
  ];

  it("refuses exactly what the per-string scan refused, cold and with remembered verdicts", () => {
    resetScreenMemo();
    for (const pass of ["cold", "remembered"]) {
      for (const v of VALUES) {
        for (const payload of [
          { note: v },
          { list: ["ok", v] },
          { deep: { er: { v } } },
          { approver: v },
          { createdAt: v },
        ]) {
          const before = previousScreen(payload);
          let now: "refused" | "clean" = "clean";
          try {
            screenEntry({ time: "", type: "note", actor: "ci@example.invalid", payload }, { mode: "refuse" });
          } catch (e) {
            expect(e).toBeInstanceOf(UserError);
            now = "refused";
          }
          expect(now, `${pass}: ${JSON.stringify(payload)}`).toBe(before);
        }
        let subj: "refused" | "clean" = "clean";
        try {
          screenEntry({ time: "", type: "note", actor: "a", subject: v, payload: null }, { mode: "refuse" });
        } catch {
          subj = "refused";
        }
        expect(subj, `${pass}: subject ${JSON.stringify(v)}`).toBe(previousScreen(null, v));
      }
    }
  });

  /** A version-4 UUID from 16 given bytes (deterministic, unlike randomUUID, so a failure reproduces). */
  const uuidOf = (b: Buffer): string => {
    const x = Buffer.from(b);
    x[6] = (x[6]! & 0x0f) | 0x40;
    x[8] = (x[8]! & 0x3f) | 0x80;
    const h = x.toString("hex");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  };

  it("skips the scanner for digest, UUID and run-ID shapes; what the scanner alone finds there is digit runs inside them", () => {
    // Deterministic bytes (SHA-256 of a counter), so a failure reproduces.
    let counter = 0;
    const bytes = (n: number) => {
      let out = Buffer.alloc(0);
      while (out.length < n) out = Buffer.concat([out, createHash("sha256").update(`sample-${counter++}`).digest()]);
      return out.subarray(0, n);
    };
    const samples: string[] = [];
    for (let i = 0; i < 300; i++) {
      samples.push(
        bytes(20).toString("hex"),
        bytes(32).toString("hex"),
        bytes(4 + (i % 10))
          .toString("hex")
          .slice(0, 7 + (i % 13)),
        `sha256:${bytes(32).toString("hex")}`,
        `hmac-sha256:${bytes(32).toString("hex")}`,
      );
      samples.push(
        uuidOf(bytes(16)),
        newRunId(new Date(Date.UTC(1970 + (i % 80), i % 12, 1 + (i % 28), i % 24, i % 60, i % 60))),
      );
    }
    // Digest-shaped strings around identifier digits (SSN, phone, card, DOB, MRN).
    for (const core of ["512843921", "6178624417", "4111111111111111", "19800314", "12345678"])
      for (const [pre, post] of [
        ["a", ""],
        ["", "f"],
        ["dead", "beef"],
        ["f0", "0c"],
      ])
        samples.push(pre + core + post);
    // A real digest in which the scanner alone sees a Luhn-valid card number (found by an earlier random run).
    samples.push("sha256:f724a6665efd583aac47d170387a33598bf83b5d16cd9271c8e5554516392025");
    // A decision input's keyed digest in which the scanner alone sees an account number (1 in 5,000 random HMACs):
    // such a decision was refused by the ledger for its own digest before the shape was known.
    samples.push("hmac-sha256:e4adf0362598af793c50fcd50025c4da509a833e48d46f625a43256338196311");
    // A UUID in which the scanner alone sees an account number across two dashes (found by an earlier random run).
    samples.push("34663221-1335-4665-b060-95905cb73b57");
    let fast = 0;
    for (const s of samples) {
      // The scanner alone may read a digit run inside a digest (or digit groups joined by a UUID's dashes) as a
      // card, phone or account number: a false positive that refused such entries before. Anything else it
      // found would mean the shape can hold PHI.
      for (const f of scanText(s, { path: "ledger-entry.txt" }).filter((x) => x.severity !== "low"))
        expect(s.slice(f.start, f.end), s).toMatch(/^[0-9](?:[0-9-]*[0-9])?$/);
      if (/[a-f]/.test(s)) {
        expect(screenFindings(s), s).toEqual([]);
        fast++;
      }
    }
    expect(fast).toBeGreaterThan(samples.length * 0.9);
    // All-digit strings are not taken as digests: they go to the scanner.
    expect(screenFindings("6178624417").length + screenFindings("call 6178624417").length).toBeGreaterThan(0);
  });

  it("a joined scan of an entry's strings would miss what scanning each alone finds (why strings are scanned alone)", () => {
    const alone = (s: string) => scanText(s, { path: "ledger-entry.txt" }).filter((f) => f.severity !== "low");
    expect(alone("smith")).not.toEqual([]);
    expect(alone(["test", "smith", "passed"].join("\n\n"))).toEqual([]);
    expect(() =>
      screenEntry(
        { time: "", type: "check", actor: "a", payload: { name: "test", tool: "smith", status: "passed" } },
        { mode: "refuse" },
      ),
    ).toThrow(/at payload\.tool/);
  });
});

describe("ledger screening: working directories", () => {
  it("letters glued to digits in a path (a temp dir's random suffix) are a code, not a name", () => {
    resetScreenMemo();
    // suffixes that mkdtemp produced and the name lexicon once matched inside ("Ree", "Sehi")
    for (const dir of ["/tmp/gh-repo-893Ree", "/tmp/gh-repo-R5Sehi", "/srv/ward4Ann/run", "/tmp/x-Maria9"])
      expect(screenFindings(dir).map((f) => f.category)).toEqual([]);
    // the same names as words are still names
    expect(screenFindings("patient Ree Sehi").map((f) => f.category)).toContain("name");
  });
});
