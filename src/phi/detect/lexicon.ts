import { loadLexicon } from "../data/lexicons.js";
import { COUNTRIES, US_CITIES, US_STATES } from "../data/places.js";

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

/** Notes are often written all in capitals; then case says nothing about names. */
export function isUpperText(text: string, start: number, end: number): boolean {
  const s = text.slice(Math.max(0, start - 200), Math.min(text.length, end + 200));
  let letters = 0;
  let upper = 0;
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c >= 65 && c <= 90) {
      letters++;
      upper++;
    } else if (c >= 97 && c <= 122) letters++;
  }
  return letters >= 20 && upper / letters > 0.7;
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
