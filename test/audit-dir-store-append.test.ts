/**
 * The directory ledger's append path: one open of each file for the tail check and the writes,
 * data made durable before the caller is answered, the directory sync after it (awaited by close),
 * and the refusals of a missing file unchanged.
 */
import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import {
  appendFileSync,
  existsSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
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

  it("keeps its files open between appends and notices every change another writer makes", async () => {
    const dir = join(makeTempDir(), "ledger");
    const a = await openLedger(dir);
    const b = await openLedger(dir); // another writer (a CLI command next to a server)
    const seqs: number[] = [];
    for (let i = 0; i < 6; i++) seqs.push((await (i % 3 === 2 ? b : a).append(entry(i))).seq);
    expect(seqs).toEqual([0, 1, 2, 3, 4, 5]);
    // several in a row by one, then the other
    for (let i = 6; i < 9; i++) seqs.push((await b.append(entry(i))).seq);
    for (let i = 9; i < 11; i++) seqs.push((await a.append(entry(i))).seq);
    expect(seqs).toEqual([...Array(11).keys()]);
    await b.close();
    expect((await a.verify()).ok).toBe(true);

    // a torn index row written behind its back: the next append inspects, finds it and refuses
    const leaves = join(dir, "leaves.bin");
    const size = statSync(leaves).size;
    appendFileSync(leaves, Buffer.alloc(7));
    await expect(a.append(entry(11))).rejects.toThrow(/torn index row of 7 byte.*audit repair/);
    truncateSync(leaves, size);
    expect((await a.append(entry(11))).seq).toBe(11);

    // the last index row changed in place (same size) to point past the log: refused as tampering
    await new Promise((r) => setTimeout(r, 30)); // a later change time than the last append's
    const rows = readFileSync(leaves);
    rows.writeBigUInt64BE(1n << 40n, rows.length - 8);
    writeFileSync(leaves, rows);
    await expect(a.append(entry(12))).rejects.toThrow(/tampering/);
    await a.close();
  });

  it("takes the lock by linking one file per process, removed on close; sources of dead processes are cleared", async () => {
    const dir = join(makeTempDir(), "ledger");
    const first = await openLedger(dir);
    await first.close();
    writeFileSync(join(dir, "lock.999999999.k2j3"), "999999999"); // left by a process that is gone
    writeFileSync(join(dir, `lock.${process.ppid}.zz`), String(process.ppid)); // a live process's
    const ledger = await openLedger(dir);
    const sources = () => readdirSync(dir).filter((n) => n.startsWith(`lock.${process.pid}.`));
    expect(existsSync(join(dir, "lock.999999999.k2j3"))).toBe(false);
    expect(existsSync(join(dir, `lock.${process.ppid}.zz`))).toBe(true);
    await ledger.append(entry(0));
    expect(sources()).toHaveLength(1);
    expect(readFileSync(join(dir, sources()[0]!), "utf8")).toBe(String(process.pid));
    expect(existsSync(join(dir, "lock"))).toBe(false);
    unlinkSync(join(dir, sources()[0]!)); // removed by someone else: written again
    await ledger.append(entry(1));
    expect(sources()).toHaveLength(1);
    await ledger.close();
    expect(sources()).toHaveLength(0);
    expect(existsSync(join(dir, "lock"))).toBe(false);
  });

  it("a lock-source name planted in the ledger directory as a link: only the link is removed, its target untouched", async () => {
    const base = makeTempDir();
    const dir = join(base, "ledger");
    const first = await openLedger(dir);
    await first.close();
    const victim = join(base, "outside.txt");
    writeFileSync(victim, "keep me");
    symlinkSync(victim, join(dir, "lock.999999999.abcd")); // a "dead process's" source pointing outside
    const ledger = await openLedger(dir);
    await ledger.append(entry(0));
    await ledger.close();
    expect(existsSync(join(dir, "lock.999999999.abcd"))).toBe(false);
    expect(readFileSync(victim, "utf8")).toBe("keep me");
  });

  it.runIf(existsSync("/proc/self/fd"))(
    "holds no file of the ledger after close, even with an append in flight",
    async () => {
      const dir = join(makeTempDir(), "ledger");
      const held = () =>
        readdirSync("/proc/self/fd").filter((fd) => {
          try {
            return readlinkSync(`/proc/self/fd/${fd}`).startsWith(dir);
          } catch {
            return false;
          }
        });
      const ledger = await openLedger(dir);
      await ledger.append(entry(0));
      expect(held().length).toBeGreaterThanOrEqual(2); // entries.log and leaves.bin, kept open
      const inFlight = ledger.append(entry(1));
      await ledger.close();
      expect((await inFlight).seq).toBe(1);
      expect(held()).toEqual([]);
    },
  );

  it("processes appending at once to one directory, each holding its files open: one gap-free log that verifies", async () => {
    const dir = join(makeTempDir(), "ledger");
    await (await openLedger(dir)).close();
    const script = `
      import { openLedger } from ${JSON.stringify(join(import.meta.dirname, "..", "src", "audit", "index.ts"))};
      const l = await openLedger(process.env.DIR);
      for (let i = 0; i < 100; i++) await l.append({ type: "t", actor: "w" + process.env.W, payload: { i } });
      await l.close();
    `;
    const children = [0, 1, 2].map(
      (w) =>
        new Promise<void>((res, rej) => {
          const c = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
            env: { ...process.env, DIR: dir, W: String(w) },
            stdio: ["ignore", "ignore", "inherit"],
          });
          c.on("exit", (code) => (code === 0 ? res() : rej(new Error(`writer ${w} exited ${code}`))));
        }),
    );
    const own = await openLedger(dir);
    let done = false;
    const all = Promise.all(children).finally(() => (done = true));
    let n = 0; // this process appends for as long as the others run
    while (n < 100 || !done) await own.append({ type: "t", actor: "w3", payload: { i: n++ } });
    await all;
    expect(await own.size()).toBe(300 + n);
    const seqs: number[] = [];
    const perWriter = new Map<string, number[]>();
    for await (const e of own.query({})) {
      seqs.push(e.seq);
      perWriter.set(e.actor, [...(perWriter.get(e.actor) ?? []), (e.payload as { i: number }).i]);
    }
    expect(seqs).toEqual([...Array(300 + n).keys()]);
    for (const w of ["w0", "w1", "w2"]) expect(perWriter.get(w)).toEqual([...Array(100).keys()]);
    expect(perWriter.get("w3")).toEqual([...Array(n).keys()]);
    expect((await own.verify()).ok).toBe(true);
    await own.close();
    expect(readdirSync(dir).filter((n) => n.startsWith("lock"))).toEqual([]);
  }, 120_000);
});
