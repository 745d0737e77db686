// The embedded token file as the service reads it: cached, and looked at again only after its directory reports a
// change (no stat per request). Every way the file can change under a running service must reach the next request.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, renameSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { openLedger } from "../src/audit/index.js";
import type { AuditLedger } from "../src/audit/ledger.js";
import { buildApp } from "../src/server/app.js";
import { createToken, FileTokenStore } from "../src/server/tokens.js";
import { makeTempDir, runCli } from "./helpers/repo.js";

describe("FileTokenStore under a running service", () => {
  const dir = makeTempDir("gh-token-file-");
  const tokenDir = join(dir, "t");
  const tokenFile = join(tokenDir, "tokens.json");
  let ledger: AuditLedger;
  let store: FileTokenStore;
  let app: FastifyInstance;
  let base: string;
  const scan = (token: string) =>
    fetch(`${base}/v1/scan`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ text: "x" }),
    }).then((r) => r.status);

  beforeAll(async () => {
    mkdirSync(tokenDir);
    ledger = await openLedger(join(dir, "ledger"));
    store = new FileTokenStore(tokenFile);
    app = await buildApp({ ledger, tokens: store, digestKey: "k".repeat(32), logStream: false });
    base = await app.listen({ host: "127.0.0.1", port: 0 });
  });
  afterAll(async () => {
    await app.close();
    await store.close();
    await ledger.close();
  });

  it("sees a revocation by another process, an edit in place, a removed file and a replaced directory", async () => {
    const a = (await createToken(new FileTokenStore(tokenFile), { name: "a", scopes: ["scan"] })).token;
    const b = (await createToken(new FileTokenStore(tokenFile), { name: "b", scopes: ["scan"] })).token;
    // repeated requests are served from the cache
    for (let i = 0; i < 3; i++) expect(await scan(a)).toBe(200);
    expect(await scan(b)).toBe(200);

    // another process revokes a (writes a new file and renames it over the old one)
    const r = runCli(["token", "revoke", "a", "--ledger", join(tokenDir, "ledger")], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(await scan(a)).toBe(401);
    expect(await scan(b)).toBe(200);

    // an edit in place (same inode): b revoked by rewriting the file's content
    const doc = JSON.parse(readFileSync(tokenFile, "utf8")) as { tokens: { name: string; revokedAt?: string }[] };
    for (const t of doc.tokens) if (t.name === "b") t.revokedAt = new Date().toISOString();
    writeFileSync(tokenFile, JSON.stringify(doc));
    expect(await scan(b)).toBe(401);

    // a new token, then the file removed: nothing authenticates
    const c = (await createToken(new FileTokenStore(tokenFile), { name: "c", scopes: ["scan"] })).token;
    expect(await scan(c)).toBe(200);
    rmSync(tokenFile);
    expect(await scan(c)).toBe(401);

    // the directory moved away and a new one made at its path: the new directory's file counts
    const d = (await createToken(new FileTokenStore(tokenFile), { name: "d", scopes: ["scan"] })).token;
    expect(await scan(d)).toBe(200);
    renameSync(tokenDir, join(dir, "t.old"));
    mkdirSync(tokenDir);
    const e = (await createToken(new FileTokenStore(tokenFile), { name: "e", scopes: ["scan"] })).token;
    expect(await scan(d)).toBe(401);
    expect(await scan(e)).toBe(200);
    // and changes in the new directory are seen too
    await new FileTokenStore(tokenFile).revoke("e", new Date().toISOString());
    expect(await scan(e)).toBe(401);
  });
});
