import type { Severity } from "../types.js";
import type { Kind, Profile, UserPattern } from "../candidate.js";
import type { TextIndex } from "../prefilter.js";

/**
 * One detection rule, everything about it in one place: its regular expression and validator,
 * and the facts the prefilters need (where a match can start, which keywords anchor its context,
 * the regex the start function was derived from), with true- and false-positive samples that
 * `test/phi-rules.test.ts` runs. The tables the scanner uses (src/phi/rules/index.ts) are derived
 * from these declarations.
 */
export type Sev = Severity | { code: Severity; prose: Severity };

/** Positions where the rule's regex may start a match (a superset), sorted, from the shared text index. */
export type Starts = (text: string, idx: TextIndex) => number[];

export interface Rule {
  id: string;
  category: string;
  hipaa?: number;
  kind: Kind;
  re: RegExp;
  /** capture group holding the identifier (default: whole match) */
  group?: number;
  severity: Sev;
  confidence: number;
  profiles?: Profile[];
  /** cheap test on the whole text before running `re` */
  gate?: (text: string) => boolean;
  /** false = reject; "sample" = known synthetic/test value */
  validate?: (value: string, m: RegExpExecArray, text: string) => boolean | "sample";
  /** words that must appear within `window` characters before the match */
  context?: RegExp;
  window?: number;
  /** extra rule: run line by line (a V8 RegExp skips lines longer than MAX_USER_RULE_LINE) */
  perLine?: boolean;
  /** user-supplied pattern on the linear-time engine (then `re` is unused) */
  user?: UserPattern;
  /** the match always contains this character: only look around its occurrences */
  atChar?: string;

  // --- prefilter declarations (src/phi/prefilter.ts runs them)
  /**
   * Keyword prefixes for the shared keyword pass, a group named after the rule: every match of
   * `context` (or, for rules whose `starts` use the group, of `re`) starts with one of them.
   */
  keywords?: readonly string[];
  /**
   * Every match starts with one of these literals: the starts are their positions (literals with
   * '_' or '-' are found together in the text index's one walk over those characters).
   */
  literals?: readonly string[];
  /** Where `re` can start a match; `impliesGate`: any match implies `gate`, which then need not run. */
  starts?: Starts;
  impliesGate?: boolean;
  /**
   * Context anchors found another way than the keyword pass (generic-secret: from the
   * assignments of the shared number pass).
   */
  anchorStarts?: (text: string, context: RegExp, idx: TextIndex) => number[];
  /**
   * `regexHash` of the regex that `starts` (`re`) or `anchorStarts` (`re` or `context`) was derived
   * from; another regex runs unfiltered.
   */
  derivedFrom?: string;
  /** anchored rule whose gate a context match does not imply (so it must still run) */
  anchorGate?: boolean;

  /** Texts the rule must find (a finding with this id) and must not find, in its first profile. */
  samples?: { tp: readonly string[]; fp: readonly string[] };
}

export const hasDigit = (t: string) => /\d/.test(t);
