import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { basename, join } from "node:path";
import canonicalize from "canonicalize";
import { openLedger } from "../src/audit/index.js";
import { hashLeaf } from "../src/audit/merkle.js";
import { generateNoteSigner, parseSignerKey } from "../src/core/note-key.js";
import { makeRepo, makeTempDir, runCli } from "./helpers/repo.js";
import { probePg } from "./helpers/pg.js";

/*
 * Issue 13, items 4 and 5: the verifier never writes, tampering is not mistaken for a torn write,
 * checkpoints that were made cannot silently vanish, bundles prove what they claim, and signing
 * keys live outside the repository where the scanner would catch them anyway.
 */

const keys = generateNoteSigner("gitops-health.test/verify");

/** Every file under `dir` (names, modes and contents), as one digest. */
function digestDir(dir: string): string {
  const h = createHash("sha256");
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      const full = join(d, name);
      const st = statSync(full);
      h.update(`${rel}${name}\0${st.mode}\0`);
      if (st.isDirectory()) walk(full, `${rel}${name}/`);
      else h.update(readFileSync(full));
    }
  };
  walk(dir, "");
  return h.digest("hex");
}

function copyDir(from: string): string {
  const to = join(makeTempDir(), "ledger");
  mkdirSync(to);
  for (const f of readdirSync(from)) copyFileSync(join(from, f), join(to, f));
  return to;
}

/** A ledger made by the CLI: n entries, then a signed checkpoint saved to a file outside it. */
function cliLedger(n: number) {
  const cwd = makeTempDir();
  const env = { GITOPS_HEALTH_LEDGER: join(cwd, "ledger"), GITOPS_HEALTH_LEDGER_KEY: join(cwd, "keys", "ledger.key") };
  const kg = runCli(["audit", "keygen", "--origin", "example.org/verify"], { cwd, env });
  expect(kg.code).toBe(0);
  const vkey = kg.stdout.trim();
  for (let i = 0; i < n; i++)
    expect(
      runCli(["audit", "append", "--type", "deployment", "--subject", `r${i}`, "--data", `{"i":${i}}`], { cwd, env })
        .code,
    ).toBe(0);
  return { cwd, env, vkey, dir: env.GITOPS_HEALTH_LEDGER };
}

/** Frames of entries.log, with their byte ranges. */
function frames(dir: string): { start: number; end: number; data: Buffer }[] {
  const buf = readFileSync(join(dir, "entries.log"));
  const out = [];
  for (let p = 0; p < buf.length;) {
    const len = buf.readUInt32BE(p);
    out.push({ start: p, end: p + 4 + len, data: buf.subarray(p + 4, p + 4 + len) });
    p += 4 + len;
  }
  return out;
}

/** Remove one frame's bytes from entries.log, leaving leaves.bin as it is (the issue's repro). */
function deleteFrame(dir: string, index: number) {
  const buf = readFileSync(join(dir, "entries.log"));
  const f = frames(dir)[index]!;
  writeFileSync(join(dir, "entries.log"), Buffer.concat([buf.subarray(0, f.start), buf.subarray(f.end)]));
}

async function libLedger(n: number) {
  const dir = join(makeTempDir(), "ledger");
  const l = await openLedger(dir);
  for (let i = 0; i < n; i++)
    await l.append({ type: "deploy", actor: "ci@example.invalid", subject: `v${i}`, payload: { i } });
  const { note } = await l.checkpoint(parseSignerKey(keys.signerKey));
  await l.close();
  return { dir, note };
}

describe("audit verify is read-only", () => {
  it("leaves every file of a tampered and of a torn ledger byte-for-byte as it was (CLI and library)", async () => {
    const { cwd, env, vkey, dir } = cliLedger(5);
    expect(runCli(["audit", "checkpoint"], { cwd, env }).code).toBe(0);
    // Tampered: an acknowledged entry deleted from the middle of entries.log.
    const tampered = copyDir(dir);
    deleteFrame(tampered, 2);
    // Torn: an append interrupted after its frame was half written (no index row yet).
    const torn = copyDir(dir);
    writeFileSync(
      join(torn, "entries.log"),
      Buffer.concat([readFileSync(join(torn, "entries.log")), Buffer.from([0, 0, 0, 90]), Buffer.from('{"seq":6,"ty')]),
    );
    for (const [d, code] of [
      [tampered, 1],
      [torn, 0],
    ] as const) {
      const before = digestDir(d);
      const r = runCli(["audit", "verify", "--key", vkey, "--ledger", d], { cwd, env });
      expect(r.code, r.stderr).toBe(code);
      expect(digestDir(d)).toBe(before);
      const l = await openLedger(d, { readOnly: true });
      await l.verify({});
      await l.close();
      expect(digestDir(d)).toBe(before);
      expect(existsSync(join(d, "lock"))).toBe(false);
    }
    // Verifying a ledger that does not exist creates nothing.
    const missing = join(makeTempDir(), "nope");
    expect(runCli(["audit", "verify", "--ledger", missing], { cwd, env }).code).toBe(2);
    expect(existsSync(missing)).toBe(false);
  });

  it("reports an entry deleted from the middle as tampering, not a torn write, and neither append nor repair destroys the evidence", () => {
    const { cwd, env, vkey, dir } = cliLedger(5);
    deleteFrame(dir, 2);
    const before = digestDir(dir);
    const v = runCli(["audit", "verify", "--key", vkey], { cwd, env });
    expect(v.code).toBe(1);
    expect(v.stderr).toMatch(/entry 2: sequence number 3 where 2 was expected \(entry 2 deleted: tampering/);
    for (const line of v.stderr.split("\n").filter((x) => /torn/i.test(x))) expect(line).toMatch(/not a torn write/);
    const a = runCli(["audit", "append", "--type", "deployment", "--subject", "after"], { cwd, env });
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/tampering/);
    const rep = runCli(["audit", "repair"], { cwd, env });
    expect(rep.code).toBe(1);
    expect(rep.stderr).toMatch(/refusing to repair.*nothing was changed/);
    expect(digestDir(dir)).toBe(before);
  });

  it("a torn tail: verify reports it and passes, append refuses, repair quarantines the removed bytes and records itself", async () => {
    const { cwd, env, vkey, dir } = cliLedger(3);
    const tornBytes = Buffer.concat([Buffer.from([0, 0, 0, 77]), Buffer.from('{"actor":"a","payload":{"i":')]);
    writeFileSync(join(dir, "entries.log"), Buffer.concat([readFileSync(join(dir, "entries.log")), tornBytes]));
    const v = runCli(["audit", "verify", "--key", vkey], { cwd, env });
    expect(v.code).toBe(0);
    expect(v.stderr).toMatch(/ledger OK: 3 entries/);
    expect(v.stderr).toMatch(/incomplete record of 32 byte\(s\).*audit repair/);
    const a = runCli(["audit", "append", "--type", "deployment"], { cwd, env });
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/run 'gitops-health audit repair'/);
    const rep = runCli(["audit", "repair"], { cwd, env });
    expect(rep.code, rep.stderr).toBe(0);
    expect(rep.stderr).toMatch(/32 byte\(s\) cut from entries\.log.*quarantine.*recorded as entry 3/);
    const [q] = readdirSync(join(dir, "quarantine"));
    const kept = JSON.parse(readFileSync(join(dir, "quarantine", q!), "utf8"));
    expect(Buffer.from(kept.entriesLog.bytes, "base64").equals(tornBytes)).toBe(true);
    expect(statSync(join(dir, "quarantine", q!)).mode & 0o777).toBe(0o600);
    const l = await openLedger(dir, { readOnly: true });
    const entries = [];
    for await (const e of l.query({ type: "ledger.repair" })) entries.push(e);
    await l.close();
    expect(entries).toHaveLength(1);
    expect(entries[0]!.payload).toMatchObject({ removedEntriesBytes: 32, reindexed: 0, quarantine: q });
    expect(runCli(["audit", "append", "--type", "deployment"], { cwd, env }).code).toBe(0);
    expect(runCli(["audit", "verify", "--key", vkey], { cwd, env }).code).toBe(0);
    expect(runCli(["audit", "repair"], { cwd, env }).stderr).toMatch(/nothing to repair/);
  });

  it("every crash point of an append: read-only verify keeps the acknowledged entries; repair re-indexes a complete unindexed entry", async () => {
    const { dir } = await libLedger(2);
    const l = await openLedger(dir);
    await l.append({ type: "last", actor: "a", payload: { big: "x".repeat(40) } });
    await l.close();
    const log = readFileSync(join(dir, "entries.log"));
    const idx = readFileSync(join(dir, "leaves.bin"));
    const last = frames(dir).at(-1)!;
    const states: [string, Buffer, Buffer, number][] = [];
    for (let cut = last.start + 1; cut < last.end; cut += 7)
      states.push([`entries cut at ${cut}`, log.subarray(0, cut), idx.subarray(0, idx.length - 40), 0]);
    for (let row = 0; row < 40; row += 9)
      states.push([`row torn at ${row}`, log, idx.subarray(0, idx.length - 40 + row), 1]);
    for (const [what, e, i, reindexed] of states) {
      const d = join(makeTempDir(), "ledger");
      mkdirSync(d);
      writeFileSync(join(d, "entries.log"), e);
      writeFileSync(join(d, "leaves.bin"), i);
      copyFileSync(join(dir, "checkpoints.jsonl"), join(d, "checkpoints.jsonl"));
      const ro = await openLedger(d, { readOnly: true });
      const r = await ro.verify({});
      expect(r, what).toMatchObject({ ok: true, size: 3 });
      expect(r.warnings.length, what).toBeGreaterThan(0);
      await ro.close();
      const w = await openLedger(d);
      await expect(w.append({ type: "x", actor: "a" }), what).rejects.toThrow(/audit repair/);
      const rep = await w.repair();
      expect(rep.report!.reindexed, what).toBe(reindexed);
      expect(await w.size(), what).toBe(3 + reindexed + 1);
      expect((await w.verify({})).ok, what).toBe(true);
      await w.close();
    }
  });
});

describe("checkpoints that were made cannot vanish", () => {
  it("deleting checkpoints.jsonl (or one checkpoint) fails verification", async () => {
    const { cwd, env, vkey, dir } = cliLedger(3);
    expect(runCli(["audit", "checkpoint"], { cwd, env }).code).toBe(0);
    expect(runCli(["audit", "append", "--type", "deployment"], { cwd, env }).code).toBe(0);
    expect(runCli(["audit", "checkpoint"], { cwd, env }).code).toBe(0);
    expect(runCli(["audit", "verify", "--key", vkey], { cwd, env }).stderr).toMatch(
      /ledger OK: 6 entries.*2 checkpoint/,
    );
    const lines = readFileSync(join(dir, "checkpoints.jsonl"), "utf8").trim().split("\n");
    writeFileSync(join(dir, "checkpoints.jsonl"), lines[1] + "\n");
    const one = runCli(["audit", "verify", "--key", vkey], { cwd, env });
    expect(one.code).toBe(1);
    expect(one.stderr).toMatch(/entry 3: the log records a signed checkpoint of size 4 that is no longer stored/);
    unlinkSync(join(dir, "checkpoints.jsonl"));
    const none = runCli(["audit", "verify", "--key", vkey], { cwd, env });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/records 2 signed checkpoint\(s\) but no checkpoint is stored/);
  });

  it("--checkpoint FILE: the ledger must extend a trusted signed checkpoint from outside", async () => {
    const { cwd, env, vkey, dir } = cliLedger(4);
    const cp = runCli(["audit", "checkpoint"], { cwd, env });
    const file = join(cwd, "auditor.cp");
    writeFileSync(file, cp.stdout);
    expect(runCli(["audit", "append", "--type", "deployment"], { cwd, env }).code).toBe(0);
    const ok = runCli(["audit", "verify", "--key", vkey, "--checkpoint", file], { cwd, env });
    expect(ok.code, ok.stderr).toBe(0);
    // No trusted key at all: a usage error, not a silent pass.
    expect(
      runCli(["audit", "verify", "--checkpoint", file], {
        cwd,
        env: { ...env, GITOPS_HEALTH_LEDGER_KEY: join(cwd, "none.key") },
      }).code,
    ).toBe(2);
    // Signed by someone else: fails.
    const other = generateNoteSigner("example.org/verify");
    expect(runCli(["audit", "verify", "--key", other.verifierKey, "--checkpoint", file], { cwd, env }).code).toBe(1);
    // Ledger rewritten consistently, everything re-signed locally: the outside checkpoint exposes it.
    const forged = copyDir(dir);
    const canon = frames(forged).map((f) => JSON.parse(f.data.toString()));
    canon[1].payload = { i: 99 };
    const rows: Buffer[] = [];
    const out: Buffer[] = [];
    let pos = 0;
    for (const e of canon) {
      const c = Buffer.from(canonicalize(e)!);
      const h = Buffer.alloc(4);
      h.writeUInt32BE(c.length);
      out.push(h, c);
      pos += 4 + c.length;
      const r = Buffer.alloc(40);
      hashLeaf(c).copy(r);
      r.writeBigUInt64BE(BigInt(pos), 32);
      rows.push(r);
    }
    writeFileSync(join(forged, "entries.log"), Buffer.concat(out));
    writeFileSync(join(forged, "leaves.bin"), Buffer.concat(rows));
    unlinkSync(join(forged, "checkpoints.jsonl"));
    const diverged = runCli(["audit", "verify", "--key", vkey, "--checkpoint", file, "--ledger", forged], { cwd, env });
    expect(diverged.code).toBe(1);
    // Smaller than the checkpoint: fails.
    const small = copyDir(dir);
    const fs = frames(small);
    writeFileSync(join(small, "entries.log"), readFileSync(join(small, "entries.log")).subarray(0, fs[2]!.end));
    writeFileSync(join(small, "leaves.bin"), readFileSync(join(small, "leaves.bin")).subarray(0, 3 * 40));
    const smaller = runCli(["audit", "verify", "--key", vkey, "--checkpoint", file, "--ledger", small], { cwd, env });
    expect(smaller.code).toBe(1);
    expect(smaller.stderr).toMatch(/covers 5 entries but the log has 3/);
    // Records cut off entries.log with their index rows kept: since an append syncs both files at once, the
    // directory alone reads this as an interrupted append (a torn tail, docs/SECURITY.md); the outside
    // checkpoint still exposes the missing entries.
    const cut = copyDir(dir);
    writeFileSync(join(cut, "entries.log"), readFileSync(join(cut, "entries.log")).subarray(0, frames(cut)[2]!.end));
    const local = runCli(["audit", "verify", "--key", vkey, "--ledger", cut], { cwd, env });
    expect(local.stderr).toMatch(/index row\(s\) after entry 2 whose records are missing/);
    const truncated = runCli(["audit", "verify", "--key", vkey, "--checkpoint", file, "--ledger", cut], { cwd, env });
    expect(truncated.code).toBe(1);
    expect(truncated.stderr).toMatch(/covers 5 entries but the log has 3/);
  });

  it("--consistency OLD NEW checks both signatures and the RFC 9162 proof, from the ledger or a supplied proof", () => {
    const { cwd, env, vkey } = cliLedger(3);
    const oldF = join(cwd, "old.cp");
    const newF = join(cwd, "new.cp");
    writeFileSync(oldF, runCli(["audit", "checkpoint"], { cwd, env }).stdout);
    for (let i = 0; i < 5; i++) runCli(["audit", "append", "--type", "deployment"], { cwd, env });
    writeFileSync(newF, runCli(["audit", "checkpoint"], { cwd, env }).stdout);
    const ok = runCli(["audit", "verify", "--key", vkey, "--consistency", oldF, newF], { cwd, env });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toMatch(/size 10 extends the log of size 4/);
    // Offline, with the proof from `audit prove --consistency`, and no ledger at all.
    const proofF = join(cwd, "proof.json");
    writeFileSync(proofF, runCli(["audit", "prove", "--consistency", "4", "10"], { cwd, env }).stdout);
    const offline = { ...env, GITOPS_HEALTH_LEDGER: join(cwd, "absent") };
    expect(
      runCli(["audit", "verify", "--key", vkey, "--consistency", oldF, newF, "--proof", proofF], { cwd, env: offline })
        .code,
    ).toBe(0);
    expect(existsSync(join(cwd, "absent"))).toBe(false);
    const p = JSON.parse(readFileSync(proofF, "utf8"));
    p.proof[0] = p.proof[0].replace(/^./, (c: string) => (c === "0" ? "1" : "0"));
    writeFileSync(proofF, JSON.stringify(p));
    expect(
      runCli(["audit", "verify", "--key", vkey, "--consistency", oldF, newF, "--proof", proofF], { cwd, env: offline })
        .code,
    ).toBe(1);
    // Swapped, or signed by another key: fails.
    expect(runCli(["audit", "verify", "--key", vkey, "--consistency", newF, oldF], { cwd, env }).code).toBe(1);
    const other = generateNoteSigner("example.org/verify");
    expect(
      runCli(["audit", "verify", "--key", other.verifierKey, "--consistency", oldF, newF], { cwd, env }).code,
    ).toBe(1);
    // A checkpoint of a forked history (same size, another root) is not consistent.
    const forkDir = makeTempDir();
    const forkEnv = {
      GITOPS_HEALTH_LEDGER: join(forkDir, "ledger"),
      GITOPS_HEALTH_LEDGER_KEY: env.GITOPS_HEALTH_LEDGER_KEY,
    };
    for (let i = 0; i < 9; i++)
      runCli(["audit", "append", "--type", "deployment", "--subject", `fork${i}`], { cwd, env: forkEnv });
    const forkF = join(cwd, "fork.cp");
    writeFileSync(forkF, runCli(["audit", "checkpoint"], { cwd, env: forkEnv }).stdout);
    const fork = runCli(["audit", "verify", "--key", vkey, "--consistency", oldF, forkF], { cwd, env });
    expect(fork.code).toBe(1);
    expect(fork.stderr).toMatch(/consistency FAILED/);
  });
});

describe("evidence bundles prove what they claim", () => {
  it("a bundle with one entry removed fails, naming what it lacks; a complete one passes", () => {
    const { cwd, env, vkey } = cliLedger(12);
    const out = join(cwd, "evidence.json");
    expect(runCli(["audit", "export", "--format", "json", "--out", out], { cwd, env }).code).toBe(0);
    const ok = runCli(["audit", "verify", "--bundle", out, "--key", vkey], { cwd, env });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toMatch(/bundle OK: complete: 13 entries \(0-12\)/);
    const b = JSON.parse(readFileSync(out, "utf8"));
    for (const [name, drop] of [
      ["middle", 5],
      ["first", 0],
      ["last", 12],
    ] as const) {
      const cut = { ...b, entries: b.entries.filter((e: { seq: number }) => e.seq !== drop) };
      writeFileSync(out, JSON.stringify(cut));
      const r = runCli(["audit", "verify", "--bundle", out, "--key", vkey], { cwd, env });
      expect(r.code, name).toBe(1);
      expect(r.stderr, name).toMatch(new RegExp(`bundle FAILED: bundle is partial: .*lacks 1: ${drop}$`, "m"));
    }
  });

  it("a time-ranged bundle is complete only with its proven boundary entries", async () => {
    const dir = join(makeTempDir(), "ledger");
    let t = Date.parse("2026-01-01T00:00:00Z");
    const l = await openLedger(dir, { now: () => new Date((t += 86_400_000)) });
    for (let i = 0; i < 10; i++) await l.append({ type: "deploy", actor: "ci@example.invalid", payload: { i } });
    const signer = parseSignerKey(keys.signerKey);
    const { note } = await l.checkpoint(signer);
    const { buildBundle, verifyBundle } = await import("../src/audit/bundle.js");
    const { parseVerifierKey } = await import("../src/core/note-key.js");
    const v = parseVerifierKey(keys.verifierKey);
    const b = await buildBundle(l, {
      from: "2026-01-04",
      to: "2026-01-07T23:59:59.999Z",
      checkpoint: note,
      verifierKey: keys.verifierKey,
    });
    await l.close();
    expect(b.entries.map((e) => e.seq)).toEqual([2, 3, 4, 5]);
    expect(verifyBundle(b, v)).toMatchObject({ ok: true, entries: 4, first: 2, last: 5 });
    expect(verifyBundle({ ...b, entries: b.entries.slice(1) }, v)).toMatchObject({ ok: false, missing: ["2"] });
    expect(verifyBundle({ ...b, entries: b.entries.slice(0, -1) }, v)).toMatchObject({ ok: false, missing: ["5"] });
    // Dropping a boundary too does not help: the bundle then claims to start at entry 0.
    expect(
      verifyBundle({ ...b, entries: b.entries.slice(1), bounds: { before: null, after: b.bounds!.after } }, v),
    ).toMatchObject({ ok: false, missing: ["0-2"] });
    expect(
      verifyBundle({ ...b, entries: b.entries.slice(0, -1), bounds: { before: b.bounds!.before, after: null } }, v),
    ).toMatchObject({ ok: false, missing: ["5-10"] });
  });
});

describe("signing keys outside the repository", () => {
  it("keygen writes to the user's config directory (0600 in a 0700 directory), nothing in the repository", () => {
    const repo = makeRepo();
    repo.commit("chore: base", { "README.md": "hi\n" });
    const xdg = makeTempDir();
    const env = { XDG_CONFIG_HOME: xdg, GITOPS_HEALTH_LEDGER: join(repo.dir, ".gitops-health", "ledger") };
    const kg = runCli(["audit", "keygen"], { cwd: repo.dir, env });
    expect(kg.code, kg.stderr).toBe(0);
    const keyDir = join(xdg, "gitops-health", "keys");
    const [key] = readdirSync(keyDir).filter((f) => f.endsWith(".key"));
    expect(key).toMatch(/^gh-repo-.*-[0-9a-f]{8}\.key$/);
    expect(statSync(join(keyDir, key!)).mode & 0o777).toBe(0o600);
    expect(statSync(keyDir).mode & 0o777).toBe(0o700);
    expect(existsSync(join(repo.dir, ".gitops-health", "keys"))).toBe(false);
    // The default key is found again for signing.
    expect(runCli(["audit", "append", "--type", "deployment"], { cwd: repo.dir, env }).code).toBe(0);
    const cp = runCli(["audit", "checkpoint"], { cwd: repo.dir, env });
    expect(cp.code, cp.stderr).toBe(0);
    expect(runCli(["audit", "verify", "--key", kg.stdout.trim()], { cwd: repo.dir, env }).code).toBe(0);
    expect(repo.git("status", "--porcelain", "--untracked-files=all")).not.toMatch(/\.key/);
  });

  it("refuses a key file inside a work tree unless --force-in-repo, which then ignores it", () => {
    const repo = makeRepo();
    repo.commit("chore: base", { "README.md": "hi\n" });
    const env = { XDG_CONFIG_HOME: makeTempDir() };
    const inRepo = join(repo.dir, ".gitops-health", "keys", "ledger.key");
    const r = runCli(["audit", "keygen", "--key-file", inRepo], { cwd: repo.dir, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/refusing to write a private signing key inside the git work tree/);
    expect(existsSync(inRepo)).toBe(false);
    const f = runCli(["audit", "keygen", "--key-file", inRepo, "--force-in-repo"], { cwd: repo.dir, env });
    expect(f.code, f.stderr).toBe(0);
    expect(statSync(inRepo).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(repo.dir, ".gitignore"), "utf8")).toContain("/.gitops-health/keys/ledger.key");
    repo.git("add", "-A");
    expect(repo.git("diff", "--cached", "--name-only")).not.toMatch(/ledger\.key\n/);
  });

  it("init makes git ignore signing keys", () => {
    const repo = makeRepo();
    repo.write(".gitignore", "node_modules/\n");
    // init also creates the fingerprint key outside the repository: a temporary config dir, not the user's
    const env = { XDG_CONFIG_HOME: join(repo.dir, "..", `${basename(repo.dir)}-cfg`) };
    expect(runCli(["init"], { cwd: repo.dir, env }).code).toBe(0);
    const gi = readFileSync(join(repo.dir, ".gitignore"), "utf8");
    expect(gi).toMatch(/^node_modules\/\n/);
    expect(gi).toContain(".gitops-health/keys/\n");
    expect(gi).toContain("*.key\n");
    repo.write(".gitops-health/keys/ledger.key", "x\n");
    repo.write("deploy/signing.key", "x\n");
    repo.git("add", "-A");
    expect(repo.git("diff", "--cached", "--name-only")).not.toMatch(/\.key/);
    // Idempotent.
    expect(runCli(["init", "--force"], { cwd: repo.dir, env }).code).toBe(0);
    expect(readFileSync(join(repo.dir, ".gitignore"), "utf8")).toBe(gi);
  });

  it("scan --staged reports a signed-note private key as a high finding (exit 1) without echoing it", () => {
    const repo = makeRepo();
    repo.commit("chore: base", { "README.md": "hi\n" });
    const k = generateNoteSigner("gitops-health/ehr");
    // Where earlier versions of keygen wrote it, with no ignore in place.
    repo.write(".gitops-health/keys/ledger.key", k.signerKey + "\n");
    repo.write("config/ci.env", `LEDGER_SIGNER=${generateNoteSigner("example.org/ci").signerKey}\n`);
    repo.git("add", "-A");
    for (const args of [
      ["scan", "--staged"],
      ["scan", "--staged", "--format", "json"],
    ]) {
      const r = runCli(args, { cwd: repo.dir });
      expect(r.code, args.join(" ")).toBe(1);
      expect(r.stdout + r.stderr).not.toContain(k.signerKey.slice(-30));
      if (args.includes("json")) {
        const f = JSON.parse(r.stdout).findings;
        expect(f.map((x: { file: string }) => x.file).sort()).toEqual([
          ".gitops-health/keys/ledger.key",
          "config/ci.env",
        ]);
        for (const x of f)
          expect(x).toMatchObject({ severity: "high", category: "secret", ruleId: "signed-note-private-key" });
      } else expect(r.stderr).toContain(".gitops-health/keys/ledger.key");
    }
  });
});

const { url: PG, skipReason: pgSkip } = await probePg("PostgreSQL read-only verify");
describe.skipIf(!!pgSkip)(`audit verify on PostgreSQL${pgSkip ? ` (skipped: ${pgSkip})` : ""}`, () => {
  it("a read-only open creates no tables, and verification of an existing ledger needs none of its DDL", async () => {
    const pg = (await import("pg")).default;
    const c = new pg.Client({ connectionString: PG, connectionTimeoutMillis: 2000 });
    await c.connect();
    const prefix = `rv${process.pid}_${Date.now() % 100000}_`;
    const url = `${PG}${PG!.includes("?") ? "&" : "?"}table_prefix=${prefix}`;
    const tables = async () =>
      (await c.query(`SELECT count(*)::int AS n FROM pg_tables WHERE tablename LIKE $1`, [`${prefix}%`])).rows[0]
        .n as number;
    try {
      await expect(openLedger(url, { readOnly: true })).rejects.toThrow(/no ledger at/);
      expect(await tables()).toBe(0);
      const w = await openLedger(url);
      for (let i = 0; i < 3; i++) await w.append({ type: "deploy", actor: "ci@example.invalid", payload: { i } });
      await w.checkpoint(parseSignerKey(keys.signerKey));
      await w.close();
      const { parseVerifierKey } = await import("../src/core/note-key.js");
      const ro = await openLedger(url, { readOnly: true });
      expect(await ro.verify({ verifiers: [parseVerifierKey(keys.verifierKey)] })).toMatchObject({
        ok: true,
        size: 4,
        checkpointsChecked: 1,
      });
      await ro.close();
    } finally {
      await c.query(`DROP TABLE IF EXISTS ${prefix}entries, ${prefix}checkpoints, ${prefix}once CASCADE`);
      await c.query(`DROP FUNCTION IF EXISTS ${prefix}append_only() CASCADE`);
      await c.end();
    }
  });
});
