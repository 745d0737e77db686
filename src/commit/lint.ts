// The one lint path for commit messages: @commitlint/lint (bundled into dist/cli.js) with the
// repository's commitlint config or @commitlint/config-conventional, and, for a repository whose
// header convention is another family, that convention's header check (convention.ts).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { UserError, errorMessage } from "../core/errors.js";
import { checkHeader, type Convention } from "./convention.js";

/** Rules in commitlint's shape: name → [severity 0|1|2, "always"|"never", value?]. */
export type LintRules = Record<string, [number, "always" | "never", unknown?] | [number] | undefined>;

export interface LintSetup {
  /** Where the rules came from: a config file path, "package.json#commitlint" or "@commitlint/config-conventional". */
  source: string;
  rules: LintRules;
  parserOpts: Record<string, unknown>;
}

export interface LintResult {
  valid: boolean;
  errors: { name: string; message: string }[];
  warnings: { name: string; message: string }[];
}

const CONFIG_FILES = [
  ".commitlintrc",
  ".commitlintrc.json",
  ".commitlintrc.yaml",
  ".commitlintrc.yml",
  ".commitlintrc.js",
  ".commitlintrc.cjs",
  ".commitlintrc.mjs",
  ".commitlintrc.ts",
  ".commitlintrc.cts",
  ".commitlintrc.mts",
  "commitlint.config.js",
  "commitlint.config.cjs",
  "commitlint.config.mjs",
  "commitlint.config.ts",
  "commitlint.config.cts",
  "commitlint.config.mts",
];

// Headers with a breaking-change `!` parse too (the default parser would reject `feat!: x`).
const PARSER_OPTS = {
  headerPattern: /^(\w*)(?:\((.*)\))?!?: (.*)$/,
  breakingHeaderPattern: /^(\w*)(?:\((.*)\))?!: (.*)$/,
  headerCorrespondence: ["type", "scope", "subject"],
  noteKeywords: ["BREAKING CHANGE", "BREAKING-CHANGE"],
  revertPattern: /^(?:Revert|revert:)\s"?([\s\S]+?)"?\s*This reverts commit (\w*)\./i,
  revertCorrespondence: ["header", "hash"],
  issuePrefixes: ["#"],
};

/** The repository's own commitlint config file, if it has one. */
export function findCommitlintConfig(root: string): string | undefined {
  for (const name of CONFIG_FILES) if (existsSync(join(root, name))) return join(root, name);
  const pkg = join(root, "package.json");
  if (existsSync(pkg)) {
    try {
      const json = JSON.parse(readFileSync(pkg, "utf8")) as { commitlint?: unknown };
      if (json.commitlint) return `${pkg}#commitlint`;
    } catch {
      /* a broken package.json is not ours to report */
    }
  }
  return undefined;
}

// Loaded once: a dynamic import() of a loaded module still costs a loader round (the HTTP service lints per decision).
let conventional: Promise<LintRules> | undefined;
let linter: Promise<typeof import("@commitlint/lint")> | undefined;

function conventionalRules(): Promise<LintRules> {
  conventional ??= (import("@commitlint/config-conventional") as Promise<unknown>).then(
    (mod) => (mod as { default: { rules: LintRules } }).default.rules,
  );
  conventional.catch(() => (conventional = undefined));
  return conventional;
}

/**
 * Rules to check messages against: the repository's commitlint config when present (loaded with
 * @commitlint/load, so `extends`, plugins-free presets and package.json keys work), otherwise
 * @commitlint/config-conventional. A config that cannot be loaded is a UserError naming it.
 */
export async function loadLintSetup(root: string): Promise<LintSetup> {
  // Start loading the linter now; it is needed right after generation.
  import("@commitlint/lint").catch(() => undefined);
  const found = findCommitlintConfig(root);
  if (!found) return conventionalLintSetup();
  const { default: load } = await import("@commitlint/load");
  try {
    const loaded = await load({}, { cwd: root });
    const preset = loaded.parserPreset as { parserOpts?: Record<string, unknown> } | undefined;
    const rules = loaded.rules as LintRules;
    return {
      source: found.startsWith(root) ? found.slice(root.length + 1) : found,
      rules: Object.keys(rules).length ? rules : await conventionalRules(),
      parserOpts: { ...PARSER_OPTS, ...(preset?.parserOpts ?? {}) },
    };
  } catch (err) {
    throw new UserError(`cannot load commitlint config ${found}: ${errorMessage(err).split("\n")[0]}`);
  }
}

/** Rules of @commitlint/config-conventional with this package's parser options (no config file read). */
export async function conventionalLintSetup(): Promise<LintSetup> {
  return { source: "@commitlint/config-conventional", rules: await conventionalRules(), parserOpts: PARSER_OPTS };
}

/** A lint result as counted problems: level 2 errors, level 1 warnings (commitlint's levels). */
export interface LintProblem {
  level: 1 | 2;
  rule: string;
  message: string;
}

export const lintProblems = (r: LintResult): LintProblem[] => [
  ...r.errors.map((e) => ({ level: 2 as const, rule: e.name, message: e.message })),
  ...r.warnings.map((e) => ({ level: 1 as const, rule: e.name, message: e.message })),
];

// commitlint's default ignores (merges, reverts, fixups, "Initial commit"), also for other conventions
const IGNORED = [
  /^(?:Merge|Revert|fixup!|squash!|amend!|Initial commit|Automatic merge)/,
  /^(?:Merged|Merge) .*(?:branch|pull request|tag)/,
];

/**
 * Lint a message with commitlint's rules (`setup`). A repository whose convention is another header
 * family (`(type) s`, `[TYPE] s`, gitmoji, tracker keys, free text) has its header checked against
 * that convention instead; types a repository declares (config or commitlint, not those inferred
 * from history) replace config-conventional's type-enum.
 */
export async function lintMessage(message: string, setup: LintSetup, convention?: Convention): Promise<LintResult> {
  if (convention && convention.style !== "conventional") {
    const header = message.replace(/\r\n/g, "\n").split("\n")[0] ?? "";
    if (IGNORED.some((r) => r.test(header))) return { valid: true, errors: [], warnings: [] };
    const errors = checkHeader(convention, header).map((e) => ({ name: "header-convention", message: e }));
    const max = ruleValue<number>(setup, "header-max-length")?.value ?? 100;
    if (header.length > max)
      errors.push({ name: "header-max-length", message: `header must not be longer than ${max} characters` });
    return { valid: errors.length === 0, errors, warnings: [] };
  }
  const rules =
    convention && !convention.source.startsWith("history") && convention.types.length
      ? { ...setup.rules, "type-enum": [2, "always", convention.types] as [number, "always", unknown] }
      : setup.rules;
  linter ??= import("@commitlint/lint");
  linter.catch(() => (linter = undefined));
  const { default: lint } = await linter;
  const r = await lint(message, rules as never, { parserOpts: setup.parserOpts as never });
  return {
    valid: r.valid,
    errors: r.errors.map((e) => ({ name: e.name, message: e.message })),
    warnings: r.warnings.map((e) => ({ name: e.name, message: e.message })),
  };
}

/** Errors and warnings of a message under `setup` (default config-conventional): what the policy input model counts. */
export async function lintCounts(message: string, setup?: LintSetup): Promise<{ errors: number; warnings: number }> {
  const r = await lintMessage(message, setup ?? (await conventionalLintSetup()));
  return { errors: r.errors.length, warnings: r.warnings.length };
}

/** A rule's setting, when it is switched on. */
export function ruleValue<T>(setup: LintSetup, name: string): { when: "always" | "never"; value: T } | undefined {
  const r = setup.rules[name];
  if (!r || r[0] === 0 || r.length < 2) return undefined;
  return { when: r[1] as "always" | "never", value: r[2] as T };
}
