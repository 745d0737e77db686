/**
 * The directory ledger's append path: one open of each file for the tail check and the writes,
 * data made durable before the caller is answered, the directory sync after it (awaited by close),
 * and the refusals of a missing file unchanged.
 */
import { describe, expect, it } from "vitest";
import { existsSync, readFileSync, statSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { DirStore } from "../src/audit/dir-store.js";
import { openLedger } from "../src/audit/index.js";
import { makeTempDir } from "./helpers/repo.js";

const entry = (i: number) => ({ type: "deploy", subject: `v${i}`, actor: "ci@example.invalid", payload: { n: i } });

describe("directory ledger append", () => {
  it("answers with the entry on disk and the lock gone; concurrent appends keep their order; close waits for the directory sync", async () => {
    const dir = join(makeTempDir(), "ledger");
    const ledger = await openLedger(dir);
    expect(existsSync(join(dir, "entries.log"))).toBe(true);
    for (let i = 0; i < 3; i++) {
      const r = await ledger.append(entry(i));
      expect(r.seq).toBe(i);
      // answered: the frame and its index row are in the files, and no lock is held
      expect(statSync(join(dir, "leaves.bin")).size).toBe(40 * (i + 1));
      expect(readFileSync(join(dir, "entries.log"), "utf8")).toContain(`"subject":"v${i}"`);
      expect(existsSync(join(dir, "lock"))).toBe(false);
    }
    const rs = await Promise.all([3, 4, 5, 6].map((i) => ledger.append(entry(i))));
    expect(rs.map((r) => r.seq).sort()).toEqual([3, 4, 5, 6]);
    await ledger.close();
    const again = await openLedger(dir, { readOnly: true });
    expect((await again.verify()).ok).toBe(true);
    expect(await again.size()).toBe(7);
    await again.close();
  });

  it("refuses to append when a file is missing, as before", async () => {
    const dir = join(makeTempDir(), "ledger");
    const ledger = await openLedger(dir);
    for (let i = 0; i < 2; i++) await ledger.append(entry(i));
    await ledger.close();

    const noIndex = await DirStore.open(dir);
    unlinkSync(join(dir, "leaves.bin"));
    // the entries are still in entries.log but no longer indexed: a torn tail, never appended over
    await expect(noIndex.append(() => [Buffer.from("{}")])).rejects.toThrow(/never acknowledged.*audit repair/);
    await noIndex.close();

    const dir2 = join(makeTempDir(), "ledger");
    const l2 = await openLedger(dir2);
    for (let i = 0; i < 2; i++) await l2.append(entry(i));
    await l2.close();
    const noLog = await DirStore.open(dir2);
    unlinkSync(join(dir2, "entries.log"));
    await expect(noLog.append(() => [Buffer.from("{}")])).rejects.toThrow(/entries.log is missing.*tampering/);
    await noLog.close();
    expect(existsSync(join(dir2, "lock"))).toBe(false);
  });
});
