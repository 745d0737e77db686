import { describe, expect, it } from "vitest";
import { readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { makeRepo, runCli, type TempRepo } from "./helpers/repo.js";

/** A repository of n commits where commit `culprit` (1-based among the n) introduces the bug. */
function history(n: number, culprit: number, opts: { skip?: number[]; merges?: boolean } = {}) {
  const repo = makeRepo();
  repo.write("test.sh", `#!/bin/sh\n[ -f SKIP ] && exit 125\ngrep -q BUG src/core.js && exit 1\nexit 0\n`);
  repo.write("src/core.js", "export const ok = true;\n");
  const good = repo.commit("chore: base", {});
  const shas: string[] = [];
  for (let i = 1; i <= n; i++) {
    const files: Record<string, string> = { [`src/mod${i}.js`]: `export const m${i} = ${i};\n` };
    if (i === culprit) files["src/core.js"] = "export const ok = true; // BUG\n";
    if (opts.skip?.includes(i)) files["SKIP"] = "x";
    if (opts.skip?.includes(i - 1) && !opts.skip?.includes(i)) repo.git("rm", "-q", "SKIP");
    if (opts.merges && i % 4 === 0) {
      repo.git("checkout", "-q", "-b", `side${i}`);
      repo.commit(`feat: side ${i}`, { [`side/s${i}.js`]: "1\n" });
      repo.git("checkout", "-q", "main");
      repo.commit(`feat: mod ${i}`, files);
      repo.git("merge", "-q", "--no-edit", `side${i}`);
      shas.push(repo.git("rev-parse", "HEAD").trim());
      continue;
    }
    shas.push(repo.commit(`feat: mod ${i}`, files));
  }
  return { repo, good, shas, bad: shas[shas.length - 1]! };
}

function snapshot(dir: string): string {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d).sort()) {
      if (e === ".git") continue;
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(`${p}:${readFileSync(p, "utf8")}`);
    }
  };
  walk(dir);
  return (
    out.join("\n") +
    execFileSync("git", ["status", "--porcelain"], { cwd: dir, encoding: "utf8" }) +
    execFileSync("git", ["rev-parse", "HEAD"], { cwd: dir, encoding: "utf8" }) +
    execFileSync("git", ["worktree", "list"], { cwd: dir, encoding: "utf8" })
  );
}

const bisect = (repo: TempRepo, good: string, bad: string, extra: string[] = [], cmd = ["sh", "test.sh"]) =>
  runCli(["forensics", "bisect", "--good", good, "--bad", bad, "--format", "json", ...extra, "--", ...cmd], {
    cwd: repo.dir,
  });

describe("forensics bisect on real repositories", () => {
  it("finds a culprit in the middle, first and last, leaving the working tree byte-identical", () => {
    for (const c of [7, 1, 20]) {
      const { repo, good, bad, shas } = history(20, c);
      repo.write("untracked.txt", "mine\n");
      repo.write("staged.txt", "staged\n");
      repo.git("add", "staged.txt");
      const before = snapshot(repo.dir);
      const r = bisect(repo, good, bad);
      expect(r.code, r.stderr).toBe(0);
      const j = JSON.parse(r.stdout);
      expect(j.outcome).toBe("culprit");
      expect(j.culprit.sha).toBe(shas[c - 1]);
      expect(j.searchRuns).toBeLessThanOrEqual(j.gitBisectRuns + 2);
      expect(snapshot(repo.dir)).toBe(before);
      repo.cleanup();
    }
  });

  it("reuses worktrees between runs, each as pristine as a new one (untracked and ignored files cleaned)", () => {
    const { repo, good, bad, shas } = history(30, 11);
    // Ignored in every worktree (info/exclude is shared): only a clean with -x removes it.
    execFileSync("sh", ["-c", "mkdir -p .git/info && echo build.out >> .git/info/exclude"], { cwd: repo.dir });
    // A leftover from an earlier run aborts the bisect (exit >= 128).
    const cmd = [
      "sh",
      "-c",
      "[ -e build.out ] && exit 200; [ -e scratch/tmp ] && exit 201; echo x > build.out; mkdir -p scratch && echo y > scratch/tmp; sh test.sh",
    ];
    for (const jobs of ["1", "2"]) {
      const r = bisect(repo, good, bad, ["-j", jobs], cmd);
      expect(r.code, r.stderr).toBe(0);
      const j = JSON.parse(r.stdout);
      expect(j.culprit.sha).toBe(shas[10]);
      expect(j.runs.length).toBeGreaterThan(3);
    }
    expect(
      execFileSync("git", ["worktree", "list"], { cwd: repo.dir, encoding: "utf8" }).trim().split("\n"),
    ).toHaveLength(1);
  });

  it("uses the relevance prior when the test names files, and needs fewer runs", () => {
    const { repo, good, bad, shas } = history(40, 13);
    repo.write("check.sh", `#!/bin/sh\ngrep -q BUG src/core.js && exit 1\nexit 0\n`);
    const r = bisect(repo, good, bad, [], ["sh", "test.sh", "src/core.js"]);
    const j = JSON.parse(r.stdout);
    expect(j.prior).toBe("relevance");
    expect(j.culprit.sha).toBe(shas[12]);
    expect(j.searchRuns).toBeLessThan(j.gitBisectRuns);
  });

  it("reports the ambiguous set when commits around the culprit are untestable (125)", () => {
    const { repo, good, bad, shas } = history(12, 6, { skip: [5, 6] });
    const r = bisect(repo, good, bad);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.outcome).toBe("ambiguous");
    expect(j.plausible).toEqual(expect.arrayContaining([shas[4], shas[5]]));
  });

  it("the risk prior scores every candidate from its own history and still finds the culprit", () => {
    const { repo, good, bad, shas } = history(24, 9);
    const r = bisect(repo, good, bad, ["--prior", "risk"]);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.prior).toBe("risk");
    expect(j.culprit.sha).toBe(shas[8]);
    expect(j.searchRuns).toBeLessThanOrEqual(Math.ceil(Math.log2(24)) + 2);
  });

  it("handles merges in range (first-parent by default)", () => {
    const { repo, good, bad, shas } = history(12, 9, { merges: true });
    const j = JSON.parse(bisect(repo, good, bad).stdout);
    expect(j.outcome).toBe("culprit");
    expect(j.culprit.sha).toBe(shas[8]);
  });

  it("kills a hanging test after --timeout and cleans up its worktrees", () => {
    const { repo, good, bad } = history(6, 3);
    writeFileSync(
      join(repo.dir, "hang.sh"),
      `#!/bin/sh\ngrep -q "m2 = 2" src/mod2.js 2>/dev/null && [ ! -f src/mod3.js ] && sleep 30\n[ -f src/mod1.js ] && grep -q BUG src/core.js && exit 1\nexit 0\n`,
    );
    repo.git("add", "hang.sh");
    const t0 = Date.now();
    const r = runCli(
      [
        "forensics",
        "bisect",
        "--good",
        good,
        "--bad",
        bad,
        "--timeout",
        "1",
        "--format",
        "json",
        "--",
        "sh",
        join(repo.dir, "hang.sh"),
      ],
      { cwd: repo.dir },
    );
    expect(Date.now() - t0).toBeLessThan(25_000);
    const j = JSON.parse(r.stdout);
    expect(j.runs.some((x: { note?: string }) => /timed out/.test(x.note ?? ""))).toBe(true);
    expect(
      execFileSync("git", ["worktree", "list"], { cwd: repo.dir, encoding: "utf8" }).trim().split("\n"),
    ).toHaveLength(1);
  });

  it("checks both endpoints first: a failing good or passing bad is exit 2", () => {
    const { repo, good, bad } = history(5, 2);
    const r = bisect(repo, bad, bad);
    expect(r.code).toBe(2);
    const swapped = runCli(["forensics", "bisect", "--good", good, "--bad", bad, "--", "sh", "-c", "exit 0"], {
      cwd: repo.dir,
    });
    expect(swapped.code).toBe(2);
    expect(swapped.stderr).toMatch(/does not fail the test/);
  });

  it("finds the culprit of a flaky test", () => {
    const { repo, good, bad, shas } = history(16, 11);
    // fails spuriously on roughly 1 run in 5, deterministic per run counter
    writeFileSync(
      join(repo.dir, "flaky.sh"),
      `#!/bin/sh\nn=$(cat ${repo.dir}/.count 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${repo.dir}/.count\n[ $((n % 5)) -eq 3 ] && exit 1\ngrep -q BUG src/core.js && exit 1\nexit 0\n`,
    );
    const r = runCli(
      [
        "forensics",
        "bisect",
        "--good",
        good,
        "--bad",
        bad,
        "--flaky",
        "0.2",
        "--format",
        "json",
        "--",
        "sh",
        join(repo.dir, "flaky.sh"),
      ],
      { cwd: repo.dir },
    );
    const j = JSON.parse(r.stdout);
    expect(j.culprit.sha).toBe(shas[10]);
  });
});

describe("forensics bisect: flakes", () => {
  it("concludes 'no culprit' when the bad commit's failure was a flake, and estimates the flake rate", () => {
    const { repo, good, bad } = history(8, 99);
    const marker = join(repo.dir, ".flaked");
    writeFileSync(
      join(repo.dir, "once.sh"),
      `#!/bin/sh\nif [ "$(git rev-parse HEAD)" = "${bad}" ] && [ ! -f ${marker} ]; then touch ${marker}; exit 1; fi\nexit 0\n`,
    );
    const r = runCli(
      [
        "forensics",
        "bisect",
        "--good",
        good,
        "--bad",
        bad,
        "--flaky",
        "0.2",
        "--format",
        "json",
        "--",
        "sh",
        join(repo.dir, "once.sh"),
      ],
      { cwd: repo.dir },
    );
    const j = JSON.parse(r.stdout);
    expect(j.outcome).toBe("no-culprit");
    expect(r.code).toBe(1);
    const { repo: r2, good: g2, bad: b2, shas } = history(10, 4);
    const est = runCli(
      [
        "forensics",
        "bisect",
        "--good",
        g2,
        "--bad",
        b2,
        "--estimate-runs",
        "3",
        "--format",
        "json",
        "--",
        "sh",
        "test.sh",
      ],
      { cwd: r2.dir },
    );
    const e = JSON.parse(est.stdout);
    expect(e.flakeRate).toBe(0);
    expect(e.culprit.sha).toBe(shas[3]);
    expect(e.runs.length).toBe(e.searchRuns + 2 + 3);
  });
});
