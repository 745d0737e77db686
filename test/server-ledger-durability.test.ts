/**
 * The ledger's durability level as the service shows it: /ready, /metrics and the start log name it
 * (disk by default); under `process`, a failed background sync makes the service fail closed: decisions
 * answered 503 (never acknowledged), /ready 503 with the reason, a fatal log line. `serve` takes the
 * level from --ledger-durability, GITOPS_HEALTH_LEDGER_DURABILITY or the configuration, and refuses others.
 */
import { afterAll, describe, expect, it } from "vitest";
import { startCliServer } from "./helpers/cli-server.js";
import { fdatasync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { promisify } from "node:util";
import type { FastifyInstance } from "fastify";
import { DirStore } from "../src/audit/dir-store.js";
import { openLedger } from "../src/audit/index.js";
import { AuditLedger } from "../src/audit/ledger.js";
import { buildApp } from "../src/server/app.js";
import { GroupCommit } from "../src/server/group-commit.js";
import { createToken, FileTokenStore, tokenFileFor } from "../src/server/tokens.js";
import { makeTempDir, runCli } from "./helpers/repo.js";

const fdatasyncAsync = promisify(fdatasync);
const INPUT = {
  input: { commit: { message: "feat(api): add endpoint", signature: "G" }, checks: { passed: ["tests"] } },
};

async function start(ledger: AuditLedger) {
  const dir = makeTempDir("gh-dur-");
  const tokens = new FileTokenStore(join(dir, "tokens.json"));
  const token = (await createToken(tokens, { name: "d", scopes: ["decide", "admin"] })).token;
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(...chunk.toString("utf8").split("\n").filter(Boolean));
      cb();
    },
  });
  const app = await buildApp({ ledger, tokens, digestKey: "k".repeat(64), logStream, rateLimit: undefined });
  const base = await app.listen({ host: "127.0.0.1", port: 0 });
  const auth = { authorization: `Bearer ${token}` };
  const decide = () =>
    fetch(`${base}/v1/decisions/business`, {
      method: "POST",
      headers: { "content-type": "application/json", ...auth },
      body: JSON.stringify(INPUT),
    });
  const metrics = async () => (await fetch(`${base}/metrics`, { headers: auth })).text();
  return { app, base, decide, metrics, logs };
}

describe("the service and the ledger's durability level", () => {
  const apps: FastifyInstance[] = [];
  const ledgers: AuditLedger[] = [];
  afterAll(async () => {
    for (const a of apps) await a.close();
    for (const l of ledgers) await l.close().catch(() => undefined);
  });

  it("shows disk, the default, in /ready, /metrics and the log", async () => {
    const ledger = await openLedger(join(makeTempDir(), "ledger"));
    ledgers.push(ledger);
    const s = await start(ledger);
    apps.push(s.app);
    expect((await s.decide()).status).toBe(200);
    const ready = (await (await fetch(`${s.base}/ready`)).json()) as Record<string, unknown>;
    expect(ready).toMatchObject({ status: "ready", ledgerDurability: "disk", ledgerSyncIntervalMs: 0 });
    const m = await s.metrics();
    expect(m).toMatch(/^gitops_health_ledger_durability_info\{level="disk",sync_interval_ms="0"\} 1$/m);
    expect(m).toMatch(/^gitops_health_ledger_fail_closed 0$/m);
    // one decision, one append: its two files synced before the answer
    expect(m).toMatch(/^gitops_health_ledger_fdatasyncs_total 2$/m);
    const line = s.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === "ledger durability");
    expect(line).toMatchObject({ ledgerDurability: "disk" });
  });

  it("process: fails closed when a background sync fails: 503s, /ready 503, a fatal log line", async () => {
    let failing = false;
    const store = await DirStore.open(join(makeTempDir(), "ledger"), {
      durability: "process",
      syncIntervalMs: 5,
      syncFile: async (fd) => {
        if (failing) throw Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" });
        await fdatasyncAsync(fd);
      },
    });
    const ledger = new AuditLedger(store);
    ledgers.push(ledger);
    const s = await start(ledger);
    apps.push(s.app);
    expect((await s.decide()).status).toBe(200);
    expect(await (await fetch(`${s.base}/ready`)).json()).toMatchObject({
      ledgerDurability: "process",
      ledgerSyncIntervalMs: 5,
    });
    expect(await s.metrics()).toMatch(
      /^gitops_health_ledger_durability_info\{level="process",sync_interval_ms="5"\} 1$/m,
    );
    failing = true;
    // the next decision is written and answered; the round after it fails
    expect((await s.decide()).status).toBe(200);
    const t0 = Date.now();
    while (!ledger.failure() && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 5));
    const size = await ledger.size();
    const refused = await s.decide();
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ status: 503, detail: "the ledger refuses appends" });
    expect(await ledger.size()).toBe(size);
    const ready = await fetch(`${s.base}/ready`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { detail: string }).detail).toMatch(
      /ledger fails closed: .*fdatasync failed \(EIO\)/,
    );
    expect(await s.metrics()).toMatch(/^gitops_health_ledger_fail_closed 1$/m);
    const fatal = s.logs.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level === 60);
    expect(fatal).toHaveLength(1);
    expect(fatal[0]!.msg).toMatch(/^ledger fails closed: /);
  });

  it("process: the group commit writes a lone append at once and gathers appends that come close together", async () => {
    const ledger = await openLedger(join(makeTempDir(), "ledger"), { durability: "process" });
    ledgers.push(ledger);
    const batches: number[] = [];
    const appendBatch = ledger.appendBatch.bind(ledger);
    ledger.appendBatch = (entries) => {
      batches.push(entries.length);
      return appendBatch(entries);
    };
    const g = new GroupCommit(ledger);
    const rs = await Promise.all(
      Array.from({ length: 50 }, (_, i) => g.append({ type: "t", actor: "a", payload: { i } })),
    );
    expect(rs.map((r) => r.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    // the first is written at once; the 49 behind it, read in the same turn, go in one batch
    expect(batches).toEqual([1, 49]);
    await new Promise((r) => setTimeout(r, 5));
    await g.append({ type: "t", actor: "a" });
    expect(batches).toEqual([1, 49, 1]);
    await g.drain();
  });

  it("serve: --ledger-durability, the environment and the configuration choose the level; others are refused", async () => {
    const dir = makeTempDir("gh-dur-cli-");
    const ledger = join(dir, "ledger");
    await createToken(new FileTokenStore(tokenFileFor(ledger)), { name: "x", scopes: ["decide"] });
    const serve = async (args: string[], env: Record<string, string> = {}) => {
      const server = await startCliServer(["serve", "--port", "0", "--log-level", "silent", ...args], {
        cwd: dir,
        env: { GITOPS_HEALTH_LEDGER: ledger, ...env },
        ready: /serving on (http:\/\/[\d.:]+)/,
      });
      const ready = (await (await fetch(`${server.base}/ready`)).json()) as {
        ledgerDurability: string;
        ledgerSyncIntervalMs: number;
      };
      await server.stop();
      return { stderr: server.stderr(), ready };
    };
    const byDefault = await serve([]);
    expect(byDefault.ready.ledgerDurability).toBe("disk");
    expect(byDefault.stderr).toContain("durability disk (each append on disk before it is acknowledged)");
    const byFlag = await serve(["--ledger-durability", "process", "--ledger-sync-interval", "20"]);
    expect(byFlag.ready).toMatchObject({ ledgerDurability: "process", ledgerSyncIntervalMs: 20 });
    expect(byFlag.stderr).toContain(
      "durability process (appends written before they are acknowledged, synced every 20 ms",
    );
    const byEnv = await serve([], { GITOPS_HEALTH_LEDGER_DURABILITY: "process" });
    expect(byEnv.ready).toMatchObject({ ledgerDurability: "process", ledgerSyncIntervalMs: 10 });
    writeFileSync(join(dir, ".gitops-health.yml"), "ledger:\n  durability: process\n  syncIntervalMs: 30\n");
    const byConfig = await serve([]);
    expect(byConfig.ready).toMatchObject({ ledgerDurability: "process", ledgerSyncIntervalMs: 30 });
    // the flag wins over the configuration
    expect((await serve(["--ledger-durability", "disk"])).ready.ledgerDurability).toBe("disk");
    const bad = runCli(["serve", "--port", "0", "--ledger-durability", "memory"], {
      cwd: dir,
      env: { GITOPS_HEALTH_LEDGER: ledger },
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('ledger durability must be disk or process, not "memory"');
  }, 60_000);

  it("proxy: takes the same level, shows it at start and in /ready, refuses others", async () => {
    const dir = makeTempDir("gh-dur-proxy-");
    const ledger = join(dir, "ledger");
    const proxy = await startCliServer(
      ["proxy", "--port", "0", "--sandbox", "--log-level", "silent", "--ledger-durability", "process"],
      { cwd: dir, env: { GITOPS_HEALTH_LEDGER: ledger }, ready: /proxy on (http:\/\/[\d.:]+)\/v1/ },
    );
    const ready = (await (await fetch(`${proxy.base}/ready`)).json()) as { ledgerDurability: string };
    await proxy.stop();
    const stderr = proxy.stderr();
    expect(ready.ledgerDurability).toBe("process");
    expect(stderr).toContain("durability process (appends written before they are acknowledged, synced every 10 ms");
    const bad = runCli(["proxy", "--port", "0", "--ledger-durability", "memory"], {
      cwd: dir,
      env: { GITOPS_HEALTH_LEDGER: ledger },
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('ledger durability must be disk or process, not "memory"');
  }, 30_000);
});
