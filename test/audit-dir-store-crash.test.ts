/**
 * Crash states of the directory ledger's append now that its two syncs are in flight at once (frames
 * to entries.log and rows to leaves.bin, synced together; nobody answered before both are durable):
 * any prefix of the batch's frames and any prefix of its rows may have reached the disk, and a file's
 * new size may have reached it without its bytes (zero-filled). Every such state must keep the
 * acknowledged entries, verify (read-only, changing nothing) as a torn tail, be refused by an append,
 * and be repaired into a ledger that verifies and takes appends again. Rewritten or moved records stay
 * tampering.
 */
import { describe, expect, it } from "vitest";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { openLedger } from "../src/audit/index.js";
import { makeTempDir } from "./helpers/repo.js";

const entry = (i: number) => ({ type: "deploy", subject: `v${i}`, actor: "ci@example.invalid", payload: { n: i } });

function digest(dir: string): string {
  const h = createHash("sha256");
  for (const f of readdirSync(dir).sort())
    if (f.endsWith(".log") || f.endsWith(".bin")) h.update(f).update(readFileSync(join(dir, f)));
  return h.digest("hex");
}

/** A ledger of 3 entries, then one batch of 3 more: the files before and after the batch. */
async function ledgerWithBatch() {
  const dir = join(makeTempDir(), "ledger");
  const l = await openLedger(dir);
  for (let i = 0; i < 3; i++) await l.append(entry(i));
  const e0 = readFileSync(join(dir, "entries.log"));
  const l0 = readFileSync(join(dir, "leaves.bin"));
  await l.appendBatch([entry(3), entry(4), entry(5)]);
  await l.close();
  const e1 = readFileSync(join(dir, "entries.log"));
  const l1 = readFileSync(join(dir, "leaves.bin"));
  // frame ends of the batch's records (byte offsets in entries.log)
  const ends: number[] = [];
  for (let i = 3; i < 6; i++) ends.push(Number(l1.readBigUInt64BE(i * 40 + 32)));
  return { e0, l0, e1, l1, ends };
}

function state(e: Buffer, l: Buffer): string {
  const d = join(makeTempDir(), "ledger");
  mkdirSync(d);
  writeFileSync(join(d, "entries.log"), e);
  writeFileSync(join(d, "leaves.bin"), l);
  return d;
}

/** `full` cut at `cut`, then zero-filled up to `size` (a size that reached the disk without its bytes). */
const cutAt = (full: Buffer, cut: number, size = cut) =>
  Buffer.concat([full.subarray(0, cut), Buffer.alloc(size - cut)]);

describe("directory ledger: crash states of an append whose two syncs were in flight at once", () => {
  it("any prefix of the frames with any prefix of the rows (zero-filled or not): acknowledged entries kept, torn tail reported, append refused, repair recovers", async () => {
    const { e0, l0, e1, l1, ends } = await ledgerWithBatch();
    const frameCuts = [
      e0.length,
      e0.length + 3,
      e0.length + 11,
      ends[0]!,
      ends[0]! + 5,
      ends[1]!,
      ends[2]! - 1,
      ends[2]!,
    ];
    const rowCuts = [l0.length, l0.length + 17, l0.length + 40, l0.length + 80, l0.length + 100, l1.length];
    let states = 0;
    for (const fc of frameCuts)
      for (const rc of rowCuts)
        for (const zeroFrames of [false, true])
          for (const zeroRows of [false, true]) {
            const e = zeroFrames ? cutAt(e1, fc, e1.length) : cutAt(e1, fc);
            const l = zeroRows ? cutAt(l1, rc, l1.length) : cutAt(l1, rc);
            states++;
            const what = `frames to ${fc}${zeroFrames ? " (zeros to the end)" : ""}, rows to ${rc}${zeroRows ? " (zeros to the end)" : ""}`;
            // what survives: batch records whose frame and row both reached the disk, then the complete
            // frames after them (a row zero-filled or cut: its frame is re-indexed by repair)
            const framesDone = ends.filter((x) => x <= fc).length;
            const rowsDone = Math.floor((rc - l0.length) / 40);
            const kept = 3 + Math.min(framesDone, rowsDone);
            const reindexed = framesDone - Math.min(framesDone, rowsDone);
            const d = state(e, l);
            const before = digest(d);
            // frames and rows cut at the same record: a ledger of that many entries, nothing torn
            const clean =
              (!zeroFrames || fc === e1.length) &&
              (!zeroRows || rc === l1.length) &&
              framesDone === rowsDone &&
              [e0.length, ...ends].includes(fc) &&
              (rc - l0.length) % 40 === 0;
            if (clean) {
              const w = await openLedger(d);
              const v = await w.verify({});
              expect(v, what).toMatchObject({ ok: true, size: kept, warnings: [] });
              expect((await w.append(entry(9))).seq, what).toBe(kept);
              await w.close();
              continue;
            }
            const ro = await openLedger(d, { readOnly: true });
            const v = await ro.verify({});
            expect(v.ok, what).toBe(true);
            expect(v.size, what).toBe(kept);
            expect(v.warnings.length, what).toBeGreaterThan(0);
            await ro.close();
            expect(digest(d), what).toBe(before);
            const w = await openLedger(d);
            await expect(w.append(entry(9)), what).rejects.toThrow(/audit repair/);
            expect(digest(d), what).toBe(before);
            const rep = await w.repair().catch((err: Error) => {
              throw new Error(`${what}: ${err.message}`);
            });
            expect(rep.repaired, what).toBe(true);
            expect(rep.report!.reindexed, what).toBe(reindexed);
            // the repair's own entry follows the recovered ones; a new append follows it
            expect(rep.seq, what).toBe(kept + reindexed);
            expect((await w.append(entry(9))).seq, what).toBe(kept + reindexed + 1);
            const r = await w.verify({});
            expect(r.ok, what).toBe(true);
            const subjects: (string | undefined)[] = [];
            for await (const x of w.query({ type: "deploy" })) subjects.push(x.subject);
            expect(subjects, what).toEqual([...Array.from({ length: kept + reindexed }, (_, i) => `v${i}`), "v9"]);
            // every removed byte is kept: the cut tail of entries.log and the index rows without records
            const records = kept + reindexed - 3; // of the batch, in the log after the repair
            const endKept = records > 0 ? ends[records - 1]! : e0.length;
            expect(rep.report!.removedEntriesBytes, what).toBe(e.length - endKept);
            expect(rep.report!.removedIndexBytes, what).toBe(l.length - kept * 40);
            const removed = rep.report!.removedEntriesBytes + rep.report!.removedIndexBytes;
            if (removed > 0) {
              const [q] = readdirSync(join(d, "quarantine"));
              const saved = JSON.parse(readFileSync(join(d, "quarantine", q!), "utf8"));
              expect(Buffer.from(saved.leavesBin.bytes, "base64").equals(l.subarray(kept * 40)), what).toBe(true);
              expect(Buffer.from(saved.entriesLog.bytes, "base64").equals(e.subarray(endKept)), what).toBe(true);
            }
            await w.close();
          }
    expect(states).toBeGreaterThan(100);
  });

  it("the last record rewritten in place, or a record deleted before it, stays tampering: append and repair refuse, nothing changes", async () => {
    const { e1, l1, ends } = await ledgerWithBatch();
    const last = e1.subarray(ends[1]!, ends[2]!);
    const rewritten = Buffer.from(last.toString("latin1").replace('"v5"', '"v6"'), "latin1");
    const deletedMiddle = Buffer.concat([e1.subarray(0, ends[0]!), e1.subarray(ends[1]!)]);
    for (const [what, e] of [
      ["last record rewritten", Buffer.concat([e1.subarray(0, ends[1]!), rewritten])],
      ["a record deleted before the last", deletedMiddle],
    ] as const) {
      const d = state(e, l1);
      const before = digest(d);
      const w = await openLedger(d);
      await expect(w.append(entry(9)), what).rejects.toThrow(/tampering|audit verify/);
      await expect(w.repair(), what).rejects.toThrow(/refusing to repair/);
      expect((await w.verify({})).ok, what).toBe(false);
      await w.close();
      expect(digest(d), what).toBe(before);
    }
  });

  it("appends after a clean close keep working: both syncs done before the answer, files complete", async () => {
    const dir = join(makeTempDir(), "ledger");
    const l = await openLedger(dir);
    const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => l.append(entry(i))));
    expect(rs.map((r) => r.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(readFileSync(join(dir, "leaves.bin")).length).toBe(20 * 40);
    await l.close();
    const ro = await openLedger(dir, { readOnly: true });
    const v = await ro.verify({});
    expect(v).toMatchObject({ ok: true, size: 20 });
    expect(v.warnings).toEqual([]);
    await ro.close();
  });
});
