import { describe, expect, it, afterAll } from "vitest";
import { readFileSync, writeFileSync, statSync, copyFileSync, mkdirSync, readdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { spawn } from "node:child_process";
import canonicalize from "canonicalize";
import { openLedger } from "../src/audit/index.js";
import { hashLeaf } from "../src/audit/merkle.js";
import { generateNoteSigner, parseSignerKey, parseVerifierKey } from "../src/core/note-key.js";
import { makeTempDir, runCli } from "./helpers/repo.js";
import { probePg } from "./helpers/pg.js";

const keys = generateNoteSigner("gitops-health.test/ledger");
const signer = parseSignerKey(keys.signerKey);
const verifier = parseVerifierKey(keys.verifierKey);

async function filledLedger(n = 5) {
  const dir = join(makeTempDir(), "ledger");
  const ledger = await openLedger(dir);
  for (let i = 0; i < n; i++)
    await ledger.append({ type: "deploy", subject: `v${i}`, actor: "ci@example.invalid", payload: { n: i } });
  const { note } = await ledger.checkpoint(signer);
  await ledger.close();
  return { dir, note };
}

/** Rewrite entries.log + leaves.bin from a list of canonical entries (a consistent forgery). */
function rewrite(dir: string, canon: Buffer[]) {
  const frames: Buffer[] = [];
  const rows: Buffer[] = [];
  let pos = 0;
  for (const c of canon) {
    const h = Buffer.alloc(4);
    h.writeUInt32BE(c.length);
    frames.push(h, c);
    pos += 4 + c.length;
    const r = Buffer.alloc(40);
    hashLeaf(c).copy(r);
    r.writeBigUInt64BE(BigInt(pos), 32);
    rows.push(r);
  }
  writeFileSync(join(dir, "entries.log"), Buffer.concat(frames));
  writeFileSync(join(dir, "leaves.bin"), Buffer.concat(rows));
}

function readCanon(dir: string): Buffer[] {
  const buf = readFileSync(join(dir, "entries.log"));
  const out: Buffer[] = [];
  for (let p = 0; p < buf.length;) {
    const len = buf.readUInt32BE(p);
    out.push(buf.subarray(p + 4, p + 4 + len));
    p += 4 + len;
  }
  return out;
}

async function verifyDir(dir: string, saved: string[] = []) {
  const l = await openLedger(dir);
  const r = await l.verify({ verifiers: [verifier], savedCheckpoints: saved });
  await l.close();
  return r;
}

describe("audit ledger: integrity", () => {
  it("appends with gap-free sequence numbers, proves inclusion and verifies", async () => {
    const { dir } = await filledLedger(7);
    const l = await openLedger(dir);
    // 7 entries and the ledger.checkpoint entry the checkpoint covers
    expect(await l.size()).toBe(8);
    const seqs = [];
    for await (const e of l.query({ type: "deploy" })) seqs.push(e.seq);
    expect(seqs).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const r = await l.verify({ verifiers: [verifier] });
    expect(r).toMatchObject({ ok: true, size: 8, checkpointsChecked: 1 });
    const { verifyExportedInclusion } = await import("../src/audit/index.js");
    const p = await l.proveInclusion(3);
    expect(verifyExportedInclusion(p)).toBe(true);
    expect(verifyExportedInclusion({ ...p, index: 2 })).toBe(false);
    await l.close();
  });

  it("stores entries as RFC 8785 canonical JSON", async () => {
    const dir = join(makeTempDir(), "l");
    const l = await openLedger(dir);
    await l.append({ type: "t", actor: "a", payload: { z: 1, a: [true, null, 1.5e30] } });
    const [c] = readCanon(dir);
    expect(c!.toString()).toBe(canonicalize(JSON.parse(c!.toString())));
    expect(c!.toString()).toContain('"payload":{"a":[true,null,1.5e+30],"z":1}');
  });

  it("detects a changed byte in any entry", async () => {
    const { dir } = await filledLedger(4);
    const size = statSync(join(dir, "entries.log")).size;
    for (const offset of [10, Math.floor(size / 2), size - 3]) {
      const copy = join(makeTempDir(), "l");
      mkdirSync(copy);
      for (const f of readdirSync(dir)) copyFileSync(join(dir, f), join(copy, f));
      const buf = readFileSync(join(copy, "entries.log"));
      buf[offset] = buf[offset] === 0x31 ? 0x32 : 0x31;
      writeFileSync(join(copy, "entries.log"), buf);
      const r = await verifyDir(copy);
      expect(r.ok).toBe(false);
      expect(r.problem).toMatch(/^entry \d+:/);
    }
  });

  it("detects a deleted entry, two reordered entries and a truncated log", async () => {
    const { dir } = await filledLedger(5);
    const canon = readCanon(dir);
    rewrite(dir, [canon[0]!, canon[1]!, canon[3]!, canon[4]!]);
    expect((await verifyDir(dir)).problem).toMatch(/^entry 2: sequence number 3/);
    rewrite(dir, [canon[0]!, canon[2]!, canon[1]!, canon[3]!, canon[4]!]);
    expect((await verifyDir(dir)).problem).toMatch(/^entry 1: sequence number 2/);
    rewrite(dir, canon.slice(0, 3));
    const r = await verifyDir(dir);
    expect(r.ok).toBe(false);
    expect(r.problem).toMatch(/covers 6 entries but the log has 3/);
  });

  it("detects a consistently re-hashed forgery through signed and saved checkpoints", async () => {
    const { dir, note } = await filledLedger(5);
    // The forger also drops the ledger.checkpoint entry (seq 5) that records the checkpoint.
    const forged = readCanon(dir)
      .slice(0, 5)
      .map((c) => {
        const e = JSON.parse(c.toString());
        if (e.seq === 2) e.payload = { n: 999 };
        return Buffer.from(canonicalize(e)!);
      });
    rewrite(dir, forged);
    // The stored checkpoint no longer matches; an attacker would also re-sign with their own key.
    expect((await verifyDir(dir)).ok).toBe(false);
    writeFileSync(join(dir, "checkpoints.jsonl"), "");
    const attacker = parseSignerKey(generateNoteSigner("gitops-health.test/ledger").signerKey);
    const l = await openLedger(dir);
    await l.checkpoint(attacker);
    // Without the trusted key the forgery is internally consistent...
    expect((await l.verify({})).ok).toBe(true);
    await l.close();
    // ...but the trusted key rejects the attacker's checkpoint, and the auditor's saved one exposes it.
    expect((await verifyDir(dir)).problem).toMatch(/signature does not verify/);
    const l2 = await openLedger(dir);
    const r = await l2.verify({ savedCheckpoints: [note] });
    expect(r.ok).toBe(false);
    expect(r.problem).toMatch(/saved checkpoint #1: root hash for size 6 does not match/);
  });

  it("refuses PHI in payloads, or stores only a keyed hash", async () => {
    const dir = join(makeTempDir(), "l");
    const l = await openLedger(dir);
    await expect(l.append({ type: "note", payload: { text: "SSN 512-84-3921" } })).rejects.toThrow(
      /refusing to write PHI/,
    );
    expect(await l.size()).toBe(0);
    const h = await openLedger(dir, { phi: "hash", hmacKey: "k" });
    await h.append({ type: "note", payload: { text: "SSN 512-84-3921" } });
    const raw = readFileSync(join(dir, "entries.log"), "utf8");
    expect(raw).not.toContain("512-84-3921");
    expect(raw).toMatch(/\[ssn:hmac:[0-9a-f]{16}\]/);
  });
});

describe("audit ledger: crash safety", () => {
  it("keeps every acknowledged entry when the last record is torn at any byte offset", async () => {
    const { dir } = await filledLedger(3);
    const before = statSync(join(dir, "entries.log")).size;
    const leavesBefore = readFileSync(join(dir, "leaves.bin"));
    const l = await openLedger(dir);
    await l.append({ type: "last", actor: "a", payload: { big: "x".repeat(50) } });
    await l.close();
    const after = statSync(join(dir, "entries.log")).size;
    const pristine = readFileSync(join(dir, "entries.log"));
    for (let cut = before; cut < after; cut++) {
      // A crash mid-append: the frame is cut, its index row was never written.
      writeFileSync(join(dir, "entries.log"), pristine.subarray(0, cut));
      writeFileSync(join(dir, "leaves.bin"), leavesBefore);
      const re = await openLedger(dir, { readOnly: true });
      expect(await re.size()).toBe(4);
      if (cut > before) expect(re.warnings.join(" ")).toMatch(/incomplete record/);
      const r = await re.verify({ verifiers: [verifier] });
      expect(r.ok).toBe(true);
      expect(r.warnings.length > 0).toBe(cut > before);
      await re.close();
    }
  });

  it("survives a writer killed with SIGKILL mid-stream", async () => {
    const dir = join(makeTempDir(), "l");
    const script = `
      import { openLedger } from ${JSON.stringify(join(__dirname, "..", "src", "audit", "index.ts"))};
      const l = await openLedger(${JSON.stringify(dir)});
      for (let i = 0; ; i++) { await l.append({ type: "t", actor: "a", payload: { i, pad: "y".repeat(300) } }); process.stdout.write(i + "\\n"); }
    `;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let acked = -1;
    await new Promise<void>((resolveDone) => {
      child.stdout.on("data", (d: Buffer) => {
        const lines = d.toString().trim().split("\n");
        acked = Number(lines.at(-1));
        if (acked >= 20) child.kill("SIGKILL");
      });
      child.on("exit", () => resolveDone());
    });
    const l = await openLedger(dir, { readOnly: true });
    expect(await l.size()).toBeGreaterThanOrEqual(acked + 1);
    const r = await l.verify({});
    expect(r.ok).toBe(true);
    let i = 0;
    for await (const e of l.query({})) expect((e.payload as { i: number }).i).toBe(i++);
  }, 90_000);
});

describe("audit CLI", () => {
  it("keygen, append, checkpoint, verify, tamper → exit 1 naming the entry, export and bundle verify", () => {
    const cwd = makeTempDir();
    const env = { GITOPS_HEALTH_LEDGER: join(cwd, "ledger"), GITOPS_HEALTH_LEDGER_KEY: join(cwd, "k", "ledger.key") };
    const kg = runCli(["audit", "keygen", "--origin", "example.org/audit"], { cwd, env });
    expect(kg.code).toBe(0);
    expect(statSync(env.GITOPS_HEALTH_LEDGER_KEY).mode & 0o777).toBe(0o600);
    const vkey = kg.stdout.trim();
    expect(vkey).toMatch(/^example\.org\/audit\+[0-9a-f]{8}\+/);
    expect(runCli(["audit", "keygen"], { cwd, env }).code).toBe(2);
    for (let i = 0; i < 3; i++)
      expect(
        runCli(["audit", "append", "--type", "deploy", "--subject", `r${i}`, "--data", `{"i":${i}}`], { cwd, env })
          .stdout,
      ).toMatch(new RegExp(`^${i} [0-9a-f]{64}`));
    expect(runCli(["audit", "append", "--type", "x", "--data", "{bad"], { cwd, env }).code).toBe(2);
    const cp = runCli(["audit", "checkpoint"], { cwd, env });
    writeFileSync(join(cwd, "saved.cp"), cp.stdout);
    expect(
      runCli(["audit", "verify", "--key", vkey, "--since-checkpoint", join(cwd, "saved.cp")], { cwd, env }).code,
    ).toBe(0);
    const proof = JSON.parse(runCli(["audit", "prove", "1"], { cwd, env }).stdout);
    expect(proof).toMatchObject({ index: 1, treeSize: 4 });
    expect(proof.checkpoint).toContain("example.org/audit\n4\n");
    const cons = JSON.parse(runCli(["audit", "prove", "--consistency", "1", "3"], { cwd, env }).stdout);
    expect(cons.proof.length).toBeGreaterThan(0);
    const out = join(cwd, "evidence.json");
    expect(
      runCli(["audit", "export", "--from", "2000-01-01", "--to", "2999-12-31", "--format", "json", "--out", out], {
        cwd,
        env,
      }).code,
    ).toBe(0);
    expect(runCli(["audit", "verify", "--bundle", out, "--key", vkey], { cwd, env }).code).toBe(0);
    const b = JSON.parse(readFileSync(out, "utf8"));
    b.entries[1].canonical = b.entries[1].canonical.replace('"i":1', '"i":7');
    writeFileSync(out, JSON.stringify(b));
    const bad = runCli(["audit", "verify", "--bundle", out, "--key", vkey], { cwd, env });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/entry 1/);
    const log = readFileSync(join(env.GITOPS_HEALTH_LEDGER, "entries.log"));
    const i = log.indexOf('"i":2');
    log[i + 4] = "9".charCodeAt(0);
    writeFileSync(join(env.GITOPS_HEALTH_LEDGER, "entries.log"), log);
    const v = runCli(["audit", "verify", "--key", vkey], { cwd, env });
    expect(v.code).toBe(1);
    expect(v.stderr).toMatch(/entry 2: content does not match/);
    expect(existsSync(join(cwd, "ledger", "lock"))).toBe(false);
  });
});

describe("audit ledger: append once per key", () => {
  it("concurrent appends with one key through two handles (two locks' worth of contention) append exactly once", async () => {
    const dir = join(makeTempDir(), "ledger");
    const a = await openLedger(dir);
    const b = await openLedger(dir);
    try {
      const entry = (i: number) => [{ type: "webhook.test", actor: "svc@example.invalid", payload: { i } }];
      const got = await Promise.all(
        Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).appendBatchOnce("webhook:github:delivery-1", entry(i))),
      );
      expect(got.filter((r) => r !== null)).toHaveLength(1);
      expect(await a.size()).toBe(1);
      // another key appends; the used key stays used for a new handle too
      expect(await a.appendBatchOnce("webhook:github:delivery-2", entry(99))).toHaveLength(1);
      const c = await openLedger(dir);
      expect(await c.appendBatchOnce("webhook:github:delivery-1", entry(100))).toBeNull();
      await c.close();
      expect(await a.size()).toBe(2);
      expect((await a.verify()).ok).toBe(true);
      await expect(a.appendBatchOnce("bad key\n", entry(0))).rejects.toThrow(/append-once key/);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

const { url: PG, skipReason: pgSkip } = await probePg("PostgreSQL ledger tests");

describe.skipIf(!!pgSkip)(`audit ledger: PostgreSQL${pgSkip ? ` (skipped: ${pgSkip})` : ""}`, () => {
  const prefix = `t${process.pid}_${Date.now() % 100000}_`;
  afterAll(async () => {
    const pg = (await import("pg")).default;
    const c = new pg.Client({ connectionString: PG });
    await c.connect();
    await c.query(`DROP TABLE IF EXISTS ${prefix}entries, ${prefix}checkpoints, ${prefix}once CASCADE`);
    await c.query(`DROP FUNCTION IF EXISTS ${prefix}append_only() CASCADE`);
    await c.end();
  });

  it("8 processes × 500 concurrent appends give one gap-free log of 4,000 that verifies; updates are rejected", async () => {
    const url = `${PG}${PG!.includes("?") ? "&" : "?"}table_prefix=${prefix}`;
    const init = await openLedger(url);
    await init.close();
    const script = `
      import { openLedger } from ${JSON.stringify(join(__dirname, "..", "src", "audit", "index.ts"))};
      const l = await openLedger(process.env.URL);
      for (let i = 0; i < 500; i++) await l.append({ type: "t", actor: "w" + process.env.W, payload: { i } });
      await l.close();
    `;
    await Promise.all(
      Array.from(
        { length: 8 },
        (_, w) =>
          new Promise<void>((res, rej) => {
            const c = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
              env: { ...process.env, URL: url, W: String(w) },
              stdio: ["ignore", "ignore", "inherit"],
            });
            c.on("exit", (code) => (code === 0 ? res() : rej(new Error(`worker ${w} exited ${code}`))));
          }),
      ),
    );
    const l = await openLedger(url);
    expect(await l.size()).toBe(4000);
    const seqs: number[] = [];
    const perWorker = new Map<string, number>();
    for await (const e of l.query({})) {
      seqs.push(e.seq);
      perWorker.set(e.actor, (perWorker.get(e.actor) ?? 0) + 1);
    }
    expect(seqs).toEqual(Array.from({ length: 4000 }, (_, i) => i));
    expect([...perWorker.values()]).toEqual(Array(8).fill(500));
    await l.checkpoint(signer);
    expect(await l.verify({ verifiers: [verifier] })).toMatchObject({ ok: true, size: 4001 });
    await l.close();
    const pg = (await import("pg")).default;
    const c = new pg.Client({ connectionString: PG });
    await c.connect();
    await expect(c.query(`UPDATE ${prefix}entries SET canonical = 'x' WHERE seq = 1`)).rejects.toThrow(/append-only/);
    await expect(c.query(`DELETE FROM ${prefix}entries WHERE seq = 1`)).rejects.toThrow(/append-only/);
    await c.end();
  }, 120_000);

  it("process durability: appends commit with synchronous_commit off, and stay gap-free, once-only and verifiable", async () => {
    const p2 = `${prefix}p_`;
    const url = `${PG}${PG!.includes("?") ? "&" : "?"}table_prefix=${p2}`;
    const l = await openLedger(url, { durability: "process" });
    try {
      expect(l.durability).toEqual({ level: "process", syncIntervalMs: 0 });
      // the first append reads the next seq under the lock, the later ones take the one-round-trip path
      for (let i = 0; i < 5; i++) expect((await l.append({ type: "t", actor: "p", payload: { i } })).seq).toBe(i);
      const rs = await Promise.all(
        Array.from({ length: 20 }, (_, i) => l.append({ type: "t", actor: "p", payload: { i: 5 + i } })),
      );
      expect(rs.map((r) => r.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => 5 + i));
      expect(await l.appendBatchOnce("delivery-1", [{ type: "t", actor: "p" }])).toHaveLength(1);
      expect(await l.appendBatchOnce("delivery-1", [{ type: "t", actor: "p" }])).toBeNull();
      await l.checkpoint(signer);
      expect(await l.verify({ verifiers: [verifier] })).toMatchObject({ ok: true, size: 27 });
    } finally {
      await l.close();
      const pg = (await import("pg")).default;
      const c = new pg.Client({ connectionString: PG });
      await c.connect();
      await c.query(`DROP TABLE IF EXISTS ${p2}entries, ${p2}checkpoints, ${p2}once CASCADE`);
      await c.query(`DROP FUNCTION IF EXISTS ${p2}append_only() CASCADE`);
      await c.end();
    }
  });

  it("append once: concurrent appends with one key from two pools append exactly once (unique key, one transaction)", async () => {
    const url = `${PG}${PG!.includes("?") ? "&" : "?"}table_prefix=${prefix}`;
    const a = await openLedger(url);
    const b = await openLedger(url);
    try {
      const before = await a.size();
      const entry = (i: number) => [
        { type: "webhook.test", actor: "svc@example.invalid", payload: { i } },
        { type: "webhook.test", actor: "svc@example.invalid", payload: { i, second: true } },
      ];
      const got = await Promise.all(
        Array.from({ length: 16 }, (_, i) => (i % 2 ? a : b).appendBatchOnce("webhook:gitlab:uuid-1", entry(i))),
      );
      expect(got.filter((r) => r !== null)).toHaveLength(1);
      expect(await a.size()).toBe(before + 2);
      expect(await b.appendBatchOnce("webhook:gitlab:uuid-2", entry(0))).toHaveLength(2);
      const pg = (await import("pg")).default;
      const c = new pg.Client({ connectionString: PG });
      await c.connect();
      await expect(c.query(`DELETE FROM ${prefix}once WHERE key = 'webhook:gitlab:uuid-1'`)).rejects.toThrow(
        /append-only/,
      );
      await c.end();
    } finally {
      await a.close();
      await b.close();
    }
  }, 60_000);
});
