/**
 * Registered repositories and long jobs. Without PostgreSQL: /v1/repos registration rules, the
 * risk score of a registered repository's commit, /v1/jobs answering 503. With PostgreSQL
 * (GITOPS_HEALTH_TEST_PG): jobs enqueued over HTTP and processed by built `gitops-health worker`
 * processes; one worker is killed with SIGKILL while it holds a job, and another worker retries
 * it: every job completes, none is lost.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { openLedger } from "../src/audit/index.js";
import type { AuditLedger } from "../src/audit/ledger.js";
import { buildApp } from "../src/server/app.js";
import { JobQueue } from "../src/server/jobs.js";
import { MemoryRepoStore } from "../src/server/repos.js";
import { openServiceStores, type ServiceStores } from "../src/server/stores.js";
import { createToken, FileTokenStore } from "../src/server/tokens.js";
import { makeRepo, makeTempDir, type TempRepo } from "./helpers/repo.js";
import { probePg } from "./helpers/pg.js";

const { url: PG, skipReason: pgSkip } = await probePg("jobs and workers on PostgreSQL");
const CLI = join(import.meta.dirname, "..", "dist", "cli.js");
const SSN = "123-45-6789";

const call = async (base: string, path: string, token: string | undefined, body?: unknown) => {
  const r = await fetch(base + path, {
    method: body === undefined ? "GET" : "POST",
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
};

function sampleRepo(): TempRepo {
  const repo = makeRepo();
  repo.commit("chore: init", { "README.md": "x\n" });
  repo.commit("feat: add notes", { "notes.txt": `Patient SSN ${SSN} seen today\n` });
  repo.commit("fix: remove notes", { "notes.txt": "removed\n" });
  return repo;
}

describe("/v1/repos and /v1/jobs without a database", () => {
  let repo: TempRepo;
  let ledger: AuditLedger;
  let app: FastifyInstance;
  let base: string;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    repo = sampleRepo();
    const dir = makeTempDir("gh-repos-");
    ledger = await openLedger(join(dir, "ledger"));
    const store = new FileTokenStore(join(dir, "tokens.json"));
    for (const [name, scopes] of [
      ["admin", ["admin"]],
      ["decide", ["decide"]],
      ["scan", ["scan"]],
    ] as const)
      tokens[name] = (await createToken(store, { name, scopes: [...scopes] })).token;
    app = await buildApp({ ledger, tokens: store, digestKey: "k", logStream: false, repos: new MemoryRepoStore() });
    base = await app.listen({ host: "127.0.0.1", port: 0 });
  });
  afterAll(async () => {
    await app?.close();
    await ledger?.close();
    repo?.cleanup();
  });

  it("registers by name (admin only, absolute git work trees only), scores a commit with its history, refuses jobs with 503", async () => {
    expect((await call(base, "/v1/repos", tokens.decide, { name: "app", path: repo.dir })).status).toBe(403);
    expect((await call(base, "/v1/repos", tokens.admin, { name: "app", path: "relative/path" })).status).toBe(400);
    expect(
      (await call(base, "/v1/repos", tokens.admin, { name: "app", path: makeTempDir("gh-not-a-repo-") })).status,
    ).toBe(400);
    expect((await call(base, "/v1/repos", tokens.admin, { name: "Bad Name", path: repo.dir })).status).toBe(400);
    const ok = await call(base, "/v1/repos", tokens.admin, { name: "app", path: repo.dir });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ name: "app", createdBy: expect.stringMatching(/^token:admin#/) });
    expect((await call(base, "/v1/repos", tokens.admin, { name: "app", path: repo.dir })).status).toBe(409);
    expect((await call(base, "/v1/repos", tokens.scan)).body).toMatchObject({ repos: [{ name: "app" }] });

    const scored = await call(base, "/v1/repos/app/risk", tokens.decide, { commit: "HEAD~1" });
    expect(scored.status).toBe(200);
    expect(scored.body).toMatchObject({
      repo: "app",
      commit: expect.stringMatching(/^[0-9a-f]{40}$/),
      level: expect.stringMatching(/^(LOW|MEDIUM|HIGH|CRITICAL)$/),
    });
    // history features: the author has earlier commits in this repository
    const exp = (scored.body.factors as { name: string; value: number }[]).find((f) => f.name === "EXP");
    expect(exp?.value).toBeGreaterThan(0);
    expect((await call(base, "/v1/repos/app/risk", tokens.decide, { commit: "--output=/tmp/x" })).status).toBe(400);
    expect((await call(base, "/v1/repos/app/risk", tokens.decide, { commit: "HEAD~1..HEAD" })).status).toBe(400);
    expect((await call(base, "/v1/repos/app/risk", tokens.decide, { commit: "f".repeat(40) })).status).toBe(404);
    expect((await call(base, "/v1/repos/nope/risk", tokens.decide, {})).status).toBe(404);
    expect((await call(base, "/v1/repos/app/risk", tokens.scan, {})).status).toBe(403);

    expect((await call(base, "/v1/jobs", tokens.scan, { kind: "scan.history", repo: "app" })).status).toBe(503);
    expect((await call(base, "/v1/jobs", tokens.scan, { kind: "risk.train", repo: "app" })).status).toBe(403);
  });
});

describe.skipIf(!!pgSkip)(`jobs and workers on PostgreSQL${pgSkip ? ` (skipped: ${pgSkip})` : ""}`, () => {
  const prefix = `jobs${process.pid}_${Date.now() % 100000}_`;
  const url = `${PG}${(PG ?? "").includes("?") ? "&" : "?"}table_prefix=${prefix}`;
  let repo: TempRepo;
  let stores: ServiceStores;
  let jobs: JobQueue;
  let app: FastifyInstance;
  let base: string;
  const tokens: Record<string, string> = {};
  const workers: ChildProcess[] = [];

  const startWorker = () => {
    const p = spawn(
      process.execPath,
      [CLI, "worker", "--database-url", url, "--poll-interval", "1", "--maintenance-interval", "1"],
      {
        env: { ...process.env, NO_COLOR: "1", GITOPS_HEALTH_WORKER_START_DELAY_MS: "2500" },
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    workers.push(p);
    const w = { proc: p, stderr: "" };
    p.stderr!.on("data", (d: Buffer) => (w.stderr += d.toString()));
    return w;
  };
  const until = async <T>(what: string, f: () => Promise<T | undefined>, ms = 90_000): Promise<T> => {
    const end = Date.now() + ms;
    for (;;) {
      const v = await f();
      if (v !== undefined) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  beforeAll(async () => {
    repo = sampleRepo();
    stores = await openServiceStores({ databaseUrl: url, migrate: true });
    // a short job timeout so that a killed worker's job is retried within the test
    jobs = await JobQueue.open(url, { expireInSeconds: 6, maintenanceIntervalSeconds: 1 });
    for (const [name, scopes] of [
      ["admin", ["admin"]],
      ["scan", ["scan"]],
    ] as const)
      tokens[name] = (await createToken(stores.tokens, { name, scopes: [...scopes] })).token;
    app = await buildApp({
      ledger: stores.ledger,
      tokens: stores.tokens,
      digestKey: "k",
      logStream: false,
      readiness: stores.readiness,
      repos: stores.repos,
      jobs,
    });
    base = await app.listen({ host: "127.0.0.1", port: 0 });
    expect((await call(base, "/v1/repos", tokens.admin, { name: "app", path: repo.dir })).status).toBe(201);
  }, 60_000);

  afterAll(async () => {
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill("SIGKILL");
    await app?.close();
    await jobs?.close(false).catch(() => undefined);
    await stores?.close();
    repo?.cleanup();
    const pg = (await import("pg")).default;
    const c = new pg.Client({ connectionString: PG });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS ${prefix}jobs CASCADE`);
    await c.query(
      `DROP TABLE IF EXISTS ${prefix}entries, ${prefix}checkpoints, ${prefix}once, ${prefix}tokens, ${prefix}repos, ${prefix}schema_migrations CASCADE`,
    );
    await c.query(`DROP FUNCTION IF EXISTS ${prefix}append_only() CASCADE`);
    await c.end();
  });

  it("a worker killed with SIGKILL mid-job: another worker retries it; every job completes, none lost", async () => {
    const a = startWorker();
    await until("worker A", async () => (a.stderr.includes("processing") ? true : undefined), 30_000);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await call(base, "/v1/jobs", tokens.scan, { kind: "scan.history", repo: "app" });
      expect(r.status).toBe(202);
      ids.push(r.body.id as string);
    }
    // A holds a job (it waits 2.5 s before working): kill it there.
    await until("worker A to start a job", async () => (a.stderr.includes("started") ? true : undefined), 30_000);
    const held = /(scan\.history:[0-9a-f-]{36}): started/.exec(a.stderr)![1]!;
    a.proc.kill("SIGKILL");
    expect((await call(base, `/v1/jobs/${held}`, tokens.scan)).body).toMatchObject({ state: "active" });

    const b = startWorker();
    const done = await until("every job to complete", async () => {
      const all = await Promise.all(ids.map(async (id) => (await call(base, `/v1/jobs/${id}`, tokens.scan)).body));
      if (all.some((j) => j.state === "failed")) throw new Error(`a job failed: ${JSON.stringify(all)}`);
      return all.every((j) => j.state === "completed") ? all : undefined;
    });
    const bId = `:${b.proc.pid}`;
    for (const j of done) {
      const out = j.output as {
        worker: string;
        findings: number;
        stats: { commits: number };
        byRule: Record<string, number>;
      };
      // B did every job, A's included: A never completed one
      expect(out.worker.endsWith(bId)).toBe(true);
      expect(out.stats.commits).toBeGreaterThanOrEqual(3);
      expect(out.findings).toBeGreaterThan(0);
      // results never carry the matched value
      expect(JSON.stringify(j)).not.toContain(SSN);
    }
    const retried = done.find((j) => j.id === held)!;
    expect(retried.retryCount).toBe(1);
    expect((retried.output as { attempt: number }).attempt).toBe(2);
    expect(b.stderr).toContain(`${held}: started (attempt 2)`);
    expect(done.filter((j) => j.id !== held).every((j) => j.retryCount === 0)).toBe(true);
    expect((await call(base, "/v1/jobs/scan.history:00000000-0000-0000-0000-000000000000", tokens.scan)).status).toBe(
      404,
    );
    expect((await call(base, "/ready", undefined)).status).toBe(200);
  }, 180_000);
});
