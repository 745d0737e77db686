import { TF_QUOTE, WORDS, WordClasses, wordTokens } from "./tokens.js";

/**
 * Cue gates: which whole-text regexes of the prose detectors can match a text at all, from ONE
 * pass over it. A regex whose every match holds one of its cue words as a whole run of ASCII
 * letters (a `\b`-bounded keyword followed by a space, a dot or a non-letter) is skipped on a text
 * where none of those runs occurs: it would have found nothing there, so the candidates are the
 * same. Each run's interned id (src/phi/detect/tokens.ts) carries its cue bits, answered once per
 * distinct word.
 *
 * Exact only on ASCII text: a text with any character ≥ 128 opens every gate (under the `iu`
 * flags "ſ" matches "s" and "K" (Kelvin) matches "k", and a non-ASCII letter next to a keyword is
 * a regex word boundary but not a run boundary). Groups are declared at module load, before any
 * scan (their bits are cached per word id).
 */

const byWord = new Map<string, number>();
let groups = 0;
let frozen = false;
const ALL = 0x3fffffff;

/** A cue group: the bit that `cuesOf` sets when any of `words` (lower-case ASCII letters) is a run of the text. */
export function cueGroup(words: readonly string[]): number {
  if (frozen) throw new Error("phi cues: groups are declared before the first scan");
  if (groups >= 30) throw new Error("phi cues: at most 30 groups");
  const bit = 1 << groups++;
  for (const w of words) {
    if (!/^[a-z]+$/.test(w)) throw new Error(`phi cues: "${w}" is not a run of lower-case ASCII letters`);
    byWord.set(w, (byWord.get(w) ?? 0) | bit);
    const h = fnv(w, 0, w.length);
    BLOOM[(h >>> 5) & BLOOM_MASK]! |= 1 << (h & 31);
  }
  return bit;
}

/** FNV-1a of text[s, e) lower-cased (ASCII letters). */
function fnv(text: string, s: number, e: number): number {
  let h = 0x811c9dc5 | 0;
  for (let k = s; k < e; k++) h = Math.imul(h ^ (text.charCodeAt(k) | 32), 0x01000193);
  return h;
}
/** A bit per cue word's hash (65,536 bits): most runs are no cue word and stop here. */
const BLOOM = new Int32Array(2048);
const BLOOM_MASK = 2047;

/**
 * Anchor groups: like cue groups, but the pass also records where each run of a group starts, so
 * that a regex whose every match starts with one of the group's words runs (sticky) only there
 * (`anchorsOf`). Declared at module load too.
 */
const anchorByWord = new Map<string, number>();
let anchorGroups = 0;

/** An anchor group: `anchorsOf(text, group)` lists the starts of the runs of `words` (lower-case ASCII letters). */
export function anchorGroup(words: readonly string[]): number {
  if (frozen) throw new Error("phi cues: groups are declared before the first scan");
  if (anchorGroups >= 30) throw new Error("phi cues: at most 30 anchor groups");
  const g = anchorGroups++;
  for (const w of words) {
    if (!/^[a-z]+$/.test(w)) throw new Error(`phi cues: "${w}" is not a run of lower-case ASCII letters`);
    anchorByWord.set(w, (anchorByWord.get(w) ?? 0) | (1 << g));
    const h = fnv(w, 0, w.length);
    BLOOM[(h >>> 5) & BLOOM_MASK]! |= 1 << (h & 31);
  }
  return g;
}

const CUES = new WordClasses((l) => byWord.get(l) ?? 0);
const ANCHORS = new WordClasses((l) => anchorByWord.get(l) ?? 0);
let lastText: string | undefined;
let lastMask = 0;
/** Per anchor group, the run starts found by the last pass (undefined: the text is not ASCII). */
let lastAnchors: (number[] | undefined)[] | undefined;
/** The empty list of a group with no word in the text. */
const NONE: readonly number[] = [];

/**
 * The starts, in order, of the ASCII letter runs of `text` that are words of anchor group `group`
 * (matched case-insensitively); undefined when the text holds a character ≥ 128 (then the caller
 * runs its regex over the whole text: under the `iu` flags a non-ASCII character may match an
 * ASCII keyword).
 */
export function anchorsOf(text: string, group: number): readonly number[] | undefined {
  if (text !== lastText) cuesOf(text);
  if (lastAnchors === undefined) return undefined;
  return lastAnchors[group] ?? NONE;
}

/** Whether `text` is all ASCII (read from the cue pass, run once per text). */
export function isAsciiText(text: string): boolean {
  if (text !== lastText) cuesOf(text);
  return lastAnchors !== undefined;
}

/**
 * The cue bits of every ASCII letter run of `text` (all bits when it holds a non-ASCII character).
 * The runs are read from the shared word pass (tokens.ts `wordTokens`, which the names detector
 * reads too): in an ASCII text every letter run lies in one of its tokens, and a token without an
 * apostrophe is one run, hashed already; a token with one is split into its runs here.
 */
export function cuesOf(text: string): number {
  if (text === lastText) return lastMask;
  frozen = true;
  const wt = wordTokens(text);
  lastText = text;
  if (!wt.ascii) {
    lastMask = ALL;
    lastAnchors = undefined;
    return ALL;
  }
  let mask = 0;
  // a group's list is made when its first word is found (most groups find none in a text)
  const anchors: (number[] | undefined)[] = new Array<number[] | undefined>(anchorGroups);
  const { starts, ends, hashes, flags, n } = wt;
  const run = (s: number, e: number, h: number) => {
    if ((BLOOM[(h >>> 5) & BLOOM_MASK]! & (1 << (h & 31))) === 0) return;
    const id = WORDS.id(text, s, e);
    mask |= CUES.of(id);
    let a = ANCHORS.of(id);
    while (a !== 0) {
      const low = a & -a;
      const g = 31 - Math.clz32(low);
      const list = anchors[g];
      if (list === undefined) anchors[g] = [s];
      else list.push(s);
      a ^= low;
    }
  };
  for (let k = 0; k < n; k++) {
    if ((flags[k]! & TF_QUOTE) === 0) {
      run(starts[k]!, ends[k]!, hashes[k]!);
      continue;
    }
    // the runs between the apostrophes (a token starts with a letter; "''" leaves no run between)
    const e = ends[k]!;
    let s = starts[k]!;
    while (s < e) {
      let j = s;
      let h = 0x811c9dc5 | 0;
      for (; j < e; j++) {
        const d = text.charCodeAt(j);
        if (d === 39) break;
        h = Math.imul(h ^ (d | 32), 0x01000193);
      }
      if (j > s) run(s, j, h);
      s = j + 1;
    }
  }
  lastMask = mask;
  lastAnchors = anchors;
  return mask;
}
