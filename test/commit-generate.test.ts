import { afterEach, describe, expect, it } from "vitest";
import { readFileSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { collectStaged } from "../src/commit/generate/changes.js";
import { generateOffline, extractFeatures, modelType } from "../src/commit/generate/offline.js";
import { formatMessage } from "../src/commit/message.js";
import { Vocabulary, isDependencyHeader } from "../src/commit/generate/vocabulary.js";
import { parseHeader } from "../src/commit/message.js";
import { classifyPath } from "../src/commit/generate/classify.js";
import { diffFeatures } from "../src/commit/generate/type-model.js";
import { loadLintSetup, lintMessage } from "../src/commit/lint.js";
import { repairMessage } from "../src/commit/generate/repair.js";
import { ticketFromBranch } from "../src/commit/generate/trailers.js";
import { generateCommitMessages } from "../src/commit/generate/index.js";
import { makeRepo, runCli, type TempRepo } from "./helpers/repo.js";

const repos: TempRepo[] = [];
afterEach(() => {
  while (repos.length) repos.pop()!.cleanup();
});

/** A repo with a little source tree and one initial commit; `stage` writes files and stages them. */
function baseRepo(): TempRepo & { stage(files: Record<string, string>): void } {
  const repo = makeRepo();
  repos.push(repo);
  repo.commit("chore: initial", {
    "src/billing/invoice.ts":
      "export function total(items: number[]) {\n  let sum = 0;\n  for (const i of items) sum += i;\n  return sum;\n}\n",
    "src/billing/format.ts": "export function money(n: number) {\n  return n.toFixed(2);\n}\n",
    "README.md": "# demo\n",
    "package.json":
      JSON.stringify({ name: "demo", version: "1.0.0", dependencies: { zod: "^4.0.0", yaml: "^2.0.0" } }, null, 2) +
      "\n",
    "test/invoice.test.ts": "import { total } from '../src/billing/invoice';\n",
  });
  return Object.assign(repo, {
    stage(files: Record<string, string>) {
      for (const [p, c] of Object.entries(files)) repo.write(p, c);
      repo.git("add", "-A");
    },
  });
}

async function inferStaged(repo: TempRepo, vocab?: Vocabulary) {
  return generateOffline(await collectStaged(repo.dir), vocab);
}

describe("offline type inference on real staged changes", () => {
  it("documentation only → docs", async () => {
    const r = baseRepo();
    r.stage({ "README.md": "# demo\n\nUsage: run it.\n", "docs/guide.md": "# Guide\n" });
    expect((await inferStaged(r)).message.type).toBe("docs");
  });

  it("tests only → test", async () => {
    const r = baseRepo();
    r.stage({
      "test/invoice.test.ts":
        "import { total } from '../src/billing/invoice';\nit('sums', () => expect(total([1, 2])).toBe(3));\n",
    });
    const { message } = await inferStaged(r);
    expect(message.type).toBe("test");
    expect(message.subject).toContain("invoice");
  });

  it("workflow files → ci", async () => {
    const r = baseRepo();
    r.stage({ ".github/workflows/ci.yml": "on: push\njobs: {}\n" });
    expect((await inferStaged(r)).message.type).toBe("ci");
  });

  it("dependency bumps in package.json and the lockfile → build(deps) naming the package", async () => {
    const r = baseRepo();
    r.stage({
      "package.json":
        JSON.stringify({ name: "demo", version: "1.0.0", dependencies: { zod: "^4.1.0", yaml: "^2.0.0" } }, null, 2) +
        "\n",
      "package-lock.json": "{}\n",
    });
    const { message } = await inferStaged(r);
    expect(message.type).toBe("build");
    expect(message.scope).toBe("deps");
    expect(message.subject).toBe("update zod");
  });

  it("a new exported function → feat with the symbol in the subject and the package as scope", async () => {
    const r = baseRepo();
    r.stage({
      "src/billing/tax.ts": "export function salesTax(amount: number, rate: number) {\n  return amount * rate;\n}\n",
    });
    const { message } = await inferStaged(r);
    expect(message.type).toBe("feat");
    expect(message.scope).toBe("billing");
    expect(message.subject).toBe("add salesTax");
  });

  it("a small guard change inside an existing function → fix naming the function", async () => {
    const r = baseRepo();
    r.stage({
      "src/billing/invoice.ts":
        "export function total(items: number[]) {\n  let sum = 0;\n  if (!items) return 0;\n  for (const i of items) sum += i;\n  return sum;\n}\n",
    });
    const { message, inference } = await inferStaged(r);
    expect(message.type).toBe("fix");
    expect(message.subject).toContain("total");
    expect(inference.reasons.join(" ")).toMatch(/guards/);
  });

  it("a move without content change → refactor naming both paths", async () => {
    const r = baseRepo();
    r.git("mv", "src/billing/format.ts", "src/billing/money.ts");
    const { message } = await inferStaged(r);
    expect(message.type).toBe("refactor");
    expect(message.subject).toBe("move src/billing/format.ts to src/billing/money.ts");
  });

  it("a version bump with its changelog → chore(release) naming the version", async () => {
    const r = baseRepo();
    r.stage({
      "package.json":
        JSON.stringify({ name: "demo", version: "1.1.0", dependencies: { zod: "^4.0.0", yaml: "^2.0.0" } }, null, 2) +
        "\n",
      "CHANGELOG.md": "## 1.1.0\n",
    });
    const { message } = await inferStaged(r);
    expect([message.type, message.scope, message.subject]).toEqual(["chore", "release", "release v1.1.0"]);
  });

  it("re-indentation only → style", async () => {
    const r = baseRepo();
    r.stage({ "src/billing/format.ts": "export function money(n: number) {\n    return n.toFixed(2);\n}\n" });
    expect((await inferStaged(r)).message.type).toBe("style");
  });

  it("learns the repository's vocabulary: scope names and its type for dependency bumps", async () => {
    const r = baseRepo();
    const vocab = new Vocabulary();
    for (let i = 0; i < 25; i++) {
      vocab.add(`fix(invoicing): case ${i}`, ["src/billing/invoice.ts"]);
      if (i < 6) vocab.add(`chore: bump dep ${i}`, ["package.json", "package-lock.json"]);
    }
    r.stage({
      "src/billing/invoice.ts":
        "export function total(items: number[]) {\n  let sum = 0;\n  if (items.length === 0) return 0;\n  for (const i of items) sum += i;\n  return sum;\n}\n",
    });
    expect((await inferStaged(r, vocab)).message.scope).toBe("invoicing");
    r.git("reset", "-q", "--hard");
    r.stage({
      "package.json":
        JSON.stringify({ name: "demo", version: "1.0.0", dependencies: { zod: "^4.2.0", yaml: "^2.0.0" } }, null, 2) +
        "\n",
      "package-lock.json": '{"a":1}\n',
    });
    const { message, inference } = await inferStaged(r, vocab);
    expect(message.type).toBe("chore");
    expect(inference.reasons.join(" ")).toMatch(/labels/);
  });
});

describe("history-learnt type prior for source changes", () => {
  it("a repository that calls file additions feat and single-file edits refactor is followed", async () => {
    const r = baseRepo();
    const vocab = new Vocabulary();
    for (let i = 0; i < 20; i++) {
      vocab.add(`feat: new module ${i}`, [`src/m${i}.ts`, "docs/m.md"], ["A", "M"]);
      vocab.add(`refactor: tidy ${i}`, [`src/billing/invoice.ts`], ["M"]);
    }
    // a mid-sized edit of one existing file with no guards and no new API
    r.stage({
      "src/billing/invoice.ts":
        "export function total(items: number[]) {\n  let sum = 0;\n  for (const item of items) {\n    sum = sum + item;\n  }\n  return sum;\n}\n",
    });
    const edit = await inferStaged(r, vocab);
    expect(edit.message.type).toBe("refactor");
    expect(edit.inference.reasons[0]).toMatch(/history/);
    r.stage({ "src/billing/tax.ts": "const rate = 0.2;\nmodule.exports = rate;\n", "docs/tax.md": "# tax\n" });
    expect((await inferStaged(r, vocab)).message.type).toBe("feat");
  });
});

describe("file kinds", () => {
  it("a workspace package named like an output directory holds sources; real output stays generated", () => {
    expect(classifyPath("packages/angular/build/src/builders/application.ts")).toBe("source");
    expect(classifyPath("packages/angular/build/package.json")).toBe("manifest");
    expect(classifyPath("tests/e2e/tests/build/server-rendering.ts")).toBe("test");
    expect(classifyPath("dist/index.js")).toBe("generated");
    expect(classifyPath("packages/x/dist/index.js")).toBe("generated");
    expect(classifyPath(".release-please-manifest.json")).toBe("manifest");
  });

  it("dependency-update headers: scopes and bot subjects, not ordinary changes", () => {
    const yes = [
      "chore(deps): update dependency vite to v7",
      "build(deps-dev): bump fast-uri from 3.1.0 to 3.1.2",
      "chore: update dependency yargs to v18",
      "fix: bump undici from 6.23.0 to 6.24.0",
      "chore: lock file maintenance",
    ];
    const no = ["fix(cli): update help text", "feat: bump the default timeout", "chore: update links"];
    for (const h of yes) expect(isDependencyHeader(parseHeader(h)!), h).toBe(true);
    for (const h of no) expect(isDependencyHeader(parseHeader(h)!), h).toBe(false);
  });
});

describe("habits learnt apart for dependency updates, releases and scopes", () => {
  const workflow = (checkout: string, node = "20") =>
    `on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@${checkout}\n      - uses: actions/setup-node@v4\n        with:\n          node-version: ${node}\n`;

  it("bot updates of workflow pins follow the dependency habit; hand-written CI changes stay ci", async () => {
    const r = baseRepo();
    r.commit("ci: add workflow", { ".github/workflows/ci.yml": workflow("v4") });
    const vocab = new Vocabulary();
    for (let i = 0; i < 6; i++)
      vocab.add(`chore(deps): update actions/checkout action to v${i}`, [".github/workflows/ci.yml"]);
    for (let i = 0; i < 3; i++) vocab.add(`ci: tweak matrix ${i}`, [".github/workflows/ci.yml"]);
    for (let i = 0; i < 12; i++) vocab.add(`fix: case ${i}`, ["src/billing/invoice.ts"]);
    r.stage({ ".github/workflows/ci.yml": workflow("v5") });
    const pin = await inferStaged(r, vocab);
    expect(pin.message.type).toBe("chore");
    expect(pin.message.scope).toBe("deps");
    r.git("reset", "-q", "--hard");
    r.stage({ ".github/workflows/ci.yml": workflow("v4", "22") });
    const handWritten = await inferStaged(r, vocab);
    expect(handWritten.message.type).toBe("ci");
    expect(handWritten.message.scope).toBeUndefined();
  });

  it("release commits take the scope of the latest releases", async () => {
    const r = baseRepo();
    const vocab = new Vocabulary();
    for (let i = 0; i < 25; i++) vocab.add(`fix: case ${i}`, ["src/billing/invoice.ts"]);
    for (let i = 0; i < 5; i++) vocab.add(`chore(master): release 1.${i}.0`, ["CHANGELOG.md", "package.json"]);
    for (let i = 0; i < 3; i++) vocab.add(`chore(release): monorepo release`, ["CHANGELOG.md", "package.json"]);
    r.stage({
      "package.json":
        JSON.stringify({ name: "demo", version: "1.1.0", dependencies: { zod: "^4.0.0", yaml: "^2.0.0" } }, null, 2) +
        "\n",
      "CHANGELOG.md": "# 1.1.0\n",
    });
    const { message } = await inferStaged(r, vocab);
    expect(message.type).toBe("chore");
    expect(message.scope).toBe("release");
    expect(message.subject).toBe("release v1.1.0");
  });

  it("scopes of dependency updates do not leak onto hand-written manifest changes", async () => {
    const r = baseRepo();
    const vocab = new Vocabulary();
    for (let i = 0; i < 12; i++)
      vocab.add(`chore(deps): update dependency x to v${i}`, ["package.json", "package-lock.json"]);
    for (let i = 0; i < 4; i++) vocab.add(`build: adjust package exports ${i}`, ["package.json"]);
    for (let i = 0; i < 10; i++) vocab.add(`fix: case ${i}`, ["src/billing/invoice.ts"]);
    r.stage({
      "package.json":
        JSON.stringify(
          {
            name: "demo",
            version: "1.0.0",
            exports: "./dist/index.js",
            dependencies: { zod: "^4.0.0", yaml: "^2.0.0" },
          },
          null,
          2,
        ) + "\n",
    });
    const { message } = await inferStaged(r, vocab);
    expect(message.type).toBe("build");
    expect(message.scope).toBeUndefined();
  });
});

describe("type model for source changes", () => {
  function historyVocab(): Vocabulary {
    const vocab = new Vocabulary();
    for (let i = 0; i < 15; i++) {
      vocab.add(`fix(billing): case ${i}`, ["src/billing/invoice.ts"], ["M"]);
      vocab.add(`feat(billing): add ${i}`, [`src/billing/new${i}.ts`, "docs/billing.md"], ["A", "M"]);
    }
    return vocab;
  }

  it("diff features describe what the lines look like", async () => {
    const r = baseRepo();
    r.stage({
      "src/billing/format.ts":
        "/** Formats money with two decimals. */\nexport function money(n: number) {\n  return n.toFixed(2);\n}\n",
    });
    const comments = diffFeatures(extractFeatures(await collectStaged(r.dir)));
    expect(comments.commentOnly).toBe(1);
    expect(comments.pureAddition).toBe(1);
    r.git("reset", "-q", "--hard");
    r.stage({
      "src/billing/invoice.ts":
        "export function total(items: number[]) {\n  let sum = 0;\n  if (!items) throw new Error('no items');\n  for (const i of items) sum += i;\n  return sum;\n}\n",
      "test/invoice.test.ts":
        "import { total } from '../src/billing/invoice';\nit('does not crash on a missing list (regression)', () => expect(() => total(undefined as never)).toThrow());\n",
    });
    const guard = diffFeatures(extractFeatures(await collectStaged(r.dir)));
    expect(guard.commentOnly).toBe(0);
    expect(guard.errorHandling).toBe(1);
    expect(guard.smallGuard).toBe(1);
    expect(guard.testFixWords).toBe(1);
  });

  it("with history, the model weighs the diff against the repository's habits and says why", async () => {
    const r = baseRepo();
    r.stage({
      "src/billing/invoice.ts":
        "export function total(items: number[]) {\n  let sum = 0;\n  if (!items) return 0;\n  for (const i of items) sum += i;\n  return sum;\n}\n",
    });
    const f = extractFeatures(await collectStaged(r.dir));
    const { type, probabilities, reasons } = modelType(f, historyVocab());
    expect(Object.values(probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(type).toBe(Object.entries(probabilities).sort((a, b) => b[1] - a[1])[0]![0]);
    expect(reasons[0]).toMatch(/^type model: .*this repository's history/);
    // the same diff scored without history differs: the repository's terms carry weight
    const bare = modelType(f, undefined);
    expect(bare.probabilities.fix).not.toBeCloseTo(probabilities.fix!, 3);
  });
});

describe("dependency updates follow the repository's convention", () => {
  it("a repo mixing fix(deps) and chore(deps) gets fix for runtime and chore for dev dependencies", async () => {
    const r = baseRepo();
    r.commit("chore: dev deps", {
      "package.json":
        JSON.stringify(
          { name: "demo", version: "1.0.0", dependencies: { zod: "^4.0.0" }, devDependencies: { vitest: "^4.0.0" } },
          null,
          2,
        ) + "\n",
    });
    const vocab = new Vocabulary();
    for (let i = 0; i < 4; i++) {
      vocab.add(`fix(deps): update runtime ${i}`, ["package.json", "package-lock.json"]);
      vocab.add(`chore(deps): update dev ${i}`, ["package.json", "package-lock.json"]);
    }
    r.stage({
      "package.json":
        JSON.stringify(
          { name: "demo", version: "1.0.0", dependencies: { zod: "^4.0.0" }, devDependencies: { vitest: "^4.1.0" } },
          null,
          2,
        ) + "\n",
    });
    expect((await inferStaged(r, vocab)).message.type).toBe("chore");
    r.stage({
      "package.json":
        JSON.stringify(
          { name: "demo", version: "1.0.0", dependencies: { zod: "^4.2.0" }, devDependencies: { vitest: "^4.1.0" } },
          null,
          2,
        ) + "\n",
    });
    const { message, inference } = await inferStaged(r, vocab);
    expect(message.type).toBe("fix");
    expect(inference.reasons.join(" ")).toMatch(/dependencies/);
  });
});

describe("trailers are computed from facts", () => {
  it("PHI on added lines, critical path, compliance code from the path and Refs from the branch", async () => {
    const r = baseRepo();
    r.git("checkout", "-q", "-b", "feature/PHX-204-audit-trail");
    writeFileSync(join(r.dir, ".gitops-health.yml"), "criticalPaths:\n  - pattern: 'src/audit/**'\n    tier: 1\n");
    r.stage({
      "src/audit/logger.ts":
        "export function logAccess(user: string) {\n  // example patient 123-45-6789\n  return user;\n}\n",
    });
    const result = await generateCommitMessages({ cwd: r.dir });
    const t = Object.fromEntries(result.trailers);
    expect(t["PHI-Impact"]).toBe("high");
    expect(t.Compliance).toContain("HIPAA-164.312(b)");
    expect(t.Refs).toBe("PHX-204");
    expect(t["Risk-Level"]).toMatch(/^(LOW|MEDIUM|HIGH|CRITICAL)$/);
    expect(result.phi.criticalPaths[0]).toMatchObject({ pattern: "src/audit/**", tier: 1 });
    // the raw SSN never appears in the output, only masked previews
    expect(JSON.stringify(result)).not.toContain("123-45-6789");
  });

  it("no PHI, no critical path, no ticket → PHI-Impact none and no Refs", async () => {
    const r = baseRepo();
    r.stage({ "src/billing/format.ts": "export function money(n: number) {\n  return n.toFixed(3);\n}\n" });
    const t = Object.fromEntries((await generateCommitMessages({ cwd: r.dir })).trailers);
    expect(t["PHI-Impact"]).toBe("none");
    expect(t.Refs).toBeUndefined();
  });

  it("tickets from branch names", () => {
    expect(ticketFromBranch("feature/ABC-123-login")).toBe("ABC-123");
    expect(ticketFromBranch("abc-77-fix")).toBe("ABC-77");
    expect(ticketFromBranch("fix/123-null-guard")).toBe("#123");
    expect(ticketFromBranch("issue-9")).toBe("#9");
    expect(ticketFromBranch("main")).toBeUndefined();
    expect(ticketFromBranch("release-2024")).toBeUndefined();
  });
});

describe("commitlint", () => {
  it("every generated message across change kinds passes config-conventional", async () => {
    const r = baseRepo();
    const setup = await loadLintSetup(r.dir);
    expect(setup.source).toBe("@commitlint/config-conventional");
    const changes: Record<string, string>[] = [
      { "README.md": "# x\n" },
      {
        "src/billing/a-very-long-module-name-for-testing-header-limits.ts":
          "export const aVeryLongExportedSymbolNameNumberOne = 1;\nexport const aVeryLongExportedSymbolNameNumberTwo = 2;\n",
      },
      { "src/billing/invoice.ts": "export function total() {\n  return 0;\n}\n" },
      { ".github/workflows/x.yml": "on: push\n" },
      { Makefile: "all:\n\ttrue\n" },
    ];
    let checked = 0;
    for (const files of changes) {
      r.stage(files);
      const result = await generateCommitMessages({ cwd: r.dir, n: 3 });
      for (const c of result.candidates) {
        const lint = await lintMessage(c.text, setup);
        expect(lint.errors, c.text).toEqual([]);
        expect(c.header.length).toBeLessThanOrEqual(100);
        checked++;
      }
      r.git("commit", "-q", "-m", "chore: step");
    }
    expect(checked).toBeGreaterThanOrEqual(10);
  });

  it("repairs what commitlint rejects: type case, period, capital, header length", async () => {
    const r = baseRepo();
    const setup = await loadLintSetup(r.dir);
    const bad = {
      type: "Feat",
      scope: "Api",
      subject: "  Add a thing that is far too long " + "x ".repeat(60) + ".",
      body: [],
      trailers: [] as [string, string][],
    };
    expect((await lintMessage(formatMessage(bad), setup)).valid).toBe(false);
    const fixed = repairMessage(bad, setup);
    const lint = await lintMessage(formatMessage(fixed), setup);
    expect(lint.errors).toEqual([]);
    expect(fixed.type).toBe("feat");
    expect(fixed.subject.endsWith(".")).toBe(false);
    // a learnt multi-package scope longer than the header limit keeps its first entry
    const wide = repairMessage(
      {
        type: "feat",
        scope: Array.from({ length: 8 }, (_, i) => `conventional-changelog-preset-${i}`).join(","),
        subject: "add x",
        body: [],
        trailers: [],
      },
      setup,
    );
    expect(wide.scope).toBe("conventional-changelog-preset-0");
    expect((await lintMessage(formatMessage(wide), setup)).errors).toEqual([]);
  });

  it("respects the repository's own commitlint config (custom scope-enum)", async () => {
    const r = baseRepo();
    writeFileSync(
      join(r.dir, ".commitlintrc.json"),
      JSON.stringify({
        rules: {
          "scope-enum": [2, "always", ["api", "web"]],
          "type-enum": [2, "always", ["feat", "fix", "chore", "docs", "test"]],
        },
      }),
    );
    r.stage({ "src/billing/tax.ts": "export const rate = 0.2;\n" });
    const result = await generateCommitMessages({ cwd: r.dir });
    expect(result.lintConfig).toBe(".commitlintrc.json");
    const c = result.candidates[0]!;
    expect(c.lint.valid).toBe(true);
    expect(c.repaired).toBe(true); // "billing" is not an allowed scope
    expect(c.message.scope).toBeUndefined();
    // the same message would be rejected by the repo's rules before the repair
    const setup = await loadLintSetup(r.dir);
    expect((await lintMessage("feat(billing): add rate\n", setup)).valid).toBe(false);
    expect((await lintMessage("style: x\n", setup)).valid).toBe(false);
  });
});

describe("CLI", () => {
  it("prints the message on stdout and JSON with inference and trailers", () => {
    const r = baseRepo();
    r.stage({ "src/billing/tax.ts": "export function salesTax() {\n  return 1;\n}\n" });
    const text = runCli(["commit", "generate"], { cwd: r.dir });
    expect(text.code).toBe(0);
    expect(text.stdout.split("\n")[0]).toBe("feat(billing): add salesTax");
    const json = runCli(["commit", "generate", "--format", "json", "-n", "2"], { cwd: r.dir });
    const out = JSON.parse(json.stdout) as {
      candidates: { valid: boolean }[];
      trailers: Record<string, string>;
      inference: { reasons: string[] };
    };
    expect(out.candidates).toHaveLength(2);
    expect(out.candidates.every((c) => c.valid)).toBe(true);
    expect(out.trailers["PHI-Impact"]).toBe("none");
  });

  it("--write puts the message in a file and does not commit; bad -n is a usage error", () => {
    const r = baseRepo();
    r.stage({ "docs/a.md": "# a\n" });
    const head = r.git("rev-parse", "HEAD");
    const res = runCli(["commit", "generate", "--write", "msg.txt"], { cwd: r.dir });
    expect(res.code).toBe(0);
    expect(readFileSync(join(r.dir, "msg.txt"), "utf8")).toMatch(/^docs: /);
    expect(r.git("rev-parse", "HEAD")).toBe(head);
    expect(runCli(["commit", "generate", "-n", "0"], { cwd: r.dir }).code).toBe(2);
    const committed = runCli(["commit", "generate", "--commit"], { cwd: r.dir });
    expect(committed.code).toBe(0);
    expect(r.git("log", "-1", "--format=%s")).toMatch(/^docs: /);
  });

  it("nothing staged, or a malformed commitlint config: one line, exit 2", () => {
    const r = baseRepo();
    const empty = runCli(["commit", "generate"], { cwd: r.dir });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/nothing is staged/);
    writeFileSync(join(r.dir, ".commitlintrc.json"), "{ not json");
    r.stage({ "docs/a.md": "# a\n" });
    const bad = runCli(["commit", "generate"], { cwd: r.dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    expect(bad.stderr).toMatch(/cannot load commitlint config/);
  });

  it("outside a repository: one line, exit 2", () => {
    const res = runCli(["commit", "generate"], { cwd: "/" });
    expect(res.code).toBe(2);
    expect(res.stderr.trim().split("\n")).toHaveLength(1);
  });
});

describe("--hook (prepare-commit-msg)", () => {
  const gitTemplate =
    "\n# Please enter the commit message for your changes. Lines starting\n# with '#' will be ignored.\n#\n# On branch main\n";

  for (const source of ["message", "merge", "squash", "commit"]) {
    it(`leaves the file alone when SOURCE is ${source}`, () => {
      const r = baseRepo();
      r.stage({ "docs/a.md": "# a\n" });
      const file = join(r.dir, ".git", "COMMIT_EDITMSG");
      writeFileSync(file, gitTemplate);
      const res = runCli(["commit", "generate", "--hook", file, source, ...(source === "commit" ? ["HEAD"] : [])], {
        cwd: r.dir,
      });
      expect(res.code).toBe(0);
      expect(readFileSync(file, "utf8")).toBe(gitTemplate);
    });
  }

  it("fills an empty message (no SOURCE) and keeps git's comment lines", () => {
    const r = baseRepo();
    r.stage({ "docs/a.md": "# a\n" });
    const file = join(r.dir, ".git", "COMMIT_EDITMSG");
    writeFileSync(file, gitTemplate);
    expect(runCli(["commit", "generate", "--hook", file], { cwd: r.dir }).code).toBe(0);
    const text = readFileSync(file, "utf8");
    expect(text).toMatch(/^docs: add a docs\n/);
    expect(text).toContain("# Please enter the commit message");
    expect(text).toContain("PHI-Impact: none");
  });

  it("a template with real content is kept; a comment-only template is filled", () => {
    const r = baseRepo();
    r.stage({ "docs/a.md": "# a\n" });
    const file = join(r.dir, ".git", "COMMIT_EDITMSG");
    writeFileSync(file, "JIRA: \n# template\n");
    runCli(["commit", "generate", "--hook", file, "template"], { cwd: r.dir });
    expect(readFileSync(file, "utf8")).toBe("JIRA: \n# template\n");
    writeFileSync(file, "# template only\n");
    runCli(["commit", "generate", "--hook", file, "template"], { cwd: r.dir });
    expect(readFileSync(file, "utf8")).toMatch(/^docs: /);
  });

  it("works as a real prepare-commit-msg hook during git commit", () => {
    const r = baseRepo();
    const cli = join(__dirname, "..", "dist", "cli.js");
    writeFileSync(
      join(r.dir, ".git", "hooks", "prepare-commit-msg"),
      `#!/bin/sh\nexec "${process.execPath}" "${cli}" commit generate --hook "$1" "$2" "$3"\n`,
      { mode: 0o755 },
    );
    r.stage({ "src/billing/tax.ts": "export function salesTax() {\n  return 1;\n}\n" });
    r.git("commit", "-q", "--no-edit");
    expect(r.git("log", "-1", "--format=%s").trim()).toBe("feat(billing): add salesTax");
    r.stage({ "src/billing/vat.ts": "export const vat = 1;\n" });
    r.git("commit", "-q", "-m", "chore: mine");
    expect(r.git("log", "-1", "--format=%s").trim()).toBe("chore: mine");
  });
});

describe("interactive choice on a TTY (pseudo-terminal via util-linux script)", () => {
  const hasScript = spawnSync("script", ["--version"]).status === 0;
  if (!hasScript) console.warn("skipping TTY tests: util-linux `script` is not installed");
  const cli = join(__dirname, "..", "dist", "cli.js");
  const onTty = (cwd: string, args: string, input: string, env: Record<string, string> = {}) => {
    const r = spawnSync("script", ["-qec", `"${process.execPath}" "${cli}" ${args}`, "/dev/null"], {
      cwd,
      input,
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1", ...env },
      timeout: 20_000,
    });
    return { code: r.status, out: r.stdout.replace(/\r/g, "") };
  };

  it.skipIf(!hasScript)("picks a candidate, edits one with $EDITOR, or quits with exit 1", () => {
    const r = baseRepo();
    r.stage({ "src/billing/tax.ts": "export function salesTax() {\n  return 1;\n}\n" });
    const picked = onTty(r.dir, "commit generate -n 2", "2\n");
    expect(picked.code).toBe(0);
    expect(picked.out).toMatch(/pick 1-2/);
    expect(picked.out).toMatch(/\[2\] fix\(billing\): /); // listed
    const after = picked.out.slice(picked.out.lastIndexOf("pick 1-2"));
    expect(
      after
        .split("\n")
        .slice(1)
        .find((l) => l.trim()),
    ).toMatch(/^fix\(billing\): /); // the choice is printed
    const edited = onTty(r.dir, "commit generate -n 2", "e 1\n", { EDITOR: "sed -i s/add/introduce/" });
    expect(edited.out).toMatch(/^feat\(billing\): introduce salesTax$/m);
    const broken = onTty(r.dir, "commit generate -n 2", "e 1\n", { EDITOR: "sed -i s/^feat/Feature/" });
    expect(broken.code).toBe(1);
    expect(broken.out).toMatch(/rejects the edited message/);
    const quit = onTty(r.dir, "commit generate -n 2", "q\n");
    expect(quit.code).toBe(1);
  });
});
