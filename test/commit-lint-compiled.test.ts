// The compiled lint (src/commit/lint.ts) against @commitlint/lint itself as the oracle: on real commit
// messages (test/fixtures/commit/real-messages.json and this repository's own history when it is a git
// checkout), each also changed in the ways that move a message across rules (case, full stop, length,
// references, notes, blank lines, CRLF, comments, gpg lines, ignored headers), for config-conventional,
// for declared types, and for other rules and issue prefixes. Errors and warnings (rule and message, in
// order) must be identical, and so must a thrown error.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import lint from "@commitlint/lint";
import { describe, expect, it } from "vitest";
import { conventionalLintSetup, lintMessage, type LintSetup } from "../src/commit/lint.js";

const real = (
  JSON.parse(readFileSync(join(import.meta.dirname, "fixtures", "commit", "real-messages.json"), "utf8")) as {
    messages: string[];
  }
).messages;

function ownHistory(): string[] {
  try {
    return execFileSync("git", ["log", "-n", "400", "--format=%B%x00"], {
      cwd: join(import.meta.dirname, ".."),
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    })
      .split("\0")
      .map((m) => m.replace(/^\n/, ""))
      .filter((m) => m.trim());
  } catch {
    return [];
  }
}

/** Changes that move a message across commitlint's rules, each applied to every message. */
const VARIANTS: ((m: string) => string)[] = [
  (m) => m,
  (m) => m.replace(/\n+$/, ""),
  (m) => m.split("\n")[0]!,
  (m) => m.toUpperCase(),
  (m) => m.replace(/^([^\n:]*: )(\w)/, (_, a: string, b: string) => a + b.toUpperCase()),
  (m) => m.replace(/^([^\n]*)/, "$1."),
  (m) => m.replace(/^([^\n]*)/, "$1 (#123)"),
  (m) => m.replace(/^([^\n]*)/, `$1 ${"word ".repeat(20)}`),
  (m) => m.replace(/\n\n/, "\n"),
  (m) => `${m.replace(/\n+$/, "")}\n\nCloses #12, fixes owner/repo#7\nBREAKING CHANGE: the flag is gone`,
  (m) => `${m.replace(/\n+$/, "")}\nBREAKING-CHANGE: no blank line before`,
  (m) => `${m.replace(/\n+$/, "")}\n\nsee https://example.com/issues#12 and ${"x".repeat(110)}\n\nRefs: #4`,
  (m) => m.replace(/\n/g, "\r\n"),
  (m) => `  ${m}`,
  (m) => `\n\n${m}`,
  (m) => m.replace(/^([^\n]*)/, "$1   "),
  (m) => `${m}\n# Please enter the commit message\n# ------------------------ >8 ------------------------\ndiff`,
  (m) => `gpg: Signature made today\n${m}`,
  (m) => m.replace(/^(\w+)(\([^)]*\))?(!)?:/, "$1$2!:"),
  (m) => m.replace(/^(\w+)/, (t) => t.toUpperCase()),
  (m) => m.replace(/^(\w+)(\([^)]*\))?: /, "$1$2:"),
  (m) => `Revert "${m.split("\n")[0]}"\n\nThis reverts commit 0123456789abcdef.`,
  (m) => `fixup! ${m}`,
  (m) => `Merge branch 'main' into ${m.split("\n")[0]!.slice(0, 20)}`,
  (m) => m.replace(/^([^\n]*)/, "$1 @someone"),
];

const EDGE = [
  "",
  "   ",
  "\n\n",
  "chore(release): 1.2.3",
  "chore(release): v2.0.0-rc.1 [skip ci]",
  "v1.0.0",
  "1.0.0 (skip ci)",
  "chore: bump to 99999999999999999999.0.0",
  "Merge pull request #12 from a/b",
  "Merge tag 'v1.0.0'",
  "Merged PR 12: x",
  "Merge remote-tracking branch 'origin/main'",
  "Automatic merge from CI",
  "Auto-merged a into b",
  "amend! feat: x",
  "squash! fix: y",
  "reapply feat: z",
  "revert: feat(a): b\n\nThis reverts commit abcdef1.",
  "feat: x\n\n\n\nbody after blank lines\n\n\nfooter: y",
  "feat(scope with space): x",
  "feat(): empty scope",
  "feat(a,b): two scopes",
  ": no type",
  "feat:",
  "feat: ",
  "FEAT: upper type",
  "feat: x\n\n-field-\nvalue",
  "feat: #1 #2 #3",
  "feat: x\n\n* BREAKING CHANGE: listed note",
];

const oracle = async (message: string, setup: LintSetup, rules = setup.rules) => {
  try {
    const r = await lint(message, rules as never, { parserOpts: setup.parserOpts as never });
    return {
      valid: r.valid,
      errors: r.errors.map((e) => ({ name: e.name, message: e.message })),
      warnings: r.warnings.map((e) => ({ name: e.name, message: e.message })),
    };
  } catch (err) {
    return { threw: String(err) };
  }
};
const ours = async (message: string, setup: LintSetup, types?: string[]) => {
  try {
    return await lintMessage(
      message,
      setup,
      types ? ({ style: "conventional", source: "config", types, scopes: [] } as never) : undefined,
    );
  } catch (err) {
    return { threw: String(err) };
  }
};

const messages = [...new Set([...real, ...ownHistory()])];
const corpus = [...new Set([...messages.flatMap((m) => VARIANTS.map((v) => v(m))), ...EDGE])];

describe("compiled lint = @commitlint/lint", () => {
  it(`config-conventional on ${corpus.length} messages (${messages.length} real ones, ${VARIANTS.length} variants each)`, async () => {
    const setup = await conventionalLintSetup();
    const differ: string[] = [];
    let failing = 0;
    for (const m of corpus) {
      const [a, b] = [await oracle(m, setup), await ours(m, setup)];
      if (JSON.stringify(a) !== JSON.stringify(b)) differ.push(JSON.stringify(m).slice(0, 120));
      if ("valid" in a && !a.valid) failing++;
    }
    expect(differ).toEqual([]);
    // the corpus crosses the rules: plenty of messages pass and plenty fail
    expect(failing).toBeGreaterThan(corpus.length / 5);
    expect(failing).toBeLessThan((corpus.length * 4) / 5);
  }, 120_000);

  it("declared types replace type-enum", async () => {
    const setup = await conventionalLintSetup();
    const types = ["feat", "fix", "hotfix", "chore"];
    const rules = { ...setup.rules, "type-enum": [2, "always", types] as [number, "always", unknown] };
    for (const m of corpus.slice(0, 3000)) expect(await ours(m, setup, types)).toEqual(await oracle(m, setup, rules));
  }, 120_000);

  it("other rules, parser options and issue prefixes (letters: every line searched)", async () => {
    const base = await conventionalLintSetup();
    const rules = {
      ...base.rules,
      "references-empty": [1, "never"],
      "signed-off-by": [1, "always", "Signed-off-by:"],
      "scope-enum": [2, "always", ["api", "load", "rules", "deps"]],
      "body-case": [1, "always", "lower-case"],
      "footer-max-length": [2, "always", 40],
      "header-full-stop": [0],
      "subject-case": [0, "never"],
    } as LintSetup["rules"];
    for (const parserOpts of [
      { ...base.parserOpts, issuePrefixes: ["JIRA-", "#"] },
      { ...base.parserOpts, issuePrefixes: ["gh-"], issuePrefixesCaseSensitive: true },
      { ...base.parserOpts, issuePrefixes: ["!"], noteKeywords: ["NOTE"] },
      base.parserOpts,
    ]) {
      const setup: LintSetup = { source: "test", rules, parserOpts };
      for (const m of corpus.slice(0, 1500)) expect(await ours(m, setup)).toEqual(await oracle(m, setup));
    }
  }, 120_000);

  it("a configuration @commitlint/lint refuses is refused the same way", async () => {
    const base = await conventionalLintSetup();
    for (const rules of [
      { "no-such-rule": [2, "always"] },
      { "type-enum": [3, "always", ["feat"]] },
      { "type-enum": [2, "sometimes", ["feat"]] },
      { "type-enum": [2] },
    ] as LintSetup["rules"][]) {
      const setup: LintSetup = { source: "test", rules, parserOpts: base.parserOpts };
      const a = await oracle("feat: x", setup);
      expect(a).toHaveProperty("threw");
      expect(await ours("feat: x", setup)).toEqual(a);
    }
  });
});
