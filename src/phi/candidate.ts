import type { Severity } from "./types.js";

/**
 * The vocabulary every room of the PHI engine shares: scan profiles, finding kinds, a raw
 * detection (`Candidate`, before line/column, preview and fingerprint are added), and the
 * shapes of rules a caller may add.
 */

/**
 * Two profiles: `code` (source files: identifiers need validation or strong context, so ordinary
 * code stays quiet) and `prose` (notes, documents, prompts, data: aggressive, recall first).
 */
export type Profile = "code" | "prose";
export type Kind = "phi" | "secret";

/**
 * A user-supplied pattern compiled for a linear-time engine (src/scan/safe-regex.ts: re2js).
 * Runs line by line; `mayMatch` is a whole-text pretest (false: no line can match).
 */
export interface UserPattern {
  readonly source: string;
  test(text: string): boolean;
  mayMatch(text: string): boolean;
  matchAll(line: string): Iterable<{ index: number; length: number }>;
}

export interface ExtraRule {
  id: string;
  /** A RegExp (trusted callers of the library: runs on V8) or a UserPattern (config, gitleaks: linear time). */
  regex: RegExp | UserPattern;
  category: string;
  severity: Severity;
  hipaaIdentifier?: number;
  kind?: Kind;
}

/** A raw detection before line/column, preview and fingerprint are added. */
export interface Candidate {
  ruleId: string;
  category: string;
  hipaa?: number;
  kind: Kind;
  start: number;
  end: number;
  severity: Severity;
  confidence: number;
  synthetic?: boolean;
}
