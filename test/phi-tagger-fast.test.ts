import { describe, expect, it } from "vitest";
import { Scanner } from "../src/phi/engine.js";
import {
  NHISTORY,
  NSTATIC,
  NTAGS,
  historyFeatures,
  prepare,
  staticFeatures,
  wordHash,
} from "../src/phi/tagger/features.js";
import { FastScorer } from "../src/phi/tagger/fast.js";
import { shippedModel, tagText } from "../src/phi/tagger/model.js";
import { bestTag, scoreDecode } from "../src/phi/tagger/table.js";
import { WORDS } from "../src/phi/detect/tokens.js";

// FastScorer must give the decoder the integer sums of every feature's values (the model's int16
// weights), within the bound its margin is made of, and the tags the exact scores (staticFeatures +
// scoreDecode, float64 sums of the float32 weights) give, for any history.
const TEXTS = [
  "Pt seen by Dr. Smith on 3/14/2091 at St. Mary's; wife Jane (cell 617-555-0199) aware.",
  "PATIENT: JOHN O'HARA  MRN 1234567\nHPI: 72yo M s/p CABG x3, transferred from BAYSTATE.\nPLAN: f/u w/ PCP",
  "Ólafur Jónsdóttir, Σωκράτης and Jože Plečnik visited Zürich 12.3.2090 — café “naïve” résumé",
  "a b c d e f g h i j k l m n o p q r s t u v w x y z A B C D E F G H 0 1 22 333 4444 55555 666666",
  "x",
  "",
  "Note: 😀 emoji and \u{1F600}\u{1F600} astral; lone \ud800 surrogate; tabs\tand\r\nCRLF lines.\n\n\n",
  "IIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIII word-with-hyphens and a veryveryveryverylongwordthatgoesonandon here",
];

function randomText(seed: number, len: number): string {
  let s = seed >>> 0;
  const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const pieces = [
    "John",
    "SMITH",
    "mary",
    "Dr",
    ".",
    ",",
    ":",
    " ",
    " ",
    " ",
    "\n",
    "12",
    "2091",
    "/",
    "-",
    "St",
    "é",
    "Ω",
    "'",
    "on",
    "the",
    "MD",
    "RN",
    "(",
    ")",
    "Boston",
    "MA",
    "02114",
    "x",
  ];
  let out = "";
  while (out.length < len) out += pieces[Math.floor(rnd() * pieces.length)]!;
  return out;
}

describe("tagger FastScorer", () => {
  const model = shippedModel();
  const scanner = new Scanner({ tagger: false });

  /** The integer sums of the features' values (fast.v) and the exact scores (scoreDecode) of a token. */
  function reference(fast: FastScorer, feats: Int32Array, hist: Int32Array, ints: Int32Array, exact: Float64Array) {
    ints.fill(0);
    for (const f of [...feats, ...hist]) {
      const r = model.table.find(f);
      if (r >= 0) for (let t = 0; t < NTAGS; t++) ints[t] = ints[t]! + fast.v[r * NTAGS + t]!;
    }
    scoreDecode(model.table, model.w, feats, 0, NSTATIC, hist, exact);
  }
  const margin = (fast: FastScorer, bias: number) => (fast as unknown as { margin(bias: number): number }).margin(bias);

  function compare(text: string, fast: FastScorer): void {
    const rules = scanner.candidates(text, "prose");
    const ctx = prepare(text, rules);
    const S = fast.staticScores(ctx);
    const feats = new Int32Array(NSTATIC);
    const hist = new Int32Array(NHISTORY);
    const ints = new Int32Array(NTAGS);
    const exact = new Float64Array(NTAGS);
    const got = new Int32Array(NTAGS);
    const bound = margin(fast, 0) / 2;
    for (let i = 0; i < ctx.tokens.n; i++) {
      // a history that varies: every pair of tags turns up somewhere
      const prev = (i * 7) % NTAGS;
      const prev2 = (i * 5 + 3) % NTAGS;
      staticFeatures(ctx, i, feats, 0);
      historyFeatures(prev, prev2, ctx.words[i + 2]!, hist);
      reference(fast, feats, hist, ints, exact);
      fast.score(S, i, prev, prev2, ctx.words[i + 2]!, got);
      for (let t = 0; t < NTAGS; t++) {
        if (got[t] !== ints[t]) expect([i, t, got[t]]).toEqual([i, t, ints[t]]);
        // the estimate is within the bound the decoder's margin is made of
        if (!(Math.abs(exact[t]! - ints[t]! * fast.unit) <= bound)) expect([i, t, exact[t]]).toBe("within the bound");
      }
    }
  }

  it("gives the reference scores on edge-case texts, twice (cold and cached)", () => {
    const fast = new FastScorer(model.table, model.w, model.header.scale);
    for (let pass = 0; pass < 2; pass++) for (const t of TEXTS) compare(t, fast);
  });

  it("gives the reference scores on random texts, and the same spans from tagText", () => {
    const fast = new FastScorer(model.table, model.w, model.header.scale);
    for (let k = 0; k < 60; k++) {
      const text = randomText(k + 1, 50 + k * 37);
      compare(text, fast);
      const rules = scanner.candidates(text, "prose");
      for (const bias of [model.header.bias, -3, 0, 3])
        expect(tagText(model, text, rules, bias)).toEqual(tagText(model, text, rules, bias, true));
    }
  });

  it("gives the reference spans when its reused arrays held a longer text before", () => {
    // prepare(..., true) reuses its arrays: stale tokens, rules or lexicon bits of the text before must not leak
    const texts = Array.from({ length: 40 }, (_, k) => randomText(500 + k, 4000 - k * 97));
    texts.push(...TEXTS.slice().reverse());
    for (const text of texts) {
      const rules = scanner.candidates(text, "prose");
      expect(tagText(model, text, rules)).toEqual(tagText(model, text, rules, undefined, true));
    }
  });

  it("decodes with the reference sums and the exact scores' tags (the fused path tagText uses)", () => {
    const fast = new FastScorer(model.table, model.w, model.header.scale);
    const texts = [...TEXTS, ...Array.from({ length: 30 }, (_, k) => randomText(1000 + k, 200 + k * 53))];
    for (const bias of [model.header.bias, -2, 2])
      for (const text of texts) {
        const ctx = prepare(text, scanner.candidates(text, "prose"));
        const n = ctx.tokens.n;
        const tags = new Uint8Array(n);
        const scores = new Int32Array(n * NTAGS);
        fast.decode(ctx, bias, tags, scores);
        const feats = new Int32Array(NSTATIC);
        const hist = new Int32Array(NHISTORY);
        const ints = new Int32Array(NTAGS);
        const exact = new Float64Array(NTAGS);
        for (let i = 0; i < n; i++) {
          const prev = i > 0 ? tags[i - 1]! : 0;
          staticFeatures(ctx, i, feats, 0);
          historyFeatures(prev, i > 1 ? tags[i - 2]! : 0, ctx.words[i + 2]!, hist);
          reference(fast, feats, hist, ints, exact);
          expect([i, ...scores.subarray(i * NTAGS, i * NTAGS + NTAGS)]).toEqual([i, ...ints]);
          expect([i, tags[i]]).toEqual([i, bestTag(exact, prev, bias)]);
        }
      }
  });

  it("decides from the exact scores when the integer ones are too close (ties included)", () => {
    const text = TEXTS[0]!;
    const rules = scanner.candidates(text, "prose");
    const ctx = prepare(text, rules);
    const feats = new Int32Array(NSTATIC);
    const hist = new Int32Array(NHISTORY);
    const exact = new Float64Array(NTAGS);
    staticFeatures(ctx, 0, feats, 0);
    historyFeatures(0, 0, ctx.words[2]!, hist);
    scoreDecode(model.table, model.w, feats, 0, NSTATIC, hist, exact);
    // biases that tie the first token's O with its best B- tag exactly, or come within a hair of it
    const fast = new FastScorer(model.table, model.w, model.header.scale);
    let t = 1;
    for (const c of [3, 5, 7]) if (exact[c]! > exact[t]!) t = c;
    {
      for (const d of [0, 1e-9, -1e-9, margin(fast, 0) / 4, -margin(fast, 0) / 4]) {
        const bias = exact[0]! - exact[t]! + d;
        const before = fast.exactDecisions;
        expect(tagText(model, text, rules, bias)).toEqual(tagText(model, text, rules, bias, true));
        const tags = new Uint8Array(ctx.tokens.n);
        fast.decode(ctx, bias, tags);
        expect(fast.exactDecisions).toBeGreaterThan(before);
        expect(tags[0]).toBe(bestTag(exact, 0, bias));
      }
    }
    // every decision from the exact scores gives the same tags
    const always = new FastScorer(model.table, model.w, model.header.scale);
    always.alwaysExact = true;
    for (const text of [...TEXTS, randomText(5, 3000)]) {
      const c = prepare(text, scanner.candidates(text, "prose"));
      const a = new Uint8Array(c.tokens.n);
      const b = new Uint8Array(c.tokens.n);
      fast.decode(c, model.header.bias, a);
      always.decode(c, model.header.bias, b);
      expect(b).toEqual(a);
    }
    expect(always.exactDecisions).toBeGreaterThan(1000);
  });

  it("prepare's word values are the word hashes of the tokens' text", () => {
    for (const text of [...TEXTS, randomText(7, 3000)]) {
      const ctx = prepare(text, []);
      for (let i = 0; i < ctx.tokens.n; i++) {
        const w = ctx.words[i + 2]!;
        // a word of the closed vocabulary is its hash, any other its shape
        if (w !== 0x1b873593 + ctx.shapes[i + 2]!)
          expect([i, w]).toEqual([i, wordHash(text, ctx.tokens.start[i]!, ctx.tokens.end[i]!) | 0]);
      }
    }
  });

  it("prepare's upper-case-text flag is the share of capitals among the text's ASCII letters", () => {
    // the reference: every character up to 20,000, every 7th beyond
    const reference = (text: string) => {
      let up = 0;
      let letters = 0;
      const step = text.length > 20000 ? 7 : 1;
      for (let i = 0; i < text.length; i += step) {
        const c = text.charCodeAt(i);
        if (c >= 65 && c <= 90) up++;
        if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) letters++;
      }
      return letters >= 20 && up / letters > 0.7 ? 1 : 0;
    };
    const texts = [
      ...TEXTS,
      TEXTS[1]!.toUpperCase(),
      "AB'CD O'HARA ÉCOLE Zürich ".repeat(3),
      "Abcdefghij".repeat(2),
      // apostrophes inside words (’ counts as lower case in shapeOf), one-letter words, letters ≥ 128
      "O’HARA o’hara O’Hara D'ARCY d'Arcy A a I Ö ö ÀB àb Ab’C X'Y x'y Mc'D 'quoted' it’s IT'S ".repeat(2),
    ];
    for (let seed = 1; seed <= 60; seed++) {
      const t = randomText(seed, 50 + seed * 7);
      texts.push(seed % 2 === 0 ? t.toUpperCase() : t, t.slice(0, 21 + (seed % 5)));
    }
    texts.push(randomText(99, 25000).toUpperCase(), randomText(98, 25000));
    let upper = 0;
    for (const text of texts) {
      const ctx = prepare(text, []);
      expect([text.slice(0, 40), ctx.upperDoc]).toEqual([text.slice(0, 40), reference(text)]);
      // the reused arrays' path: case counted and letter shapes made by the tokeniser
      const reused = prepare(text, [], true);
      expect([text.slice(0, 40), reused.upperDoc]).toEqual([text.slice(0, 40), ctx.upperDoc]);
      expect(Array.from(reused.shapes)).toEqual(Array.from(ctx.shapes));
      expect(Array.from(reused.textKeys)).toEqual(Array.from(ctx.textKeys));
      upper += ctx.upperDoc;
      // and the text keys carry it (bit 2) as the scores' cache expects
      for (let i = 0; i < ctx.tokens.n; i++)
        if (ctx.textKeys[i] !== 0) expect((ctx.textKeys[i]! >> 2) & 1).toBe(ctx.upperDoc);
    }
    expect(upper).toBeGreaterThan(10);
  });

  it("stays exact when its cache of token texts fills up, between texts and within one", () => {
    const fast = new FastScorer(model.table, model.w, model.header.scale);
    compare(TEXTS[0]!, fast);
    // 4 shapes (lower, upper, title, mixed) of 5,000 words: 20,000 token texts, more than the
    // cache's 16,384, in one text of ~100,000 characters (the word table does not start over)
    const g = WORDS.generation;
    const letters = (k: number): string =>
      String.fromCharCode(97 + (k % 26)) + (k >= 26 ? letters(Math.floor(k / 26) - 1) : "");
    const words = Array.from({ length: 5000 }, (_, k) => `qv${letters(k)}`);
    const shaped = (w: string, v: number) =>
      v === 0
        ? w
        : v === 1
          ? w.toUpperCase()
          : v === 2
            ? w[0]!.toUpperCase() + w.slice(1)
            : `${w.slice(0, 2)}X${w.slice(2)}`;
    const big = [0, 1, 2, 3].map((v) => words.map((w) => shaped(w, v)).join(" ")).join("\n");
    compare(big, fast);
    // a text after it (the cache starts over), and the first text again (its entries were dropped)
    for (const t of TEXTS) compare(t, fast);
    compare(big.slice(0, 30000), fast);
    compare(TEXTS[1]!, fast);
    if (WORDS.generation === g) {
      const rules = scanner.candidates(big, "prose");
      expect(tagText(model, big, rules)).toEqual(tagText(model, big, rules, undefined, true));
    }
  });

  it("stays exact when its index of shape trigrams fills up (more than 8,192 distinct)", () => {
    const fast = new FastScorer(model.table, model.w, model.header.scale);
    // punctuation and symbols (a shape per character), digits and letters: tens of thousands of trigrams
    const chars = [...Array.from({ length: 190 }, (_, k) => String.fromCharCode(33 + k))].filter((c) => !/\s/.test(c));
    let s = 7;
    const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    for (let k = 0; k < 4; k++) {
      let text = "";
      while (text.length < 12000) text += chars[Math.floor(rnd() * chars.length)]! + (rnd() < 0.2 ? " " : "");
      compare(text, fast);
    }
    for (const t of TEXTS) compare(t, fast);
  });

  it("stays exact when the word table starts over (ids reused for other words)", () => {
    const fast = new FastScorer(model.table, model.w, model.header.scale);
    compare(TEXTS[0]!, fast);
    const g = WORDS.generation;
    // enough distinct words to fill the table and make it start over
    let filler = "";
    for (let k = 0; WORDS.generation === g; k++) {
      filler += `zq${k.toString(36)} `;
      if (filler.length > 4000) {
        compare(filler, fast);
        filler = "";
      }
    }
    for (const t of TEXTS) compare(t, fast);
  });
});
