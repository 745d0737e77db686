/**
 * `run`, `scan`, `sanitize` and `risk score` with `--server URL`: the built CLI as a real process
 * against a real service on 127.0.0.1 port 0 (directory ledger, file token store, signed-note keys
 * in temp dirs), each compared with the same command run locally.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { openLedger } from "../src/audit/index.js";
import type { AuditLedger } from "../src/audit/ledger.js";
import { parseConfigText } from "../src/config/load.js";
import { generateNoteSigner } from "../src/core/note-key.js";
import { readRun, verifyContext } from "../src/guard/index.js";
import { buildApp } from "../src/server/app.js";
import { MemoryRepoStore } from "../src/server/repos.js";
import { createToken, FileTokenStore } from "../src/server/tokens.js";
import { makeRepo, makeTempDir, type TempRepo } from "./helpers/repo.js";

const CLI = join(import.meta.dirname, "..", "dist", "cli.js");
const FP_KEY = "engines-test-fingerprint-key-0123456789";

function cli(
  args: string[],
  o: { cwd?: string; env?: Record<string, string | undefined>; input?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string | undefined> = {
      ...process.env,
      NO_COLOR: "1",
      GITOPS_HEALTH_TOKEN: undefined,
      GITOPS_HEALTH_SERVER: undefined,
      GITOPS_HEALTH_FINGERPRINT_KEY: FP_KEY,
      ...o.env,
    };
    for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
    const p = spawn(process.execPath, [CLI, ...args], { cwd: o.cwd, env: env as NodeJS.ProcessEnv });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    p.on("error", reject);
    p.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    p.stdin.end(o.input ?? "");
  });
}

// Planted values (synthetic): found by both engines, never in a log or the ledger.
const SSN = "219-09-9999";
const NOTE = `Patient Marguerite Okonkwo-Villanueva, SSN ${SSN}, MRN 80231177, seen 2021-03-04 for chest pain.\nCall 415-555-0132.\n`;
const CODE = `export const config = {\n  awsKey: "AKIAIOSFODNN7EXAMPLQ",\n  owner: "ops",\n};\n`;

interface JsonFinding {
  ruleId: string;
  file?: string;
  line: number;
  column: number;
  severity: string;
  fingerprint: string;
  preview: string;
}
const key = (f: JsonFinding) =>
  `${f.file}:${f.line}:${f.column}:${f.ruleId}:${f.severity}:${f.fingerprint}:${f.preview}`;
const findingsOf = (stdout: string) =>
  ((JSON.parse(stdout) as { findings: JsonFinding[] }).findings ?? []).map(key).sort();

describe("run, scan, sanitize and risk score with --server against a real service", () => {
  let repo: TempRepo;
  let ledger: AuditLedger;
  let app: FastifyInstance;
  let base: string;
  const tokens: Record<string, string> = {};
  const keys: Record<string, string> = {};
  const dir = makeTempDir("gh-engines-");
  const logLines: string[] = [];

  beforeAll(async () => {
    repo = makeRepo();
    const vkeys: Record<string, string> = {};
    for (const name of ["carol", "rita"]) {
      const k = generateNoteSigner(name);
      keys[name] = join(dir, `${name}.key`);
      writeFileSync(keys[name], `${k.signerKey}\n`, { mode: 0o600 });
      vkeys[name] = k.verifierKey;
    }
    const yml = `policy:\n  requiredChecks: []\nenvironments:\n  production: { allowed: true, approvalRequired: true }\napprovers:\n  - { name: carol, email: carol@example.com, key: "${vkeys.carol}" }\n  - { name: rita, email: rita@example.com, key: "${vkeys.rita}" }\n`;
    repo.commit("chore: init", {
      ".gitops-health.yml": yml,
      "README.md": "# demo\n",
      "src/app.ts": "export const add = (a: number, b: number) => a + b;\n",
    });
    repo.commit("feat: notes and config", {
      "notes/visit.txt": NOTE,
      "src/config.ts": CODE,
      "notes/allowed.txt": `Test fixture SSN ${SSN} gitops-health:allow\n`,
    });
    repo.write("bin/blob.bin", Buffer.from([0, 1, 2, 3, 0, 5]));
    const config = parseConfigText(yml);
    const ctx = verifyContext(config, repo.dir);
    ledger = await openLedger(join(dir, "ledger"));
    const store = new FileTokenStore(join(dir, "tokens.json"));
    tokens.scan = (await createToken(store, { name: "scanner", scopes: ["scan"] })).token;
    tokens.ci = (await createToken(store, { name: "ci", scopes: ["ledger:append", "runs:approve"] })).token;
    tokens.decider = (await createToken(store, { name: "decider", scopes: ["decide"] })).token;
    tokens.admin = (await createToken(store, { name: "admin", scopes: ["admin"] })).token;
    const { Writable } = await import("node:stream");
    app = await buildApp({
      ledger,
      tokens: store,
      digestKey: "k",
      sanitizeKey: "server-sanitize-key-0123456789",
      logStream: new Writable({
        write(chunk: Buffer, _e, cb) {
          logLines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
          cb();
        },
      }),
      runs: { config, ctx },
      repos: new MemoryRepoStore(),
    });
    base = await app.listen({ host: "127.0.0.1", port: 0 });
  });

  afterAll(async () => {
    await app?.close();
    await ledger?.close();
    repo?.cleanup();
  }, 180_000);

  it("run --server: the plan is recorded by the service (dry run); the requester is the key that signed, else the caller", async () => {
    const ci = { GITOPS_HEALTH_TOKEN: tokens.ci };
    // unsigned personal run: the caller its token proves is the requester, nothing needed
    const plain = await cli(
      ["run", "--server", base, "--classification", "personal", "--run-id", "remote-plain", "--", "echo", "hi"],
      { cwd: repo.dir, env: ci },
    );
    expect(plain.stderr).toContain(`DRY RUN on ${base.replace(/\/$/, "")}`);
    expect(plain.code).toBe(0);
    expect(plain.stdout.trim()).toBe("remote-plain");
    const recorded = await readRun(ledger, "remote-plain");
    expect(recorded.plan).toMatchObject({
      command: "echo",
      args: ["hi"],
      requester: expect.stringMatching(/^token:ci#/),
    });

    // a production run signed by rita here: the service verifies her key, needs one approval
    const signed = await cli(
      [
        "run",
        "--server",
        base,
        "--classification",
        "personal",
        "--env",
        "production",
        "--run-id",
        "remote-prod",
        "--key",
        keys.rita!,
        "--format",
        "json",
        "--",
        "echo",
        "deploy",
      ],
      { cwd: repo.dir, env: ci },
    );
    expect(signed.code).toBe(0);
    const out = JSON.parse(signed.stdout) as {
      runId: string;
      dryRun: boolean;
      digest: string;
      plan: { requester: string };
      evaluation: { requester: string; requiredApprovals: number };
      missing: string[];
    };
    expect(out).toMatchObject({ runId: "remote-prod", dryRun: true, plan: { requester: "rita@example.com" } });
    expect(out.evaluation).toMatchObject({ requester: "rita@example.com", requiredApprovals: 1 });
    expect(out.missing.join(" ")).toContain("1 more approval(s)");
    const run = await readRun(ledger, "remote-prod");
    expect(run.plan?.digest).toBe(out.digest);
    expect(run.plan).toMatchObject({ requesterSig: { method: "note", approver: "rita@example.com" } });

    // carol approves over the same service: the run is approved
    const ok = await cli(["approve", "remote-prod", "--server", base, "--key", keys.carol!, "--ttl", "1h"], {
      cwd: repo.dir,
      env: ci,
    });
    expect(ok.code).toBe(0);
    const shown = await cli(["runs", "show", "remote-prod", "--server", base, "--format", "json"], { env: ci });
    expect(JSON.parse(shown.stdout)).toMatchObject({ state: "approved", approvals: { valid: ["carol@example.com"] } });

    // executing needs the ledger: refused with --server (exit 2), nothing recorded
    const exec = await cli(
      ["run", "--server", base, "--classification", "personal", "--approve", "--run-id", "remote-x", "--", "true"],
      { cwd: repo.dir, env: ci },
    );
    expect(exec.code).toBe(2);
    expect((await readRun(ledger, "remote-x")).plan).toBeUndefined();
    // the scope is checked: a scan token may not record plans
    const scope = await cli(["run", "--server", base, "--classification", "personal", "--", "true"], {
      cwd: repo.dir,
      env: { GITOPS_HEALTH_TOKEN: tokens.scan },
    });
    expect(scope.code).toBe(2);
    expect(scope.stderr).toContain("403");
  }, 180_000);

  it("POST /v1/runs: a signature that does not verify or a malformed plan is 4xx and records nothing", async () => {
    const before = await ledger.size();
    const plan = {
      runId: "forged-1",
      command: "echo",
      args: ["x"],
      cwd: "/tmp",
      env: {},
      classification: "personal",
      environment: "production",
      head: null,
    };
    const post = (body: unknown, token = tokens.ci) =>
      fetch(new URL("/v1/runs", base), {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    // rita's identity claimed with carol's... no: a signature over another message
    const forged = await post({
      plan,
      requesterSig: { method: "note", approver: "rita@example.com", signature: "AAAA", keyId: "rita+00000000+AAAA" },
    });
    expect(forged.status).toBe(422);
    expect(forged.headers.get("content-type")).toContain("application/problem+json");
    const bad = await post({ plan: { ...plan, runId: "../etc" } });
    expect(bad.status).toBe(400);
    const extra = await post({ plan: { ...plan, classification: "secret" } });
    expect(extra.status).toBe(400);
    const anon = await fetch(new URL("/v1/runs", base), { method: "POST", body: "{}" });
    expect(anon.status).toBe(401);
    expect(await ledger.size()).toBe(before);
  }, 180_000);

  it("scan --server: the same findings, fingerprints, formats and exit codes as the local scan", async () => {
    const env = { GITOPS_HEALTH_TOKEN: tokens.scan };
    const local = await cli(["scan", ".", "--format", "json"], { cwd: repo.dir });
    const remote = await cli(["scan", ".", "--format", "json", "--server", base], { cwd: repo.dir, env });
    expect(local.code).toBe(1);
    expect(remote.code).toBe(1);
    const l = findingsOf(local.stdout);
    expect(l.length).toBeGreaterThanOrEqual(3);
    expect(l.some((k) => k.startsWith("notes/visit.txt:1:"))).toBe(true);
    expect(l.some((k) => k.startsWith("src/config.ts:"))).toBe(true);
    expect(l.some((k) => k.startsWith("notes/allowed.txt"))).toBe(false); // inline allow: suppressed
    expect(findingsOf(remote.stdout)).toEqual(l);
    // SARIF and text too
    const ls = await cli(["scan", "notes", "--format", "sarif"], { cwd: repo.dir });
    const rs = await cli(["scan", "notes", "--format", "sarif", "--server", base], { cwd: repo.dir, env });
    const results = (s: string) =>
      (JSON.parse(s) as { runs: { results: unknown[] }[] }).runs[0]!.results.map((r) => JSON.stringify(r)).sort();
    expect(rs.code).toBe(ls.code);
    expect(results(rs.stdout)).toEqual(results(ls.stdout));
    const lt = await cli(["scan", "src/config.ts"], { cwd: repo.dir });
    const rt = await cli(["scan", "src/config.ts", "--server", base], { cwd: repo.dir, env });
    expect(rt.code).toBe(lt.code);
    expect(rt.stderr.replace(/\d+ ms/g, "")).toBe(lt.stderr.replace(/\d+ ms/g, ""));
    expect(rt.stdout).toBe(lt.stdout);
    // stdin; a clean file exits 0; --fail-on applies locally
    const li = await cli(["scan", "-", "--format", "json"], { input: NOTE });
    const ri = await cli(["scan", "-", "--format", "json", "--server", base], { input: NOTE, env });
    expect(ri.code).toBe(1);
    expect(findingsOf(ri.stdout)).toEqual(findingsOf(li.stdout));
    expect((await cli(["scan", "src/app.ts", "--server", base], { cwd: repo.dir, env })).code).toBe(0);
    // a baseline written locally accepts the remote findings
    const baseline = join(dir, "baseline.txt");
    expect((await cli(["scan", ".", "--write-baseline", baseline], { cwd: repo.dir })).code).toBe(0);
    const accepted = await cli(["scan", ".", "--baseline", baseline, "--server", base], { cwd: repo.dir, env });
    expect(accepted.code).toBe(0);
    // targets only a local scan can read, no token, a bad URL: exit 2, one line
    const staged = await cli(["scan", "--staged", "--server", base], { cwd: repo.dir, env });
    expect(staged.code).toBe(2);
    expect(staged.stderr).toContain("--server scans files and stdin");
    const anon = await cli(["scan", ".", "--server", base], { cwd: repo.dir });
    expect(anon.code).toBe(2);
    expect(anon.stderr).toContain("401");
    // the texts went to the service; it logged no planted value and no path
    expect(logLines.filter((l) => l.includes('"route":"/v1/scan"')).length).toBeGreaterThanOrEqual(5);
    for (const line of logLines) {
      expect(line).not.toContain(SSN);
      expect(line).not.toContain("Okonkwo");
      expect(line).not.toContain("visit.txt");
    }
  }, 180_000);

  it("sanitize --server: the same replacements and rewritten files as the local command", async () => {
    const env = { GITOPS_HEALTH_TOKEN: tokens.scan };
    const a = join(dir, "a.txt");
    const b = join(dir, "b.txt");
    writeFileSync(a, NOTE);
    writeFileSync(b, NOTE);
    const local = await cli(["sanitize", a, "--mode", "redact", "--write"]);
    const remote = await cli(["sanitize", b, "--mode", "redact", "--write", "--server", base], { env });
    expect(remote.code).toBe(0);
    expect(remote.stderr.replaceAll(b, "F")).toBe(local.stderr.replaceAll(a, "F"));
    expect(readFileSync(b, "utf8")).toBe(readFileSync(a, "utf8"));
    expect(readFileSync(b, "utf8")).not.toContain(SSN);
    // hash mode with the caller's key: the same pseudonyms as locally with that key
    const k = "caller-pseudonym-key-0123456789";
    writeFileSync(a, NOTE);
    writeFileSync(b, NOTE);
    const lh = await cli(["sanitize", a, "--mode", "hash", "--key", k]);
    const rh = await cli(["sanitize", b, "--mode", "hash", "--key", k, "--server", base], { env });
    expect(rh.stderr.replaceAll(b, "F")).toBe(lh.stderr.replaceAll(a, "F"));
    expect(readFileSync(b, "utf8")).toBe(NOTE); // dry run
    const bad = await cli(["sanitize", b, "--mode", "hash", "--key", "short", "--server", base], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("400");
  }, 180_000);

  it("risk score --server: the diff scored by the service, or a registered repository's commit with its history", async () => {
    const head = repo.git("rev-parse", "HEAD").trim();
    const remote = await cli(["risk", "score", "--server", base, "--format", "json"], {
      cwd: repo.dir,
      env: { GITOPS_HEALTH_TOKEN: tokens.decider },
    });
    expect(remote.code).toBe(0);
    const r = JSON.parse(remote.stdout) as { score: number; level: string; files: number; warnings: string[] };
    expect(r.files).toBe(3);
    expect(r.level).toMatch(/^(LOW|MEDIUM|HIGH|CRITICAL)$/);
    expect(r.warnings.join(" ")).toContain("without repository history");
    const text = await cli(["risk", "score", "--server", base, "--range", "HEAD~1..HEAD"], {
      cwd: repo.dir,
      env: { GITOPS_HEALTH_TOKEN: tokens.decider },
    });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^(LOW|MEDIUM|HIGH|CRITICAL) \d+\/100 — strategy /);

    // registered: the same score as the local command for that commit
    const reg = await fetch(new URL("/v1/repos", base), {
      method: "POST",
      headers: { authorization: `Bearer ${tokens.admin}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "demo", path: repo.dir }),
    });
    expect(reg.status).toBe(201);
    const local = await cli(["risk", "score", head, "--format", "json"], { cwd: repo.dir });
    const viaRepo = await cli(["risk", "score", head, "--server", base, "--repo", "demo", "--format", "json"], {
      cwd: dir,
      env: { GITOPS_HEALTH_TOKEN: tokens.decider },
    });
    expect(viaRepo.code).toBe(0);
    const lj = JSON.parse(local.stdout) as { score: number; level: string };
    expect(JSON.parse(viaRepo.stdout)).toMatchObject({ commit: head, score: lj.score, level: lj.level });
    const missing = await cli(["risk", "score", "--server", base, "--repo", "nope"], {
      cwd: dir,
      env: { GITOPS_HEALTH_TOKEN: tokens.decider },
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("404");
    const noServer = await cli(["risk", "score", "--repo", "demo"], { cwd: repo.dir });
    expect(noServer.code).toBe(2);
  }, 180_000);
});

describe("request timeouts", () => {
  it("a handler slower than --request-timeout answers 503 problem+json, and the service keeps serving", async () => {
    const dir = makeTempDir("gh-timeout-");
    const ledger = await openLedger(join(dir, "ledger"));
    const store = new FileTokenStore(join(dir, "tokens.json"));
    const app = await buildApp({ ledger, tokens: store, digestKey: "k", logStream: false, requestTimeoutMs: 200 });
    // a route of the test's own, registered before listening: it takes longer than the timeout
    app.get("/test/slow", { config: { access: "public" } }, async () => {
      await new Promise((r) => setTimeout(r, 1_000));
      return { late: true };
    });
    // a POST with a body too: Node closes the request once its body is read, which must not cancel the timeout
    app.post("/test/slow", { config: { access: "public" } }, async () => {
      await new Promise((r) => setTimeout(r, 1_000));
      return { late: true };
    });
    const base = await app.listen({ host: "127.0.0.1", port: 0 });
    try {
      const slow = await fetch(new URL("/test/slow", base));
      expect(slow.status).toBe(503);
      expect(slow.headers.get("content-type")).toContain("application/problem+json");
      expect(((await slow.json()) as { detail: string }).detail).toBe("the request took too long");
      const slowPost = await fetch(new URL("/test/slow", base), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ x: 1 }),
      });
      expect(slowPost.status).toBe(503);
      expect(((await slowPost.json()) as { detail: string }).detail).toBe("the request took too long");
      expect((await fetch(new URL("/health", base))).status).toBe(200);
    } finally {
      await app.close();
      await ledger.close();
    }
  }, 60_000);
});
