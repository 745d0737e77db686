/**
 * The proxy's prompt scan cache: a hit gives exactly the findings a fresh scan gives, callers get
 * their own copies, the cache is bounded, and through the real proxy (sandbox upstream, real ledger,
 * real token, real HTTP) a conversation resent with its history is redacted the same on every call
 * while the history is scanned once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { openLedger } from "../src/audit/index.js";
import type { AuditLedger } from "../src/audit/ledger.js";
import { ProxyConfig } from "../src/config/schema.js";
import { scanText } from "../src/phi/index.js";
import type { Finding } from "../src/phi/types.js";
import { ScanCache } from "../src/proxy/scan-cache.js";
import { buildApp } from "../src/server/app.js";
import { createToken, FileTokenStore } from "../src/server/tokens.js";
import { makeTempDir } from "./helpers/repo.js";

const scan = (t: string) => scanText(t, { profile: "prose" });
const NAME = "Marguerite Okonkwo-Villanueva";
const PHONE = "617-373-0142";
const note = (mrn: number) =>
  `Patient ${NAME} (MRN ${mrn}) was seen at Mercy General for chest pain radiating to the left arm. ` +
  `History of hypertension. Phone ${PHONE}. Plan: troponin series, ECG, aspirin 325 mg, follow up with Dr. Alan Cho in two weeks. ` +
  "The patient was reviewed and the plan is unchanged; continue the current medication and review with the usual labs.";

describe("ScanCache", () => {
  it("answers a repeated text with the findings of a fresh scan, as copies", () => {
    let scans = 0;
    const cache = new ScanCache((t) => (scans++, scan(t)));
    const texts = [note(4481923), note(5512009), note(4481923)];
    const first = texts.map((t) => cache.scan(t));
    expect(scans).toBe(2);
    expect(cache.hits).toBe(1);
    for (const [i, t] of texts.entries()) expect(first[i]).toEqual(scan(t));
    expect(first[0]!.length).toBeGreaterThan(0);
    // a caller that sorts or edits what it got does not change what the next caller gets
    const again = cache.scan(texts[0]!);
    again.reverse();
    again[0]!.category = "changed";
    (again as Finding[]).length = 1;
    expect(cache.scan(texts[0]!)).toEqual(scan(texts[0]!));
    expect(scans).toBe(2);
  });

  it("keeps short strings too (a one-line system prompt comes with every call), but not the empty one", () => {
    let scans = 0;
    const cache = new ScanCache((t) => (scans++, scan(t)));
    const short = "Summarise the note for Dr. Alan Cho.";
    const first = cache.scan(short);
    expect(first.length).toBeGreaterThan(0);
    expect(cache.scan(short)).toEqual(scan(short));
    expect(scans).toBe(1);
    expect(cache.hits).toBe(1);
    cache.scan("");
    cache.scan("");
    expect(scans).toBe(3);
    expect(cache.size).toBe(1);
  });

  it("scans strings below minLength every time, keeps at most maxEntries, and can be turned off", () => {
    let scans = 0;
    const counted = (t: string) => (scans++, scan(t));
    const cache = new ScanCache(counted, { maxEntries: 2, minLength: 256 });
    cache.scan("Dr. Alan Cho");
    cache.scan("Dr. Alan Cho");
    expect(scans).toBe(2);
    expect(cache.size).toBe(0);
    for (const m of [1000001, 1000002, 1000003]) cache.scan(note(m));
    expect(cache.size).toBe(2);
    cache.scan(note(1000001)); // the least recently used one left
    expect(scans).toBe(6);
    cache.scan(note(1000003));
    expect(scans).toBe(6);
    const off = new ScanCache(counted, { maxEntries: 0 });
    off.scan(note(1000003));
    off.scan(note(1000003));
    expect(scans).toBe(8);
    expect(off.size).toBe(0);
  });

  it("bounds the findings it keeps, not only the entries", () => {
    const perNote = scan(note(1000001)).length;
    expect(perNote).toBeGreaterThan(1);
    // room for eight notes' findings (the notes differ in their MRN only): a ninth pushes the oldest out
    const cache = new ScanCache(scan, { maxFindings: 8 * perNote, maxEntries: 100 });
    for (let m = 0; m < 9; m++) cache.scan(note(1000001 + m));
    expect(cache.size).toBe(8);
    // a result above an eighth of the bound is returned, not kept
    const small = new ScanCache(scan, { maxFindings: 8 * perNote - 1 });
    expect(small.scan(note(1000004))).toEqual(scan(note(1000004)));
    expect(small.size).toBe(0);
  });
});

describe("the proxy with its prompt scan cache", () => {
  let dir: string;
  let ledger: AuditLedger;
  let app: FastifyInstance;
  let url: string;
  let token: string;
  const scanned: string[] = [];

  beforeAll(async () => {
    dir = makeTempDir();
    ledger = await openLedger(join(dir, "ledger"));
    const tokens = new FileTokenStore(join(dir, "tokens.json"));
    ({ token } = await createToken(tokens, { name: "t", scopes: ["llm"] }));
    app = await buildApp({
      ledger,
      tokens,
      digestKey: "test",
      logStream: false,
      proxy: {
        config: ProxyConfig.parse({
          upstreams: [{ name: "mock", type: "openai-compatible", baseURL: "http://127.0.0.1:9/v1", models: ["m"] }],
        }),
        defaultClassification: "business",
        keys: {},
        sandbox: true,
        scanner: (t) => (scanned.push(t), scan(t)),
      },
    });
    url = await app.listen({ host: "127.0.0.1", port: 0 });
  });
  afterAll(async () => {
    await app.close();
    await ledger.close();
  });

  const call = async (messages: { role: string; content: string }[]) => {
    const r = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "m", messages }),
    });
    expect(r.status).toBe(200);
    return ((await r.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content;
  };

  it("redacts resent history the same way on every call and scans it once", async () => {
    const system = "You are a clinical documentation assistant. ".repeat(8);
    const turn1 = [
      { role: "system", content: system },
      { role: "user", content: note(4481923) },
    ];
    const seen1 = await call(turn1);
    const scansAfter1 = scanned.length;
    const turn2 = [...turn1, { role: "assistant", content: "Noted." }, { role: "user", content: note(7730114) }];
    const seen2 = await call(turn2);
    // what the (sandbox) upstream saw: no planted value, on either call
    for (const seen of [seen1, seen2])
      for (const v of [NAME, "Okonkwo", PHONE, "4481923"]) expect(seen).not.toContain(v);
    expect(seen2).not.toContain("7730114");
    // the history went out exactly as redacted on the first call
    const redactedNote1 = seen1.slice(seen1.indexOf("Patient"), seen1.indexOf("labs.") + 5);
    expect(redactedNote1).toContain("[");
    expect(seen2).toContain(redactedNote1);
    // second call: the system prompt and the first note came from the cache; the new note and the new short turn were scanned
    const second = scanned.slice(scansAfter1);
    expect(second).not.toContain(system);
    expect(second).not.toContain(note(4481923));
    expect(second).toContain(note(7730114));
    expect(second).toContain("Noted.");
    // and the ledger holds one entry per call with the prompt's findings counted both times
    const entries: { payload: { prompt: { findings: Record<string, number> } } }[] = [];
    for await (const e of ledger.query({ type: "llm.proxy" })) entries.push(e as never);
    expect(entries).toHaveLength(2);
    const total = (f: Record<string, number>) => Object.values(f).reduce((a, b) => a + b, 0);
    expect(total(entries[1]!.payload.prompt.findings)).toBe(2 * total(entries[0]!.payload.prompt.findings));
  });
});
