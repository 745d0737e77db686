import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import lint from "@commitlint/lint";
import load from "@commitlint/load";
import { parseCommitMessage, parseHeader, parseTrailers, cleanMessage } from "../src/commit/message.js";
import { conventionalLintSetup, lintMessage, lintProblems } from "../src/commit/lint.js";
import { runCli, makeTempDir } from "./helpers/repo.js";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

const corpus = [
  "feat(auth): add session timeout",
  "fix: handle empty MRN",
  "Fix: wrong case type",
  "feature: not a type",
  "feat: Sentence case subject",
  "feat: ends with a period.",
  "feat(API): upper scope",
  "feat:missing space",
  "docs: ok\n\nbody text here",
  "chore: x\nno blank line before body",
  ": empty type",
  "feat: ",
  "refactor!: drop legacy endpoint",
  "feat(fhir)!: change Patient search",
  "perf: " + "x".repeat(120),
  "Merge branch 'main' into feature",
  "test: add cases\n\nRisk-Level: LOW\nCompliance: HIPAA-164.312(b)",
  "ci: SHOUTING SUBJECT",
  "build: bump deps to v2",
  "style: Fix Start Case",
  "revert: feat(auth): add session timeout",
];

describe("the lint path (src/commit/lint.ts) vs @commitlint/lint loaded with @commitlint/load (config-conventional) as the oracle", () => {
  for (const msg of corpus) {
    it(JSON.stringify(msg.split("\n")[0]).slice(0, 60), async () => {
      const c = await load({ extends: ["@commitlint/config-conventional"] });
      const oracle = await lint(
        msg,
        c.rules,
        c.parserPreset ? { parserOpts: (c.parserPreset as { parserOpts?: object }).parserOpts } : {},
      );
      const ours = lintProblems(await lintMessage(msg, await conventionalLintSetup()));
      expect(ours.filter((p) => p.level === 2).length === 0).toBe(oracle.valid);
      expect(
        ours
          .filter((p) => p.level === 2)
          .map((p) => p.rule)
          .sort(),
      ).toEqual(oracle.errors.map((e) => e.name).sort());
    });
  }
});

describe("the one Conventional header parser", () => {
  it("gives type, scope, breaking and subject, or nothing for what is not a usable header", () => {
    expect(parseHeader("Feat(API)!: add x ")).toEqual({ type: "feat", scope: "API", breaking: true, subject: "add x" });
    expect(parseHeader("fix: y")).toEqual({ type: "fix", scope: undefined, breaking: false, subject: "y" });
    expect(parseHeader(": empty type")).toBeUndefined();
    expect(parseHeader("feat: ")).toBeUndefined();
    expect(parseHeader("Update README")).toBeUndefined();
  });
});

describe("trailers like git interpret-trailers --parse", () => {
  const cases = [
    "feat: x\n\nbody\n\nRisk-Level: HIGH\nCompliance: HIPAA-164.312(b)\nCompliance: 21CFR11.10(e)\nReviewed-by: Ann <ann@example.invalid>",
    "fix: y\n\nNot: a trailer block because\nthis line is prose",
    "fix: z\n\nFixes: #12\n  continued value\nRefs: ABC-1",
    "chore: only header",
    "docs: w\n\nSome prose.\nSigned-off-by: A <a@example.invalid>",
  ];
  for (const msg of cases) {
    it(JSON.stringify(msg.split("\n")[0]), () => {
      const git = execFileSync("git", ["interpret-trailers", "--parse"], { input: msg + "\n", encoding: "utf8" })
        .split("\n")
        .filter(Boolean)
        .map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1).trim()]);
      const ours = Object.entries(parseTrailers(msg)).flatMap(([k, vs]) => vs.map((v) => [k, v]));
      expect(ours).toEqual(git);
    });
  }

  it("parses the conventional header", () => {
    expect(parseCommitMessage("feat(fhir)!: change search\n\nbody")).toMatchObject({
      type: "feat",
      scope: "fhir",
      breaking: true,
      subject: "change search",
    });
    expect(
      cleanMessage("fix: a\n# comment\n\nbody\n# ------------------------ >8 ------------------------\ndiff"),
    ).toBe("fix: a\n\nbody");
  });
});

describe("commit lint CLI (commit-msg hook)", () => {
  it("exits 0 for a good message file, 1 with the failing rules otherwise, and checks compliance citations", () => {
    const dir = makeTempDir();
    const ok = join(dir, "ok");
    writeFileSync(ok, "feat(auth): add session timeout\n# Please enter the commit message\n");
    expect(runCli(["commit", "lint", ok], { cwd: dir }).code).toBe(0);
    const bad = join(dir, "bad");
    writeFileSync(bad, "Added stuff.\n");
    const r = runCli(["commit", "lint", bad], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/type-empty/);
    const cite = join(dir, "cite");
    writeFileSync(cite, "fix: x\n\nCompliance: HIPAA-164.312(b)\nCompliance: HIPAA-999.1(z)\n");
    const c = runCli(["commit", "lint", cite], { cwd: dir });
    expect(c.code).toBe(1);
    expect(c.stderr).toMatch(/unknown compliance citation "HIPAA-999\.1\(z\)"/);
    expect(runCli(["commit", "lint", "-"], { cwd: dir, input: "docs: readme\n" }).code).toBe(0);
  });
});
