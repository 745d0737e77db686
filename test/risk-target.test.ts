import { describe, expect, it } from "vitest";
import { makeRepo } from "./helpers/repo.js";
import { extractFeatures, type CommitFeatures } from "../src/risk/features.js";
import { changeFeatures, commitAsChange } from "../src/risk/target.js";

const DAY = 86400;
const T0 = 1_700_000_000;

/** A small deterministic PRNG so the generated history is the same on every run. */
function rng(seed: number) {
  return () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

describe("targeted features for one change", () => {
  it("equal the full streaming pass for every commit of a varied history (authors, paths, merges, deletions)", async () => {
    const repo = makeRepo();
    const rand = rng(7);
    const authors = [
      "Alice <alice@example.invalid>",
      "Bob <BOB@Example.invalid>",
      "Carol <carol+ops@example.invalid>",
      "Bob Two <bob@example.invalid.org>",
    ];
    const paths = [
      "src/a.ts",
      "src/b.ts",
      "src/deep/c.ts",
      "lib/d.js",
      "lib/[x] e.js",
      "docs/guide.md",
      "CHANGELOG.md",
      "package-lock.json",
      "test/a.test.ts",
      ".github/workflows/ci.yml",
    ];
    const content = new Map<string, number>();
    let day = 0;
    const step = (msg: string, pool = paths) => {
      const files: Record<string, string> = {};
      const n = 1 + Math.floor(rand() * 3);
      for (let i = 0; i < n; i++) {
        const p = pool[Math.floor(rand() * pool.length)]!;
        const len = Math.max(1, (content.get(p) ?? 0) + Math.floor(rand() * 9) - 3);
        content.set(p, len);
        files[p] = Array.from({ length: len }, (_, k) => `${p} line ${k} v${Math.floor(rand() * 3)}`).join("\n") + "\n";
      }
      day += rand() < 0.2 ? 0 : 1 + Math.floor(rand() * 20);
      repo.commit(msg, files, {
        date: `@${T0 + day * DAY} +0000`,
        author: authors[Math.floor(rand() * authors.length)]!,
      });
    };
    for (let i = 0; i < 15; i++) step(i % 4 === 0 ? `fix: bug ${i}` : `feat: step ${i}`);
    repo.git("checkout", "-q", "-b", "side");
    // The side branch touches its own files, so the merge is clean; later commits touch them too.
    for (let i = 0; i < 5; i++) step(`feat: side ${i}`, ["side/s.ts", "side/t.ts"]);
    repo.git("checkout", "-q", "main");
    for (let i = 0; i < 5; i++) step(`refactor: main ${i}`);
    repo.git("merge", "-q", "--no-ff", "-m", "chore: merge side", "side");
    repo.git("rm", "-q", "src/b.ts");
    step("refactor: drop b");
    for (let i = 0; i < 10; i++) step(`feat: late ${i}`, [...paths, "side/s.ts"]);

    const full: CommitFeatures[] = [];
    for await (const f of extractFeatures({ cwd: repo.dir })) full.push(f);
    expect(full.length).toBe(36);
    let compared = 0;
    for (const f of full) {
      // Commits made on main while the side branch was open: the full pass walks history by date, so
      // it counts the earlier side-branch commits too; the targeted reading counts only ancestors,
      // the history the author actually built on. Everywhere else the two must agree exactly.
      if (f.subject.startsWith("refactor: main")) continue;
      compared++;
      const { change, base, merge } = await commitAsChange(repo.dir, f.sha);
      expect(merge).toBe(false);
      const t = await changeFeatures({ cwd: repo.dir, base, change });
      for (const [k, v] of Object.entries(f.values))
        expect(t.values[k as keyof typeof f.values], `${f.subject}: ${k}`).toBeCloseTo(v, 9);
    }
    expect(compared).toBe(31);
  });
});
