/**
 * `--server URL`: the built CLI as a real process against a real service on 127.0.0.1 port 0
 * (directory ledger, file token store, signed-note keys in temp dirs). The CLI runs
 * asynchronously (spawn, not spawnSync) so the in-process server can answer it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { openLedger } from "../src/audit/index.js";
import type { AuditLedger } from "../src/audit/ledger.js";
import { formatCheckpoint, signNote } from "../src/audit/note.js";
import { parseConfigText } from "../src/config/load.js";
import { generateNoteSigner } from "../src/core/note-key.js";
import { buildPlan, readRun, recordPlan, verifyContext } from "../src/guard/index.js";
import { buildApp } from "../src/server/app.js";
import { createToken, FileTokenStore } from "../src/server/tokens.js";
import { makeRepo, makeTempDir, type TempRepo } from "./helpers/repo.js";

const CLI = join(import.meta.dirname, "..", "dist", "cli.js");

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

describe("the CLI's --server URL against a real service", () => {
  let repo: TempRepo;
  let ledger: AuditLedger;
  let app: FastifyInstance;
  let base: string;
  const tokens: Record<string, string> = {};
  const keys: Record<string, string> = {};
  const dir = makeTempDir("gh-client-");
  const log = generateNoteSigner("gitops-health/client-test");
  const vkeyFile = join(dir, "log.vkey");

  beforeAll(async () => {
    repo = makeRepo();
    repo.commit("chore: init", { "README.md": "x\n" });
    const vkeys: Record<string, string> = {};
    for (const name of ["carol", "rita"]) {
      const k = generateNoteSigner(name);
      keys[name] = join(dir, `${name}.key`);
      writeFileSync(keys[name], `${k.signerKey}\n`, { mode: 0o600 });
      vkeys[name] = k.verifierKey;
    }
    const yml = `policy:\n  requiredChecks: []\nenvironments:\n  production: { allowed: true, approvalRequired: true }\napprovers:\n  - { name: carol, email: carol@example.com, key: "${vkeys.carol}" }\n  - { name: rita, email: rita@example.com, key: "${vkeys.rita}" }\n`;
    writeFileSync(join(repo.dir, ".gitops-health.yml"), yml);
    const config = parseConfigText(yml);
    const ctx = verifyContext(config, repo.dir);
    writeFileSync(vkeyFile, `${log.verifierKey}\n`);
    ledger = await openLedger(join(dir, "ledger"));
    const store = new FileTokenStore(join(dir, "tokens.json"));
    tokens.appender = (await createToken(store, { name: "ci-append", scopes: ["ledger:append"] })).token;
    tokens.approver = (await createToken(store, { name: "approver", scopes: ["runs:approve"] })).token;
    tokens.decider = (await createToken(store, { name: "decider", scopes: ["decide"] })).token;
    app = await buildApp({
      ledger,
      tokens: store,
      digestKey: "k",
      signer: log.signer,
      logStream: false,
      runs: { config, ctx },
    });
    base = await app.listen({ host: "127.0.0.1", port: 0 });
    // rita requests a production run, signed with her key: it needs one approval from someone else
    const plan = buildPlan({
      command: ["echo", "deploy"],
      classification: "personal",
      environment: "production",
      runId: "remote-1",
      cwd: repo.dir,
    });
    await recordPlan(ledger, plan, config, ctx, keys.rita);
  });

  afterAll(async () => {
    await app?.close();
    await ledger?.close();
    repo?.cleanup();
  });

  it("audit append|log over HTTP: the caller its token proves is the actor; no token or a reserved type exits 2", async () => {
    const r = await cli(
      [
        "audit",
        "append",
        "--server",
        base,
        "--type",
        "deployment",
        "--subject",
        "api@v1",
        "--data",
        '{"env":"prod"}',
        "--actor",
        "someone-else",
        "--format",
        "json",
      ],
      { env: { GITOPS_HEALTH_TOKEN: tokens.appender } },
    );
    expect(r.stderr).toContain("--actor is ignored");
    expect(r.code).toBe(0);
    const appended = JSON.parse(r.stdout) as { seq: number; leafHash: string };
    const entries = [];
    for await (const e of ledger.query({ type: "deployment" })) entries.push(e);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      seq: appended.seq,
      subject: "api@v1",
      actor: expect.stringMatching(/^token:ci-append#/),
      payload: { data: { env: "prod" } },
    });

    // GITOPS_HEALTH_SERVER works as the default for --server
    const listed = await cli(["audit", "log", "--type", "deploy*", "--format", "json"], {
      env: { GITOPS_HEALTH_TOKEN: tokens.appender, GITOPS_HEALTH_SERVER: base },
    });
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as { seq: number }[]).map((e) => e.seq)).toEqual([appended.seq]);

    const anon = await cli(["audit", "append", "--server", base, "--type", "deployment"]);
    expect(anon.code).toBe(2);
    expect(anon.stderr).toMatch(/401 Unauthorized.*GITOPS_HEALTH_TOKEN/);
    expect(anon.stderr.trim().split("\n")).toHaveLength(1);
    // "decision" entries only the service writes: refused by the server (403), not the client
    const reserved = await cli(["audit", "append", "--server", base, "--type", "decision"], {
      env: { GITOPS_HEALTH_TOKEN: tokens.appender },
    });
    expect(reserved.code).toBe(2);
    expect(reserved.stderr).toContain("403 Forbidden");
    const wrongScope = await cli(["audit", "append", "--server", base, "--type", "deployment"], {
      env: { GITOPS_HEALTH_TOKEN: tokens.decider },
    });
    expect(wrongScope.code).toBe(2);
    expect(wrongScope.stderr).toContain("403 Forbidden: this call needs scope ledger:append");
    expect(await ledger.size()).toBe(appended.seq + 1);
  });

  it("audit checkpoint|verify --server: the service's signed head, consistent with a kept checkpoint; a forked one fails", async () => {
    const token = { GITOPS_HEALTH_TOKEN: tokens.appender };
    const cp = await cli(["audit", "checkpoint", "--server", base], { env: token });
    expect(cp.code).toBe(0);
    expect(cp.stdout).toMatch(/^gitops-health\/client-test\n\d+\n/);
    const kept = join(dir, "kept.checkpoint");
    writeFileSync(kept, cp.stdout);
    for (let i = 0; i < 3; i++)
      expect(
        (await cli(["audit", "append", "--server", base, "--type", "note", "--data", `{"i":${i}}`], { env: token }))
          .code,
      ).toBe(0);

    const ok = await cli(
      ["audit", "verify", "--server", base, "--key", `@${vkeyFile}`, "--since-checkpoint", kept, "--format", "json"],
      { env: token },
    );
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, size: await ledger.size(), checkpointsChecked: 1 });

    // A checkpoint signed by the same key for a tree the service's log does not extend: a fork.
    const size = await ledger.size();
    const forked = join(dir, "forked.checkpoint");
    writeFileSync(
      forked,
      signNote(
        formatCheckpoint({
          origin: "gitops-health/client-test",
          size: size - 1,
          rootHash: Buffer.alloc(32, 7),
          extensions: [],
        }),
        log.signer,
      ),
    );
    const bad = await cli(["audit", "verify", "--server", base, "--key", `@${vkeyFile}`, "--checkpoint", forked], {
      env: token,
    });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("consistency proof fails");

    // A key that did not sign the service's checkpoint.
    const other = join(dir, "other.vkey");
    writeFileSync(other, `${generateNoteSigner("gitops-health/client-test").verifierKey}\n`);
    const wrongKey = await cli(["audit", "verify", "--server", base, "--key", `@${other}`], { env: token });
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toContain("does not verify with the given key");
  });

  it("runs list|show and approve --server: signed here with the local key, verified and recorded by the service", async () => {
    const token = { GITOPS_HEALTH_TOKEN: tokens.approver };
    const listed = await cli(["runs", "list", "--server", base, "--format", "json"], { env: token });
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({ runId: "remote-1", state: "planned", requester: "rita@example.com", approvals: [] }),
    ]);

    // the requester cannot approve her own run: the service refuses (403), nothing recorded
    const own = await cli(["approve", "remote-1", "--server", base, "--key", keys.rita!, "--ttl", "1h"], {
      cwd: repo.dir,
      env: token,
    });
    expect(own.code).toBe(2);
    expect(own.stderr).toContain("403");
    expect((await readRun(ledger, "remote-1")).approvals).toHaveLength(0);

    const ok = await cli(["approve", "remote-1", "--server", base, "--key", keys.carol!, "--ttl", "1h"], {
      cwd: repo.dir,
      env: token,
    });
    expect(ok.stderr).toContain("approved remote-1");
    expect(ok.code).toBe(0);
    const recorded = (await readRun(ledger, "remote-1")).approvals;
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({
      approver: "carol@example.com",
      submittedBy: expect.stringMatching(/^token:approver#/),
    });

    const shown = await cli(["runs", "show", "remote-1", "--server", base], { env: token });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain("remote-1: approved");
    expect(shown.stdout).toContain("approvals: carol@example.com of 1 required");
  });

  it("policy decide: the same decision locally and over --server, where it is recorded", async () => {
    const input = join(dir, "input.yml");
    writeFileSync(input, "commit:\n  message: wip\n");
    const local = await cli(["policy", "decide", "clinical", "--input", input, "--format", "json"]);
    expect(local.code).toBe(1);
    const before = await ledger.size();
    const remote = await cli(["policy", "decide", "clinical", "--input", input, "--format", "json", "--server", base], {
      env: { GITOPS_HEALTH_TOKEN: tokens.decider },
    });
    expect(remote.code).toBe(1);
    const l = JSON.parse(local.stdout) as { result: unknown; violations: { rule: string }[] };
    const r = JSON.parse(remote.stdout) as {
      result: unknown;
      violations: { rule: string }[];
      decision_id: string;
      ledger: { seq: number };
    };
    expect(r.result).toEqual({ allow: false, decision: "fail" });
    expect(r.result).toEqual(l.result);
    expect(r.violations.map((v) => v.rule)).toEqual(l.violations.map((v) => v.rule));
    expect(r.ledger.seq).toBe(before);
    expect(await ledger.size()).toBe(before + 1);
    const bad = await cli(["policy", "decide", "clinical", "--input", join(dir, "missing.yml")]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("cannot read --input");
  });

  it("an unreachable server or a bad URL: one line, exit 2", async () => {
    // a port that was free a moment ago: nothing listens
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const port = (srv.address() as AddressInfo).port;
    await new Promise((r) => srv.close(r));
    const down = await cli(["audit", "log", "--server", `http://127.0.0.1:${port}`]);
    expect(down.code).toBe(2);
    expect(down.stderr.trim()).toBe(`gitops-health: cannot reach the server http://127.0.0.1:${port}: ECONNREFUSED`);
    const bad = await cli(["runs", "list", "--server", "ftp://example.org"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--server must be an http(s) URL");
  });
});
