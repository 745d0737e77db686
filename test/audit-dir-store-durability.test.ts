/**
 * The directory ledger's durability levels: `disk` (the default: an append returns after both files'
 * fdatasync) and `process` (it returns once written; the syncs are grouped in the background, a round
 * at most every syncIntervalMs). Under `process`: a process killed with SIGKILL mid-appends loses no
 * acknowledged entry; a power loss (files cut anywhere after the last completed sync, or their new
 * bytes never written) leaves a torn tail that recovery reads and repairs, never tampering; a failed
 * background sync makes the store refuse every later append (fail closed).
 */
import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { fdatasync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { DirStore, LedgerUnavailableError } from "../src/audit/dir-store.js";
import { openLedger } from "../src/audit/index.js";
import { AuditLedger } from "../src/audit/ledger.js";
import { makeTempDir } from "./helpers/repo.js";

const fdatasyncAsync = promisify(fdatasync);
const entry = (i: number) => ({ type: "deploy", subject: `v${i}`, actor: "ci@example.invalid", payload: { n: i } });

/** A sync that records each call and waits until released (or fails when told to). */
function gatedSync() {
  const calls: number[] = [];
  let open = true;
  let failWith: Error | undefined;
  const waiting: (() => void)[] = [];
  const syncFile = async (fd: number): Promise<void> => {
    calls.push(Date.now());
    if (!open) await new Promise<void>((r) => waiting.push(r));
    if (failWith) throw failWith;
    await fdatasyncAsync(fd);
  };
  return {
    syncFile,
    calls,
    hold: () => (open = false),
    release: () => {
      open = true;
      for (const r of waiting.splice(0)) r();
    },
    fail: (err: Error | undefined) => (failWith = err),
  };
}

describe("ledger durability levels", () => {
  it("defaults to disk: an append waits for both files' sync", async () => {
    const dir = join(makeTempDir(), "ledger");
    const plain = await openLedger(dir);
    expect(plain.durability).toEqual({ level: "disk", syncIntervalMs: 0 });
    await plain.close();
    const g = gatedSync();
    const store = await DirStore.open(dir, { syncFile: g.syncFile });
    expect(store.durability).toBe("disk");
    const ledger = new AuditLedger(store);
    g.hold();
    let done = false;
    const p = ledger.append(entry(0)).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(done).toBe(false); // not acknowledged while its syncs are held
    expect(g.calls.length).toBe(2);
    g.release();
    await p;
    expect(done).toBe(true);
    await ledger.close();
  });

  it("disk: a failed fdatasync refuses that append and every later one (fail closed)", async () => {
    const dir = join(makeTempDir(), "ledger");
    const g = gatedSync();
    const ledger = new AuditLedger(await DirStore.open(dir, { syncFile: g.syncFile }));
    await ledger.append(entry(0));
    g.fail(Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" }));
    await expect(ledger.append(entry(1))).rejects.toThrow(LedgerUnavailableError);
    expect(ledger.failure()).toMatch(/an fdatasync failed \(EIO\); the append was not acknowledged/);
    g.fail(undefined);
    await expect(ledger.append(entry(2))).rejects.toThrow(/refuses appends/);
    await ledger.close();
  });

  it("process: acknowledged once written, syncs grouped at most every interval, all durable at close", async () => {
    const dir = join(makeTempDir(), "ledger");
    const g = gatedSync();
    const store = await DirStore.open(dir, { durability: "process", syncIntervalMs: 40, syncFile: g.syncFile });
    const ledger = new AuditLedger(store);
    expect(ledger.durability).toEqual({ level: "process", syncIntervalMs: 40 });
    const atOpen = g.calls.length; // the sync on open (entries a killed process left in the page cache)
    expect(atOpen).toBe(2);
    g.hold();
    // acknowledged while no sync can finish: the entries are in both files
    for (let i = 0; i < 5; i++) expect((await ledger.append(entry(i))).seq).toBe(i);
    expect(statSync(join(dir, "leaves.bin")).size).toBe(5 * 40);
    g.release();
    const t0 = Date.now();
    while (Date.now() - t0 < 400) {
      await ledger.append(entry(99));
      await new Promise((r) => setTimeout(r, 2));
    }
    await ledger.close();
    // rounds (two syncs each) started at least 40 ms apart, less a timer's slack
    const starts = g.calls.slice(atOpen).filter((_, i) => i % 2 === 0);
    expect(starts.length).toBeGreaterThanOrEqual(3);
    expect(starts.length).toBeLessThan(400 / 40 + 4);
    for (let i = 1; i < starts.length - 1; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(38);
    const again = await openLedger(dir, { readOnly: true });
    expect((await again.verify()).ok).toBe(true);
    await again.close();
  });

  it("process: a failed background sync makes the store fail closed, once and for every later append", async () => {
    const dir = join(makeTempDir(), "ledger");
    const g = gatedSync();
    const store = await DirStore.open(dir, { durability: "process", syncIntervalMs: 5, syncFile: g.syncFile });
    const ledger = new AuditLedger(store);
    const failures: string[] = [];
    ledger.onFailure((m) => failures.push(m));
    await ledger.append(entry(0));
    await ledger.flush();
    expect(ledger.failure()).toBeUndefined();
    g.fail(Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" }));
    await ledger.append(entry(1)); // written before the failing round: acknowledged, not yet known durable
    await expect(ledger.flush()).rejects.toThrow(LedgerUnavailableError);
    expect(ledger.failure()).toMatch(/fdatasync failed \(EIO\)/);
    expect(failures).toHaveLength(1);
    const refused = await ledger.append(entry(2)).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(LedgerUnavailableError);
    expect((refused as LedgerUnavailableError).statusCode).toBe(503);
    expect(statSync(join(dir, "leaves.bin")).size).toBe(2 * 40); // nothing written after the failure
    expect(failures).toHaveLength(1);
    await ledger.close();
    // a restart re-reads the files, syncs them, and appends again
    const restarted = await openLedger(dir, { durability: "process" });
    expect(restarted.failure()).toBeUndefined();
    expect((await restarted.append(entry(2))).seq).toBe(2);
    await restarted.close();
  });

  it("process: an append waits for a sync rather than leave more than 1,024 entries not known durable", async () => {
    const dir = join(makeTempDir(), "ledger");
    const g = gatedSync();
    const store = await DirStore.open(dir, { durability: "process", syncIntervalMs: 1000, syncFile: g.syncFile });
    const ledger = new AuditLedger(store);
    g.hold();
    await ledger.appendBatch(Array.from({ length: 500 }, (_, i) => entry(i)));
    await ledger.appendBatch(Array.from({ length: 500 }, (_, i) => entry(i)));
    let done = false;
    const third = ledger.appendBatch(Array.from({ length: 100 }, (_, i) => entry(i))).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(done).toBe(false);
    g.release();
    await third;
    expect(await ledger.size()).toBe(1100);
    await ledger.close();
  });

  it("process: a checkpoint is saved only after the entries it covers are synced", async () => {
    const dir = join(makeTempDir(), "ledger");
    const g = gatedSync();
    const store = await DirStore.open(dir, { durability: "process", syncIntervalMs: 1000, syncFile: g.syncFile });
    await store.append(() => [Buffer.from('{"seq":0}')]);
    const before = g.calls.length;
    await store.saveCheckpoint(1, "note");
    expect(g.calls.length).toBe(before + 2);
    await store.close();
  });

  it("process: SIGKILL mid-appends loses no acknowledged entry", async () => {
    const dir = join(makeTempDir(), "ledger");
    // the child prints each acknowledged seq and leaf hash; it is killed while appending
    const script = `
      import { openLedger } from ${JSON.stringify(join(import.meta.dirname, "..", "src", "audit", "index.ts"))};
      const l = await openLedger(process.env.DIR, { durability: "process" });
      const one = async (w) => {
        for (let i = 0; ; i++) {
          const rs = await l.appendBatch([{ type: "t", actor: "w" + w, payload: { i } }, { type: "t", actor: "w" + w, payload: { i, b: 1 } }]);
          process.stdout.write(rs.map((r) => r.seq + " " + r.leafHash + "\\n").join(""));
        }
      };
      await Promise.all([one(0), one(1), one(2), one(3)]);
    `;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      env: { ...process.env, DIR: dir },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    const acked = new Map<number, string>();
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        const lines = out.split("\n");
        out = lines.pop()!;
        for (const line of lines) {
          const [seq, hash] = line.split(" ");
          acked.set(Number(seq), hash!);
        }
        if (acked.size >= 3000 && child.exitCode === null) {
          child.kill("SIGKILL");
          resolve();
        }
      });
      child.on("exit", (code, signal) => {
        if (signal !== "SIGKILL") reject(new Error(`child exited ${code}`));
      });
    });
    await new Promise((r) => child.once("close", r));
    const ledger = await openLedger(dir, { readOnly: true });
    const size = await ledger.size();
    const leaves = await (ledger as unknown as { store: DirStore }).store.leaves();
    const missing = [...acked].filter(([seq, hash]) => seq >= size || leaves.leaf(seq).toString("hex") !== hash);
    expect(missing).toEqual([]);
    const v = await ledger.verify();
    expect(v.ok).toBe(true);
    await ledger.close();
    // a kill between the two files' writes leaves a torn tail of one unacknowledged batch at most: repaired
    const writable = await openLedger(dir, { durability: "process" });
    if (v.warnings.length > 0) await writable.repair();
    expect((await writable.append(entry(0))).seq).toBeGreaterThanOrEqual(size);
    await writable.close();
  }, 60_000);

  it("process: a power loss after the last sync leaves a torn tail that is read, repaired and appended to", async () => {
    // Entries known durable at the last sync, then batches written but not synced. A power loss keeps
    // each file cut anywhere between its synced and written size, or its new bytes never written
    // (the size reached the disk, the data did not: zeros).
    const src = join(makeTempDir(), "ledger");
    const ledger = await openLedger(src, { durability: "process", syncIntervalMs: 1000 });
    for (let i = 0; i < 4; i++) await ledger.append(entry(i));
    await ledger.flush();
    const e0 = statSync(join(src, "entries.log")).size;
    const l0 = statSync(join(src, "leaves.bin")).size;
    for (let b = 0; b < 3; b++) await ledger.appendBatch([entry(10 + b), entry(20 + b), entry(30 + b)]);
    const e1 = statSync(join(src, "entries.log")).size;
    const l1 = statSync(join(src, "leaves.bin")).size;
    const entriesBytes = readFileSync(join(src, "entries.log"));
    const leavesBytes = readFileSync(join(src, "leaves.bin"));
    await ledger.close();
    const mid = (a: number, b: number) => a + Math.floor((b - a) / 2);
    const eCuts = [e0, e0 + 3, mid(e0, e1), e1 - 1, e1];
    const lCuts = [l0, l0 + 20, l0 + 40, mid(l0, l1), l1 - 40, l1 - 1, l1];
    let states = 0;
    for (const ec of eCuts)
      for (const lc of lCuts)
        for (const zeros of [false, true]) {
          const dir = join(makeTempDir(), "ledger");
          mkdirSync(dir);
          const e = Buffer.from(entriesBytes);
          const l = Buffer.from(leavesBytes);
          if (zeros) {
            e.fill(0, ec);
            l.fill(0, lc);
          }
          writeFileSync(join(dir, "entries.log"), zeros ? e : e.subarray(0, ec));
          writeFileSync(join(dir, "leaves.bin"), zeros ? l : l.subarray(0, lc));
          const label = `entries cut at ${ec}, leaves at ${lc}${zeros ? ", zero-filled" : ""}`;
          const ro = await openLedger(dir, { readOnly: true });
          const v = await ro.verify();
          expect(v.ok, `${label}: ${v.problem ?? ""}`).toBe(true);
          // nothing synced before the cut is lost
          expect(await ro.size(), label).toBeGreaterThanOrEqual(4);
          await ro.close();
          const rw = await openLedger(dir, { durability: "process" });
          await rw.repair();
          const n = await rw.size();
          expect((await rw.append(entry(99))).seq, label).toBe(n);
          await rw.close();
          const after = await openLedger(dir, { readOnly: true });
          const v2 = await after.verify();
          expect(
            v2.ok && v2.warnings.length === 0,
            `${label} after repair: ${v2.problem ?? v2.warnings.join("; ")}`,
          ).toBe(true);
          await after.close();
          states++;
        }
    expect(states).toBe(eCuts.length * lCuts.length * 2);
  }, 120_000);

  it("process: opening the ledger syncs what a killed process left in the page cache", async () => {
    const dir = join(makeTempDir(), "ledger");
    const g = gatedSync();
    const first = await DirStore.open(dir, { durability: "process", syncIntervalMs: 1000, syncFile: g.syncFile });
    await first.append(() => [Buffer.from('{"seq":0}')]);
    const calls = g.calls.length;
    const second = await DirStore.open(dir, { durability: "process", syncFile: g.syncFile });
    expect(g.calls.length).toBe(calls + 2);
    await second.close();
    await first.close();
  });
});
