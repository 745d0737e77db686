import { describe, expect, it } from "vitest";
import { parseDiff, streamDiff, LOG_PATCH_FORMAT, type DiffEvent } from "../src/git/diff.js";
import { git, gitLines, repoRoot, resolveRev, GitError } from "../src/git/exec.js";
import { makeRepo, makeTempDir } from "./helpers/repo.js";

describe("diff parser", () => {
  it("tracks line numbers across hunks and ignores +++/--- inside hunks", () => {
    const text = [
      "diff --git a/src/a.ts b/src/a.ts",
      "index 111..222 100644",
      "--- a/src/a.ts",
      "+++ b/src/a.ts",
      "@@ -1,3 +1,4 @@",
      " keep",
      "-old",
      "+new one",
      "+++ not a header",
      " keep2",
      "@@ -10 +11,2 @@",
      "-x",
      "+y",
      "+-- also content",
    ].join("\n");
    const added = parseDiff(text).filter((e): e is Extract<DiffEvent, { kind: "added" }> => e.kind === "added");
    expect(added.map((a) => [a.line, a.text])).toEqual([
      [2, "new one"],
      [3, "++ not a header"],
      [11, "y"],
      [12, "-- also content"],
    ]);
  });

  it("streams a real git log -p with commits, renames, binary and unicode paths", async () => {
    const repo = makeRepo();
    try {
      const c1 = repo.commit("feat: one", { "a.txt": "hello\n", "dir/é ü.txt": "x\n" });
      repo.write("bin.dat", Buffer.from([0, 1, 2, 3, 0, 255]));
      repo.git("mv", "a.txt", "b.txt");
      const c2 = repo.commit("feat: two", { "dir/é ü.txt": "x\ncommit 0123456789abcdef\n" });
      const events: DiffEvent[] = [];
      for await (const e of streamDiff(["log", "-p", "-U0", "-M", LOG_PATCH_FORMAT, "--reverse"], { cwd: repo.dir }))
        events.push(e);
      const commits = events.filter((e) => e.kind === "commit").map((e) => (e as { sha: string }).sha);
      expect(commits).toEqual([c1, c2]);
      const files = events.filter((e) => e.kind === "file") as Extract<DiffEvent, { kind: "file" }>[];
      expect(files.find((f) => f.newPath === "bin.dat")?.binary).toBe(true);
      expect(files.find((f) => f.newPath === "b.txt")?.status).toBe("renamed");
      const added = events.filter((e) => e.kind === "added") as Extract<DiffEvent, { kind: "added" }>[];
      const tricky = added.find((a) => a.text.startsWith("commit "));
      expect(tricky).toMatchObject({ path: "dir/é ü.txt", line: 2, commit: c2 });
    } finally {
      repo.cleanup();
    }
  });
});

describe("git adapter", () => {
  it("streams lines and raises GitError with git's message", async () => {
    const repo = makeRepo();
    try {
      repo.commit("chore: init", { f: "1\n" });
      const lines: string[] = [];
      for await (const l of gitLines(["log", "--format=%s"], { cwd: repo.dir })) lines.push(l);
      expect(lines).toEqual(["chore: init"]);
      await expect(git(["rev-parse", "--verify", "nope"], { cwd: repo.dir })).rejects.toBeInstanceOf(GitError);
      await expect(resolveRev("nope", repo.dir)).rejects.toThrow("unknown revision: nope");
      expect(repoRoot(repo.dir)).toBe(repo.dir);
      expect(repoRoot(makeTempDir())).toBeUndefined();
    } finally {
      repo.cleanup();
    }
  });
});

describe("line splitter", () => {
  it("splits a byte stream into exactly the lines readline gives, however it is chunked", async () => {
    const { LineSplitter } = await import("../src/git/lines.js");
    const { createInterface } = await import("node:readline");
    const { Readable } = await import("node:stream");
    const pieces = ["a", "b c", "\n", "\r\n", "\r", "\r\r\n", "", "é", "ü€𝄞", "\u2019", "+x\t", "\n\n"];
    const bytes = [Buffer.from([0xff]), Buffer.from([0xc3]), Buffer.from([0xe2, 0x82])];
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let round = 0; round < 300; round++) {
      const parts: Buffer[] = [];
      for (let i = rand(40); i >= 0; i--)
        parts.push(rand(10) === 0 ? bytes[rand(bytes.length)]! : Buffer.from(pieces[rand(pieces.length)]!));
      const all = Buffer.concat(parts);
      // random chunk boundaries, also inside \r\n and multi-byte characters
      const chunks: Buffer[] = [];
      for (let i = 0; i < all.length;) {
        const n = 1 + rand(6);
        chunks.push(all.subarray(i, i + n));
        i += n;
      }
      const expected: string[] = [];
      for await (const l of createInterface({ input: Readable.from(chunks), crlfDelay: Infinity })) expected.push(l);
      const split = new LineSplitter();
      const got: string[] = [];
      for (const c of chunks) split.push(c, got);
      split.end(got);
      expect(got, JSON.stringify(all.toString("latin1"))).toEqual(expected);
    }
  });

  it("a staged diff started early and read late loses no output", async () => {
    const { startGitLines } = await import("../src/git/exec.js");
    const repo = makeRepo();
    try {
      const body = Array.from({ length: 20000 }, (_, i) => `line ${i}\r`).join("\n") + "\nlast";
      repo.write("big.txt", body);
      repo.git("add", "big.txt");
      const diff = startGitLines(["diff", "--cached", "-U0"], { cwd: repo.dir });
      await new Promise((r) => setTimeout(r, 300)); // git finishes (or fills the pipe) first
      const lines: string[] = [];
      for await (const b of diff.batches) lines.push(...b);
      diff.cancel();
      expect(lines.filter((l) => l.startsWith("+line "))).toHaveLength(20000);
      expect(lines.at(-2)).toBe("+last");
      const unread = startGitLines(["diff", "--cached", "-U0"], { cwd: repo.dir });
      unread.cancel(); // ends git without reading: the test process must not hang
    } finally {
      repo.cleanup();
    }
  });
});
