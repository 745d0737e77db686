import { loadLexicon } from "../data/lexicons.js";
import { COUNTRIES, US_CITIES, US_STATES } from "../data/places.js";
import { FIRST_NAMES, NOT_NAMES, SURNAMES } from "../data/names.js";
import { CLINICAL_WORDS, COMMON_WORDS, NATIONALITIES } from "../data/words.js";
import { WORDS, WordClasses } from "./tokens.js";

/**
 * Word knowledge shared by the name and place detectors: the big lexicons (decoded on the first
 * prose scan only), case tests, and the word classes both use.
 */

export const TITLE = /^(?:dr|drs|doctor|mr|mrs|ms|miss|mx|prof|professor|nurse|rev)$/;
export const CREDENTIAL =
  /^(?:md|rn|phd|dds|lpn|cnm|crna|lcsw|msw|pharmd|rph|rrt|crt|bsn|msn|cna|aprn|fnp|otr|slp|dpt|mph|facp|facc|ccrn|np|pa)$/;
export const VERBISH = /(?:ing|ed|ly|tion|sion|ment|ness|ity|ous|ive|al|ic)$/i;
/** Grammatical words that never follow a relation word as a name ("son is", "wife will"). */
export const FUNCTION_WORD =
  /^(?:is|was|were|are|be|been|and|or|but|at|in|on|to|of|for|from|with|by|will|would|may|might|can|could|should|has|had|have|not|no|also|who|that|this|the|a|an|states|stated|says|said|called|visited|present|here|there|aware|updated|notified)$/;

/**
 * ASCII letters and capitals before each multiple of 16 characters of the last text asked about
 * (names and places ask `isUpperText` about the same text hundreds of times): a count over any
 * range then reads at most 30 characters instead of the whole range.
 */
let upperText: string | undefined;
let upperMarks = new Int32Array(0);
function upperCount(text: string, at: number): number {
  const b = at >> 4;
  let letters = upperMarks[2 * b]!;
  let upper = upperMarks[2 * b + 1]!;
  for (let k = b << 4; k < at; k++) {
    const c = text.charCodeAt(k);
    if (c >= 65 && c <= 90) {
      letters++;
      upper++;
    } else if (c >= 97 && c <= 122) letters++;
  }
  countUpper = upper;
  return letters;
}
let countUpper = 0;
/** Per ASCII character: 1 for a letter, plus 1 << 8 for a capital (a block of 16 sums to < 2^16). */
const LETTER_COUNT = new Int32Array(128);
for (let c = 97; c <= 122; c++) LETTER_COUNT[c] = 1;
for (let c = 65; c <= 90; c++) LETTER_COUNT[c] = 1 | (1 << 8);
function markUpper(text: string): void {
  upperText = text;
  const len = text.length;
  const marks = (len >> 4) + 1;
  if (upperMarks.length < 2 * marks) upperMarks = new Int32Array(2 * marks);
  let letters = 0;
  let upper = 0;
  // the counts before each multiple of 16, from a block's packed sum (no branch per character)
  for (let b = 0; b < len; b += 16) {
    upperMarks[b >> 3] = letters;
    upperMarks[(b >> 3) + 1] = upper;
    const e = b + 16 < len ? b + 16 : len;
    let sum = 0;
    for (let k = b; k < e; k++) {
      const c = text.charCodeAt(k);
      if (c < 128) sum += LETTER_COUNT[c]!;
    }
    letters += sum & 0xff;
    upper += sum >> 8;
  }
  if ((len & 15) === 0) {
    upperMarks[len >> 3] = letters;
    upperMarks[(len >> 3) + 1] = upper;
  }
}

/** Notes are often written all in capitals; then case says nothing about names. */
export function isUpperText(text: string, start: number, end: number): boolean {
  // the 200 characters on either side of the span (ASCII letters counted)
  if (text !== upperText) markUpper(text);
  const lo = Math.max(0, start - 200);
  const hi = Math.min(text.length, end + 200);
  const letters = upperCount(text, hi);
  const upper = countUpper;
  const letters0 = upperCount(text, lo);
  const nLetters = letters - letters0;
  const nUpper = upper - countUpper;
  return nLetters >= 20 && nUpper / nLetters > 0.7;
}

/** 183K given names and surnames that are not English words (lexicons.ts), decoded on first prose use. */
let bigNames: string[] | undefined;
/** Binary search in a sorted list: cheaper to set up than a Set of 183K strings (hook latency). */
function sortedHas(list: string[], w: string): boolean {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = list[mid]!;
    if (v === w) return true;
    if (v < w) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}
export const BIG_NAMES = {
  has: (w: string) => {
    bigNames ??= loadLexicon("person-names");
    if (sortedHas(bigNames, w)) return true;
    // the lexicon is mostly unaccented: "szölösi" → "szolosi"
    const plain = w
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .replace(/ł/g, "l")
      .replace(/ø/g, "o")
      .replace(/æ/g, "ae")
      .replace(/ð/g, "d")
      .replace(/þ/g, "th")
      .replace(/ß/g, "ss");
    return plain !== w && sortedHas(bigNames, plain);
  },
};
/** World cities (15,000+) and US places (2,000+); value true: the name is also made of English words. */
let cityNames: Map<string, boolean> | undefined;
export function cityLookup(w: string): boolean | undefined {
  if (!cityNames) {
    cityNames = new Map();
    for (const c of loadLexicon("city-names")) {
      if (c.endsWith("*")) cityNames.set(c.slice(0, -1), true);
      else cityNames.set(c, false);
    }
  }
  return cityNames.get(w);
}
let englishWords: Set<string> | undefined;
/** Frequent English words (lexicons.ts): ordinary words, not proper nouns, when case says nothing. */
export const ENGLISH = { has: (w: string) => (englishWords ??= new Set(loadLexicon("english-words"))).has(w) };
let placeStarts: Set<string> | undefined;
/** First words of multi-word places ("new" of "new york"): only these need a longer lookup. */
export function multiWordPlaceStart(w: string): boolean {
  if (!placeStarts) {
    placeStarts = new Set();
    cityLookup("");
    for (const c of [...cityNames!.keys(), ...US_CITIES, ...COUNTRIES, ...US_STATES]) {
      const sp = c.indexOf(" ");
      if (sp > 0) placeStarts.add(c.slice(0, sp));
    }
  }
  return placeStarts.has(w);
}
/** Capitalised (any script): "Jožef", "Ólafur", "O'Hara", "McDonald". */
export const CAP_WORD =
  /^(?:(?:Mc|Mac|O['’]|D['’]|De|Di|Da|Du|La|Le|Van|Von|Fitz)?\p{Lu}\p{Ll}*|\p{Lu}['’]\p{L}\p{Ll}+)$/u;

/**
 * Word classes as bits, looked up once per distinct lower-case word and kept (`wordFlags`): the
 * detectors ask a dozen of these questions about every token, and one Map lookup answering all of
 * them is far cheaper than a dozen Set lookups and regex tests. The lexicons behind ENGLISH and
 * BIG_NAMES load lazily, so those two are not in the flags (names.ts asks them once per token).
 */
export const W_FIRST = 1 << 0;
export const W_SURNAME = 1 << 1;
export const W_NOT_NAME = 1 << 2;
export const W_COMMON = 1 << 3;
export const W_CLINICAL = 1 << 4;
export const W_NATIONALITY = 1 << 5;
export const W_US_STATE = 1 << 6;
export const W_COUNTRY = 1 << 7;
export const W_TITLE = 1 << 8;
export const W_CREDENTIAL = 1 << 9;
export const W_VERBISH = 1 << 10;
export const W_FUNCTION = 1 << 11;
/** Bits 16-29 are free for a detector's own word classes (see names.ts). */
export const W_FIRST_DETECTOR_BIT = 16;

/** The word-class bits (W_*) of a lower-case word. */
export function computeWordFlags(l: string): number {
  let f = 0;
  if (FIRST_NAMES.has(l)) f |= W_FIRST;
  if (SURNAMES.has(l)) f |= W_SURNAME;
  if (NOT_NAMES.has(l)) f |= W_NOT_NAME;
  if (COMMON_WORDS.has(l)) f |= W_COMMON;
  if (CLINICAL_WORDS.has(l)) f |= W_CLINICAL;
  if (NATIONALITIES.has(l)) f |= W_NATIONALITY;
  if (US_STATES.has(l)) f |= W_US_STATE;
  if (COUNTRIES.has(l)) f |= W_COUNTRY;
  if (TITLE.test(l)) f |= W_TITLE;
  if (CREDENTIAL.test(l)) f |= W_CREDENTIAL;
  if (VERBISH.test(l)) f |= W_VERBISH;
  if (FUNCTION_WORD.test(l)) f |= W_FUNCTION;
  return f;
}

export const LEXICON_CLASSES = new WordClasses(computeWordFlags);
/** The word-class bits (W_*) of a lower-case word, answered once per distinct word. */
export function wordFlags(l: string): number {
  return LEXICON_CLASSES.of(WORDS.idOf(l));
}
