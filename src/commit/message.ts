/**
 * The one commit-message schema: the Conventional Commits header (its types, parser and
 * formatter), the message model the generator writes, and git trailers parsed like
 * `git interpret-trailers --parse`. Linting is lint.ts (commitlint's rules); other header
 * families are convention.ts.
 */

/** The Conventional Commits types of @commitlint/config-conventional, in its order. */
export const TYPES = [
  "build",
  "chore",
  "ci",
  "docs",
  "feat",
  "fix",
  "perf",
  "refactor",
  "revert",
  "style",
  "test",
] as const;
export type CommitType = (typeof TYPES)[number];
export const isConventionalType = (t: string): t is CommitType => (TYPES as readonly string[]).includes(t);
export const COMPLIANCE_TRAILERS = [
  "Risk-Level",
  "PHI-Impact",
  "Clinical-Safety",
  "Compliance",
  "Refs",
  "Reviewed-by",
  "Approved-by",
  "Fixes",
] as const;

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

/** A commit message as the generator writes it. */
export interface CommitMessage {
  type: string;
  scope?: string;
  subject: string;
  body: string[];
  trailers: [string, string][];
}

/** A usable Conventional header: type and subject present, type lower-cased, parts trimmed. */
export interface ParsedHeader {
  type: string;
  scope?: string;
  breaking: boolean;
  subject: string;
}

export function formatHeader(m: Pick<CommitMessage, "type" | "scope" | "subject">): string {
  return `${m.type}${m.scope ? `(${m.scope})` : ""}: ${m.subject}`;
}

export function formatMessage(m: CommitMessage): string {
  let out = formatHeader(m);
  if (m.body.length) out += `\n\n${m.body.join("\n")}`;
  if (m.trailers.length) out += `\n\n${m.trailers.map(([k, v]) => `${k}: ${v}`).join("\n")}`;
  return out + "\n";
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

/** The Conventional header as written: an empty type or subject still matches (lint reports them). */
const HEADER = /^(\w*)(?:\(([^()\r\n]*)\))?(!)?: (.*)$/;

/** The header's type, scope and subject when it is a usable Conventional Commits header. */
export function parseHeader(header: string): ParsedHeader | undefined {
  const m = HEADER.exec(header.trim());
  if (!m || !m[1] || !m[4]!.trim()) return undefined;
  return { type: m[1].toLowerCase(), scope: m[2]?.trim() || undefined, breaking: m[3] === "!", subject: m[4]!.trim() };
}
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
