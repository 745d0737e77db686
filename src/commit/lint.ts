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
  const types =
    convention && !convention.source.startsWith("history") && convention.types.length ? convention.types : undefined;
  const compiled = await compiledLint(setup, types);
  if (compiled) return compiled(message);
  const rules = types
    ? { ...setup.rules, "type-enum": [2, "always", types] as [number, "always", unknown] }
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

// ---------------------------------------------------------------- compiled lint
//
// @commitlint/lint, for a fixed configuration, with its per-message set-up done once: the same ignore
// matchers, the same parser (conventional-commits-parser with the options @commitlint/parse merges) and
// the same rule functions, called in the same order, so the errors and warnings are identical (tested
// against @commitlint/lint on thousands of real messages: test/commit-lint-compiled.test.ts). What it
// saves per message (~70 → ~8 µs for a short message): validating the rules config, building the
// parser and its regular expressions, awaiting the parser preset, one promise per rule, semver's
// exception for every header in the ignore check, and the parser's reference search on lines that hold
// no issue prefix (its regular expression backtracks over every position of a line, and can only match
// where a prefix is).

type RuleFn = (parsed: unknown, when?: string, value?: unknown) => [boolean, string?] | Promise<[boolean, string?]>;
type Compiled = (message: string) => Promise<LintResult>;

interface LintModules {
  parse: typeof import("@commitlint/parse").default;
  isIgnored: typeof import("@commitlint/is-ignored").default;
  rules: Record<string, RuleFn>;
  CommitParser: typeof import("conventional-commits-parser").CommitParser;
}
let modules: Promise<LintModules> | undefined;

function lintModules(): Promise<LintModules> {
  modules ??= Promise.all([
    import("@commitlint/parse"),
    import("@commitlint/is-ignored"),
    import("@commitlint/rules"),
    import("conventional-commits-parser"),
  ]).then(([p, i, r, c]) => ({
    parse: p.default,
    isIgnored: i.default,
    rules: r.default as unknown as Record<string, RuleFn>,
    CommitParser: c.CommitParser,
  }));
  modules.catch(() => (modules = undefined));
  return modules;
}

/** Compiled lints by rules object, then parser options object, then declared types ("" for none). */
const compiledLints = new WeakMap<object, WeakMap<object, Map<string, Promise<Compiled | undefined>>>>();

function compiledLint(setup: LintSetup, types: string[] | undefined): Promise<Compiled | undefined> {
  let byOpts = compiledLints.get(setup.rules);
  if (!byOpts) compiledLints.set(setup.rules, (byOpts = new WeakMap()));
  let byTypes = byOpts.get(setup.parserOpts);
  if (!byTypes) byOpts.set(setup.parserOpts, (byTypes = new Map()));
  const key = types ? JSON.stringify(types) : "";
  let c = byTypes.get(key);
  if (!c) {
    const rules = types
      ? { ...setup.rules, "type-enum": [2, "always", types] as [number, "always", unknown] }
      : setup.rules;
    c = compileLint(rules, setup.parserOpts).catch(() => undefined);
    byTypes.set(key, c);
  }
  return c;
}

// Messages @commitlint/is-ignored's default matchers can ignore all hold "Merge" or start with one of
// these; its semver matcher needs the first line, stripped as it strips it, to start like a version.
const MAYBE_IGNORED = /Merge|^(?:[Rr]evert |[Rr]eapply |amend!|fixup!|squash!|Automatic merge|Auto-merged )/;
function maybeSemver(message: string): boolean {
  const stripped = message
    .split("\n")[0]!
    .replace(/^chore(\([^)]+\))?:/, "")
    .replace(/\[(skip|ci)(-|\s)(ci|skip)\]/i, "")
    .replace(/\((skip|ci)(-|\s)(ci|skip)\)/i, "")
    .trim();
  return /^v?\d/.test(stripped); // semver's FULL pattern: ^v?<major>.<minor>.<patch>...
}

// a new object each time: callers may add to the arrays
const validResult = (): LintResult => ({ valid: true, errors: [], warnings: [] });

/**
 * A lint of `rules` with `parserOpts` equivalent to `@commitlint/lint(message, rules, { parserOpts })`, or
 * undefined when the configuration is one @commitlint/lint refuses (it then reports the error itself).
 */
async function compileLint(rules: LintRules, parserOpts: Record<string, unknown>): Promise<Compiled | undefined> {
  const m = await lintModules();
  // @commitlint/lint's checks of the configuration, once.
  for (const [name, config] of Object.entries(rules)) {
    if (typeof m.rules[name] !== "function" || !Array.isArray(config)) return undefined;
    const [level, when] = config;
    if (level === 0 && config.length === 1) continue;
    if (typeof level !== "number" || Number.isNaN(level) || config.length < 2 || config.length > 3) return undefined;
    if (level < 0 || level > 2 || (when !== "always" && when !== "never")) return undefined;
  }
  const enabled = Object.entries(rules)
    .filter(([, config]) => !!config && config.length && config[0]! > 0)
    .map(([name, config]) => ({ name, fn: m.rules[name]!, level: config![0], when: config![1], value: config![2] }));
  // The options @commitlint/parse hands its parser (the angular preset's, then ours).
  let opts: Record<string, unknown> | undefined;
  await m.parse(
    "x",
    (_msg, o) => {
      opts = o as Record<string, unknown>;
      return { header: "x" } as never;
    },
    parserOpts as never,
  );
  const parser = new m.CommitParser(opts as never) as unknown as {
    options: { issuePrefixes?: unknown; issuePrefixesCaseSensitive?: boolean };
    parse(message: string): Record<string, unknown>;
    parseReferences(input: string): unknown[];
  };
  // A reference needs one of the issue prefixes: a line without any has none, whatever else it holds.
  // Only for plain prefixes without letters (its search is case-insensitive); the others search every line.
  const prefixes = parser.options.issuePrefixes;
  if (
    Array.isArray(prefixes) &&
    prefixes.length > 0 &&
    prefixes.every((p) => typeof p === "string" && p.trim() !== "" && p.toLowerCase() === p.toUpperCase())
  ) {
    const needles = (prefixes as string[]).map((p) => p.trim());
    const search = parser.parseReferences.bind(parser);
    parser.parseReferences = (input: string) => (needles.some((n) => input.includes(n)) ? search(input) : []);
  }
  return async (message: string) => {
    if ((MAYBE_IGNORED.test(message) || maybeSemver(message)) && m.isIgnored(message, {})) return validResult();
    let parsed: Record<string, unknown>;
    if (message === "") parsed = { header: null, body: null, footer: null };
    else {
      // @commitlint/parse's default parser, then its raw field
      parsed = parser.parse(message);
      parsed.scope = parsed.scope ?? null;
      parsed.subject = parsed.subject ?? null;
      parsed.type = parsed.type ?? null;
      parsed.raw = message;
    }
    if (parsed.header === null && parsed.body === null && parsed.footer === null) return validResult();
    const errors: { name: string; message: string }[] = [];
    const warnings: { name: string; message: string }[] = [];
    for (const r of enabled) {
      const [valid, text] = await r.fn(parsed, r.when, r.value);
      if (valid) continue;
      if (r.level === 2) errors.push({ name: r.name, message: text as string });
      else if (r.level === 1) warnings.push({ name: r.name, message: text as string });
    }
    return { valid: errors.length === 0, errors, warnings };
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
