/**
 * The dashboard's full ledger verification runs in a worker thread (src/server/verify-worker.ts):
 * the service answers while it re-hashes a large ledger, and the result (passed, or exactly what
 * failed) is recorded as the overview's last full verification. Real directory ledgers, the real
 * service on port 0.
 */
import { afterAll, describe, expect, it } from "vitest";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildApp } from "../src/server/app.js";
import { createToken, FileTokenStore } from "../src/server/tokens.js";
import { verifyInWorker, verifyWorkerEntry } from "../src/server/dashboard.js";
import { makeTempDir } from "./helpers/repo.js";
import { seedLedger, type SeededLedger } from "./helpers/evidence-ledger.js";
import { probePg } from "./helpers/pg.js";
import { openLedger } from "../src/audit/index.js";

const { url: PG, skipReason: pgSkip } = await probePg("dashboard verification worker on PostgreSQL");

interface LastVerification {
  state: "scheduled" | "running" | "done";
  at: string | null;
  ok: boolean | null;
  size: number | null;
  problem: string | null;
  inWorker: boolean;
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function serve(seeded: SeededLedger, dir: string, verifyDelayMs = 0) {
  const store = new FileTokenStore(join(dir, "tokens.json"));
  const token = (await createToken(store, { name: "viewer", scopes: ["scan"] })).token;
  const app = await buildApp({
    ledger: seeded.ledger,
    tokens: store,
    digestKey: "test-digest-key",
    logStream: false,
    dashboardVerifyDelayMs: verifyDelayMs,
  });
  const base = await app.listen({ host: "127.0.0.1", port: 0 });
  const overview = async () => {
    const res = await fetch(`${base}/v1/dashboard/overview?from=2026-11-02&to=2026-11-30`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()) as { ledger: { size: number; lastVerification: LastVerification } };
  };
  return { app, overview };
}

describe("the dashboard's ledger verification", () => {
  it("finds the worker (source through tsx here, dist/verify-worker.js when built)", () => {
    expect(verifyWorkerEntry()).toBeDefined();
  });

  it("answers requests while a worker thread verifies a large ledger, then records the result", async () => {
    const dir = makeTempDir("gh-dash-verify-");
    dirs.push(dir);
    const seeded = await seedLedger(dir, { padding: 40_000 });
    const size = await seeded.ledger.size();
    // how long the service takes to read the ledger (its first overview), with no verification
    const probe = await serve(seeded, dir, 3_600_000);
    const t0 = performance.now();
    expect((await probe.overview()).ledger.lastVerification.state).toBe("scheduled");
    const readMs = performance.now() - t0;
    await probe.app.close();
    // then a service whose verification starts well after its ledger is read: requests sent one after
    // another are answered while the verification runs, and then it is recorded as passed
    const { app, overview } = await serve(seeded, dir, Math.round(3 * readMs) + 1000);
    try {
      const seen = new Set<string>();
      let answeredWhileRunning = 0;
      let last: LastVerification | undefined;
      for (let i = 0; i < 1_000_000; i++) {
        last = (await overview()).ledger.lastVerification;
        seen.add(last.state);
        if (last.state === "running") answeredWhileRunning++;
        if (last.state === "done") break;
        if (last.state === "scheduled") await new Promise((r) => setTimeout(r, 5));
      }
      expect(seen.has("scheduled")).toBe(true);
      expect(answeredWhileRunning).toBeGreaterThan(0);
      expect(last).toMatchObject({ state: "done", ok: true, size, problem: null, inWorker: true });
    } finally {
      await app.close();
      await seeded.ledger.close();
    }
  }, 180_000);

  it("records exactly what failed when an entry was changed on disk", async () => {
    const dir = makeTempDir("gh-dash-tamper-");
    dirs.push(dir);
    const seeded = await seedLedger(dir, { padding: 50 });
    const log = join(dir, "ledger", "entries.log");
    const bytes = readFileSync(log);
    const at = bytes.indexOf('"subject":"n17"');
    expect(at).toBeGreaterThan(0);
    // same length, other content (entries.log frames are length-prefixed): the leaf hash no longer matches
    bytes.write('"subject":"n71"', at);
    writeFileSync(log, bytes);
    const { app, overview } = await serve(seeded, dir);
    try {
      let last: LastVerification | undefined;
      for (let i = 0; i < 100_000 && !last?.at; i++) {
        last = (await overview()).ledger.lastVerification;
        if (!last.at) await new Promise((r) => setTimeout(r, 20));
      }
      expect(last).toMatchObject({ state: "done", ok: false, inWorker: true });
      expect(last!.problem).toMatch(/content does not match its recorded leaf hash/);
    } finally {
      await app.close();
      await seeded.ledger.close();
    }
  }, 120_000);

  it("runs AuditLedger.verify off the main thread", async () => {
    const dir = makeTempDir("gh-dash-worker-");
    dirs.push(dir);
    const seeded = await seedLedger(dir);
    try {
      const r = await verifyInWorker(join(dir, "ledger"));
      expect(r.ok).toBe(true);
      expect(r.size).toBe(await seeded.ledger.size());
      expect(r.threadId).not.toBe(0);
      // a ledger it cannot open is a failed verification, not a crash
      const missing = await verifyInWorker(join(dir, "no-such-ledger"));
      expect(missing.ok).toBe(false);
      expect(missing.problem).toMatch(/no ledger/);
    } finally {
      await seeded.ledger.close();
    }
  }, 60_000);

  it.skipIf(Boolean(pgSkip))(
    "verifies a PostgreSQL ledger in the worker, from the URL with its table_prefix",
    async () => {
      const prefix = `ghdv_${process.pid}_${Date.now().toString(36)}_`;
      const url = `${PG!}${PG!.includes("?") ? "&" : "?"}table_prefix=${prefix}`;
      const ledger = await openLedger(url);
      try {
        await ledger.appendBatch(
          Array.from({ length: 20 }, (_, i) => ({ type: "note", subject: `n${i}`, payload: { i } })),
        );
        const r = await verifyInWorker(url);
        expect(r).toMatchObject({ ok: true, size: 20, problem: null });
        expect(r.threadId).not.toBe(0);
      } finally {
        await ledger.close();
      }
    },
    60_000,
  );
});
