/**
 * Guarded runs and the approval gate over HTTP: a real server on 127.0.0.1 port 0, a real
 * directory ledger and repository in temp dirs, real signed-note keys, and the built CLI
 * (`approve --print-only`) as the remote approver who signs locally and POSTs.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { openLedger } from "../src/audit/index.js";
import type { AuditLedger } from "../src/audit/ledger.js";
import { parseConfigText } from "../src/config/load.js";
import { generateNoteSigner } from "../src/core/note-key.js";
import { DEPLOY_RUN_HEADER } from "../src/deploy/gate.js";
import { buildPlan, readRun, recordPlan, verifyContext } from "../src/guard/index.js";
import { approvalMessage, planDigest } from "../src/guard/plan.js";
import { signApproval } from "../src/core/signing.js";
import { buildApp } from "../src/server/app.js";
import { createToken, FileTokenStore } from "../src/server/tokens.js";
import { makeRepo, makeTempDir, runCli, type TempRepo } from "./helpers/repo.js";

const call = (base: string, path: string, token: string | undefined, body?: unknown) =>
  fetch(base + path, {
    method: body === undefined ? "GET" : "POST",
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

describe("/v1/runs and the approval gate over HTTP", () => {
  let repo: TempRepo;
  let ledger: AuditLedger;
  let app: FastifyInstance;
  let base: string;
  const tokens: Record<string, string> = {};
  const keys: Record<string, string> = {};
  const ledgerDir = join(makeTempDir("gh-runs-ledger-"), "ledger");
  let config: ReturnType<typeof parseConfigText>;
  let ctx: ReturnType<typeof verifyContext>;
  const plan = (image: string) =>
    buildPlan({
      command: ["gitops-health", "deploy", "promote", "api", image],
      classification: "personal",
      environment: "production",
      runId: "gate-1",
      cwd: repo.dir,
      description: `${DEPLOY_RUN_HEADER}\n${JSON.stringify({ image, approvals: 1 })}`,
    });

  beforeAll(async () => {
    repo = makeRepo();
    repo.commit("chore: init", { "README.md": "x\n" });
    const keyDir = makeTempDir("gh-runs-keys-");
    const vkeys: Record<string, string> = {};
    for (const name of ["carol", "rita", "mallory"]) {
      const k = generateNoteSigner(name);
      keys[name] = join(keyDir, `${name}.key`);
      writeFileSync(keys[name], `${k.signerKey}\n`, { mode: 0o600 });
      vkeys[name] = k.verifierKey;
    }
    // sam approves with an SSH key listed in the allowed-signers file; eve's SSH key is not listed.
    for (const name of ["sam", "eve"]) {
      keys[name] = join(keyDir, name);
      execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", keys[name]!]);
    }
    const signers = join(keyDir, "allowed_signers");
    writeFileSync(
      signers,
      `sam@example.com namespaces="gitops-health" ${readFileSync(`${keys.sam}.pub`, "utf8").trim()}\n`,
    );
    // carol approves, rita requests; mallory's key is not a configured approver.
    const yml = `allowedSignersFile: ${signers}\npolicy:\n  requiredChecks: []\nenvironments:\n  production: { allowed: true, approvalRequired: true }\napprovers:\n  - { name: carol, email: carol@example.com, key: "${vkeys.carol}" }\n  - { name: rita, email: rita@example.com, key: "${vkeys.rita}" }\n`;
    writeFileSync(join(repo.dir, ".gitops-health.yml"), yml);
    config = parseConfigText(yml);
    ctx = verifyContext(config, repo.dir);
    ledger = await openLedger(ledgerDir);
    const store = new FileTokenStore(join(keyDir, "tokens.json"));
    tokens.reader = (await createToken(store, { name: "reader", scopes: ["scan"] })).token;
    tokens.approver = (await createToken(store, { name: "approver", scopes: ["runs:approve"] })).token;
    app = await buildApp({ ledger, tokens: store, digestKey: "k", logStream: false, runs: { config, ctx } });
    base = await app.listen({ host: "127.0.0.1", port: 0 });
  });

  afterAll(async () => {
    await app?.close();
    await ledger?.close();
    repo?.cleanup();
  });

  it("gate pending (409) → approval signed by approve --print-only and POSTed → 200 approved → invalidated after a re-plan", async () => {
    const p1 = plan("reg/api:1");
    await recordPlan(ledger, p1, config, ctx, keys.rita);
    const d1 = planDigest(p1);

    const pending = await call(base, `/v1/runs/gate-1/gate?digest=${d1}`, tokens.reader);
    expect(pending.status).toBe(409);
    expect(pending.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(await pending.json()).toMatchObject({
      status: 409,
      gate: "pending",
      runId: "gate-1",
      digest: d1,
      required: 1,
      approvers: [],
    });

    // The gauge counts it.
    const metrics = await (await call(base, "/metrics", tokens.reader)).text();
    expect(metrics).toMatch(/^gitops_health_pending_approvals 1$/m);

    // The remote approver signs locally; nothing is written to the ledger.
    const size = await ledger.size();
    const signed = runCli(
      ["approve", "gate-1", "--print-only", "--key", keys.carol!, "--ttl", "1h", "--ledger", ledgerDir],
      { cwd: repo.dir },
    );
    expect(signed.stderr).toContain("not recorded");
    expect(signed.code).toBe(0);
    expect(await ledger.size()).toBe(size);
    const approval = JSON.parse(signed.stdout) as Record<string, string>;
    expect(approval).toMatchObject({ runId: "gate-1", method: "note", digest: d1, approver: "carol@example.com" });

    // A token without runs:approve cannot record it.
    const forbidden = await call(base, "/v1/runs/gate-1/approvals", tokens.reader, approval);
    expect(forbidden.status).toBe(403);
    expect(await ledger.size()).toBe(size);

    const ok = await call(base, "/v1/runs/gate-1/approvals", tokens.approver, approval);
    expect(ok.status).toBe(201);
    expect(await ok.json()).toMatchObject({ runId: "gate-1", approver: "carol@example.com", digest: d1 });
    const recorded = (await readRun(ledger, "gate-1")).approvals;
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({
      approver: "carol@example.com",
      submittedBy: expect.stringMatching(/^token:approver#/),
    });

    const approved = await call(base, `/v1/runs/gate-1/gate?digest=${d1}`, tokens.reader);
    expect(approved.status).toBe(200);
    expect(approved.headers.get("cache-control")).toBe("no-store");
    expect(await approved.json()).toMatchObject({ status: "approved", approvers: ["carol@example.com"], required: 1 });

    // Flagger's confirm-promotion webhook POSTs its own JSON and reads only the status code.
    const flagger = { name: "api", namespace: "prod", phase: "Progressing", checksum: "abc", metadata: {} };
    expect((await call(base, `/v1/runs/gate-1/gate?digest=${d1}`, tokens.reader, flagger)).status).toBe(200);
    // Flagger sends no token: a service whose auth config sets gatePublic answers the gate (and only the gate) without one.
    const open = await buildApp({
      ledger,
      tokens: new FileTokenStore(join(makeTempDir("gh-runs-tokens-"), "t.json")),
      digestKey: "k",
      logStream: false,
      auth: { gatePublic: true, metricsPublic: true },
      runs: { config, ctx },
    });
    try {
      const openBase = await open.listen({ host: "127.0.0.1", port: 0 });
      expect((await call(openBase, `/v1/runs/gate-1/gate?digest=${d1}`, undefined, flagger)).status).toBe(200);
      expect((await call(openBase, `/v1/runs/gate-1/gate?digest=${"1".repeat(64)}`, undefined)).status).toBe(409);
      expect((await call(openBase, "/v1/runs/gate-1", undefined)).status).toBe(401);
      expect((await call(openBase, "/v1/runs/gate-1/approvals", undefined, approval)).status).toBe(401);
      // Nothing is pending any more (a fresh app: the gauge is cached per app for 15 s).
      expect(await (await call(openBase, "/metrics", undefined)).text()).toMatch(
        /^gitops_health_pending_approvals 0$/m,
      );
    } finally {
      await open.close();
    }

    const run = await call(base, "/v1/runs/gate-1", tokens.reader);
    expect(run.status).toBe(200);
    expect(await run.json()).toMatchObject({
      runId: "gate-1",
      state: "approved",
      digest: d1,
      requester: "rita@example.com",
      approvals: { valid: ["carol@example.com"], required: 1 },
    });
    const list = (await (await call(base, "/v1/runs", tokens.reader)).json()) as {
      runs: { runId: string; state: string }[];
    };
    expect(list.runs).toEqual([
      expect.objectContaining({ runId: "gate-1", state: "approved", approvals: ["carol@example.com"] }),
    ]);

    // Re-planned (new image): the gate built for d1 is invalidated; the old approval no longer records.
    const p2 = plan("reg/api:2");
    await recordPlan(ledger, p2, config, ctx, keys.rita);
    const invalid = await call(base, `/v1/runs/gate-1/gate?digest=${d1}`, tokens.reader);
    expect(invalid.status).toBe(409);
    expect(await invalid.json()).toMatchObject({ gate: "invalidated" });
    const stale = await call(base, "/v1/runs/gate-1/approvals", tokens.approver, approval);
    expect(stale.status).toBe(409);
    expect(await stale.json()).toMatchObject({ code: "stale" });
    const pending2 = await call(base, `/v1/runs/gate-1/gate?digest=${planDigest(p2)}`, tokens.reader);
    expect(pending2.status).toBe(409);
    expect(await pending2.json()).toMatchObject({ gate: "pending" });
  });

  it("bad signatures, foreign keys, the requester's own key and bad expiries are 4xx and record nothing", async () => {
    const runId = "gate-2";
    const p = buildPlan({
      command: ["gitops-health", "deploy", "promote", "api", "reg/api:9"],
      classification: "personal",
      environment: "production",
      runId,
      cwd: repo.dir,
    });
    await recordPlan(ledger, p, config, ctx, keys.rita);
    const digest = planDigest(p);
    const expiresAt = new Date(Date.now() + 3600e3).toISOString();
    const good = { ...signApproval(approvalMessage(runId, digest, expiresAt), keys.carol!, ctx), digest, expiresAt };
    const post = async (body: unknown) => {
      const r = await call(base, `/v1/runs/${runId}/approvals`, tokens.approver, body);
      return {
        status: r.status,
        type: r.headers.get("content-type") ?? "",
        body: (await r.json()) as Record<string, unknown>,
      };
    };
    const size = await ledger.size();

    // The signed expiry changed: the signature no longer matches.
    const later = new Date(Date.now() + 7200e3).toISOString();
    let r = await post({ ...good, expiresAt: later });
    expect(r.status).toBe(422);
    expect(r.type).toMatch(/^application\/problem\+json/);
    expect(r.body).toMatchObject({ code: "bad-signature" });
    // Garbage signature bytes (not even 64 bytes of Ed25519).
    r = await post({ ...good, signature: "AAAA" });
    expect(r.status).toBe(422);
    // The approver field is only a hint: claiming to be someone else changes nothing but cannot help either.
    r = await post({ ...good, signature: Buffer.from("x".repeat(64)).toString("base64") });
    expect(r.status).toBe(422);
    // A key that is not a configured approver.
    const mallory = {
      method: "note",
      approver: "carol@example.com",
      signature: good.signature,
      keyId: "mallory+00000000+AAAA",
      digest,
      expiresAt,
    };
    r = await post(mallory);
    expect(r.status).toBe(422);
    // The requester cannot approve their own run.
    const own = { ...signApproval(approvalMessage(runId, digest, expiresAt), keys.rita!, ctx), digest, expiresAt };
    r = await post(own);
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({ code: "own-run" });
    // Expired, or longer than approvals.maxTtl (30d).
    const past = new Date(Date.now() - 1000).toISOString();
    r = await post({
      ...signApproval(approvalMessage(runId, digest, past), keys.carol!, ctx),
      digest,
      expiresAt: past,
    });
    expect(r.status).toBe(422);
    const far = new Date(Date.now() + 90 * 86400e3).toISOString();
    r = await post({ ...signApproval(approvalMessage(runId, digest, far), keys.carol!, ctx), digest, expiresAt: far });
    expect(r.status).toBe(422);
    // Malformed bodies: schema errors are 400.
    expect((await post({ ...good, method: "pgp" })).status).toBe(400);
    expect((await post({ ...good, digest: "abc" })).status).toBe(400);
    expect((await post({ ...good, extra: 1 })).status).toBe(400);
    expect((await post({ ...good, runId: "gate-1" })).status).toBe(400);
    expect(await ledger.size()).toBe(size);

    // The untouched approval records, as the identity the key proves.
    r = await post(good);
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ approver: "carol@example.com" });
  });

  it("SSH approvals: signed by approve --print-only, recorded as the identity the key proves", async () => {
    const runId = "gate-3";
    const p = buildPlan({
      command: ["gitops-health", "deploy", "promote", "api", "reg/api:3"],
      classification: "personal",
      environment: "production",
      runId,
      cwd: repo.dir,
    });
    await recordPlan(ledger, p, config, ctx, keys.rita);
    const size = await ledger.size();
    const sign = (key: string) =>
      runCli(["approve", runId, "--print-only", "--key", key, "--ttl", "2h", "--ledger", ledgerDir], { cwd: repo.dir });
    // eve's key is not in the allowed-signers file: the CLI refuses to sign with it.
    expect(sign(keys.eve!).code).toBe(2);
    const signed = sign(keys.sam!);
    expect(signed.code, signed.stderr).toBe(0);
    const approval = JSON.parse(signed.stdout) as Record<string, string>;
    expect(approval).toMatchObject({ method: "ssh", approver: "sam@example.com", digest: planDigest(p) });
    const post = (body: unknown) => call(base, `/v1/runs/${runId}/approvals`, tokens.approver, body);
    // A corrupted signature, and one made by eve's unlisted key over the same message.
    const b64 = approval.signature!.split("\n");
    b64[3] = b64[3]!.replace(/^./, (c) => (c === "A" ? "B" : "A"));
    expect((await post({ ...approval, signature: b64.join("\n") })).status).toBe(422);
    const msg = join(makeTempDir("gh-runs-msg-"), "approval");
    writeFileSync(msg, approvalMessage(runId, planDigest(p), approval.expiresAt!));
    execFileSync("ssh-keygen", ["-Y", "sign", "-q", "-f", keys.eve!, "-n", "gitops-health", msg]);
    expect((await post({ ...approval, signature: readFileSync(`${msg}.sig`, "utf8") })).status).toBe(422);
    expect(await ledger.size()).toBe(size);
    // Claiming to be the requester (approver and principal hint) changes nothing: the key proves sam.
    const r = await post({ ...approval, approver: "rita@example.com", keyId: "rita@example.com" });
    expect(r.status).toBe(201);
    expect(await r.json()).toMatchObject({ approver: "sam@example.com" });
    expect((await readRun(ledger, runId)).approvals[0]).toMatchObject({
      method: "ssh",
      approver: "sam@example.com",
      keyId: "sam@example.com",
    });
    expect((await call(base, `/v1/runs/${runId}/gate?digest=${planDigest(p)}`, tokens.reader)).status).toBe(200);
  });

  it("gitops-health serve (a real process) verifies against the served repository's trust list, or --allowed-signers", async () => {
    const digest = planDigest(
      buildPlan({
        command: ["gitops-health", "deploy", "promote", "api", "reg/api:3"],
        classification: "personal",
        environment: "production",
        runId: "gate-3",
        cwd: repo.dir,
      }),
    );
    const created = runCli(["token", "create", "--name", "argo", "--scope", "scan", "--ledger", ledgerDir], {
      cwd: repo.dir,
    });
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    const empty = join(makeTempDir("gh-runs-empty-"), "allowed_signers");
    writeFileSync(empty, "");
    const gateVia = async (extra: string[]) => {
      const child = spawn(
        process.execPath,
        [
          join(__dirname, "..", "dist", "cli.js"),
          "serve",
          "--port",
          "0",
          "--log-level",
          "warn",
          "--ledger",
          ledgerDir,
          ...extra,
        ],
        { cwd: repo.dir, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] },
      );
      let stderr = "";
      try {
        const served = await new Promise<string>((resolve, reject) => {
          child.stderr.on("data", (d: Buffer) => {
            stderr += d.toString();
            const m = /serving on (http:\/\/[\d.:]+)/.exec(stderr);
            if (m) resolve(m[1]!);
          });
          child.on("exit", (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
        });
        return (await call(served, `/v1/runs/gate-3/gate?digest=${digest}`, token)).status;
      } finally {
        const exited = new Promise((res) => child.on("exit", res));
        child.kill("SIGTERM");
        await exited;
      }
    };
    // sam's SSH approval (previous test) verifies with the repository's allowedSignersFile...
    expect(await gateVia([])).toBe(200);
    // ...and not against an allowed-signers file that does not list sam.
    expect(await gateVia(["--allowed-signers", empty])).toBe(409);
  });

  it("unknown runs are 404; malformed IDs and digests 400; no credential 401", async () => {
    for (const path of ["/v1/runs/no-such-run/gate", "/v1/runs/no-such-run"]) {
      const r = await call(base, path, tokens.reader);
      expect(r.status, path).toBe(404);
      expect(r.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    }
    const expiresAt = new Date(Date.now() + 3600e3).toISOString();
    const digest = "0".repeat(64);
    const approval = {
      ...signApproval(approvalMessage("no-such-run", digest, expiresAt), keys.carol!, ctx),
      digest,
      expiresAt,
    };
    expect((await call(base, "/v1/runs/no-such-run/approvals", tokens.approver, approval)).status).toBe(404);
    expect((await call(base, "/v1/runs/gate-1/gate?digest=xyz", tokens.reader)).status).toBe(400);
    expect((await call(base, "/v1/runs/-bad/gate", tokens.reader)).status).toBe(400);
    expect((await call(base, "/v1/runs/gate-1/gate", undefined)).status).toBe(401);
    expect((await call(base, "/v1/runs", undefined)).status).toBe(401);
  });

  it("/openapi.json documents the run routes", async () => {
    const doc = (await (await call(base, "/openapi.json", undefined)).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    expect(Object.keys(doc.paths["/v1/runs/{id}/gate"]!.get!.responses).sort()).toEqual([
      "200",
      "400",
      "401",
      "403",
      "404",
      "409",
      "429",
    ]);
    expect(Object.keys(doc.paths["/v1/runs/{id}/approvals"]!.post!.responses)).toEqual(
      expect.arrayContaining(["201", "400", "403", "404", "409", "422"]),
    );
    expect(doc.paths["/v1/runs"]!.get).toBeDefined();
    expect(doc.paths["/v1/runs/{id}"]!.get).toBeDefined();
  });
});
