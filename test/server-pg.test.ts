/**
 * The HTTP service on PostgreSQL (GITOPS_HEALTH_TEST_PG): `db migrate` and `token create` from
 * the built CLI, two app instances appending to one ledger concurrently over HTTP (gap-free,
 * verifies), /ready 503 on an unmigrated schema and while the database is unreachable (through
 * a TCP proxy this test cuts and restores), then recovery.
 */
import { afterAll, describe, expect, it } from "vitest";
import { createServer, connect, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../src/server/app.js";
import { generateNoteSigner } from "../src/core/note-key.js";
import { LATEST_MIGRATION } from "../src/server/db.js";
import { openServiceStores, type ServiceStores } from "../src/server/stores.js";
import { runCli } from "./helpers/repo.js";
import { probePg } from "./helpers/pg.js";

const { url: PG, skipReason: pgSkip } = await probePg("HTTP service on PostgreSQL");

const prefix = `svc${process.pid}_${Date.now() % 100000}_`;
const withPrefix = (url: string, p = prefix) => `${url}${url.includes("?") ? "&" : "?"}table_prefix=${p}`;

/** A TCP proxy to PostgreSQL that the test can cut (every connection dropped, new ones refused) and restore. */
function pgProxy(target: URL): { port: () => number; start: () => Promise<void>; cut: () => Promise<void> } {
  let server: Server | undefined;
  let port = 0;
  const sockets = new Set<Socket>();
  return {
    port: () => port,
    start: () =>
      new Promise<void>((resolve) => {
        server = createServer((client) => {
          const upstream = connect(Number(target.port || 5432), target.hostname);
          sockets.add(client).add(upstream);
          client.pipe(upstream).pipe(client);
          const drop = () => {
            client.destroy();
            upstream.destroy();
          };
          client.on("error", drop).on("close", drop);
          upstream.on("error", drop).on("close", drop);
        });
        server.listen(port, "127.0.0.1", () => {
          port = (server!.address() as AddressInfo).port;
          resolve();
        });
      }),
    cut: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        sockets.clear();
        server!.close(() => resolve());
      }),
  };
}

describe.skipIf(!!pgSkip)(`HTTP service on PostgreSQL${pgSkip ? ` (skipped: ${pgSkip})` : ""}`, () => {
  const url = withPrefix(PG ?? "");
  const opened: { app: FastifyInstance; stores: ServiceStores }[] = [];
  let token = "";

  afterAll(async () => {
    for (const o of opened) {
      await o.app.close();
      await o.stores.close();
    }
    const pg = (await import("pg")).default;
    const c = new pg.Client({ connectionString: PG });
    await c.connect();
    for (const p of [prefix, `${prefix}x_`]) {
      await c.query(
        `DROP TABLE IF EXISTS ${p}entries, ${p}checkpoints, ${p}once, ${p}tokens, ${p}repos, ${p}schema_migrations CASCADE`,
      );
      await c.query(`DROP FUNCTION IF EXISTS ${p}append_only() CASCADE`);
    }
    await c.end();
  });

  const start = async (databaseUrl: string, migrate = false) => {
    const stores = await openServiceStores({ databaseUrl, migrate });
    const app = await buildApp({
      ledger: stores.ledger,
      tokens: stores.tokens,
      digestKey: "k",
      logStream: false,
      readiness: stores.readiness,
    });
    opened.push({ app, stores });
    return { base: await app.listen({ host: "127.0.0.1", port: 0 }), stores, app };
  };

  it("db migrate and token create from the CLI; tokens live in the database as hashes", async () => {
    const before = runCli(["token", "create", "--name", "ci", "--scope", "ledger:append", "--database-url", url]);
    expect(before.code).toBe(2);
    expect(before.stderr).toContain("db migrate");
    const m = runCli(["db", "migrate", "--database-url", url]);
    expect(m.code, m.stderr).toBe(0);
    expect(m.stderr).toContain("applied migration(s) 1");
    expect(runCli(["db", "migrate"], { env: { GITOPS_HEALTH_DATABASE_URL: url } }).stderr).toContain(
      "already at version",
    );
    const t = runCli(["token", "create", "--name", "ci", "--scope", "ledger:append,scan", "--database-url", url]);
    expect(t.code, t.stderr).toBe(0);
    token = t.stdout.trim();
    const pg = (await import("pg")).default;
    const c = new pg.Client({ connectionString: PG });
    await c.connect();
    const rows = (await c.query(`SELECT * FROM ${prefix}tokens`)).rows as { hash: string; scopes: string[] }[];
    await c.end();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.scopes).toEqual(["ledger:append", "scan"]);
    // the secret is everything after `ghst_<id>_` (base64url, so it may itself contain "_")
    expect(JSON.stringify(rows)).not.toContain(token.slice("ghst_".length + 16 + 1));
  });

  it("two replicas append to one ledger concurrently: no gaps, every acknowledged append present, verify passes", async () => {
    const a = await start(url);
    const b = await start(url);
    const N = 60;
    const post = (base: string, i: number) =>
      fetch(`${base}/v1/ledger/entries`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ type: "deployment", subject: `r${i}`, payload: { i } }),
      }).then(async (r) => {
        expect(r.status).toBe(201);
        return ((await r.json()) as { seq: number }).seq;
      });
    const seqs = await Promise.all(Array.from({ length: 2 * N }, (_, i) => post(i % 2 ? b.base : a.base, i)));
    expect(new Set(seqs).size).toBe(2 * N);
    expect([...seqs].sort((x, y) => x - y)).toEqual(Array.from({ length: 2 * N }, (_, i) => i));
    expect(await a.stores.ledger.size()).toBe(2 * N);
    const v = await b.stores.ledger.verify();
    expect(v.ok, v.problem).toBe(true);
    expect(v.size).toBe(2 * N);
    const listed = (await (
      await fetch(`${b.base}/v1/ledger/entries?limit=1000`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as { entries: { actor: string }[] };
    expect(listed.entries).toHaveLength(2 * N);
    expect(new Set(listed.entries.map((e) => e.actor))).toEqual(new Set([expect.stringMatching(/^token:ci#/)]));
  });

  it("two replicas receive copies of one webhook delivery concurrently: it is recorded once (unique key in the append's transaction)", async () => {
    const key = generateNoteSigner("gitops-health-service.example.invalid");
    const replicas = await Promise.all(
      [0, 1].map(async () => {
        const stores = await openServiceStores({ databaseUrl: url });
        const app = await buildApp({
          ledger: stores.ledger,
          tokens: stores.tokens,
          signer: key.signer,
          digestKey: "k",
          logStream: false,
          webhooks: { gitlabToken: "gl-token-0123456789" },
        });
        opened.push({ app, stores });
        return { base: await app.listen({ host: "127.0.0.1", port: 0 }), stores };
      }),
    );
    const before = await replicas[0]!.stores.ledger.size();
    const body = JSON.stringify({
      object_kind: "merge_request",
      user: { id: 303, username: "raj-rao" },
      project: { path_with_namespace: "acme/ehr" },
      object_attributes: {
        iid: 7,
        action: "approved",
        state: "opened",
        author_id: 101,
        target_branch: "main",
        last_commit: { id: "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00" },
      },
    });
    const uuid = "13792a34-cac6-4fda-95a8-c58e00a3954e";
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        fetch(`${replicas[i % 2]!.base}/v1/webhooks/gitlab`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "x-gitlab-event": "Merge Request Hook",
            "x-gitlab-token": "gl-token-0123456789",
            "x-gitlab-event-uuid": uuid,
          },
          body,
        }).then((r) => r.status),
      ),
    );
    expect(answers.filter((s) => s === 202)).toHaveLength(1);
    expect(answers.filter((s) => s === 200)).toHaveLength(11);
    // a pull record and a review record, once
    expect(await replicas[1]!.stores.ledger.size()).toBe(before + 2);
  });

  it("/ready is 503 with the reason on an unmigrated schema, then ready after migrating", async () => {
    const other = withPrefix(PG!, `${prefix}x_`);
    const s = await start(other);
    const r = await fetch(`${s.base}/ready`);
    expect(r.status).toBe(503);
    expect(((await r.json()) as { detail: string }).detail).toMatch(
      new RegExp(`schema at version 0, ${LATEST_MIGRATION} needed`),
    );
    expect(runCli(["db", "migrate", "--database-url", other]).code).toBe(0);
    expect((await fetch(`${s.base}/ready`)).status).toBe(200);
  });

  it("/ready turns 503 while PostgreSQL is unreachable and recovers when it is back; client calls get no 500 from it", async () => {
    const target = new URL(PG!);
    const proxy = pgProxy(target);
    await proxy.start();
    const via = new URL(PG!);
    via.hostname = "127.0.0.1";
    via.port = String(proxy.port());
    const s = await start(withPrefix(via.toString()));
    expect((await fetch(`${s.base}/ready`)).status).toBe(200);
    await proxy.cut();
    const down = await fetch(`${s.base}/ready`);
    expect(down.status).toBe(503);
    expect(((await down.json()) as { detail: string }).detail).toContain("unreachable");
    await proxy.start();
    let status = 0;
    for (let i = 0; i < 20 && status !== 200; i++) {
      status = (await fetch(`${s.base}/ready`)).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 250));
    }
    expect(status).toBe(200);
    const r = await fetch(`${s.base}/v1/ledger/entries`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ type: "deployment", payload: { after: "recovery" } }),
    });
    expect(r.status).toBe(201);
  });
});
