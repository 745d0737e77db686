/**
 * The HTTP service in-process on 127.0.0.1 port 0 (real sockets, fetch), on the embedded
 * directory ledger; OIDC against a JWKS served by a local HTTP server; and `gitops-health serve`
 * as a real process (token create, SIGTERM drain).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { Writable } from "node:stream";
import type { AddressInfo } from "node:net";
import * as jose from "jose";
import { Validator } from "@seriousme/openapi-schema-validator";
import type { FastifyInstance } from "fastify";
import { openLedger, verifyExportedInclusion } from "../src/audit/index.js";
import type { AuditLedger } from "../src/audit/ledger.js";
import { ArrayLeaves, hashLeaf, MerkleTree, verifyConsistency } from "../src/audit/merkle.js";
import { parseCheckpoint, verifyNote } from "../src/audit/note.js";
import { formatTileIndex, parseTilePath } from "../src/server/tiles.js";
import { generateNoteSigner, parseSignerKey, parseVerifierKey } from "../src/core/note-key.js";
import { buildApp } from "../src/server/app.js";
import { GroupCommit } from "../src/server/group-commit.js";
import { createToken, FileTokenStore } from "../src/server/tokens.js";
import type { AuthConfig } from "../src/server/auth.js";
import { makeTempDir, runCli } from "./helpers/repo.js";

// Planted values: none may appear in any log line.
const SSN = "219-09-9999";
const NOTE = `Patient Marguerite Okonkwo-Villanueva, SSN ${SSN}, MRN 80231177, seen 2021-03-04 for chest pain.`;
const MARKER = "zebra-quartz-planted-7731";

class Capture extends Writable {
  lines: string[] = [];
  override _write(chunk: Buffer, _enc: string, cb: () => void) {
    this.lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
    cb();
  }
}

interface Ctx {
  app: FastifyInstance;
  base: string;
}

async function listen(app: FastifyInstance): Promise<Ctx> {
  const base = await app.listen({ host: "127.0.0.1", port: 0 });
  return { app, base };
}

const json = (base: string, path: string, token: string | undefined, body?: unknown, init: RequestInit = {}) =>
  fetch(base + path, {
    method: body === undefined ? "GET" : "POST",
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    ...init,
  });

/** Prometheus text exposition: name{labels} value (a small parser, enough for these checks). */
function parseMetrics(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  const out = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m) throw new Error(`not Prometheus text: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

describe("HTTP service (embedded directory ledger)", () => {
  const dir = makeTempDir("gh-server-");
  const logs = new Capture();
  let ledger: AuditLedger;
  let store: FileTokenStore;
  let ctx: Ctx;
  let limited: Ctx;
  let jwks: Server;
  let issuer: string;
  const tokens: Record<string, string> = {};
  const { signerKey, verifierKey } = generateNoteSigner("gitops-health/test-service");
  const signer = parseSignerKey(signerKey);
  let good: { privateKey: jose.CryptoKey };
  let rogue: { privateKey: jose.CryptoKey };

  beforeAll(async () => {
    const pair = await jose.generateKeyPair("ES256");
    good = pair;
    rogue = await jose.generateKeyPair("ES256");
    const jwk = { ...(await jose.exportJWK(pair.publicKey)), kid: "k1", alg: "ES256", use: "sig" };
    jwks = createServer((req, res) => {
      if (req.url === "/.well-known/openid-configuration") {
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
      } else if (req.url === "/jwks") {
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ keys: [jwk] }));
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((r) => jwks.listen(0, "127.0.0.1", r));
    issuer = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}`;

    ledger = await openLedger(join(dir, "ledger"));
    store = new FileTokenStore(join(dir, "tokens.json"));
    for (const [name, scopes] of Object.entries({
      scan: ["scan"],
      decide: ["decide"],
      append: ["ledger:append"],
      admin: ["admin"],
    } as const)) {
      tokens[name] = (await createToken(store, { name, scopes: [...scopes] })).token;
    }
    tokens.expired = (
      await createToken(store, {
        name: "old",
        scopes: ["admin"],
        ttlDays: 1,
        now: new Date(Date.now() - 2 * 86400_000),
      })
    ).token;
    const revoked = await createToken(store, { name: "gone", scopes: ["admin"] });
    await store.revoke(revoked.record.id, new Date().toISOString());
    tokens.revoked = revoked.token;

    const auth: Partial<AuthConfig> = {
      oidc: [
        {
          issuer,
          audience: "gitops-health",
          identityClaim: "sub",
          scopes: [
            { claims: { repository_owner: "acme" }, grant: ["scan"] },
            { claims: { repository: "acme/app", ref: "refs/heads/main" }, grant: ["ledger:append"] },
          ],
        },
      ],
    };
    ctx = await listen(
      await buildApp({
        ledger,
        tokens: store,
        auth,
        signer,
        digestKey: "test-digest-key",
        sanitizeKey: "sanitize-key-0123456789",
        logStream: logs,
        bodyLimit: 64 * 1024,
      }),
    );
    limited = await listen(
      await buildApp({
        ledger,
        tokens: store,
        digestKey: "k",
        logStream: logs,
        rateLimit: { max: 3, timeWindowMs: 60_000 },
      }),
    );
  });

  afterAll(async () => {
    await ctx?.app.close();
    await limited?.app.close();
    await ledger?.close();
    jwks?.close();
  });

  const jwt = (
    claims: Record<string, unknown>,
    o: { key?: jose.CryptoKey; iss?: string; aud?: string; exp?: number | string } = {},
  ) =>
    new jose.SignJWT(claims)
      .setProtectedHeader({ alg: "ES256", kid: "k1" })
      .setIssuer(o.iss ?? issuer)
      .setAudience(o.aud ?? "gitops-health")
      .setSubject("repo:acme/app:ref:refs/heads/main")
      .setIssuedAt()
      .setExpirationTime(o.exp ?? "5m")
      .sign(o.key ?? good.privateKey);

  it("/health and /ready answer without a token; /ready names the signing key", async () => {
    const h = await json(ctx.base, "/health", undefined);
    expect(h.status).toBe(200);
    const r = await json(ctx.base, "/ready", undefined);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({
      status: "ready",
      signingKey: "gitops-health/test-service",
      ledgerDurability: "disk",
      ledgerSyncIntervalMs: 0,
    });
  });

  it("refuses calls without a valid token (401 problem+json) and with the wrong scope (403)", async () => {
    for (const t of [undefined, "nonsense", tokens.expired, tokens.revoked, tokens.scan!.slice(0, -2) + "AA"]) {
      const r = await json(ctx.base, "/v1/scan", t, { text: "x" });
      expect(r.status).toBe(401);
      expect(r.headers.get("content-type")).toContain("application/problem+json");
      expect(r.headers.get("www-authenticate")).toContain("Bearer");
      const p = (await r.json()) as { status: number; title: string };
      expect(p).toMatchObject({ status: 401, title: "Unauthorized" });
    }
    const wrong = await json(ctx.base, "/v1/decisions/clinical", tokens.scan, { input: {} });
    expect(wrong.status).toBe(403);
    expect(((await wrong.json()) as { detail: string }).detail).toContain("decide");
    const wrong2 = await json(ctx.base, "/v1/ledger/entries", tokens.decide, { type: "deployment" });
    expect(wrong2.status).toBe(403);
    // revocation takes effect on the next request (another process writing the file: a new file version)
    const fresh = await createToken(new FileTokenStore(join(dir, "tokens.json")), {
      name: "short-lived",
      scopes: ["scan"],
    });
    expect((await json(ctx.base, "/v1/scan", fresh.token, { text: "x" })).status).toBe(200);
    await new FileTokenStore(join(dir, "tokens.json")).revoke("short-lived", new Date().toISOString());
    expect((await json(ctx.base, "/v1/scan", fresh.token, { text: "x" })).status).toBe(401);
    // admin holds every scope
    expect((await json(ctx.base, "/v1/scan", tokens.admin, { text: "x" })).status).toBe(200);
    // reads need a token of any scope
    expect((await json(ctx.base, "/v1/ledger/entries", undefined)).status).toBe(401);
    expect((await json(ctx.base, "/v1/ledger/entries", tokens.scan)).status).toBe(200);
  });

  it("POST /v1/scan: text and batches, offsets into the text, masked previews and never the raw value", async () => {
    const r = await json(ctx.base, "/v1/scan", tokens.scan, { text: NOTE, profile: "prose" });
    expect(r.status).toBe(200);
    const raw = await r.text();
    expect(raw).not.toContain(SSN);
    expect(raw).not.toContain("Okonkwo");
    const body = JSON.parse(raw) as {
      results: { findings: { category: string; start: number; end: number; preview: string }[] }[];
      findings: number;
    };
    const ssn = body.results[0]!.findings.find((f) => f.category === "ssn")!;
    expect(NOTE.slice(ssn.start, ssn.end)).toBe(SSN);
    expect(ssn.preview).not.toBe(SSN);
    expect(body.results[0]!.findings.map((f) => f.category)).toEqual(expect.arrayContaining(["name", "ssn"]));
    expect(body.results[0]!.findings[0]).not.toHaveProperty("fingerprint");

    const batch = await json(ctx.base, "/v1/scan", tokens.scan, {
      records: [
        { id: "a", text: NOTE },
        { id: "b", text: "nothing to see" },
        { id: "c", text: 'const key = "AKIAIOSFODNN7EXAMPLE";' },
      ],
      profile: "code",
    });
    const b = (await batch.json()) as { results: { id: string; findings: unknown[] }[] };
    expect(b.results.map((x) => x.id)).toEqual(["a", "b", "c"]);
    expect(b.results[1]!.findings).toEqual([]);
    expect(b.results[0]!.findings.length).toBeGreaterThan(0);

    // A batch answers each record as a request of its own would: its profile from its path, prose without one.
    const recs = [
      { id: "n", text: NOTE },
      { id: "t", text: NOTE, path: "src/fixtures.ts" },
      { id: "x", text: NOTE, path: "notes/visit.txt" },
      { id: "k", text: 'const key = "AKIAIOSFODNN7EXAMPLE";', path: "a.ts" },
    ];
    type Results = { results: { findings: unknown[] }[] };
    const mixed = (await (await json(ctx.base, "/v1/scan", tokens.scan, { records: recs })).json()) as Results;
    for (const [k, r] of recs.entries()) {
      const single = { text: r.text, ...(r.path ? { path: r.path } : {}) };
      const one = (await (await json(ctx.base, "/v1/scan", tokens.scan, single)).json()) as Results;
      expect(mixed.results[k]!.findings, r.id).toEqual(one.results[0]!.findings);
      expect(one.results[0]!.findings.length, r.id).toBeGreaterThan(0);
    }
  });

  it("POST /v1/sanitize: the CLI's modes", async () => {
    const redact = (await (await json(ctx.base, "/v1/sanitize", tokens.scan, { text: NOTE })).json()) as {
      text: string;
      replacements: { category: string; before: string }[];
    };
    expect(redact.text).toContain("[SSN]");
    expect(redact.text).not.toContain(SSN);
    expect(JSON.stringify(redact.replacements)).not.toContain(SSN);
    const h1 = (await (await json(ctx.base, "/v1/sanitize", tokens.scan, { text: NOTE, mode: "hash" })).json()) as {
      text: string;
    };
    const h2 = (await (await json(ctx.base, "/v1/sanitize", tokens.scan, { text: NOTE, mode: "hash" })).json()) as {
      text: string;
    };
    expect(h1.text).toMatch(/\[SSN:[0-9a-f]{10}\]/);
    expect(h1.text).toBe(h2.text);
    const syn = (await (
      await json(ctx.base, "/v1/sanitize", tokens.scan, { text: NOTE, mode: "synthetic", documentId: "d1" })
    ).json()) as { text: string; replacements: { category: string; after: string; reserved?: boolean }[] };
    expect(syn.text).not.toContain(SSN);
    // every synthetic value is from a reserved range, and the response says so (the CLI's dry run shows those)
    expect(syn.replacements.length).toBeGreaterThanOrEqual(3);
    for (const x of syn.replacements) expect(x, x.category).toMatchObject({ reserved: true });
    expect(syn.text).toMatch(/MRN SYN\d{9}\b/);
    const bad = await json(ctx.base, "/v1/sanitize", tokens.scan, { text: NOTE, mode: "scramble" });
    expect(bad.status).toBe(400);
  });

  it("POST /v1/decisions/{pack}: OPA data-API shape, recorded in the ledger by caller with a keyed digest of the input", async () => {
    const input = {
      commit: {
        message: `feat(api): ${MARKER}\n\nApproved-by: Ann <ann@example.com>\nApproved-by: Bob <bob@example.com>`,
        signature: "G",
        author: "Dev <dev@example.com>",
      },
      checks: { passed: ["tests", "phi-scan", "lint"] },
    };
    const r = await json(ctx.base, "/v1/decisions/personal", tokens.decide, { input });
    expect(r.status).toBe(200);
    const d = (await r.json()) as {
      decision_id: string;
      result: { allow: boolean; decision: string };
      violations: { rule: string }[];
      controls: { id: string; status: string }[];
      ledger: { seq: number };
    };
    expect(d.decision_id).toMatch(/^\d+-[0-9a-f]{16}$/);
    expect(d.result.allow).toBe(d.result.decision === "pass");
    expect(Array.isArray(d.controls)).toBe(true);
    const failing = (await (
      await json(ctx.base, "/v1/decisions/clinical", tokens.decide, { input: { commit: { message: "wip" } } })
    ).json()) as typeof d;
    expect(failing.result).toEqual({ allow: false, decision: "fail" });
    expect(failing.violations.map((v) => v.rule)).toContain("signed-commits");

    const entries = [];
    for await (const e of ledger.query({ type: "decision" })) entries.push(e);
    const mine = entries.find((e) => e.seq === d.ledger.seq)!;
    expect(mine.actor).toMatch(/^token:decide#[0-9a-f]{16}$/);
    expect(mine.subject).toBe("pack:personal");
    const payload = mine.payload as { inputDigest: string; caller: { id: string; scopes: string[] } };
    expect(payload.inputDigest).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(payload.caller).toEqual({ id: mine.actor, kind: "token", scopes: ["decide"] });
    expect(JSON.stringify(entries)).not.toContain(MARKER);

    expect((await json(ctx.base, "/v1/decisions/nosuchpack", tokens.decide, { input: {} })).status).toBe(400);
    expect(
      (await json(ctx.base, "/v1/decisions/clinical", tokens.decide, { input: { commit: { sha: 5 } } })).status,
    ).toBe(400);
  });

  it("POST /v1/risk/score: a unified diff plus metadata", async () => {
    const diff = [
      "diff --git a/src/auth/login.ts b/src/auth/login.ts",
      "--- a/src/auth/login.ts",
      "+++ b/src/auth/login.ts",
      "@@ -1,2 +1,3 @@",
      " a",
      "-b",
      "+c",
      "+d",
      "",
    ].join("\n");
    const r = await json(ctx.base, "/v1/risk/score", tokens.decide, {
      diff,
      message: "fix: login",
      classification: "clinical",
    });
    expect(r.status).toBe(200);
    const s = (await r.json()) as {
      score: number;
      level: string;
      approvals: number;
      files: number;
      factors: { name: string; value: number }[];
    };
    expect(s.files).toBe(1);
    expect(s.approvals).toBeGreaterThanOrEqual(2); // clinical floor
    expect(s.factors.find((f) => f.name === "LA")?.value).toBe(2);
    expect(s.factors.find((f) => f.name === "AUTH")?.value).toBe(1);
    expect(s.score).toBeGreaterThanOrEqual(0);
  });

  it("ledger: append by caller, reserved types refused, PHI refused, entries, signed checkpoint and proofs", async () => {
    for (const type of ["check", "run.completed", "approval", "llm.call", "decision", "Deploy.started"]) {
      const r = await json(ctx.base, "/v1/ledger/entries", tokens.append, { type, payload: {} });
      expect(r.status, type).toBe(403);
    }
    const phi = await json(ctx.base, "/v1/ledger/entries", tokens.append, {
      type: "deployment",
      payload: { note: NOTE },
    });
    expect(phi.status).toBe(400);
    expect(await phi.text()).not.toContain(SSN);

    const a = await json(ctx.base, "/v1/ledger/entries", tokens.append, {
      type: "deployment",
      subject: "svc@1.2.3",
      payload: { env: "prod", actor: "someone-else" },
    });
    expect(a.status).toBe(201);
    const { seq, leafHash } = (await a.json()) as { seq: number; leafHash: string };
    expect(leafHash).toMatch(/^[0-9a-f]{64}$/);

    const list = (await (await json(ctx.base, `/v1/ledger/entries?type=deployment&limit=10`, tokens.scan)).json()) as {
      entries: { seq: number; actor: string; payload: { data: unknown; caller: { id: string } } }[];
      size: number;
    };
    const e = list.entries.find((x) => x.seq === seq)!;
    expect(e.actor).toMatch(/^token:append#/);
    expect(e.payload.caller.id).toBe(e.actor);
    expect(e.payload.data).toEqual({ env: "prod", actor: "someone-else" });

    const cp = (await (await json(ctx.base, "/v1/ledger/checkpoint", tokens.scan)).json()) as {
      size: number;
      rootHash: string;
      note: string;
    };
    // A checkpoint records itself in the log (a ledger.checkpoint entry), so it covers one entry more.
    expect(cp.size).toBe(list.size + 1);
    expect(verifyNote(cp.note, [parseVerifierKey(verifierKey)]).ok).toBe(true);
    const again = (await (await json(ctx.base, "/v1/ledger/checkpoint", tokens.scan)).json()) as typeof cp;
    expect(again.note).toBe(cp.note); // no new checkpoint while the log has not grown

    const inc = (await (
      await json(ctx.base, `/v1/ledger/proofs/inclusion?seq=${seq}&size=${cp.size}`, tokens.scan)
    ).json()) as Parameters<typeof verifyExportedInclusion>[0];
    expect(inc.leafHash).toBe(leafHash);
    expect(inc.rootHash).toBe(cp.rootHash);
    expect(verifyExportedInclusion(inc)).toBe(true);
    expect(verifyExportedInclusion({ ...inc, leafHash: "00".repeat(32) })).toBe(false);

    await json(ctx.base, "/v1/ledger/entries", tokens.append, { type: "deployment", payload: { n: 2 } });
    const con = (await (await json(ctx.base, `/v1/ledger/proofs/consistency?old=${cp.size}`, tokens.scan)).json()) as {
      oldSize: number;
      newSize: number;
      oldRoot: string;
      newRoot: string;
      proof: string[];
    };
    expect(con.oldRoot).toBe(cp.rootHash);
    expect(con.newSize).toBe(cp.size + 1);
    expect(
      verifyConsistency(
        con.oldSize,
        con.newSize,
        Buffer.from(con.oldRoot, "hex"),
        Buffer.from(con.newRoot, "hex"),
        con.proof.map((h) => Buffer.from(h, "hex")),
      ),
    ).toBe(true);

    // concurrent appends are group-committed; an entry refused for PHI fails only its own call
    const burst = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        json(ctx.base, "/v1/ledger/entries", tokens.append, {
          type: "deployment",
          payload: i === 5 ? { note: NOTE } : { i },
        }),
      ),
    );
    expect(burst.map((r) => r.status)).toEqual(Array.from({ length: 12 }, (_, i) => (i === 5 ? 400 : 201)));
    const burstSeqs = await Promise.all(
      burst.filter((r) => r.status === 201).map(async (r) => ((await r.json()) as { seq: number }).seq),
    );
    expect(new Set(burstSeqs).size).toBe(11);

    expect((await json(ctx.base, `/v1/ledger/proofs/inclusion?seq=999999`, tokens.scan)).status).toBe(400);
    expect((await json(ctx.base, `/v1/ledger/proofs/inclusion?seq=-1`, tokens.scan)).status).toBe(400);
    expect((await ledger.verify({ verifiers: [parseVerifierKey(verifierKey)] })).ok).toBe(true);
  });

  it("client errors are RFC 9457 problems, never 500: malformed JSON, schema failures, oversize bodies, unknown routes, media types", async () => {
    const cases: [Response, number][] = [
      [await json(ctx.base, "/v1/scan", tokens.scan, `{"text": "SSN ${SSN}", `), 400],
      [await json(ctx.base, "/v1/scan", tokens.scan, ""), 400],
      [await json(ctx.base, "/v1/scan", tokens.scan, { text: 5 }), 400],
      [await json(ctx.base, "/v1/scan", tokens.scan, { text: "a", records: [] }), 400],
      [await json(ctx.base, "/v1/scan", tokens.scan, { text: "a", extra: true }), 400],
      [await json(ctx.base, "/v1/scan", tokens.scan, { text: "x".repeat(70 * 1024) }), 413],
      [await json(ctx.base, "/v1/nothing", tokens.scan), 404],
      [
        await fetch(ctx.base + "/v1/scan", {
          method: "POST",
          headers: { authorization: `Bearer ${tokens.scan}`, "content-type": "text/plain" },
          body: NOTE,
        }),
        415,
      ],
      [await json(ctx.base, "/v1/ledger/entries?limit=abc", tokens.scan), 400],
      // a lone surrogate is valid JSON text but no canonical JSON (ledger entries, the decision input digest)
      [
        await json(
          ctx.base,
          "/v1/decisions/business",
          tokens.decide,
          '{"input":{"commit":{"message":"feat: x \\ud800"}}}',
        ),
        400,
      ],
      [await json(ctx.base, "/v1/ledger/entries", tokens.append, '{"type":"deployment","payload":{"\\udc00":1}}'), 400],
    ];
    for (const [r, status] of cases) {
      expect(r.status).toBe(status);
      expect(r.headers.get("content-type")).toContain("application/problem+json");
      const p = (await r.json()) as { type: string; title: string; status: number; detail?: string };
      expect(p.status).toBe(status);
      expect(p.type).toBe("about:blank");
      expect(JSON.stringify(p)).not.toContain(SSN);
    }
    const schema = (await (await json(ctx.base, "/v1/scan", tokens.scan, { text: 5 })).json()) as {
      errors: { path: string; message: string }[];
    };
    expect(schema.errors[0]!.path).toContain("text");
  });

  it("rate limits per caller: the fourth call in the window is 429, another token is not affected", async () => {
    const statuses = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await json(limited.base, "/v1/scan", tokens.scan, { text: "x" })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const r = await json(limited.base, "/v1/scan", tokens.scan, { text: "x" });
    expect(r.headers.get("content-type")).toContain("application/problem+json");
    expect(r.headers.get("retry-after")).toBeTruthy();
    expect((await json(limited.base, "/v1/scan", tokens.admin, { text: "x" })).status).toBe(200);
    // health is never limited
    for (let i = 0; i < 5; i++) expect((await json(limited.base, "/health", undefined)).status).toBe(200);
  });

  it("OIDC: a JWT from the trusted issuer gets scopes from its claims; expired, wrong issuer, wrong key, wrong audience are 401", async () => {
    const claims = { repository: "acme/app", repository_owner: "acme", ref: "refs/heads/main" };
    const ok = await jwt(claims);
    expect((await json(ctx.base, "/v1/scan", ok, { text: "x" })).status).toBe(200);
    const a = await json(ctx.base, "/v1/ledger/entries", ok, { type: "deployment", payload: { env: "prod" } });
    expect(a.status).toBe(201);
    const { seq } = (await a.json()) as { seq: number };
    let actor = "";
    for await (const e of ledger.query({})) if (e.seq === seq) actor = e.actor;
    expect(actor).toBe(`oidc:${issuer}#repo:acme/app:ref:refs/heads/main`);
    // claims that do not match the rule grant nothing for that scope
    const branch = await jwt({ ...claims, ref: "refs/heads/feature" });
    expect((await json(ctx.base, "/v1/ledger/entries", branch, { type: "deployment" })).status).toBe(403);
    expect((await json(ctx.base, "/v1/scan", branch, { text: "x" })).status).toBe(200);

    const expired = await jwt(claims, { exp: Math.floor(Date.now() / 1000) - 3600 });
    const wrongIssuer = await jwt(claims, { iss: "https://token.actions.githubusercontent.com" });
    const wrongKey = await jwt(claims, { key: rogue.privateKey });
    const wrongAudience = await jwt(claims, { aud: "someone-else" });
    for (const t of [expired, wrongIssuer, wrongKey, wrongAudience])
      expect((await json(ctx.base, "/v1/scan", t, { text: "x" })).status).toBe(401);
  });

  it("/metrics (token required unless public): request histogram by route and status, findings by class, decisions by outcome, ledger size", async () => {
    expect((await json(ctx.base, "/metrics", undefined)).status).toBe(401);
    const r = await json(ctx.base, "/metrics", tokens.scan);
    expect(r.headers.get("content-type")).toContain("text/plain");
    const samples = parseMetrics(await r.text());
    const find = (name: string, labels: Record<string, string>) =>
      samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
    expect(
      find("gitops_health_http_request_duration_seconds_count", { route: "/v1/scan", status: "200", method: "POST" })!
        .value,
    ).toBeGreaterThan(0);
    expect(
      find("gitops_health_http_request_duration_seconds_count", { route: "/v1/scan", status: "401" })!.value,
    ).toBeGreaterThan(0);
    expect(
      find("gitops_health_http_request_duration_seconds_bucket", { route: "/v1/scan", status: "200", le: "+Inf" }),
    ).toBeDefined();
    expect(find("gitops_health_findings_total", { category: "ssn" })!.value).toBeGreaterThan(0);
    expect(find("gitops_health_decisions_total", { pack: "clinical", outcome: "fail" })!.value).toBeGreaterThan(0);
    expect(find("gitops_health_ledger_entries", {})!.value).toBe(await ledger.size());
    expect(samples.some((s) => s.labels.status === "500")).toBe(false);
  });

  it("/openapi.json is valid OpenAPI 3.1 and every documented operation answers as documented", async () => {
    const doc = (await (await json(ctx.base, "/openapi.json", undefined)).json()) as {
      openapi: string;
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    expect(doc.openapi).toBe("3.1.0");
    const res = await new Validator().validate(doc as never);
    expect(res.errors ?? []).toEqual([]);
    expect(res.valid).toBe(true);
    const ops = Object.entries(doc.paths).flatMap(([p, m]) => Object.keys(m).map((x) => `${x.toUpperCase()} ${p}`));
    expect(ops.sort()).toEqual(
      [
        "POST /v1/scan",
        "POST /v1/sanitize",
        "POST /v1/decisions/{pack}",
        "POST /v1/risk/score",
        "POST /v1/ledger/entries",
        "GET /v1/ledger/entries",
        "GET /v1/ledger/checkpoint",
        "GET /v1/ledger/proofs/inclusion",
        "GET /v1/ledger/proofs/consistency",
        "GET /v1/runs",
        "POST /v1/runs",
        "GET /v1/runs/{id}",
        "GET /v1/runs/{id}/gate",
        "POST /v1/runs/{id}/gate",
        "POST /v1/runs/{id}/approvals",
        "POST /v1/repos",
        "GET /v1/repos",
        "POST /v1/repos/{name}/risk",
        "POST /v1/jobs",
        "GET /v1/jobs/{id}",
        ...["overview", "delivery", "changes", "runs", "findings", "llm"].map((v) => `GET /v1/dashboard/${v}`),
      ].sort(),
    );
    // each documented operation: without a token 401 (as documented), with an admin token a documented status
    for (const [p, methods] of Object.entries(doc.paths)) {
      for (const [m, op] of Object.entries(methods)) {
        const url =
          p.replace("{pack}", "business") +
          (p.includes("inclusion") ? "?seq=0" : p.includes("consistency") ? "?old=1" : "");
        const body =
          m === "post"
            ? p.includes("scan") || p.includes("sanitize")
              ? { text: "hello" }
              : p.includes("risk")
                ? { diff: "" }
                : p.includes("ledger")
                  ? { type: "note" }
                  : { input: {} }
            : undefined;
        const anon = await json(ctx.base, url, undefined, body, { method: m.toUpperCase() });
        expect(anon.status, `${m} ${p}`).toBe(401);
        expect(Object.keys(op.responses)).toContain("401");
        const r = await json(ctx.base, url, tokens.admin, body, { method: m.toUpperCase() });
        expect(Object.keys(op.responses), `${m} ${p} -> ${r.status}`).toContain(String(r.status));
      }
    }
    const docs = await json(ctx.base, "/docs", undefined);
    expect(await docs.text()).toContain("/v1/decisions/{pack}");
  });

  it("logs are JSON with route templates and never carry bodies, query strings or planted PHI", async () => {
    await json(ctx.base, `/v1/ledger/entries?subject=${encodeURIComponent(MARKER)}`, tokens.scan);
    await json(ctx.base, "/v1/scan", tokens.scan, `{"text": "${NOTE} ${MARKER}"`); // malformed: V8 quotes the body in its message
    expect(logs.lines.length).toBeGreaterThan(20);
    for (const l of logs.lines) expect(() => JSON.parse(l)).not.toThrow();
    const all = logs.lines.join("\n");
    for (const planted of [SSN, "Okonkwo", "80231177", MARKER, "AKIAIOSFODNN7EXAMPLE"])
      expect(all).not.toContain(planted);
    expect(all).toContain('"route":"/v1/scan"');
    expect(all).not.toMatch(/"statusCode":500/);
  });
});

describe("C2SP tlog-tiles (read-only)", () => {
  it("tile paths parse and format canonically", () => {
    expect(formatTileIndex(0)).toBe("000");
    expect(formatTileIndex(1234067)).toBe("x001/x234/067");
    expect(parseTilePath("0/x001/x234/067")).toEqual({ level: 0, index: 1234067, width: undefined });
    expect(parseTilePath("entries/002.p/88")).toEqual({ level: "entries", index: 2, width: 88 });
    for (const bad of ["0/1", "0/x000/001", "0/001.p/256", "0/001.p/0", "64/000", "0/001.p/08", "x/000"])
      expect(parseTilePath(bad), bad).toBeUndefined();
  });

  it("a client rebuilds the signed root from level-0 tiles, entry bundles hash to the leaves, level-1 hashes are subtree roots", async () => {
    const dir = makeTempDir("gh-tiles-");
    const l = await openLedger(join(dir, "ledger"));
    await l.appendBatch(Array.from({ length: 599 }, (_, i) => ({ type: "deployment", actor: "ci", payload: { i } })));
    const store = new FileTokenStore(join(dir, "tokens.json"));
    const { token } = await createToken(store, { name: "witness", scopes: ["scan"] });
    const { signerKey, verifierKey } = generateNoteSigner("gitops-health/tiles");
    const app = await buildApp({
      ledger: l,
      tokens: store,
      signer: parseSignerKey(signerKey),
      digestKey: "k",
      logStream: false,
    });
    const base = await app.listen({ host: "127.0.0.1", port: 0 });
    const get = (p: string) => fetch(base + p, { headers: { authorization: `Bearer ${token}` } });
    try {
      expect((await fetch(base + "/tile/0/000")).status).toBe(401);
      const note = await (await get("/checkpoint")).text();
      const v = verifyNote(note, [parseVerifierKey(verifierKey)]);
      expect(v.ok).toBe(true);
      const cp = parseCheckpoint(v.text!);
      expect(cp.size).toBe(600);

      const leaves: Buffer[] = [];
      for (const p of ["/tile/0/000", "/tile/0/001", "/tile/0/002.p/88"]) {
        const r = await get(p);
        expect(r.status, p).toBe(200);
        expect(r.headers.get("content-type")).toBe("application/octet-stream");
        const b = Buffer.from(await r.arrayBuffer());
        for (let i = 0; i < b.length; i += 32) leaves.push(b.subarray(i, i + 32));
      }
      expect(leaves).toHaveLength(600);
      const tree = new MerkleTree(new ArrayLeaves(leaves));
      tree.sync();
      expect(tree.root().equals(cp.rootHash)).toBe(true);

      const bundle = Buffer.from(await (await get("/tile/entries/002.p/88")).arrayBuffer());
      const entries: Buffer[] = [];
      for (let o = 0; o < bundle.length;) {
        const n = bundle.readUInt16BE(o);
        entries.push(bundle.subarray(o + 2, o + 2 + n));
        o += 2 + n;
      }
      expect(entries).toHaveLength(88);
      entries.forEach((e, i) => expect(hashLeaf(e).equals(leaves[512 + i]!)).toBe(true));
      expect(JSON.parse(entries[0]!.toString("utf8"))).toMatchObject({ seq: 512, payload: { i: 512 } });

      const l1 = Buffer.from(await (await get("/tile/1/000.p/2")).arrayBuffer());
      expect(l1.subarray(0, 32).equals(tree.rangeHash(0, 256))).toBe(true);
      expect(l1.subarray(32, 64).equals(tree.rangeHash(256, 512))).toBe(true);

      // nothing beyond the signed tree: a full tile 2 needs 768 entries, a level-1 tile of width 3 needs 768
      for (const p of ["/tile/0/002", "/tile/1/000.p/3", "/tile/entries/003.p/1", "/tile/0/x000/001", "/tile/9/000"])
        expect((await get(p)).status, p).toBe(404);
      // entries appended after the checkpoint appear in tiles only once a new checkpoint covers them
      await l.append({ type: "deployment", actor: "ci", payload: { i: 600 } });
      expect((await get("/tile/0/002.p/89")).status).toBe(404);
      await get("/checkpoint");
      // the new checkpoint records itself (a ledger.checkpoint entry), so it covers 602 entries
      expect((await get("/tile/0/002.p/90")).status).toBe(200);
    } finally {
      await app.close();
      await l.close();
    }
  });
});

describe("group commit", () => {
  it("batches concurrent appends and drain() waits for every accepted one (shutdown closes the store after it)", async () => {
    const l = await openLedger(join(makeTempDir("gh-group-"), "ledger"));
    const g = new GroupCommit(l);
    const results = Array.from({ length: 50 }, (_, i) => g.append({ type: "t", actor: "a", payload: { i } }));
    await g.drain();
    expect(await l.size()).toBe(50);
    expect((await Promise.all(results)).map((r) => r.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    await g.drain(); // idle: resolves at once
    await l.close();
  });
});

describe("gitops-health serve (built CLI as a process)", () => {
  it("token create, serve on port 0, authenticated scan, SIGTERM drains and exits 0", async () => {
    const dir = makeTempDir("gh-serve-");
    const env = { GITOPS_HEALTH_LEDGER: join(dir, "ledger") };
    const bad = runCli(["token", "create", "--name", "ci", "--scope", "scan,bogus"], { cwd: dir, env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown scope "bogus"');
    const created = runCli(["token", "create", "--name", "ci", "--scope", "scan"], { cwd: dir, env });
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^ghst_[0-9a-f]{16}_/);
    const list = runCli(["token", "list", "--format", "json"], { cwd: dir, env });
    // the secret is everything after "ghst_<id>_" (it may hold "_" itself: splitting on it gave a flaky fragment)
    expect(list.stdout).not.toContain(token.slice("ghst_".length + 16 + 1));
    expect(JSON.parse(list.stdout)).toHaveLength(1);

    const child = spawn(
      process.execPath,
      [join(__dirname, "..", "dist", "cli.js"), "serve", "--port", "0", "--log-level", "warn"],
      { cwd: dir, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    const base = await new Promise<string>((resolve, reject) => {
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
        const m = /serving on (http:\/\/[\d.:]+)/.exec(stderr);
        if (m) resolve(m[1]!);
      });
      child.on("exit", (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
    });
    const r = await json(base, "/v1/scan", token, { text: NOTE });
    expect(r.status).toBe(200);
    const exited = new Promise<number | null>((res) => child.on("exit", (code) => res(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(stderr).toContain("SIGTERM: draining");
    expect(runCli(["token", "revoke", "nobody"], { cwd: dir, env }).code).toBe(2);
    expect(runCli(["token", "revoke", "ci"], { cwd: dir, env }).code).toBe(0);
  });
});
