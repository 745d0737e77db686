// Paths are a side channel: `smithers_536-22-8147.txt` puts an SSN in every report that names the
// file. A path is scanned with the same engine as contents (built-in and user rules); what it
// finds is reported as `phi-in-path` / `secret-in-path`, and every finding of that file then
// names it by a masked path (`smithers_***-**-****.txt`), in every output format.
import type { Candidate } from "../phi/candidate.js";
import type { Scanner } from "../phi/scanner.js";
import { toFindings } from "../phi/scanner.js";
import type { Finding } from "../phi/types.js";

export interface PathCheck {
  /** The path to show in findings: the path itself, or masked where it holds identifiers. */
  shown: string;
  /** Findings for the identifiers in the path (file = shown, line 1, offsets into the path). */
  findings: Finding[];
}

/** Paths without a digit or an '@' hold no identifier the code profile can find. */
const MAY_HOLD = /[0-9@]/;

/**
 * The path as the engine should read it: separators (`_`, `/`, `\`) become spaces, so that
 * `smithers_536-22-8147` has a word boundary before the number, and the last segment's extension
 * is blanked (a file name ending `@4.json` is not an e-mail address at host "4" in TLD "json").
 * Same length as the path, so offsets carry over.
 */
function readable(path: string): string {
  const base = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")) + 1;
  const dot = path.lastIndexOf(".");
  const ext = dot > base ? path.length - dot : 0;
  return path.slice(0, path.length - ext).replace(/[_/\\]/g, " ") + " ".repeat(ext);
}

/** Mask every letter and digit of each identifier found in the path. */
export function maskSpans(text: string, spans: { start: number; end: number }[]): string {
  let out = "";
  let at = 0;
  for (const s of [...spans].sort((a, b) => a.start - b.start)) {
    if (s.start < at) continue;
    out += text.slice(at, s.start) + text.slice(s.start, s.end).replace(/[\p{L}\p{N}]/gu, "*");
    at = s.end;
  }
  return out + text.slice(at);
}

/**
 * Free text that may name files (a generated commit message): identifiers found with the code
 * profile, reading `_`, `/` and `\` as spaces as in paths, are masked letter by letter.
 */
export function maskIdentifiersInText(
  text: string,
  find: (readable: string) => { start: number; end: number }[],
): string {
  if (!MAY_HOLD.test(text)) return text;
  const spans = find(text.replace(/[_/\\]/g, " ")).filter((c) => c.end > c.start);
  return spans.length ? maskSpans(text, spans) : text;
}

/** Scan a path (code profile: no name or place guessing in file names). */
export function checkPath(scanner: Scanner, path: string, commit?: string): PathCheck {
  if (!MAY_HOLD.test(path)) return { shown: path, findings: [] };
  const text = readable(path);
  const found = scanner.candidates(text, "code").filter((c) => c.end > c.start && c.ruleId !== "custom-rule-budget");
  if (found.length === 0) return { shown: path, findings: [] };
  const shown = maskSpans(path, found);
  const cands: Candidate[] = found.map((c) => ({
    ...c,
    ruleId: c.kind === "secret" ? "secret-in-path" : "phi-in-path",
    severity: c.synthetic ? "low" : "high",
  }));
  // previews and fingerprints come from the path's own characters (the raw path is never shown)
  return { shown, findings: toFindings(path, cands, { path: shown, ...(commit !== undefined ? { commit } : {}) }) };
}
