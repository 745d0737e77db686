import type { Candidate } from "../candidate.js";
import { FIRST_NAMES, NOT_NAMES, SURNAMES } from "../data/names.js";
import { COUNTRIES, US_CITIES, US_STATES } from "../data/places.js";
import { BIG_NAMES, CREDENTIAL, ENGLISH, TITLE, cityLookup } from "../detect/lexicon.js";
import { CLINICAL_WORDS, COMMON_WORDS } from "../data/words.js";
import { WORDS, WordClasses } from "../detect/tokens.js";

/**
 * Tokens and features of the statistical PHI tagger (src/phi/tagger/model.ts), shared by the
 * tagger and its trainer (src/phi/tagger/train.ts, scripts/train-phi-tagger.ts) so both see
 * exactly the same numbers.
 *
 * A token is a run of letters (an apostrophe between letters included: "O'Hara"), a run of
 * digits, or one other visible character. Every feature is a 32-bit hash of a template number
 * and a value computed from character codes (the word's FNV-1a hash, its shape, a lexicon bit...),
 * so the per-token cost is integer arithmetic: no feature strings are built. Lexicon membership
 * is looked up once per distinct word (a bounded cache).
 */

/** The tags: O, then B-/I- of each class. */
export const CLASSES = ["name", "location", "date", "phone"] as const;
export type TagClass = (typeof CLASSES)[number];
export const NTAGS = 1 + 2 * CLASSES.length;
/** The class of tag t (t >= 1). */
export const classOf = (t: number): TagClass => CLASSES[(t - 1) >> 1]!;
export const isBegin = (t: number): boolean => t > 0 && (t & 1) === 1;

/** Token kinds. */
export const LETTERS = 1;
export const DIGITS = 2;
export const OTHER = 3;

export interface Tokens {
  n: number;
  start: Int32Array;
  end: Int32Array;
  kind: Uint8Array;
  /** 1: first token of its line */
  lineStart: Uint8Array;
}

function isLetter(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 0xc0 && c !== 0xd7 && c !== 0xf7 && c < 0x2000);
}
const isDigit = (c: number) => c >= 48 && c <= 57;
const isSpace = (c: number) => c === 32 || c === 10 || c === 13 || c === 9 || c === 12 || c === 11 || c === 0xa0;

/**
 * Arrays `prepare` reuses from one text to the next when asked (`tagText`: a context is read
 * before the next text is prepared); texts longer than REUSE_MAX characters get their own.
 */
const REUSE_MAX = 1 << 16;
class Scratch {
  cap = 0;
  start = new Int32Array(0);
  end = new Int32Array(0);
  kind = new Uint8Array(0);
  lineStart = new Uint8Array(0);
  words = new Int32Array(0);
  shapes = new Int32Array(0);
  lex = new Int32Array(0);
  rule = new Int32Array(0);
  ruleIds = new Int32Array(0);
  textKeys = new Int32Array(0);
  sections = new Int32Array(0);

  /** Room for the tokens of a text of `len` characters (at most one token per character). */
  ensure(len: number): void {
    if (len <= this.cap) return;
    const cap = Math.min(REUSE_MAX, Math.max(1024, len, this.cap * 2));
    this.cap = cap;
    this.start = new Int32Array(cap);
    this.end = new Int32Array(cap);
    this.kind = new Uint8Array(cap);
    this.lineStart = new Uint8Array(cap);
    this.words = new Int32Array(cap + 4);
    this.shapes = new Int32Array(cap + 4);
    this.lex = new Int32Array(cap + 4);
    this.rule = new Int32Array(cap + 4);
    this.ruleIds = new Int32Array(cap + 4);
    this.textKeys = new Int32Array(cap);
    this.sections = new Int32Array(cap);
  }
}
const SCRATCH = new Scratch();

export function tokenize(text: string): Tokens {
  return tokenizeWith(text, undefined);
}

/**
 * With scratch arrays, the tokeniser also counts, as it reads them, the ASCII capitals and ASCII
 * letters of the text (every ASCII letter is in a letter token: `prepare`'s upper-case-text flag
 * for texts it reads whole) and writes each letter token's shape (`shapeOf`) into
 * `scratch.shapes` at index + 2, or -1 when the token holds a character ≥ 128 (`shapeOf` decides).
 */
let lastUpper = 0;
let lastLetters = 0;

function tokenizeWith(text: string, scratch: Scratch | undefined): Tokens {
  const shapes = scratch?.shapes;
  let upper = 0;
  let letters = 0;
  const cap = Math.max(16, text.length >> 1);
  // with scratch arrays of text.length or more tokens: never grown below
  let start = scratch ? scratch.start : new Int32Array(cap);
  let end = scratch ? scratch.end : new Int32Array(cap);
  let kind = scratch ? scratch.kind : new Uint8Array(cap);
  let lineStart = scratch ? scratch.lineStart : new Uint8Array(cap);
  let n = 0;
  let newLine = 1;
  const len = text.length;
  let i = 0;
  while (i < len) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) {
      if (c === 10) newLine = 1;
      i++;
      continue;
    }
    if (n === start.length) {
      const grow = <T extends Int32Array | Uint8Array>(a: T, b: T): T => (b.set(a), b);
      start = grow(start, new Int32Array(n * 2));
      end = grow(end, new Int32Array(n * 2));
      kind = grow(kind, new Uint8Array(n * 2));
      lineStart = grow(lineStart, new Uint8Array(n * 2));
    }
    let j = i + 1;
    let k = OTHER;
    if (isLetter(c)) {
      k = LETTERS;
      if (shapes) {
        // the letters' case as they are read (shapeOf: capitals, lower case, a character ≥ 128)
        let up = 0;
        let low = 0;
        let wide = 0;
        if (c >= 65 && c <= 90) up++;
        else if (c >= 97) {
          if (c <= 122) low++;
          else wide = 1;
        }
        while (j < len) {
          let d = text.charCodeAt(j);
          if (isLetter(d)) j++;
          else if ((d === 39 || d === 0x2019) && j + 1 < len && isLetter(text.charCodeAt(j + 1))) {
            if (d === 0x2019) wide = 1;
            d = text.charCodeAt(j + 1);
            j += 2;
          } else break;
          if (d >= 65 && d <= 90) up++;
          else if (d >= 97 && d <= 122) low++;
          else wide = 1;
        }
        upper += up;
        letters += up + low;
        const single = j - i === 1 ? 4 : 0;
        shapes[n + 2] =
          wide !== 0 ? -1 : up === 0 ? single : low === 0 ? 1 + single : (c <= 90 && up === 1 ? 2 : 3) + single;
      } else
        while (j < len) {
          const d = text.charCodeAt(j);
          if (isLetter(d)) j++;
          else if ((d === 39 || d === 0x2019) && j + 1 < len && isLetter(text.charCodeAt(j + 1))) j += 2;
          else break;
        }
    } else if (isDigit(c)) {
      k = DIGITS;
      while (j < len && isDigit(text.charCodeAt(j))) j++;
    }
    start[n] = i;
    end[n] = j;
    kind[n] = k;
    lineStart[n] = newLine;
    newLine = 0;
    n++;
    i = j;
  }
  lastUpper = upper;
  lastLetters = letters;
  return { n, start, end, kind, lineStart };
}

// ---- hashing -------------------------------------------------------------------------------

/** FNV-1a of the lower-cased characters text[from, to). */
export function wordHash(text: string, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) {
    let c = text.charCodeAt(i);
    if ((c >= 65 && c <= 90) || (c >= 0xc0 && c <= 0xde && c !== 0xd7)) c += 32;
    h = Math.imul(h ^ c, 0x01000193);
  }
  return h >>> 0;
}

/** A feature id: template number and value mixed (murmur3 finaliser); never 0 (0 marks an empty slot). */
export function feat(template: number, value: number): number {
  let h = Math.imul(template + 0x9e3779b9, 0x85ebca6b) ^ value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h === 0 ? 1 : h;
}

// ---- lexicon bits --------------------------------------------------------------------------

const L_NAME = 1;
const L_NOTNAME = 2;
const L_CITY = 4;
const L_ENGLISH = 8;
const L_COMMON = 16;
const L_STATE = 32;
const L_TITLE = 64;
const L_CRED = 128;
const L_COUNTRY = 256;
const L_CLINICAL = 512;

const lexCache = new Map<string, number>();
function lexBits(w: string): number {
  let b = lexCache.get(w);
  if (b !== undefined) return b;
  b = 0;
  if (w.length >= 2) {
    if (FIRST_NAMES.has(w) || SURNAMES.has(w) || (w.length >= 3 && BIG_NAMES.has(w))) b |= L_NAME;
    if (NOT_NAMES.has(w)) b |= L_NOTNAME;
    if (cityLookup(w) !== undefined || US_CITIES.has(w)) b |= L_CITY;
    if (CLINICAL_WORDS.has(w)) b |= L_CLINICAL;
    if (ENGLISH.has(w)) b |= L_ENGLISH;
    if (COMMON_WORDS.has(w)) b |= L_COMMON;
    if (US_STATES.has(w)) b |= L_STATE;
    if (TITLE.test(w)) b |= L_TITLE;
    if (CREDENTIAL.test(w)) b |= L_CRED;
    if (COUNTRIES.has(w)) b |= L_COUNTRY;
  }
  if (lexCache.size > 100_000) lexCache.clear();
  lexCache.set(w, b);
  return b;
}

/**
 * Lexicon bits of a word, by its interned lower-case id (src/phi/detect/tokens.ts; no string
 * built for an ASCII word already seen): answered once per distinct word.
 */
const LEX = new WordClasses(lexBits);

// ---- rule detections -----------------------------------------------------------------------

/** A rule candidate's category as a small number (0: none). */
function ruleCat(c: string): number {
  switch (c) {
    case "name":
      return 1;
    case "location":
    case "city":
    case "zip":
    case "facility":
    case "street-address":
      return 2;
    case "date":
      return 3;
    case "phone":
      return 4;
    case "age":
      return 5;
    default:
      return 6;
  }
}

// ---- templates -----------------------------------------------------------------------------

/** Feature template numbers. */
export const T = {
  bias: 1,
  w0: 2,
  wm1: 3,
  wm2: 4,
  wp1: 5,
  wp2: 6,
  shape: 7,
  shape3: 8,
  pre2: 9,
  pre3: 10,
  suf2: 11,
  suf3: 12,
  lex: 13,
  lexm1: 14,
  lexp1: 15,
  lexShape: 16,
  section: 17,
  rule0: 18,
  rulem1: 19,
  rulep1: 20,
  ruleId: 21,
  bigramL: 22,
  bigramR: 23,
  lineStart: 24,
  upperDocShape: 25,
  len: 26,
  prev: 27,
  prev2: 28,
  prevW: 29,
  ruleShape: 30,
  lexm2: 31,
  lexp2: 32,
} as const;

/** Static features per token (the tag history is added while decoding: `historyFeatures`). */
export const NSTATIC = 32;

/**
 * Shape of a token: letters 0 lower, 1 upper, 2 title, 3 mixed (+ 4 when a single letter);
 * digits 10 + length (max 6); other characters 32 + the character code.
 */
function shapeOf(text: string, s: number, e: number, kind: number): number {
  if (kind === DIGITS) {
    // by value: could be a month, a day, a two-digit year, a year
    let v = 0;
    for (let i = s; i < e && i < s + 6; i++) v = v * 10 + text.charCodeAt(i) - 48;
    const len = e - s;
    if (len <= 2) return v === 0 ? 10 : v <= 12 ? 11 : v <= 31 ? 12 : 13;
    if (len === 4) return v >= 1900 && v <= 2099 ? 15 : 16;
    return 14 + (len === 3 ? 0 : 3) + Math.min(3, len - 5);
  }
  if (kind === OTHER) return 32 + text.charCodeAt(s);
  let up = 0;
  let low = 0;
  for (let i = s; i < e; i++) {
    const c = text.charCodeAt(i);
    if (c >= 65 && c <= 90) up++;
    else if (c >= 97 && c <= 122) low++;
    else if (c >= 0xc0) {
      const ch = text[i]!;
      if (ch !== ch.toLowerCase()) up++;
      else low++;
    }
  }
  const single = e - s === 1 ? 4 : 0;
  if (up === 0) return 0 + single;
  if (low === 0) return 1 + single;
  const c0 = text.charCodeAt(s);
  const firstUp = (c0 >= 65 && c0 <= 90) || (c0 >= 0xc0 && text[s] !== text[s]!.toLowerCase());
  return (firstUp && up === 1 ? 2 : 3) + single;
}

/** Prefix/suffix hash of n lower-cased characters. */
export function affix(text: string, s: number, e: number, n: number, suffix: boolean): number {
  if (e - s < n + 1) return 0;
  return suffix ? wordHash(text, e - n, e) : wordHash(text, s, s + n);
}

export interface TokenFeatures {
  tokens: Tokens;
  /** NSTATIC feature ids per token */
  feats: Int32Array;
  /** the word hash per token, padded by two on each side (for the history features) */
  words: Int32Array;
}

/** What the features of one token are computed from (arrays padded by two tokens each side). */
export interface FeatureContext {
  text: string;
  tokens: Tokens;
  words: Int32Array;
  shapes: Int32Array;
  lex: Int32Array;
  rule: Int32Array;
  ruleIds: Int32Array;
  sections: Int32Array;
  upperDoc: number;
  /**
   * Per token (not padded), a key that determines every feature of the token's own text (its
   * word, shape, affixes, lexicon bits, length, kind) together with `upperDoc`, or 0 when the
   * token has none (src/phi/tagger/fast.ts caches the token's weights by it): ASCII letter runs
   * of 2-30 characters by interned word id and shape, single ASCII letters, digit runs by shape
   * and length, other characters by code.
   */
  textKeys: Int32Array;
}

/**
 * Per-token facts of `text` the features are made of. `rules` are the rule and detector
 * candidates (offsets into `text`) the scanner found before the tagger runs.
 */
export function prepare(text: string, rules: readonly Candidate[], reuse = false): FeatureContext {
  // `reuse`: the context's arrays are views of arrays the next `prepare(..., true)` overwrites
  const scratch = reuse && text.length <= REUSE_MAX ? SCRATCH : undefined;
  scratch?.ensure(text.length);
  const tok = tokenizeWith(text, scratch);
  const n = tok.n;
  const words = scratch ? scratch.words.subarray(0, n + 4) : new Int32Array(n + 4);
  const shapes = scratch ? scratch.shapes.subarray(0, n + 4) : new Int32Array(n + 4);
  const lex = scratch ? scratch.lex.subarray(0, n + 4).fill(0) : new Int32Array(n + 4);
  const rule = scratch ? scratch.rule.subarray(0, n + 4).fill(0) : new Int32Array(n + 4);
  const ruleIds = scratch ? scratch.ruleIds.subarray(0, n + 4).fill(0) : new Int32Array(n + 4);
  const textKeys = scratch ? scratch.textKeys.subarray(0, n).fill(0) : new Int32Array(n);
  const generation = WORDS.generation;
  // the text's case: in an all-capitals note, capitals say nothing (counted by the tokeniser
  // when it had scratch arrays, for a text it reads every character of)
  let up = lastUpper;
  let letters = lastLetters;
  const step = text.length > 20000 ? 7 : 1;
  if (!scratch || step !== 1) {
    up = 0;
    letters = 0;
    for (let i = 0; i < text.length; i += step) {
      const c = text.charCodeAt(i);
      if (c >= 65 && c <= 90) {
        up++;
        letters++;
      } else if (c >= 97 && c <= 122) letters++;
    }
  }
  const upperDoc = letters >= 20 && up / letters > 0.7 ? 1 : 0;
  for (let i = 0; i < n; i++) {
    const s = tok.start[i]!;
    const e = tok.end[i]!;
    const k = tok.kind[i]!;
    // a letter token's shape from the tokeniser (scratch), unless it holds a character ≥ 128
    const sh = scratch && k === LETTERS && shapes[i + 2]! >= 0 ? shapes[i + 2]! : shapeOf(text, s, e, k);
    shapes[i + 2] = sh;
    // the word hash of an ASCII word, as the word table computed it (the same FNV-1a of the same lower-case characters)
    let asciiHash: number | undefined;
    if (k === LETTERS && e - s >= 2 && e - s <= 30) {
      const id = WORDS.id(text, s, e);
      lex[i + 2] = LEX.of(id);
      // an ASCII word's features are those of its lower-case form (the id) and its shape (0-3)
      if (WORDS.lastAscii) {
        textKeys[i] = (((id + 1) << 3) | (sh << 1) | upperDoc) << 2;
        asciiHash = WORDS.lastHash;
      }
    } else if (k === DIGITS) textKeys[i] = ((((sh << 4) | Math.min(12, e - s)) << 1) | upperDoc) * 4 + 1;
    else {
      // one character: a letter's shape (4, 5) and word follow from its code, as do another's
      const c = text.charCodeAt(s);
      if (e - s === 1 && c < 0x8000 && (k === OTHER || c < 128)) textKeys[i] = (((c << 1) | upperDoc) << 2) + 2;
    }
    // A word's identity is a feature only for words of the closed vocabulary (English, clinical
    // and common words, titles, credentials, words of 1-3 letters, numbers of 1-2 digits): a name
    // or place the lexicons do not hold is seen through its shape, affixes and context, so the
    // model cannot memorise the training notes' names (it would not generalise to new ones).
    const known =
      k === OTHER ||
      (k === LETTERS && (e - s <= 3 || (lex[i + 2]! & (L_ENGLISH | L_COMMON | L_CLINICAL | L_TITLE | L_CRED)) !== 0));
    words[i + 2] = known ? (asciiHash ?? wordHash(text, s, e)) : 0x1b873593 + sh;
  }
  // rule candidates: category (B: 1-6, I: 7-12) on each token they cover
  for (const c of rules) {
    if (c.kind !== "phi") continue;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (tok.end[mid]! <= c.start) lo = mid + 1;
      else hi = mid;
    }
    const cat = ruleCat(c.category);
    const id = wordHash(c.ruleId, 0, c.ruleId.length);
    for (let t = lo; t < n && tok.start[t]! < c.end; t++) {
      if (rule[t + 2] === 0) {
        rule[t + 2] = t === lo ? cat : cat + 6;
        ruleIds[t + 2] = id;
      }
    }
  }
  // the table started over while this text was read: its ids are of two generations, no cache key holds
  if (WORDS.generation !== generation) textKeys.fill(0);
  // boundary padding
  words[0] = words[1] = words[n + 2] = words[n + 3] = 0x5bd1e995;
  shapes[0] = shapes[1] = shapes[n + 2] = shapes[n + 3] = 999;
  // a section header: a line starting with up to three words and a colon ("PMH:", "SOCIAL HX:")
  const sections = scratch ? scratch.sections.subarray(0, n) : new Int32Array(n);
  let section = 0;
  for (let i = 0; i < n; i++) {
    const p = i + 2;
    if (tok.lineStart[i]) {
      for (let j = i + 1; j < Math.min(n, i + 4); j++) {
        if (tok.kind[j] === OTHER) {
          if (text.charCodeAt(tok.start[j]!) === 58) section = words[p]! ^ Math.imul(words[p + 1]!, 31);
          break;
        }
      }
    }
    sections[i] = section;
  }
  return { text, tokens: tok, words, shapes, lex, rule, ruleIds, sections, upperDoc, textKeys };
}

/** The static features of every token (the trainer's form: all at once). */
export function extract(text: string, rules: readonly Candidate[]): TokenFeatures {
  const ctx = prepare(text, rules);
  const n = ctx.tokens.n;
  const feats = new Int32Array(n * NSTATIC);
  for (let i = 0; i < n; i++) staticFeatures(ctx, i, feats, i * NSTATIC);
  return { tokens: ctx.tokens, feats, words: ctx.words };
}

/** The NSTATIC static features of token i into out[o..o + NSTATIC). */
export function staticFeatures(ctx: FeatureContext, i: number, feats: Int32Array, o: number): void {
  const { text, tokens: tok, words, shapes, lex, rule, ruleIds, upperDoc } = ctx;
  const n = tok.n;
  const section = ctx.sections[i]!;
  {
    const p = i + 2;
    const s = tok.start[i]!;
    const e = tok.end[i]!;
    const w0 = words[p]!;
    const sh = shapes[p]!;
    let f = 0;
    feats[o + f++] = feat(T.bias, 0);
    feats[o + f++] = feat(T.w0, w0);
    feats[o + f++] = feat(T.wm1, words[p - 1]!);
    feats[o + f++] = feat(T.wm2, words[p - 2]!);
    feats[o + f++] = feat(T.wp1, words[p + 1]!);
    feats[o + f++] = feat(T.wp2, words[p + 2]!);
    feats[o + f++] = feat(T.shape, sh);
    feats[o + f++] = feat(T.shape3, Math.imul(shapes[p - 1]!, 1009) ^ Math.imul(sh, 31) ^ shapes[p + 1]!);
    const k = tok.kind[i]!;
    feats[o + f++] = feat(T.pre2, k === LETTERS ? affix(text, s, e, 2, false) : 0);
    feats[o + f++] = feat(T.pre3, k === LETTERS ? affix(text, s, e, 3, false) : 0);
    feats[o + f++] = feat(T.suf2, k === LETTERS ? affix(text, s, e, 2, true) : 0);
    feats[o + f++] = feat(T.suf3, k === LETTERS ? affix(text, s, e, 3, true) : 0);
    feats[o + f++] = feat(T.lex, lex[p]!);
    feats[o + f++] = feat(T.lexm1, lex[p - 1]!);
    feats[o + f++] = feat(T.lexp1, lex[p + 1]!);
    feats[o + f++] = feat(T.lexShape, (lex[p]! << 10) ^ (sh << 1) ^ upperDoc);
    feats[o + f++] = feat(T.section, section);
    feats[o + f++] = feat(T.rule0, rule[p]!);
    feats[o + f++] = feat(T.rulem1, rule[p - 1]!);
    feats[o + f++] = feat(T.rulep1, rule[p + 1]!);
    feats[o + f++] = feat(T.ruleId, ruleIds[p]!);
    feats[o + f++] = feat(T.bigramL, Math.imul(words[p - 1]!, 0x2f0b3c1d) ^ w0);
    feats[o + f++] = feat(T.bigramR, Math.imul(w0, 0x2f0b3c1d) ^ words[p + 1]!);
    feats[o + f++] = feat(T.lineStart, tok.lineStart[i]! * 2 + (i + 1 < n ? tok.lineStart[i + 1]! : 1));
    feats[o + f++] = feat(T.upperDocShape, upperDoc * 1000 + sh);
    feats[o + f++] = feat(T.len, Math.min(12, e - s) * 8 + k);
    feats[o + f++] = feat(T.ruleShape, rule[p]! * 4096 + sh);
    feats[o + f++] = feat(T.lexm2, lex[p - 2]!);
    feats[o + f++] = feat(T.lexp2, lex[p + 2]!);
    feats[o + f++] = feat(T.shape3 + 100, Math.imul(sh, 1009) ^ Math.imul(shapes[p + 1]!, 31) ^ shapes[p + 2]!);
    feats[o + f++] = feat(T.shape3 + 101, Math.imul(shapes[p - 2]!, 1009) ^ Math.imul(shapes[p - 1]!, 31) ^ sh);
    feats[o + f++] = feat(
      T.shape3 + 102,
      Math.imul(shapes[p - 2]!, 0x3c6ef372) ^
        Math.imul(shapes[p - 1]!, 1009) ^
        Math.imul(sh, 31) ^
        Math.imul(shapes[p + 1]!, 7) ^
        shapes[p + 2]!,
    );
    if (f !== NSTATIC) throw new Error(`tagger: ${f} static features, expected ${NSTATIC}`);
  }
}

/** Features of the tag history: previous tag, previous two tags, previous tag with the word. */
export function historyFeatures(prev: number, prev2: number, word: number, out: Int32Array): void {
  out[0] = feat(T.prev, prev);
  out[1] = feat(T.prev2, prev2 * 16 + prev);
  out[2] = feat(T.prevW, Math.imul(prev + 1, 0x27d4eb2d) ^ word);
}
export const NHISTORY = 3;
