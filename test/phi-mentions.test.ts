import { describe, expect, it } from "vitest";
import type { Candidate } from "../src/phi/candidate.js";
import { COMMON_WORDS, CLINICAL_WORDS, NATIONALITIES } from "../src/phi/data/words.js";
import { ENGLISH } from "../src/phi/detect/lexicon.js";
import { mentions } from "../src/phi/detect/mentions.js";

// The mentions detector searches, in an ASCII text, each found word in the lower-cased text and
// keeps the hits on token boundaries. It must spread exactly what the plain loop (below, as it
// was) spreads.

function reference(text: string, ctx: Candidate[]): void {
  const WORD = /\p{L}+(?:['’-]\p{L}+)*/gu;
  const seen = new Map<string, { src: Candidate; acronym: boolean }>();
  for (const c of ctx) {
    if (c.category !== "name" && c.ruleId !== "facility" && c.ruleId !== "city") continue;
    for (const m of text.slice(c.start, c.end).matchAll(WORD)) {
      const w = m[0];
      const l = w.toLowerCase();
      const acronym = /^\p{Lu}{2,3}$/u.test(w);
      if (
        (w.length < 4 && !acronym) ||
        seen.has(l) ||
        COMMON_WORDS.has(l) ||
        CLINICAL_WORDS.has(l) ||
        ENGLISH.has(l) ||
        NATIONALITIES.has(l)
      )
        continue;
      seen.set(l, { src: c, acronym });
    }
  }
  if (seen.size === 0) return;
  const extra: Candidate[] = [];
  for (const m of text.matchAll(WORD)) {
    const hit = seen.get(m[0].toLowerCase());
    if (!hit || (hit.acronym && m[0] !== m[0].toUpperCase())) continue;
    const s = m.index;
    const e = s + m[0].length;
    if (ctx.some((c) => c.start < e && c.end > s)) continue;
    extra.push({ ...hit.src, start: s, end: e, severity: "medium", confidence: Math.min(hit.src.confidence, 0.6) });
  }
  ctx.push(...extra);
}

const WORDS = [
  "Kimbrough",
  "KIMBROUGH",
  "kimbrough",
  "GH",
  "gh",
  "Gh",
  "Quartermainwithaverylongsurnameofmorethan31letters",
  "QUARTERMAINWITHAVERYLONGSURNAMEOFMORETHAN31LETTERS",
  "Szczepańska",
  "SZCZEPAŃSKA",
  "İzmir",
  "izmir",
  "i̇zmir",
  "Stord-Painter",
  "stord-painter",
  "O'Hara",
  "o’hara",
  "the",
  "called",
  "at",
  "Dr",
  "patient",
  "Rose",
  ",",
  ".",
  "\n",
];

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

describe("mentions", () => {
  it("spreads the same mentions as the plain loop, ASCII and not", () => {
    const r = rng(99);
    let spread = 0;
    for (let n = 0; n < 2000; n++) {
      const parts: string[] = [];
      const k = 2 + Math.floor(r() * 30);
      for (let j = 0; j < k; j++) parts.push(WORDS[Math.floor(r() * WORDS.length)]!);
      // half the texts ASCII only
      const text = (n % 2 === 0 ? parts.filter((w) => /^[\x00-\x7f]*$/.test(w)) : parts).join(" ");
      // found names: a few word spans, as the other detectors would report them
      const ctx: Candidate[] = [];
      for (const m of text.matchAll(/\p{L}[\p{L}'’-]*/gu))
        if (r() < 0.2)
          ctx.push({
            ruleId: r() < 0.5 ? "name-title" : "facility",
            category: r() < 0.5 ? "name" : "location",
            kind: "phi",
            start: m.index,
            end: m.index + m[0].length,
            severity: "high",
            confidence: 0.8,
          });
      const want = ctx.map((c) => ({ ...c }));
      reference(text, want);
      const got = ctx.map((c) => ({ ...c }));
      mentions.detect(text, "prose", got, undefined);
      expect(got, text).toEqual(want);
      spread += want.length - ctx.length;
    }
    expect(spread).toBeGreaterThan(100);
  });

  it("finds the same token boundaries as the regex in ASCII texts of letters, connectors and marks", () => {
    const r = rng(7);
    // few letters, so that words repeat; connectors alone, doubled and at the ends of words
    const PIECES = [
      "zorb",
      "ZORB",
      "Zorb",
      "zo",
      "rb",
      "QX",
      "qx",
      "q",
      "'",
      "-",
      "--",
      "'-",
      "-'",
      " ",
      "  ",
      ".",
      "\n",
      "1",
      "_",
    ];
    let spread = 0;
    for (let n = 0; n < 3000; n++) {
      const k = 3 + Math.floor(r() * 25);
      let text = "";
      for (let j = 0; j < k; j++) text += PIECES[Math.floor(r() * PIECES.length)]!;
      const ctx: Candidate[] = [];
      for (const m of text.matchAll(/[A-Za-z][A-Za-z'-]*/g))
        if (r() < 0.3) {
          // spans that cut tokens too: a found word may be part of a longer token
          const cut = Math.floor(r() * 2);
          ctx.push({
            ruleId: "name-title",
            category: "name",
            kind: "phi",
            start: m.index + cut,
            end: m.index + m[0].length,
            severity: "high",
            confidence: 0.8,
          });
        }
      const want = ctx.map((c) => ({ ...c }));
      reference(text, want);
      const got = ctx.map((c) => ({ ...c }));
      mentions.detect(text, "prose", got, undefined);
      expect(got, JSON.stringify(text)).toEqual(want);
      spread += want.length - ctx.length;
    }
    expect(spread).toBeGreaterThan(50);
  });
});
