import { describe, expect, it } from "vitest";
import { TF_QUOTE, TF_UPPER, TF_WIDE, WORDS, WordClasses, tokenize, wordTokens } from "../src/phi/detect/tokens.js";
import { cuesOf, isAsciiText } from "../src/phi/detect/cues.js";
import { DETECTORS } from "../src/phi/detect/index.js";
import { isUpperText, wordFlags, W_CLINICAL, W_FIRST, W_TITLE } from "../src/phi/detect/lexicon.js";
import { Scanner } from "../src/phi/scanner.js";

// The shared token pass (src/phi/detect/tokens.ts) replaces the detectors' `\p{L}…` regexes and
// their toLowerCase() per token: it must give the same tokens, the same offsets (UTF-16 code
// units) and the same lower-case words, on every kind of text the scanner meets.

const TEXTS = [
  "Dr. O'Hara saw Mrs. Szczepańska's son at St. Mary's.\r\nPlan: f/u 2/3.",
  "JOŽEF ÓLAFUR Jónsdóttir — Ærøskøbing, Łódź; Straße & İstanbul; ΟΔΥΣΣΕΑΣ. Ωmega",
  "tabs\tand\r\nCRLF\r\nline\rends\u2028sep, apostrophes ’quoted’ don't 'x'",
  "astral 𝐀𝐁𝐂 letters 𐐷𐐸 (Deseret), emoji 👩‍⚕️ nurse, CJK 東京都 and 한국어, Arabic محمد",
  "lone surrogates \ud800x \udc00y z\ud83d and combining e\u0301t\u00e9 n\u0303",
  "U.S.A. e.g. a.b-c--d ''' ’’ .start end. -dash- St.-Jean KELVIN \u212a sign",
  "",
  "x",
  "1234 5678 !!! ...",
];

function viaRegex(text: string, re: RegExp): [number, number][] {
  return [...text.matchAll(re)].map((m) => [m.index, m.index + m[0].length]);
}
function viaTokenize(text: string, extra: string): [number, number][] {
  const t = tokenize(text, extra);
  return Array.from({ length: t.n }, (_, k) => [t.starts[k]!, t.ends[k]!]);
}

describe("shared tokeniser", () => {
  for (const [extra, re] of [
    ["'’", /\p{L}[\p{L}'’]*/gu],
    [".'’-", /\p{L}[\p{L}.'’-]*/gu],
  ] as const) {
    it(`gives the tokens of ${re.source} with their offsets`, () => {
      for (const text of TEXTS) expect(viaTokenize(text, extra), JSON.stringify(text)).toEqual(viaRegex(text, re));
    });
  }

  it("matches the regex on random mixes of letters, connectors, surrogates and line ends", () => {
    const alphabet = [
      "a",
      "Z",
      "é",
      "Ł",
      "ß",
      "Σ",
      "𝐀",
      "\ud800",
      "\udc00",
      "'",
      "’",
      ".",
      "-",
      " ",
      "\r\n",
      "\n",
      "1",
      "İ",
      "\u0301",
    ];
    let seed = 42;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) / (1 << 24);
    for (let n = 0; n < 300; n++) {
      let s = "";
      for (let k = 0; k < 40; k++) s += alphabet[Math.floor(rnd() * alphabet.length)];
      expect(viaTokenize(s, "'’"), JSON.stringify(s)).toEqual(viaRegex(s, /\p{L}[\p{L}'’]*/gu));
      expect(viaTokenize(s, ".'’-"), JSON.stringify(s)).toEqual(viaRegex(s, /\p{L}[\p{L}.'’-]*/gu));
    }
  });

  it("the shared word pass gives the tokens of \\p{L}[\\p{L}'’]*, their hashes and flags, per text", () => {
    const alphabet = ["a", "Z", "q", "é", "ß", "𝐀", "\ud800", "'", "’", ".", "-", " ", "\n", "1", "\u0301"];
    let seed = 5;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) / (1 << 24);
    // a text longer than the kept buffers (1 << 16 tokens), then the same text again
    const texts = [...TEXTS, TEXTS.join(" ").repeat(20), "ab ".repeat(90000)];
    for (let n = 0; n < 400; n++) {
      let s = "";
      // half of them ASCII only
      for (let k = 0; k < 40; k++) s += alphabet[Math.floor(rnd() * (n % 2 === 0 ? 4 : alphabet.length))];
      texts.push(s, s.slice(0, 7));
    }
    for (const text of texts) {
      const w = wordTokens(text);
      const want = viaRegex(text, /\p{L}[\p{L}'’]*/gu);
      expect(
        Array.from({ length: w.n }, (_, k) => [w.starts[k], w.ends[k]]),
        JSON.stringify(text),
      ).toEqual(want);
      expect(w.ascii).toBe(/^[\x00-\x7f]*$/.test(text));
      for (let k = 0; k < w.n; k++) {
        const tok = text.slice(w.starts[k], w.ends[k]);
        const wide = /[^\x00-\x7f]/.test(tok);
        const f = (wide ? TF_WIDE : 0) | (/[A-Z]/.test(tok) ? TF_UPPER : 0) | (tok.includes("'") ? TF_QUOTE : 0);
        expect(w.flags[k], tok).toBe(f);
        if (!wide) {
          WORDS.id(text, w.starts[k]!, w.ends[k]!);
          expect(w.hashes[k], tok).toBe(WORDS.lastHash);
          expect(WORDS.idHashed(text, w.starts[k]!, w.ends[k]!, w.hashes[k]!, !(f & TF_UPPER))).toBe(
            WORDS.idOf(tok.toLowerCase()),
          );
          expect(WORDS.lastLower).toBe(tok === tok.toLowerCase());
        }
      }
      // asked again about the same text: the same answer, not recomputed over another text's arrays
      expect(wordTokens(text).n).toBe(w.n);
    }
  });

  it("the cue pass from the word pass: the bits and anchors of every ASCII letter run", () => {
    // every cue and anchor word the detectors declare, found as runs of letters between apostrophes,
    // capitals and other marks; the reference reads the runs with a regex
    const probe =
      DETECTORS.length > 0 ? ["name", "named", "call", "transferred", "st", "saint", "apt", "university"] : [];
    let seed = 11;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) / (1 << 24);
    for (let n = 0; n < 300; n++) {
      let s = "";
      for (let k = 0; k < 12; k++) {
        const w = probe[Math.floor(rnd() * probe.length)]!;
        s += (rnd() < 0.3 ? w.toUpperCase() : w) + ["'", " ", "''", "-", ".", "x", "'s "][Math.floor(rnd() * 7)];
      }
      // each run alone gives its bits; the text's bits are their union
      let want = 0;
      for (const m of s.matchAll(/[A-Za-z]+/g)) want |= cuesOf(m[0]);
      expect(cuesOf(s), s).toBe(want);
      expect(isAsciiText(s)).toBe(true);
    }
    expect(isAsciiText("é")).toBe(false);
  });

  it("interns the lower-case form: one shared string per word, equal to toLowerCase()", () => {
    for (const text of TEXTS) {
      const t = tokenize(text, "'’");
      for (let k = 0; k < t.n; k++) {
        const w = text.slice(t.starts[k], t.ends[k]);
        const id = WORDS.id(text, t.starts[k]!, t.ends[k]!);
        expect(WORDS.word(id)).toBe(w.toLowerCase());
        expect(WORDS.idOf(w.toLowerCase())).toBe(id);
      }
    }
    const a = WORDS.id("Smith and SMITH", 0, 5);
    expect(WORDS.id("Smith and SMITH", 10, 15)).toBe(a);
    expect(WORDS.id("smithy", 0, 5)).toBe(a);
    expect(WORDS.id("smithy", 0, 6)).not.toBe(a);
  });

  it("compares a token with the pooled characters of the words: length, case, non-ASCII words", () => {
    // a non-ASCII word is never the id of an ASCII token, whatever its hash
    const cafe = WORDS.idOf("café");
    expect(WORDS.id("cafe", 0, 4)).not.toBe(cafe);
    expect(WORDS.id("Café", 0, 4)).toBe(cafe);
    // prefixes and extensions are other words; the case of the text is folded
    const words = ["ab", "abc", "abcd", "abd", "ABC", "aBcD", "a'b", "zz'top"];
    const ids = words.map((w) => WORDS.id(w, 0, w.length));
    words.forEach((w, k) => {
      expect(WORDS.word(ids[k]!)).toBe(w.toLowerCase());
      expect(WORDS.idOf(w.toLowerCase())).toBe(ids[k]);
    });
    expect(ids[4]).toBe(ids[1]);
    expect(ids[5]).toBe(ids[2]);
    expect(new Set(ids).size).toBe(words.length - 2);
    // words whose hashes agree on the index's bits (the slot's and the kept high ones): told apart
    // by their characters, whichever is interned first
    const fnv = (w: string) => {
      let h = 0x811c9dc5 | 0;
      for (let k = 0; k < w.length; k++) h = Math.imul(h ^ w.charCodeAt(k), 0x01000193);
      return h;
    };
    const seen = new Map<number, string>();
    let pair: [string, string] | undefined;
    for (let k = 0; !pair; k++) {
      let w = "";
      for (let v = k + 26 ** 4; v > 0; v = Math.floor(v / 26)) w += String.fromCharCode(97 + (v % 26));
      const key = fnv(w) & ~0x8000;
      const other = seen.get(key);
      if (other !== undefined) pair = [other, w];
      else seen.set(key, w);
    }
    const [p, q] = pair;
    const pq = `${p.toUpperCase()} ${q}`;
    const ip = WORDS.id(pq, 0, p.length);
    const iq = WORDS.id(pq, p.length + 1, pq.length);
    expect(ip).not.toBe(iq);
    expect([WORDS.word(ip), WORDS.word(iq)]).toEqual([p, q]);
    expect([WORDS.idOf(p), WORDS.idOf(q), WORDS.id(q, 0, q.length)]).toEqual([ip, iq, iq]);
    // a long token, then its first characters inside a longer text
    const long = "x".repeat(300);
    const l = WORDS.id(long, 0, 300);
    expect(WORDS.id(`${long}y`, 0, 300)).toBe(l);
    expect(WORDS.id(`${long}y`, 0, 301)).not.toBe(l);
  });

  it("answers word classes once per word, from the lexicons", () => {
    expect(wordFlags("mary") & W_FIRST).not.toBe(0);
    expect(wordFlags("dr") & W_TITLE).not.toBe(0);
    expect(wordFlags("dr") & W_FIRST).toBe(0);
    let calls = 0;
    const classes = new WordClasses((l) => {
      calls++;
      return l.length;
    });
    const id = WORDS.idOf("hypertension");
    expect(classes.of(id)).toBe(12);
    expect(classes.of(id)).toBe(12);
    expect(calls).toBe(1);
    expect(wordFlags("hypertension") & W_CLINICAL).toBe(wordFlags("hypertension") & W_CLINICAL);
  });

  it("keeps finding offsets right after CRLF and astral characters", () => {
    const text = "𝐀𝐁 note\r\nSeen by Dr. Healey on 03/14/2023.\r\nHusband John Smith called.";
    const f = new Scanner().scan(text, { profile: "prose" });
    const values = f.map((x) => text.slice(x.start, x.end));
    expect(values).toContain("Healey");
    expect(values).toContain("John Smith");
    const healey = f.find((x) => text.slice(x.start, x.end) === "Healey")!;
    expect(healey.line).toBe(2);
    expect(healey.column).toBe(text.indexOf("Healey") - text.indexOf("Seen") + 1);
  });

  it("counts capitals around a span exactly as a scan of the 200 characters either side does", () => {
    const naive = (text: string, start: number, end: number) => {
      const s = text.slice(Math.max(0, start - 200), Math.min(text.length, end + 200));
      let letters = 0;
      let upper = 0;
      for (const ch of s) {
        if (/[A-Z]/.test(ch)) upper++;
        if (/[A-Za-z]/.test(ch)) letters++;
      }
      return letters >= 20 && upper / letters > 0.7;
    };
    let seed = 7;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) / (1 << 24);
    for (const len of [0, 1, 15, 16, 17, 32, 63, 64, 65, 127, 128, 400, 1000, 4096]) {
      let text = "";
      // runs of capitals and lower case, so both answers occur
      while (text.length < len) text += (rnd() < 0.5 ? "PATIENT SEEN BY DR X. " : "seen on the ward, é ") + "\r\n";
      text = text.slice(0, len);
      for (let q = 0; q < 60; q++) {
        const start = Math.floor(rnd() * (len + 1));
        const end = Math.min(len, start + Math.floor(rnd() * 12));
        expect(isUpperText(text, start, end), `${len} ${start} ${end}`).toBe(naive(text, start, end));
      }
    }
  });
});
