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
      for await (const e of streamDiff(["log", "-p", "-U0", "-M", LOG_PATCH_FORMAT, "--reverse"], { cwd: repo.dir })) events.push(e);
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
      repo.commit("chore: init", { "f": "1\n" });
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
