import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { UserError, errorMessage } from "../core/errors.js";
import { formatMessage, type CommitMessage } from "./generate.js";

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

async function conventionalRules(): Promise<LintRules> {
  const mod = (await import("@commitlint/config-conventional")) as unknown as { default: { rules: LintRules } };
  return mod.default.rules;
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
  if (!found) return { source: "@commitlint/config-conventional", rules: await conventionalRules(), parserOpts: PARSER_OPTS };
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

export async function lintMessage(message: string, setup: LintSetup): Promise<LintResult> {
  const { default: lint } = await import("@commitlint/lint");
  const r = await lint(message, setup.rules as never, { parserOpts: setup.parserOpts as never });
  return {
    valid: r.valid,
    errors: r.errors.map((e) => ({ name: e.name, message: e.message })),
    warnings: r.warnings.map((e) => ({ name: e.name, message: e.message })),
  };
}

function ruleValue<T>(setup: LintSetup, name: string): { when: "always" | "never"; value: T } | undefined {
  const r = setup.rules[name];
  if (!r || r[0] === 0 || r.length < 2) return undefined;
  return { when: r[1] as "always" | "never", value: r[2] as T };
}

/**
 * Deterministic repairs for what commitlint rejects: lowercase type, allowed type and scope,
 * trimmed subject without a trailing period or leading capital, header and lines cut to the limits.
 */
export function repairMessage(m: CommitMessage, setup: LintSetup): CommitMessage {
  const out: CommitMessage = { ...m, body: [...m.body], trailers: [...m.trailers] };
  out.type = out.type.trim().toLowerCase();
  const typeEnum = ruleValue<string[]>(setup, "type-enum");
  if (typeEnum?.when === "always" && Array.isArray(typeEnum.value) && typeEnum.value.length && !typeEnum.value.includes(out.type)) {
    out.type = typeEnum.value.includes("chore") ? "chore" : typeEnum.value[0]!;
  }
  if (out.scope !== undefined) {
    out.scope = out.scope.trim().toLowerCase() || undefined;
    const scopeEnum = ruleValue<string[]>(setup, "scope-enum");
    if (out.scope && scopeEnum?.when === "always" && Array.isArray(scopeEnum.value) && scopeEnum.value.length) {
      // An unknown scope goes; a scope sharing a path segment with an allowed one maps to it.
      const hit = scopeEnum.value.find((s) => s === out.scope || out.scope!.split(/[/-]/).includes(s));
      out.scope = hit;
    }
  }
  const scopeEmpty = ruleValue(setup, "scope-empty");
  if (scopeEmpty?.when === "never" && !out.scope) {
    const scopeEnum = ruleValue<string[]>(setup, "scope-enum");
    out.scope = Array.isArray(scopeEnum?.value) && scopeEnum.value.length ? scopeEnum.value[0] : "repo";
  }
  let subject = out.subject.replace(/\s+/g, " ").trim().replace(/[.。\s]+$/, "");
  if (/^[A-Z][a-z]/.test(subject)) subject = subject[0]!.toLowerCase() + subject.slice(1);
  if (!subject) subject = "update files";
  const headerMax = ruleValue<number>(setup, "header-max-length")?.value ?? 100;
  // A scope list that leaves no room for a subject keeps its first entry, or goes.
  if (out.scope && out.type.length + out.scope.length + 4 + 20 > headerMax) out.scope = out.scope.split(/[,\s]/)[0];
  if (out.scope && out.type.length + out.scope.length + 4 + 20 > headerMax) out.scope = undefined;
  const prefix = `${out.type}${out.scope ? `(${out.scope})` : ""}: `;
  if (prefix.length + subject.length > headerMax) {
    const room = Math.max(10, headerMax - prefix.length);
    const cut = subject.slice(0, room + 1);
    subject = (cut.lastIndexOf(" ") > room / 2 ? cut.slice(0, cut.lastIndexOf(" ")) : cut.slice(0, room)).replace(/[\s,.;:]+$/, "");
  }
  const subjectMax = ruleValue<number>(setup, "subject-max-length")?.value;
  if (subjectMax && subject.length > subjectMax) subject = subject.slice(0, subjectMax).trim();
  out.subject = subject;
  const bodyMax = ruleValue<number>(setup, "body-max-line-length")?.value ?? 100;
  out.body = out.body.flatMap((l) => wrap(l, bodyMax));
  const footerMax = ruleValue<number>(setup, "footer-max-line-length")?.value ?? 100;
  out.trailers = out.trailers.map(([k, v]) => [k, k.length + 2 + v.length > footerMax ? v.slice(0, Math.max(1, footerMax - k.length - 3)) + "…" : v]);
  return out;
}

function wrap(line: string, max: number): string[] {
  if (line.length <= max) return [line];
  const out: string[] = [];
  let rest = line;
  while (rest.length > max) {
    const at = rest.lastIndexOf(" ", max);
    const cut = at > max / 2 ? at : max;
    out.push(rest.slice(0, cut).trimEnd());
    rest = "  " + rest.slice(cut).trimStart();
  }
  out.push(rest);
  return out;
}

/** Lint, repair when needed, and lint again; returns the final text and its lint result. */
export async function ensureCompliant(m: CommitMessage, setup: LintSetup): Promise<{ message: CommitMessage; text: string; lint: LintResult; repaired: boolean }> {
  let text = formatMessage(m);
  let lint = await lintMessage(text, setup);
  if (lint.valid) return { message: m, text, lint, repaired: false };
  const fixed = repairMessage(m, setup);
  text = formatMessage(fixed);
  lint = await lintMessage(text, setup);
  return { message: fixed, text, lint, repaired: true };
}
