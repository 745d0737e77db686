/**
 * The shared token pass of the prose detectors: a hand-written tokeniser (the same tokens as the
 * detectors' `\p{L}…` regexes, without a match object per token) and a table interning every
 * token's lower-case form. An ASCII token is hashed and compared straight from the text, so it
 * costs no `toLowerCase()` and no new string; each distinct word gets a small integer id, and the
 * word-class questions the detectors ask (lexicons, word lists) are answered once per id
 * (`WordClasses`), not once per token and question. The table is global: the vocabulary of notes
 * repeats from document to document. It starts over when full (bounded memory on bulk text).
 */

/** Letter test for code points ≥ 128 (`\p{L}`), cached for the BMP. */
const BMP_LETTER = new Uint8Array(65536); // 0: unknown, 1: no, 2: yes
const LETTER = /^\p{L}$/u;
function isLetterCp(cp: number): boolean {
  if (cp < 128) return (cp >= 65 && cp <= 90) || (cp >= 97 && cp <= 122);
  if (cp < 65536) {
    let v = BMP_LETTER[cp]!;
    if (v === 0) BMP_LETTER[cp] = v = LETTER.test(String.fromCharCode(cp)) ? 2 : 1;
    return v === 2;
  }
  return LETTER.test(String.fromCodePoint(cp));
}

/** The code point at `i` and its length in UTF-16 units (a lone surrogate is one unit). */
function cpAt(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
    const d = text.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
  }
  return c;
}

/**
 * Per connector string: its characters, a table of the ASCII characters a token continues with
 * (letters and connectors), and the offset buffers its tokens are written to (reused from one call
 * to the next: a typed array of more than 64 bytes is a separately allocated backing store).
 */
interface Connectors {
  ex: Set<number>;
  ascii: Uint8Array;
  starts: Int32Array;
  ends: Int32Array;
}
const CONNECTORS = new Map<string, Connectors>();
/** The largest offset buffers kept between calls (entries; 2 × 256 KiB). */
const KEPT_TOKENS = 1 << 16;
function connectorsOf(extra: string): Connectors {
  let c = CONNECTORS.get(extra);
  if (c === undefined) {
    const ex = new Set<number>();
    const ascii = new Uint8Array(128);
    for (let k = 65; k <= 90; k++) ascii[k] = ascii[k + 32] = 1;
    for (let k = 0; k < extra.length; k++) {
      const d = extra.charCodeAt(k);
      ex.add(d);
      if (d < 128) ascii[d] = 1;
    }
    CONNECTORS.set(extra, (c = { ex, ascii, starts: new Int32Array(1024), ends: new Int32Array(1024) }));
  }
  return c;
}

/**
 * Every match of `\p{L}[\p{L}<extra>]*` (flags gu), as start and end offsets: `extra` are the
 * connector characters allowed after the first letter (e.g. "'’" or ".'’-"). Same tokens, in the
 * same order, as `text.matchAll(new RegExp(...))` (test/phi-tokens.test.ts checks it). The offsets
 * are `starts[0, n)` and `ends[0, n)` (the arrays may be longer); they stay valid until the next
 * call with the same `extra`, which writes over them.
 */
export function tokenize(text: string, extra: string): { starts: Int32Array; ends: Int32Array; n: number } {
  const conn = connectorsOf(extra);
  const { ex, ascii } = conn;
  // notes hold about one token per five characters: buffers of a quarter of the text's length, kept
  // for the next text up to KEPT_TOKENS entries (bounded memory after a long text)
  let starts = conn.starts;
  let ends = conn.ends;
  const need = (text.length >> 2) + 1;
  if (need > starts.length) {
    starts = new Int32Array(need);
    ends = new Int32Array(need);
    if (need <= KEPT_TOKENS) {
      conn.starts = starts;
      conn.ends = ends;
    }
  }
  let n = 0;
  const len = text.length;
  let i = 0;
  while (i < len) {
    const c = text.charCodeAt(i);
    // fast path: ASCII non-letters
    if (c < 128 && !((c >= 65 && c <= 90) || (c >= 97 && c <= 122))) {
      i++;
      continue;
    }
    const cp = c < 128 ? c : cpAt(text, i);
    const w = cp > 0xffff ? 2 : 1;
    if (!isLetterCp(cp)) {
      i += w;
      continue;
    }
    const start = i;
    i += w;
    while (i < len) {
      const d = text.charCodeAt(i);
      if (d < 128) {
        if (ascii[d] === 1) {
          i++;
          continue;
        }
        break;
      }
      if (ex.has(d)) {
        i++;
        continue;
      }
      const p = cpAt(text, i);
      if (!isLetterCp(p)) break;
      i += p > 0xffff ? 2 : 1;
    }
    if (n === starts.length) {
      const s2 = new Int32Array(n * 2);
      s2.set(starts);
      starts = s2;
      const e2 = new Int32Array(n * 2);
      e2.set(ends);
      ends = e2;
      if (n * 2 <= KEPT_TOKENS) {
        conn.starts = starts;
        conn.ends = ends;
      }
    }
    starts[n] = start;
    ends[n] = i;
    n++;
  }
  return { starts, ends, n };
}

/** `wordTokens` flags: the token holds an ASCII capital. */
export const TF_UPPER = 1;
/** `wordTokens` flags: the token holds an apostrophe "'" (it is more than one run of letters). */
export const TF_QUOTE = 2;
/** `wordTokens` flags: the token holds a character ≥ 128 (its hash is not set). */
export const TF_WIDE = 4;

/** The tokens of `\p{L}[\p{L}'’]*` with, per token, the FNV-1a hash of its lower-case form and flags. */
export interface WordTokens {
  starts: Int32Array;
  ends: Int32Array;
  /** For a token without TF_WIDE: the hash `WORDS.id` computes for it. */
  hashes: Int32Array;
  flags: Uint8Array;
  n: number;
  /** Whether the whole text is ASCII. */
  ascii: boolean;
}
/** Per ASCII character: its lower-case code inside a word pass token (letters, "'"), else 0. */
const WORD_CHAR = new Uint8Array(128);
/** Per ASCII character: the token flag it sets (TF_UPPER, TF_QUOTE). */
const WORD_FLAG = new Uint8Array(128);
for (let c = 97; c <= 122; c++) WORD_CHAR[c] = WORD_CHAR[c - 32] = c;
for (let c = 65; c <= 90; c++) WORD_FLAG[c] = TF_UPPER;
WORD_CHAR[39] = 39;
WORD_FLAG[39] = TF_QUOTE;
let wordText: string | undefined;
let WT: WordTokens = {
  starts: new Int32Array(1024),
  ends: new Int32Array(1024),
  hashes: new Int32Array(1024),
  flags: new Uint8Array(1024),
  n: 0,
  ascii: true,
};
/** The answer for `wordText` (WT, or arrays too long to keep). */
let lastWords: WordTokens = WT;

/** The arrays of `w` (holding `n` tokens) twice as long; kept for the next text when not too long. */
function grownWords(w: WordTokens, n: number): WordTokens {
  const starts = new Int32Array(n * 2);
  const ends = new Int32Array(n * 2);
  const hashes = new Int32Array(n * 2);
  const flags = new Uint8Array(n * 2);
  starts.set(w.starts);
  ends.set(w.ends);
  hashes.set(w.hashes);
  flags.set(w.flags);
  const g = { starts, ends, hashes, flags, n: 0, ascii: true };
  if (n * 2 <= KEPT_TOKENS) WT = g;
  return g;
}

/**
 * The shared word pass: the tokens of `tokenize(text, "'’")`, each ASCII token hashed as it is read
 * (the hash of its lower-case form, as `WORDS.id` makes it), kept for the last text asked about.
 * The cue pass (cues.ts) and the names detector both read it, so the characters of a text are
 * walked once for both. The arrays are written over by the next text.
 */
export function wordTokens(text: string): WordTokens {
  if (text === wordText) return lastWords;
  const len = text.length;
  let w = WT;
  const need = (len >> 2) + 1;
  if (need > w.starts.length) {
    const fresh: WordTokens = {
      starts: new Int32Array(need),
      ends: new Int32Array(need),
      hashes: new Int32Array(need),
      flags: new Uint8Array(need),
      n: 0,
      ascii: true,
    };
    w = fresh;
    if (need <= KEPT_TOKENS) WT = fresh;
  }
  let { starts, ends, hashes, flags } = w;
  let n = 0;
  let ascii = true;
  let i = 0;
  while (i < len) {
    const c = text.charCodeAt(i);
    let h: number;
    let f = 0;
    const start = i;
    if (c < 128) {
      if (!((c >= 65 && c <= 90) || (c >= 97 && c <= 122))) {
        i++;
        continue;
      }
      if (c <= 90) f = TF_UPPER;
      h = Math.imul((0x811c9dc5 | 0) ^ (c | 32), 0x01000193);
      i++;
    } else {
      ascii = false;
      const cp = cpAt(text, i);
      const cw = cp > 0xffff ? 2 : 1;
      if (!isLetterCp(cp)) {
        i += cw;
        continue;
      }
      f = TF_WIDE;
      h = 0;
      i += cw;
    }
    // the rest of the token: ASCII letters and "'" (hashed), or "’" and letters ≥ 128
    while (i < len) {
      const d = text.charCodeAt(i);
      if (d < 128) {
        const v = WORD_CHAR[d]!;
        if (v === 0) break;
        h = Math.imul(h ^ v, 0x01000193);
        f |= WORD_FLAG[d]!;
        i++;
        continue;
      }
      ascii = false;
      if (d === 0x2019) {
        f |= TF_WIDE;
        i++;
        continue;
      }
      const p = cpAt(text, i);
      if (!isLetterCp(p)) break;
      f |= TF_WIDE;
      i += p > 0xffff ? 2 : 1;
    }
    if (n === starts.length) {
      w = grownWords(w, n);
      ({ starts, ends, hashes, flags } = w);
    }
    starts[n] = start;
    ends[n] = i;
    hashes[n] = h;
    flags[n] = f;
    n++;
  }
  w.n = n;
  w.ascii = ascii;
  wordText = text;
  lastWords = w;
  return w;
}

const CAPACITY = 1 << 15;
const MASK = CAPACITY - 1;
/** Distinct words kept before the table starts over (load factor 1/2). */
const MAX_WORDS = CAPACITY >> 1;

/**
 * Interned lower-case words. Ids are dense, in the order words are first seen (0, 1, 2, ...), so
 * the per-id arrays (words, word classes) of a text's frequent words sit close together in
 * memory; an open-addressing index maps a word's hash to its id, each slot one 32-bit word (part
 * of the hash and the id + 1: 128 KiB in all).
 */
class WordTable {
  /** Bumped when the table starts over: per-id answers of an older generation are void. */
  generation = 0;
  private count = 0;
  private readonly words: string[] = [];
  /**
   * Slot k: the hash's high 16 bits (the low ones chose the slot) above the id + 1 (0: empty;
   * ids stay below 2^14). A match of those bits is confirmed on the characters (or the string).
   */
  private readonly index = new Int32Array(CAPACITY);
  /**
   * The characters of every ASCII word side by side, in id order (`find` compares a token with
   * them: no load of a string object from the heap); per id its length (-1: the word holds a
   * character ≥ 128, so no ASCII token equals it) and its offset in `chars`.
   */
  private chars = new Uint8Array(MAX_WORDS * 8);
  private used = 0;
  private readonly lens = new Int32Array(MAX_WORDS);
  private readonly offs = new Int32Array(MAX_WORDS);

  private reset(): void {
    this.words.length = 0;
    this.index.fill(0);
    this.count = 0;
    this.used = 0;
    this.generation++;
  }

  /** Whether the text of the last `id` call was all ASCII (its id then names its exact lower-case characters). */
  lastAscii = true;
  /** For an ASCII last `id` call: the FNV-1a hash (32 bits) of its lower-case characters. */
  lastHash = 0;
  /** For an ASCII last `id` call: whether its text held no upper-case letter (then `word(id)` is that text). */
  lastLower = true;

  /** The id of `text.slice(start, end).toLowerCase()`. */
  id(text: string, start: number, end: number): number {
    let h = 0x811c9dc5 | 0;
    let ascii = true;
    let lower = true;
    for (let k = start; k < end; k++) {
      let c = text.charCodeAt(k);
      if (c >= 128) {
        ascii = false;
        break;
      }
      if (c >= 65 && c <= 90) {
        c += 32;
        lower = false;
      }
      h = Math.imul(h ^ c, 0x01000193);
    }
    this.lastAscii = ascii;
    this.lastHash = h;
    this.lastLower = lower;
    if (!ascii) return this.idOf(text.slice(start, end).toLowerCase());
    return this.find(text, start, end, h);
  }

  /** The id of ASCII text[start, end) lower-cased, whose hash is `h`. */
  private find(text: string, start: number, end: number, h: number): number {
    const len = end - start;
    const index = this.index;
    for (let slot = h & MASK; ; slot = (slot + 1) & MASK) {
      const x = index[slot]!;
      if (x === 0) return this.insert(slot, h, text.slice(start, end).toLowerCase());
      const e = x & 0xffff;
      if ((x ^ h) >>> 16 === 0 && this.lens[e - 1] === len && this.sameChars(text, start, len, this.offs[e - 1]!))
        return e - 1;
    }
  }

  /** Whether ASCII text[start, start + len) lower-cased equals the pooled characters at `off`. */
  private sameChars(text: string, start: number, len: number, off: number): boolean {
    const chars = this.chars;
    for (let k = 0; k < len; k++) {
      let c = text.charCodeAt(start + k);
      if (c >= 65 && c <= 90) c += 32;
      if (c !== chars[off + k]) return false;
    }
    return true;
  }

  /**
   * `id(text, start, end)` for ASCII text whose hash `h` is known (from `wordTokens`); `lower`:
   * whether it holds no capital. Sets `lastAscii`, `lastHash` and `lastLower` as `id` does.
   */
  idHashed(text: string, start: number, end: number, h: number, lower: boolean): number {
    this.lastAscii = true;
    this.lastHash = h;
    this.lastLower = lower;
    return this.find(text, start, end, h);
  }

  /** The id of a lower-case word. */
  idOf(l: string): number {
    let h = 0x811c9dc5 | 0;
    for (let k = 0; k < l.length; k++) h = Math.imul(h ^ l.charCodeAt(k), 0x01000193);
    const index = this.index;
    for (let slot = h & MASK; ; slot = (slot + 1) & MASK) {
      const x = index[slot]!;
      if (x === 0) return this.insert(slot, h, l);
      if ((x ^ h) >>> 16 === 0 && this.words[(x & 0xffff) - 1] === l) return (x & 0xffff) - 1;
    }
  }

  private insert(slot: number, h: number, l: string): number {
    if (this.count >= MAX_WORDS) {
      this.reset();
      return this.idOf(l);
    }
    const id = this.count++;
    this.words.push(l);
    let ascii = true;
    for (let k = 0; k < l.length; k++) if (l.charCodeAt(k) >= 128) ascii = false;
    if (ascii) {
      if (this.used + l.length > this.chars.length) {
        const grown = new Uint8Array(Math.max(this.chars.length * 2, this.used + l.length));
        grown.set(this.chars.subarray(0, this.used));
        this.chars = grown;
      }
      for (let k = 0; k < l.length; k++) this.chars[this.used + k] = l.charCodeAt(k);
      this.lens[id] = l.length;
      this.offs[id] = this.used;
      this.used += l.length;
    } else this.lens[id] = -1;
    this.index[slot] = (h & ~0xffff) | (id + 1);
    return id;
  }

  /** The lower-case word of an id (one shared string per word). */
  word(id: number): string {
    return this.words[id]!;
  }
}

export const WORDS = new WordTable();

/**
 * Bits answered once per word id: `compute(l)` gives the bits of a lower-case word (at most 30).
 * Valid for the table's current generation.
 */
export class WordClasses {
  private readonly bits = new Int32Array(MAX_WORDS);
  private generation = WORDS.generation;
  constructor(private readonly compute: (l: string) => number) {}

  of(id: number): number {
    if (this.generation !== WORDS.generation) {
      this.bits.fill(0);
      this.generation = WORDS.generation;
    }
    const b = this.bits[id]!;
    if (b !== 0) return b & 0x3fffffff;
    const f = this.compute(WORDS.word(id));
    this.bits[id] = f | 0x40000000;
    return f;
  }
}
