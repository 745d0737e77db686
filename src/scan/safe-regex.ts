import { createRequire } from "node:module";
import type { RE2JS as RE2JSType } from "re2js";
import { UserError } from "../core/errors.js";
import type { UserPattern } from "../phi/candidate.js";

/**
 * User-supplied patterns (custom rules in .gitops-health.yml, imported gitleaks rules, allowlist
 * regexes) run on re2js, a pure-JS port of RE2: matching is linear in the input whatever the
 * pattern, so a hostile config cannot hang a scan (`a*a*a*a*a*b`, `(a+)+$` are harmless there),
 * and the syntax is gitleaks' own (Go regexp = RE2: `(?i)`, `(?P<name>...)`, inline flag groups).
 * Patterns RE2 cannot express (look-arounds, back-references) are refused naming the rule.
 * Built-in rules stay on V8 (src/phi/rules/). re2js is loaded on the first user pattern
 * only, so a scan without custom rules (the pre-commit hook's usual case) never loads it.
 */

let RE2: typeof RE2JSType | undefined;

function re2(): typeof RE2JSType {
  RE2 ??= (createRequire(import.meta.url)("re2js") as typeof import("re2js")).RE2JS;
  return RE2;
}

/** Compile a user pattern on RE2; one-line UserError naming the rule when RE2 cannot run it. */
export function compileUserPattern(ruleId: string, source: string): UserPattern {
  const R = re2();
  let line: RE2JSType;
  let text: RE2JSType;
  try {
    // `line` runs on one line at a time (so ^ and $ are line ends, as before); `text`, with ^ and $
    // at every line end, is a whole-text pretest: no match in the text, no match on any line
    line = R.compile(source);
    text = R.compile(source, R.MULTILINE);
  } catch (err) {
    const why = (err as Error).message.replace(/\s+/g, " ").replace(/^error parsing regexp: /, "");
    throw new UserError(
      `rule "${ruleId}": pattern is not valid RE2 syntax (linear-time engine; no look-arounds or back-references): ${why}`,
    );
  }
  const anchoredToText = /\\[Az]/.test(source);
  return {
    source,
    test: (s: string) => line.test(s),
    mayMatch: (s: string) => anchoredToText || text.test(s),
    *matchAll(s: string) {
      for (const m of line.matchAll(s)) yield { index: m.index ?? 0, length: m[0].length };
    },
  };
}
