import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Candidate } from "../candidate.js";
import { CLINICAL_WORDS, COMMON_WORDS, NATIONALITIES, SPECIES } from "../data/words.js";
import { ENGLISH } from "../detect/lexicon.js";
import { mulberry32 } from "../../core/prng.js";
import { packagePath } from "../../core/paths.js";
import { DIGITS, LETTERS, NTAGS, prepare, type FeatureContext, type TagClass } from "./features.js";
import { FastScorer } from "./fast.js";
import { spansOf, type TaggedSpan } from "./table.js";
import { combine, type TaggerModel } from "./model.js";

/**
 * A second stage for the statistical PHI tagger (issue 14 §1): a logistic-regression span
 * classifier that decides, span by span, which of the tagger's own detections to keep.
 *
 * The tagger (src/phi/tagger/model.ts) proposes spans at a recall-heavy decoding bias; the spans a
 * rule or detector candidate already overlaps are the rules' (the combination policy keeps the
 * rule's span), so only the tagger-only spans reach this stage. Each is described by features of
 * the whole span, which the token-level tagger cannot see at once: the tagger's margin over "O"
 * on its tokens (minimum and mean), the span's length and word shapes, the lexicon bits and
 * character trigrams of its words (does it look like a name or a place even if no lexicon holds
 * it), the two words either side (closed vocabulary only, as the tagger's own word features), the
 * rule detections next to it, the section header, and whether its words are detected by a rule
 * elsewhere in the same text. A span is kept when the classifier's probability reaches the
 * model's threshold (chosen by cross-validation, precision-oriented), so the decoding bias can be
 * spent on recall.
 *
 * Trained by `trainSpanClassifier` on the tagger's proposals for notes it was not trained on
 * (out-of-fold: bench/lib/phi-span-cv.ts, scripts/train-phi-tagger.ts). Deterministic: same
 * examples, options and seed give the same bytes.
 *
 * File format (gzip of): "PHISPAN1\n", a uint32 LE length and that many bytes of JSON header
 * ({ version, dim, features, scale, threshold, proposerBias, trainedOn, ... }), then `features`
 * int32 feature ids (ascending) and `features` int16 weights (weight = value * scale).
 */

export const SPAN_MODEL_FILE = "phi-span-v1.bin.gz";
const MAGIC = "PHISPAN1\n";
/** Hashed feature space. */
export const SPAN_DIM = 1 << 18;

export interface SpanClassifierHeader {
  version: 1;
  dim: number;
  features: number;
  scale: number;
  /** keep a span when P(PHI) >= threshold */
  threshold: number;
  /** keep a span with no capital letter when P(PHI) >= this (absent: `threshold`) */
  thresholdLower?: number;
  /** the words of the kept names and places also at their other mentions (`propagateSpans`) */
  propagate?: boolean;
  /** the tagger's decoding bias when proposing spans for this classifier */
  proposerBias: number;
  trainedOn: string;
  epochs: number;
  seed: number;
}

export interface SpanClassifier {
  header: SpanClassifierHeader;
  /** dense weights over SPAN_DIM */
  w: Float32Array;
}

/** A tagger-only span with its features (hashed ids and values, same length). */
export interface SpanProposal extends TaggedSpan {
  ids: Int32Array;
  vals: Float32Array;
}

// ---- features ---------------------------------------------------------------------------------

function fnv(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0) & (SPAN_DIM - 1);
}

/** The lexicon bits of features.ts that mark a word of the closed vocabulary (English, common, clinical, title, credential). */
const KNOWN_BITS = 8 | 16 | 512 | 64 | 128;

function wordShape(text: string, s: number, e: number, kind: number): string {
  if (kind === DIGITS) return `d${Math.min(6, e - s)}`;
  if (kind !== LETTERS) return text.slice(s, e);
  const w = text.slice(s, e);
  const low = w.toLowerCase();
  const up = w.toUpperCase();
  const single = e - s === 1 ? "1" : "";
  if (w === low) return `x${single}`;
  if (w === up) return `X${single}`;
  if (w[0] === up[0] && w.slice(1) === low.slice(1)) return `Xx${single}`;
  return `M${single}`;
}

const bucket = (m: number) => (m < 0 ? 0 : m < 2 ? 1 : m < 5 ? 2 : m < 10 ? 3 : m < 20 ? 4 : 5);
const clamp = (x: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, x));

/**
 * Features of the span of tokens [a, b) of class `cls`. `margins` are the tagger's per-token
 * (decoded tag − O) score differences; `ruleWords` the lower-case words of the text's rule
 * name/place detections, by category.
 */
function spanFeatures(
  ctx: FeatureContext,
  a: number,
  b: number,
  cls: TagClass,
  margins: Float64Array,
  ruleWords: Map<string, string>,
): { ids: Int32Array; vals: Float32Array } {
  const { text, tokens: tok, words, lex, rule, sections, upperDoc } = ctx;
  const f = new Map<number, number>();
  const add = (s: string, v = 1) => {
    const k = fnv(s);
    f.set(k, (f.get(k) ?? 0) + v);
  };
  add("bias");
  add(`c:${cls}`);
  let mmin = Infinity;
  let msum = 0;
  for (let i = a; i < b; i++) {
    mmin = Math.min(mmin, margins[i]!);
    msum += margins[i]!;
  }
  const mmean = msum / (b - a);
  add("mmin", clamp(mmin / 10, -3, 3));
  add("mmean", clamp(mmean / 10, -3, 3));
  add(`mmin:${cls}`, clamp(mmin / 10, -3, 3));
  add(`mb:${cls}:${bucket(mmin)}`);
  add(`mbm:${cls}:${bucket(mmean)}`);
  add(`nt:${cls}:${Math.min(6, b - a)}`);
  const shapes: string[] = [];
  let oovWords = 0;
  let letterWords = 0;
  const grams: string[] = [];
  for (let i = a; i < b && shapes.length < 6; i++) {
    const s = tok.start[i]!;
    const e = tok.end[i]!;
    const k = tok.kind[i]!;
    shapes.push(wordShape(text, s, e, k));
    if (k !== LETTERS) continue;
    letterWords++;
    const bits = lex[i + 2]!;
    if (bits === 0) oovWords++;
    for (let bit = 1; bit <= 512; bit <<= 1) if (bits & bit) add(`lx:${cls}:${bit}`);
    const low = text.slice(s, e).toLowerCase();
    if (bits & KNOWN_BITS) add(`w:${cls}:${low}`);
    else if (e - s >= 2) {
      const padded = `^${low}$`;
      for (let g = 0; g + 3 <= padded.length; g++) grams.push(padded.slice(g, g + 3));
      add(`suf:${cls}:${low.slice(-3)}`);
    }
    const cat = ruleWords.get(low);
    if (cat !== undefined && e - s >= 2) add(`dr:${cls}:${cat}`);
  }
  add(`sh:${cls}:${shapes.join(" ")}`);
  add(`oov:${cls}:${Math.min(3, oovWords)}/${Math.min(3, letterWords)}`);
  if (grams.length) {
    const v = 1 / Math.sqrt(grams.length);
    for (const g of grams) add(`g:${cls}:${g}`, v);
  }
  // context: the tagger's word ids (closed vocabulary; other words by shape) and rule categories
  const p = a + 2;
  const q = b + 1; // padded index of the last token
  const l1 = words[p - 1]!;
  const l2 = words[p - 2]!;
  const r1 = words[q + 1]!;
  const r2 = words[q + 2]!;
  add(`l1:${l1}`);
  add(`l1:${cls}:${l1}`);
  add(`l2:${cls}:${l2}`);
  add(`l21:${cls}:${l2}:${l1}`);
  add(`r1:${r1}`);
  add(`r1:${cls}:${r1}`);
  add(`r2:${cls}:${r2}`);
  add(`r12:${cls}:${r1}:${r2}`);
  add(`lr:${cls}:${l1}:${r1}`);
  add(`rl:${cls}:${rule[p - 1]}:${rule[q + 1]}`);
  add(`rl2:${cls}:${rule[p - 2]}:${rule[q + 2]}`);
  add(`sec:${cls}:${sections[a]}`);
  add(`ls:${cls}:${tok.lineStart[a]}:${b < tok.n ? tok.lineStart[b] : 1}`);
  add(`ud:${cls}:${upperDoc}`);
  const ids = new Int32Array(f.size);
  const vals = new Float32Array(f.size);
  let j = 0;
  for (const [k, v] of [...f].sort((x, y) => x[0] - y[0])) {
    ids[j] = k;
    vals[j++] = v;
  }
  return { ids, vals };
}

const scorers = new WeakMap<TaggerModel, FastScorer>();
let scoreScratch = new Int32Array(1024 * NTAGS);
let tagScratch = new Uint8Array(1024);

/**
 * The tagger's spans on `text` at decoding bias `bias` that no candidate of `resolved` overlaps
 * (the ones `combine` would add), each with its span features. `resolved`: the scanner's
 * resolved rule and detector candidates (sorted by start, not overlapping).
 */
export function proposeSpans(
  model: TaggerModel,
  text: string,
  resolved: readonly Candidate[],
  bias: number,
): SpanProposal[] {
  const ctx = prepare(text, resolved, true);
  const n = ctx.tokens.n;
  if (tagScratch.length < n) tagScratch = new Uint8Array(Math.max(n, tagScratch.length * 2));
  if (scoreScratch.length < n * NTAGS) scoreScratch = new Int32Array(Math.max(n, tagScratch.length) * NTAGS);
  let fast = scorers.get(model);
  if (!fast) scorers.set(model, (fast = new FastScorer(model.table, model.w, model.header.scale)));
  fast.decode(ctx, bias, tagScratch, scoreScratch);
  const spans = spansOf(tagScratch, ctx.tokens.start, ctx.tokens.end, n);
  if (spans.length === 0) return [];
  const out: SpanProposal[] = [];
  let ruleWords: Map<string, string> | undefined;
  let j = 0;
  let t = 0;
  const u = model.header.scale;
  let margins: Float64Array | undefined;
  for (const s of spans) {
    while (j < resolved.length && resolved[j]!.end <= s.start) j++;
    if (j < resolved.length && resolved[j]!.start < s.end) continue;
    if (NATIONALITIES.has(text.slice(s.start, s.end).toLowerCase())) continue;
    while (ctx.tokens.start[t]! < s.start) t++;
    let e = t;
    while (e < n && ctx.tokens.end[e]! <= s.end) e++;
    margins ??= new Float64Array(n);
    for (let i = t; i < e; i++) {
      const tag = tagScratch[i]!;
      margins[i] = (scoreScratch[i * NTAGS + tag]! - scoreScratch[i * NTAGS]!) * u;
    }
    if (!ruleWords) {
      ruleWords = new Map();
      for (const c of resolved) {
        if (c.kind !== "phi" || !["name", "location", "city", "facility", "street-address"].includes(c.category))
          continue;
        for (const w of text
          .slice(c.start, c.end)
          .toLowerCase()
          .split(/[^a-z\u00c0-\uffff']+/))
          if (w.length >= 2) ruleWords.set(w, c.category === "name" ? "name" : "location");
      }
    }
    out.push({ ...s, ...spanFeatures(ctx, t, e, s.cls, margins, ruleWords) });
  }
  return out;
}

// ---- the classifier ---------------------------------------------------------------------------

/** P(PHI) of a proposal. */
export function spanProbability(clf: SpanClassifier, p: { ids: Int32Array; vals: Float32Array }): number {
  let z = 0;
  for (let i = 0; i < p.ids.length; i++) z += clf.w[p.ids[i]!]! * p.vals[i]!;
  return 1 / (1 + Math.exp(-z));
}

/**
 * Rules' candidates plus the tagger's spans the classifier keeps (the second-stage engine):
 * `combine` of the kept spans, so a rule's finding is never removed or changed; a span with no
 * capital letter is kept at the header's `thresholdLower` when it has one, and with `propagate`
 * the kept names' and places' words are found at their other mentions too (`propagateSpans`).
 */
export function tagAndDecide(
  model: TaggerModel,
  clf: SpanClassifier,
  text: string,
  resolved: readonly Candidate[],
  threshold = clf.header.threshold,
): Candidate[] {
  const lower = clf.header.thresholdLower ?? threshold;
  const kept = proposeSpans(model, text, resolved, clf.header.proposerBias).filter(
    (p) =>
      !initialBeforeSpecies(text, p.start, p.end) &&
      spanProbability(clf, p) >= (lower === threshold || hasCapital(text, p.start, p.end) ? threshold : lower),
  );
  const out = combine(resolved, kept);
  return clf.header.propagate ? propagateSpans(text, out) : out;
}

/** Whether text[start, end) holds a capital letter. */
export function hasCapital(text: string, start: number, end: number): boolean {
  return /\p{Lu}/u.test(text.slice(start, end));
}

/**
 * What the names detector knows of a single-letter initial applies to the tagger's spans too: an
 * initial followed by a species or a side of the body ("E. COLI", "R. BASE") is no person.
 */
function initialBeforeSpecies(text: string, start: number, end: number): boolean {
  if (!/^\p{L}\.?$/u.test(text.slice(start, end))) return false;
  const next = /^\.?[ \t]+(\p{L}+)/u.exec(text.slice(end, end + 40));
  return next !== null && SPECIES.test(next[1]!.toLowerCase());
}

export interface SpanExample {
  ids: Int32Array;
  vals: Float32Array;
  /** 1: overlaps a labelled PHI span */
  y: 0 | 1;
}

export interface SpanTrainOptions {
  epochs?: number;
  seed?: number;
  /** Adagrad step */
  rate?: number;
  /** L2 penalty per example step */
  l2?: number;
  threshold?: number;
  thresholdLower?: number;
  propagate?: boolean;
  proposerBias?: number;
  trainedOn?: string;
}

/** Logistic regression by Adagrad, examples in a seeded shuffle each epoch; the file's bytes and the model it decodes to. */
export function trainSpanClassifier(
  examples: readonly SpanExample[],
  o: SpanTrainOptions = {},
): { model: SpanClassifier; file: Buffer } {
  const epochs = o.epochs ?? 10;
  const seed = o.seed ?? 14;
  const rate = o.rate ?? 0.1;
  const l2 = o.l2 ?? 1e-5;
  const w = new Float64Array(SPAN_DIM);
  const g2 = new Float64Array(SPAN_DIM).fill(1e-8);
  const random = mulberry32(seed);
  const order = examples.map((_, i) => i);
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const k of order) {
      const ex = examples[k]!;
      let z = 0;
      for (let i = 0; i < ex.ids.length; i++) z += w[ex.ids[i]!]! * ex.vals[i]!;
      const p = 1 / (1 + Math.exp(-z));
      const err = p - ex.y;
      for (let i = 0; i < ex.ids.length; i++) {
        const id = ex.ids[i]!;
        const g = err * ex.vals[i]! + l2 * w[id]!;
        g2[id] = g2[id]! + g * g;
        w[id] = w[id]! - (rate * g) / Math.sqrt(g2[id]!);
      }
    }
  }
  const file = encodeSpanClassifier(w, {
    threshold: o.threshold ?? 0.5,
    ...(o.thresholdLower !== undefined ? { thresholdLower: o.thresholdLower } : {}),
    ...(o.propagate ? { propagate: true } : {}),
    proposerBias: o.proposerBias ?? 0,
    trainedOn: o.trainedOn ?? "",
    epochs,
    seed,
  });
  return { model: decodeSpanClassifier(file), file };
}

export function encodeSpanClassifier(
  w: Float64Array | Float32Array,
  meta: Pick<
    SpanClassifierHeader,
    "threshold" | "thresholdLower" | "propagate" | "proposerBias" | "trainedOn" | "epochs" | "seed"
  >,
): Buffer {
  const { gzipSync } = createRequire(import.meta.url)("node:zlib") as typeof import("node:zlib");
  let max = 0;
  for (let i = 0; i < w.length; i++) max = Math.max(max, Math.abs(w[i]!));
  const scale = max / 32000 || 1;
  const keys: number[] = [];
  const vals: number[] = [];
  for (let i = 0; i < w.length; i++) {
    const v = Math.round(w[i]! / scale);
    if (v !== 0) {
      keys.push(i);
      vals.push(v);
    }
  }
  const header: SpanClassifierHeader = { version: 1, dim: SPAN_DIM, features: keys.length, scale, ...meta };
  const h = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(h.length);
  return gzipSync(
    Buffer.concat([
      Buffer.from(MAGIC),
      len,
      h,
      Buffer.from(new Int32Array(keys).buffer),
      Buffer.from(new Int16Array(vals).buffer),
    ]),
    { level: 9 },
  );
}

export function decodeSpanClassifier(gz: Buffer): SpanClassifier {
  const { gunzipSync } = createRequire(import.meta.url)("node:zlib") as typeof import("node:zlib");
  const buf = gunzipSync(gz);
  if (buf.subarray(0, MAGIC.length).toString() !== MAGIC) throw new Error("phi span classifier: not a model file");
  const hl = buf.readUInt32LE(MAGIC.length);
  let at = MAGIC.length + 4;
  const header = JSON.parse(buf.subarray(at, at + hl).toString()) as SpanClassifierHeader;
  at += hl;
  if (header.version !== 1 || header.dim !== SPAN_DIM)
    throw new Error("phi span classifier: model does not match this version's features");
  const n = header.features;
  const keys = new Int32Array(buf.buffer.slice(buf.byteOffset + at, buf.byteOffset + at + n * 4));
  at += n * 4;
  const vals = new Int16Array(buf.buffer.slice(buf.byteOffset + at, buf.byteOffset + at + n * 2));
  const w = new Float32Array(SPAN_DIM);
  for (let i = 0; i < n; i++) w[keys[i]!] = vals[i]! * header.scale;
  return { header, w };
}

let shipped: SpanClassifier | undefined;
/** The shipped span classifier (src/phi/model/phi-span-v1.bin.gz), read on first use. */
export function shippedSpanClassifier(): SpanClassifier {
  return (shipped ??= decodeSpanClassifier(readFileSync(packagePath("src", "phi", "model", SPAN_MODEL_FILE))));
}

/** SHA-256 of a span classifier file's decoded weights. */
export function spanClassifierDigest(gz: Buffer): string {
  const m = decodeSpanClassifier(gz);
  return createHash("sha256").update(JSON.stringify(m.header)).update(Buffer.from(m.w.buffer)).digest("hex");
}

/**
 * The mentions policy for the tagger's own names and places: a document names the same person or
 * place more than once, cues surround only some mentions, and the rules' mention propagation
 * (src/phi/detect/mentions.ts) runs before the tagger, so a word only the tagger found does not
 * travel. Every other whole-word occurrence of such a word (4 letters or more, or a 2-3 letter
 * acronym in capitals; no English, clinical, common word or nationality) that no candidate
 * overlaps becomes a candidate of the same class. `cands`: sorted by start, not overlapping.
 */
export function propagateSpans(text: string, cands: readonly Candidate[]): Candidate[] {
  const seen = new Map<string, { src: Candidate; acronym: boolean }>();
  for (const c of cands) {
    if (c.ruleId !== "phi-tagger-name" && c.ruleId !== "phi-tagger-location") continue;
    for (const m of text.slice(c.start, c.end).matchAll(/\p{L}+(?:['’-]\p{L}+)*/gu)) {
      const w = m[0];
      const l = w.toLowerCase();
      const acronym = /^\p{Lu}{2,3}$/u.test(w);
      if ((w.length < 4 && !acronym) || seen.has(l)) continue;
      if (COMMON_WORDS.has(l) || CLINICAL_WORDS.has(l) || ENGLISH.has(l) || NATIONALITIES.has(l)) continue;
      seen.set(l, { src: c, acronym });
    }
  }
  if (seen.size === 0) return cands as Candidate[];
  const extra: Candidate[] = [];
  const lower = text.toLowerCase();
  for (const [l, hit] of seen)
    for (let s = lower.indexOf(l); s >= 0; s = lower.indexOf(l, s + 1)) {
      const e = s + l.length;
      if (/[\p{L}\p{N}'’-]/u.test(text[s - 1] ?? " ") || /[\p{L}\p{N}'’-]/u.test(text[e] ?? " ")) continue;
      if (hit.acronym && text.slice(s, e) !== text.slice(s, e).toUpperCase()) continue;
      if (cands.some((c) => c.start < e && s < c.end) || extra.some((c) => c.start < e && s < c.end)) continue;
      extra.push({ ...hit.src, start: s, end: e });
    }
  if (extra.length === 0) return cands as Candidate[];
  return [...cands, ...extra].sort((a, b) => a.start - b.start);
}
