/**
 * A validating scan of one stored ledger entry, for `verify`: checks that the bytes are one JSON
 * text (RFC 8259 grammar, as `JSON.parse` accepts it after UTF-8 decoding) whose top level is an
 * object, and returns its top-level `seq`, `time` and `type` without building the object.
 *
 * It answers only in the plain case: `seq` a non-negative integer written with digits only, `time`
 * and `type` ASCII strings without escapes, no top-level key written with an escape, nesting no
 * deeper than MAX_DEPTH. For anything else (including every invalid text) it returns undefined and
 * the caller falls back to `JSON.parse`, so what verify concludes never depends on this scan: when
 * it answers, `JSON.parse` of the same bytes succeeds with the same three values (duplicate keys:
 * the last one wins, as in `JSON.parse`). test/audit-entry-scan.test.ts checks that differentially.
 *
 * Why the byte-level scan agrees with `JSON.parse(buf.toString("utf8"))`: every structural
 * character of JSON is ASCII, and the UTF-8 decoder never folds an ASCII byte into a replacement
 * character, so decoding changes only bytes >= 0x80, which JSON allows only inside strings (where
 * any decoded character >= U+0020 is allowed) and which this scan rejects everywhere else.
 */
export interface EntryFields {
  seq: number;
  time: string;
  type: string;
}

const MAX_DEPTH = 64;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function ws(b: Uint8Array, i: number): number {
  for (;;) {
    const c = b[i];
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
    else return i;
  }
}

function isHex(c: number | undefined): boolean {
  return c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66));
}

/** b[i] is a quote; the index after the closing quote, or -1. */
function str(b: Uint8Array, i: number): number {
  const n = b.length;
  i++;
  while (i < n) {
    const c = b[i]!;
    if (c === QUOTE) return i + 1;
    if (c < 0x20) return -1;
    if (c === BACKSLASH) {
      const e = b[i + 1];
      if (e === 0x75) {
        if (!isHex(b[i + 2]) || !isHex(b[i + 3]) || !isHex(b[i + 4]) || !isHex(b[i + 5])) return -1;
        i += 6;
      } else if (
        e === QUOTE ||
        e === BACKSLASH ||
        e === 0x2f ||
        e === 0x62 ||
        e === 0x66 ||
        e === 0x6e ||
        e === 0x72 ||
        e === 0x74
      ) {
        i += 2;
      } else {
        return -1;
      }
    } else {
      i++;
    }
  }
  return -1;
}

function digits(b: Uint8Array, i: number): number {
  while (i < b.length && b[i]! >= 0x30 && b[i]! <= 0x39) i++;
  return i;
}

/** A JSON number starting at i; the index after it, or -1. */
function num(b: Uint8Array, i: number): number {
  if (b[i] === 0x2d) i++;
  const c = b[i];
  if (c === 0x30) i++;
  else if (c !== undefined && c >= 0x31 && c <= 0x39) i = digits(b, i + 1);
  else return -1;
  if (b[i] === 0x2e) {
    const j = digits(b, i + 1);
    if (j === i + 1) return -1;
    i = j;
  }
  if (b[i] === 0x65 || b[i] === 0x45) {
    i++;
    if (b[i] === 0x2b || b[i] === 0x2d) i++;
    const j = digits(b, i);
    if (j === i) return -1;
    i = j;
  }
  return i;
}

function literal(b: Uint8Array, i: number, word: string): number {
  for (let k = 0; k < word.length; k++) if (b[i + k] !== word.charCodeAt(k)) return -1;
  return i + word.length;
}

/** A JSON value starting at i (no leading whitespace); the index after it, or -1. */
function value(b: Uint8Array, i: number, depth: number): number {
  const c = b[i];
  if (c === QUOTE) return str(b, i);
  if (c === 0x7b) {
    if (depth >= MAX_DEPTH) return -1;
    i = ws(b, i + 1);
    if (b[i] === 0x7d) return i + 1;
    for (;;) {
      if (b[i] !== QUOTE) return -1;
      i = str(b, i);
      if (i < 0) return -1;
      i = ws(b, i);
      if (b[i] !== 0x3a) return -1;
      i = value(b, ws(b, i + 1), depth + 1);
      if (i < 0) return -1;
      i = ws(b, i);
      if (b[i] === 0x2c) i = ws(b, i + 1);
      else if (b[i] === 0x7d) return i + 1;
      else return -1;
    }
  }
  if (c === 0x5b) {
    if (depth >= MAX_DEPTH) return -1;
    i = ws(b, i + 1);
    if (b[i] === 0x5d) return i + 1;
    for (;;) {
      i = value(b, i, depth + 1);
      if (i < 0) return -1;
      i = ws(b, i);
      if (b[i] === 0x2c) i = ws(b, i + 1);
      else if (b[i] === 0x5d) return i + 1;
      else return -1;
    }
  }
  if (c === 0x74) return literal(b, i, "true");
  if (c === 0x66) return literal(b, i, "false");
  if (c === 0x6e) return literal(b, i, "null");
  if (c === 0x2d || (c !== undefined && c >= 0x30 && c <= 0x39)) return num(b, i);
  return -1;
}

/**
 * Recently decoded strings by their bytes: entries of one batch share a time, and types repeat, so
 * most values are found here without allocating a string.
 */
class Recent {
  private bytes = new Uint8Array(64);
  private len = -1;
  private text = "";

  /** The plain ASCII string without escapes in b[s, e), or undefined. */
  get(b: Uint8Array, s: number, e: number): string | undefined {
    const len = e - s;
    if (len === this.len) {
      let k = 0;
      while (k < len && b[s + k] === this.bytes[k]) k++;
      if (k === len) return this.text;
    }
    for (let k = s; k < e; k++) {
      const c = b[k]!;
      if (c >= 0x80 || c === BACKSLASH) return undefined;
    }
    const text = Buffer.from(b.buffer, b.byteOffset + s, len).toString("latin1");
    if (len <= this.bytes.length) {
      this.bytes.set(b.subarray(s, e));
      this.len = len;
      this.text = text;
    }
    return text;
  }
}
const recentTime = new Recent();
const recentType = new Recent();

function keyIs(b: Uint8Array, s: number, e: number, word: string): boolean {
  if (e - s !== word.length) return false;
  for (let k = 0; k < word.length; k++) if (b[s + k] !== word.charCodeAt(k)) return false;
  return true;
}

/** The entry's top-level seq, time and type when the plain case applies (see above), else undefined. */
export function scanEntry(b: Uint8Array): EntryFields | undefined {
  const n = b.length;
  let i = ws(b, 0);
  if (b[i] !== 0x7b) return undefined;
  let seq: number | undefined;
  let time: string | undefined;
  let type: string | undefined;
  i = ws(b, i + 1);
  if (b[i] !== 0x7d) {
    for (;;) {
      if (b[i] !== QUOTE) return undefined;
      const ks = i + 1;
      i = str(b, i);
      if (i < 0) return undefined;
      const ke = i - 1;
      for (let k = ks; k < ke; k++) if (b[k] === BACKSLASH) return undefined;
      i = ws(b, i);
      if (b[i] !== 0x3a) return undefined;
      const vs = ws(b, i + 1);
      i = value(b, vs, 1);
      if (i < 0) return undefined;
      if (keyIs(b, ks, ke, "seq")) {
        // Digits only, at most 15 of them: exactly the integer JSON.parse reads.
        if (i - vs > 15) return undefined;
        let v = 0;
        for (let k = vs; k < i; k++) {
          const c = b[k]!;
          if (c < 0x30 || c > 0x39) return undefined;
          v = v * 10 + (c - 0x30);
        }
        seq = v;
      } else if (keyIs(b, ks, ke, "time") || keyIs(b, ks, ke, "type")) {
        if (b[vs] !== QUOTE) return undefined;
        const isTime = b[ks + 1] === 0x69;
        const s = (isTime ? recentTime : recentType).get(b, vs + 1, i - 1);
        if (s === undefined) return undefined;
        if (isTime) time = s;
        else type = s;
      }
      i = ws(b, i);
      if (b[i] === 0x2c) i = ws(b, i + 1);
      else if (b[i] === 0x7d) break;
      else return undefined;
    }
  }
  if (ws(b, i + 1) !== n) return undefined;
  if (seq === undefined || time === undefined || type === undefined) return undefined;
  return { seq, time, type };
}
