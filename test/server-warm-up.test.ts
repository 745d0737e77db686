/**
 * The service's warm-up (buildApp `warmUp`): decisions run through POST /v1/decisions/{pack} in-process
 * before the app listens append nothing to the ledger, are not counted in /metrics, and their
 * credential is refused once the app is built; every warm-up input is a valid decision input.
 * AuditLedger.dryRun builds what appendBatch would, without storing it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { Writable } from "node:stream";
import type { FastifyInstance } from "fastify";
import { openLedger } from "../src/audit/index.js";
import type { AuditLedger } from "../src/audit/ledger.js";
import { buildApp, WARM_UP_INPUTS } from "../src/server/app.js";
import { createToken, FileTokenStore } from "../src/server/tokens.js";
import { makeTempDir } from "./helpers/repo.js";

describe("serve warm-up", () => {
  let dir: string;
  let ledger: AuditLedger;
  let app: FastifyInstance;
  let base: string;
  let token: string;
  const logs: string[] = [];

  beforeAll(async () => {
    dir = makeTempDir("gh-warm-");
    ledger = await openLedger(join(dir, "ledger"));
    const tokens = new FileTokenStore(join(dir, "tokens.json"));
    token = (await createToken(tokens, { name: "w", scopes: ["decide", "admin"] })).token;
    const logStream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        logs.push(...chunk.toString("utf8").split("\n").filter(Boolean));
        cb();
      },
    });
    // a rate limit below the warm-up's count: the warm-up is not limited
    app = await buildApp({
      ledger,
      tokens,
      digestKey: "k".repeat(64),
      logStream,
      rateLimit: { max: 100, timeWindowMs: 60_000 },
      warmUp: 120,
    });
    base = await app.listen({ host: "127.0.0.1", port: 0 });
  });
  afterAll(async () => {
    await app?.close();
    await ledger?.close();
  });

  const decide = (pack: string, body: unknown, headers: Record<string, string>) =>
    fetch(`${base}/v1/decisions/${pack}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });

  it("runs every warm-up decision, then logs it", () => {
    const line = logs.map((l) => JSON.parse(l) as { msg: string; warmUp?: number }).find((l) => l.warmUp !== undefined);
    expect(line).toMatchObject({ msg: "decision route warmed up", warmUp: 120 });
  });

  it("appends nothing and counts nothing", async () => {
    expect(await ledger.size()).toBe(0);
    const m = await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
    expect(m).not.toMatch(/^gitops_health_decisions_total\{/m);
    expect(m).not.toMatch(/route="\/v1\/decisions\/:pack"/);
    const r = await decide("business", { input: WARM_UP_INPUTS[0] }, { authorization: `Bearer ${token}` });
    expect(r.status).toBe(200);
    expect(((await r.json()) as { ledger: { seq: number } }).ledger.seq).toBe(0);
    expect(await ledger.size()).toBe(1);
    expect(await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text()).toMatch(
      /^gitops_health_decisions_total\{pack="business",outcome="(pass|fail)"\} 1$/m,
    );
  });

  it("refuses the warm-up header once built", async () => {
    for (const v of ["", "x", "0".repeat(64)])
      expect((await decide("business", { input: {} }, { "x-gitops-health-warm-up": v })).status).toBe(401);
  });

  it("every warm-up input is a valid decision input for every pack", async () => {
    for (const pack of ["personal", "business", "clinical"])
      for (const input of WARM_UP_INPUTS)
        expect((await decide(pack, { input }, { authorization: `Bearer ${token}` })).status).toBe(200);
  });

  it("dryRun builds what appendBatch appends, without storing, and refuses what it refuses", async () => {
    const l = await openLedger(join(dir, "dry"), { now: () => new Date("2026-01-02T03:04:05.000Z") });
    const e = { type: "decision", actor: "a", subject: "pack:x", payload: { decision: "pass" } };
    const dry = await l.dryRun([e, e]);
    expect(await l.size()).toBe(0);
    expect(await l.appendBatch([e, e])).toEqual(dry);
    await expect(l.dryRun([{ type: "note", payload: { text: "SSN 512-84-3921" } }])).rejects.toThrow(
      /refusing to write PHI/,
    );
    await expect(l.appendBatch([{ type: "note", payload: { text: "SSN 512-84-3921" } }])).rejects.toThrow(
      /refusing to write PHI/,
    );
    expect(await l.size()).toBe(2);
    await l.close();
  });
});
