import { toSticky } from "../prefilter.js";
import { anchorGroup, anchorsOf } from "./cues.js";

/**
 * Anchored matching for the prose detectors: a whole-text regex whose every match starts at a
 * position a cheap scan can list (a cue word's run, a digit run of the right length before the
 * right separator, a quote) runs sticky at those positions only. The matches are the same as a
 * `matchAll` over the whole text: positions are tried in order, and one inside the previous
 * match is skipped (as the global regex resumes its search at the end of a match); the list is
 * a superset of the match starts (each test below is a necessary condition of the regex it
 * serves), and the sticky regex itself decides at each.
 */

/** The matches of global `re` in `text`, run (sticky) only at `positions` (in order) when given. */
export function matchesAt(re: RegExp, text: string, positions: readonly number[] | undefined): RegExpExecArray[] {
  if (positions === undefined) return [...text.matchAll(re)];
  const out: RegExpExecArray[] = [];
  if (positions.length === 0) return out;
  const sticky = stickyOf(re);
  let last = 0;
  for (const p of positions) {
    if (p < last) continue;
    sticky.lastIndex = p;
    const m = sticky.exec(text);
    if (m === null) continue;
    last = p + Math.max(1, m[0].length);
    out.push(m);
  }
  return out;
}

/** A whole-text regex (flag g) and where its matches can start (undefined: anywhere, run over the whole text). */
export interface Anchored {
  readonly name: string;
  readonly re: RegExp;
  readonly starts: (text: string) => readonly number[] | undefined;
  /** For a word-anchored regex: its words. */
  readonly words?: readonly string[];
}

/** Every anchored regex declared (test/phi-anchored.test.ts checks each against `matchAll`). */
export const ANCHORED: Anchored[] = [];

/** Declares a regex whose matches start at `starts(text)` (a superset of its match starts, in order). */
export function anchored(
  name: string,
  re: RegExp,
  starts: (text: string) => readonly number[] | undefined,
  words?: readonly string[],
): Anchored {
  if (!re.global) throw new Error(`phi anchored ${name}: the regex is global`);
  const a = { name, re, starts, words };
  ANCHORED.push(a);
  return a;
}

/**
 * Declares a regex whose every match starts with one of `words` (lower-case ASCII letters) as a
 * whole run of ASCII letters: the runs come from the cue pass (src/phi/detect/cues.ts).
 */
export function anchoredWords(name: string, re: RegExp, words: readonly string[]): Anchored {
  const group = anchorGroup(words);
  return anchored(name, re, (text) => anchorsOf(text, group), words);
}

/** The matches of an anchored regex, the same as `text.matchAll(a.re)`. */
export function matchesOf(a: Anchored, text: string): RegExpExecArray[] {
  return matchesAt(a.re, text, a.starts(text));
}

const STICKY = new Map<RegExp, RegExp>();
function stickyOf(re: RegExp): RegExp {
  let s = STICKY.get(re);
  if (s === undefined) STICKY.set(re, (s = toSticky(re)));
  return s;
}

let digitText: string | undefined;
/** Start, length and the next character's code of every ASCII digit run of the last text asked about. */
let runStart = new Int32Array(256);
let runLen = new Int32Array(256);
let runNext = new Int32Array(256);
let runs = 0;

const DIGITS = /\d+/g;
function digitRuns(text: string): void {
  if (text === digitText) return;
  runs = 0;
  DIGITS.lastIndex = 0;
  // the regex engine finds the runs faster than a loop over every character
  for (let m = DIGITS.exec(text); m !== null; m = DIGITS.exec(text)) {
    if (runs === runStart.length) {
      const grow = (a: Int32Array) => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      runStart = grow(runStart);
      runLen = grow(runLen);
      runNext = grow(runNext);
    }
    const e = m.index + m[0].length;
    runStart[runs] = m.index;
    runLen[runs] = m[0].length;
    runNext[runs] = e < text.length ? text.charCodeAt(e) : -1;
    runs++;
  }
  digitText = text;
}

/**
 * Starts of the digit runs of at most `maxLen` digits (at least `minLen`) whose next character
 * passes `next` (a character code; -1 at the end of the text).
 */
export function digitRunsBefore(text: string, minLen: number, maxLen: number, next: (c: number) => boolean): number[] {
  digitRuns(text);
  const out: number[] = [];
  for (let r = 0; r < runs; r++) {
    const n = runLen[r]!;
    if (n >= minLen && n <= maxLen && next(runNext[r]!)) out.push(runStart[r]!);
  }
  return out;
}

/** Whether some digit run of at most `maxLen` digits is followed by one of `suffixes` (two lower-case ASCII letters each, matched case-insensitively). */
export function someDigitRunBefore(text: string, maxLen: number, suffixes: readonly string[]): boolean {
  digitRuns(text);
  for (let r = 0; r < runs; r++) {
    if (runLen[r]! > maxLen) continue;
    const e = runStart[r]! + runLen[r]!;
    const a = text.charCodeAt(e) | 32;
    const b = text.charCodeAt(e + 1) | 32;
    for (const s of suffixes) if (s.charCodeAt(0) === a && s.charCodeAt(1) === b) return true;
  }
  return false;
}

/** Positions of `'` and `’` and two before each (in order, no repeats): where an abbreviated year can start. */
export function quoteYearStarts(text: string): number[] {
  const out: number[] = [];
  let sorted = true;
  const add = (p: number) => {
    const prev = out.length > 0 ? out[out.length - 1]! : -1;
    if (p === prev) return;
    if (p < prev) sorted = false;
    out.push(p);
  };
  // the two quotes found by indexOf, merged in order
  let q1 = text.indexOf("'");
  let q2 = text.indexOf("’");
  while (q1 >= 0 || q2 >= 0) {
    let i: number;
    if (q2 < 0 || (q1 >= 0 && q1 < q2)) {
      i = q1;
      q1 = text.indexOf("'", q1 + 1);
    } else {
      i = q2;
      q2 = text.indexOf("’", q2 + 1);
    }
    // "12'" starts at the digits, two before the quote; "'12" at the quote
    if (i >= 2) add(i - 2);
    add(i);
  }
  if (sorted) return out;
  return [...new Set(out)].sort((a, b) => a - b);
}
