/**
 * CODEOWNERS with GitHub's semantics: gitignore-like patterns (no `!` negation, no `[...]`
 * ranges), the last matching line wins, a line with no owners leaves the path unowned. Owners
 * are `@login`, `@org/team` or an email. Pure.
 */
import ignore from "ignore";

/** Where GitHub looks, in order, then GitLab's own directory; the first that exists is used. */
export const CODEOWNERS_LOCATIONS = [
  ".github/CODEOWNERS",
  "CODEOWNERS",
  "docs/CODEOWNERS",
  ".gitlab/CODEOWNERS",
] as const;

export interface CodeOwnerRule {
  pattern: string;
  owners: string[];
  line: number;
  matches: (path: string) => boolean;
}

export interface CodeOwners {
  rules: CodeOwnerRule[];
  /** lines GitHub would reject (reported, skipped) */
  errors: { line: number; message: string }[];
}

const OWNER = /^(@[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\/[A-Za-z0-9._-]+)?|[^@\s]+@[^@\s]+\.[^@\s]+)$/;

export function parseCodeOwners(text: string): CodeOwners {
  const rules: CodeOwnerRule[] = [];
  const errors: CodeOwners["errors"] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const body = raw.replace(/(^|\s)#.*$/, "").trim();
    if (!body) return;
    // An escaped space belongs to the pattern.
    const [pattern, ...owners] = body.split(/(?<!\\)\s+/);
    if (!pattern) return;
    if (pattern.startsWith("!") || /(?<!\\)\[/.test(pattern)) {
      errors.push({
        line,
        message: `unsupported pattern syntax in "${pattern}" (no ! negation or [ ] ranges in CODEOWNERS)`,
      });
      return;
    }
    const bad = owners.filter((o) => !OWNER.test(o));
    if (bad.length) {
      errors.push({ line, message: `invalid owner(s) ${bad.join(", ")}` });
      return;
    }
    const ig = ignore().add(pattern);
    // GitHub differs from gitignore for a wildcard in the last segment: `docs/*` owns docs/a.md but
    // not docs/sub/b.md, so such a pattern must match the path itself, not one of its directories.
    const last = pattern.replace(/\/+$/, "").split("/").pop() ?? "";
    const fileOnly =
      !pattern.endsWith("/") && pattern.replace(/^\/+/, "").includes("/") && /[*?]/.test(last) && last !== "**";
    const matches = (path: string) => {
      const p = path.replace(/^\/+/, "");
      if (!ig.ignores(p)) return false;
      if (!fileOnly) return true;
      const parts = p.split("/");
      for (let i = 1; i < parts.length; i++) if (ig.ignores(`${parts.slice(0, i).join("/")}/`)) return false;
      return true;
    };
    rules.push({ pattern, owners, line, matches });
  });
  return { rules, errors };
}

/** The owners of a path: those of the last matching rule (empty when none matches or it lists none). */
export function ownersOf(co: CodeOwners, path: string): { owners: string[]; rule: CodeOwnerRule | undefined } {
  for (let i = co.rules.length - 1; i >= 0; i--) {
    const r = co.rules[i]!;
    if (r.matches(path)) return { owners: r.owners, rule: r };
  }
  return { owners: [], rule: undefined };
}

/** `@org/team` owners named anywhere in the file, as [org, slug]. */
export function teamsIn(co: CodeOwners): [string, string][] {
  const seen = new Map<string, [string, string]>();
  for (const r of co.rules)
    for (const o of r.owners) {
      const m = /^@([^/]+)\/(.+)$/.exec(o);
      if (m) seen.set(`${m[1]!.toLowerCase()}/${m[2]!.toLowerCase()}`, [m[1]!, m[2]!]);
    }
  return [...seen.values()];
}
