import { checkHeader, type Convention } from "./convention.js";

/**
 * The one commit-message schema: a Conventional Commits header with commitlint's
 * config-conventional rules, and git trailers parsed like `git interpret-trailers --parse`.
 */
export const TYPES = ["build", "chore", "ci", "docs", "feat", "fix", "perf", "refactor", "revert", "style", "test"] as const;
export const COMPLIANCE_TRAILERS = ["Risk-Level", "PHI-Impact", "Clinical-Safety", "Compliance", "Refs", "Reviewed-by", "Approved-by", "Fixes"] as const;

export interface ParsedMessage {
  header: string;
  type?: string;
  scope?: string;
  breaking: boolean;
  subject?: string;
  body: string;
  /** trailer key (as written) → values, in order */
  trailers: Record<string, string[]>;
}

export interface LintProblem {
  level: 1 | 2; // 1 warning, 2 error (commitlint's levels)
  rule: string;
  message: string;
}

/** Remove git's comment lines and everything below a scissors line, as `git commit` does. */
export function cleanMessage(raw: string, commentChar = "#"): string {
  const lines = raw.replace(/\r\n/g, "\n").split("\n");
  const out: string[] = [];
  for (const l of lines) {
    if (l.startsWith(`${commentChar} ------------------------ >8 ------------------------`)) break;
    if (l.startsWith(commentChar)) continue;
    out.push(l.replace(/\s+$/, ""));
  }
  return out.join("\n").replace(/^\n+/, "").replace(/\n+$/, "");
}

const HEADER = /^(\w*)(?:\(([^()\r\n]*)\))?(!)?: (.*)$/;
const TRAILER = /^([A-Za-z0-9][A-Za-z0-9-]*)\s*:\s?(.*)$/;

export function parseTrailers(message: string): Record<string, string[]> {
  const paragraphs = message.replace(/\n+$/, "").split(/\n\s*\n/);
  if (paragraphs.length < 2) return {};
  const last = paragraphs[paragraphs.length - 1]!.split("\n");
  let trailers = 0;
  let others = 0;
  let gitGenerated = false;
  for (const l of last) {
    if (/^\s/.test(l)) continue; // continuation
    if (TRAILER.test(l)) {
      trailers++;
      if (/^(?:Signed-off-by|\(cherry picked from commit)/i.test(l)) gitGenerated = true;
    } else others++;
  }
  // git: all lines are trailers, or at least 25% are and one is git-generated
  if (trailers === 0 || (others > 0 && !(gitGenerated && trailers * 3 >= others))) return {};
  const out: Record<string, string[]> = {};
  let key: string | undefined;
  for (const l of last) {
    if (/^\s/.test(l) && key) {
      const vals = out[key]!;
      vals[vals.length - 1] = `${vals[vals.length - 1]} ${l.trim()}`.trim();
      continue;
    }
    const m = TRAILER.exec(l);
    if (!m) {
      key = undefined;
      continue;
    }
    key = m[1]!;
    (out[key] ??= []).push(m[2]!.trim());
  }
  return out;
}

export function parseCommitMessage(raw: string): ParsedMessage {
  const msg = raw.replace(/\r\n/g, "\n");
  const header = msg.split("\n")[0] ?? "";
  const m = HEADER.exec(header);
  const body = msg.split("\n").slice(1).join("\n").replace(/^\n+/, "");
  const trailers = parseTrailers(msg);
  const breaking = Boolean(m?.[3]) || /^BREAKING[ -]CHANGE:/m.test(body);
  return { header, ...(m ? { type: m[1], scope: m[2] || undefined, subject: m[4] } : {}), breaking, body, trailers };
}

const isCase = {
  lower: (s: string) => s === s.toLowerCase(),
  sentence: (s: string) => /^[A-Z][^A-Z]*$/.test(s.split(/\s+/).slice(0, 1).join("")) && s.slice(1) === s.slice(1).toLowerCase(),
  start: (s: string) => s.split(/\s+/).every((w) => /^[A-Z]/.test(w)),
  pascal: (s: string) => /^[A-Z][a-z0-9]*(?:[A-Z][a-z0-9]*)+$/.test(s),
  upper: (s: string) => s === s.toUpperCase() && /[A-Z]/.test(s),
};

/**
 * Lint like commitlint with @commitlint/config-conventional (same rule names and levels), or, for a
 * repository whose convention is another header family (`(type) s`, `[TYPE] s`, gitmoji, tracker
 * keys, free text) or declares its own types (see convention.ts), check the header against that
 * convention instead.
 */
export function lintMessage(raw: string, convention?: Convention): LintProblem[] {
  const p = parseCommitMessage(raw);
  const out: LintProblem[] = [];
  const add = (level: 1 | 2, rule: string, message: string) => out.push({ level, rule, message });
  if (/^(?:Merge|Revert|fixup!|squash!|amend!|Initial commit|Automatic merge)/.test(p.header) || /^(?:Merged|Merge) .*(?:branch|pull request|tag)/.test(p.header)) return out; // commitlint defaultIgnores
  if (convention && convention.style !== "conventional") {
    for (const e of checkHeader(convention, p.header)) add(2, "header-convention", e);
    if (p.header.length > 100) add(2, "header-max-length", "header must not be longer than 100 characters");
    return out;
  }
  const type = p.type ?? "";
  if (!type) add(2, "type-empty", "type may not be empty");
  else {
    if (!isCase.lower(type)) add(2, "type-case", "type must be lower-case");
    // Types declared in .gitops-health.yml or a commitlint config replace config-conventional's.
    const types: readonly string[] = convention && !convention.source.startsWith("history") && convention.types.length ? convention.types : TYPES;
    if (!types.includes(type)) add(2, "type-enum", `type must be one of [${types.join(", ")}]`);
  }
  if (!p.subject) add(2, "subject-empty", "subject may not be empty");
  else {
    const s = p.subject;
    if (s.endsWith(".")) add(2, "subject-full-stop", "subject may not end with full stop");
    if (isCase.sentence(s) || isCase.start(s) || isCase.pascal(s) || isCase.upper(s)) add(2, "subject-case", "subject must not be sentence-case, start-case, pascal-case, upper-case");
  }
  if (p.header.length > 100) add(2, "header-max-length", "header must not be longer than 100 characters");
  if (p.header !== p.header.trim()) add(2, "header-trim", "header must not have leading or trailing whitespace");
  const lines = raw.replace(/\r\n/g, "\n").split("\n");
  if (lines.length > 1 && lines[1] !== "" && lines.slice(1).some((l) => l.trim())) add(1, "body-leading-blank", "body must have leading blank line");
  const bodyLines = lines.slice(2);
  if (bodyLines.some((l) => l.length > 100 && !/https?:\/\//.test(l))) add(2, "body-max-line-length", "body's lines must not be longer than 100 characters");
  return out;
}
