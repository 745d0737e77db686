import { createHash } from "node:crypto";
import type { Candidate } from "../candidate.js";
import { CLASSES, NHISTORY, NSTATIC, NTAGS, extract, prepare, staticFeatures, type TagClass } from "./features.js";
import { FeatureTable, bestTag, scoreToken } from "./table.js";
import { encodeModel, decodeModel, type TaggerModel } from "./model.js";
import { mulberry32 } from "../../core/prng.js";

/**
 * Training of the PHI tagger: an averaged perceptron (Collins 2002) over the features of
 * features.ts, greedy left to right with the predicted tag history (as when tagging), documents
 * in a seeded shuffle each epoch. Deterministic: the same documents, epochs and seed give the
 * same weights, byte for byte.
 */

export interface TrainDoc {
  text: string;
  /** rule and detector candidates of the rules-only scanner on `text` */
  rules: readonly Candidate[];
  /** labelled spans (end exclusive) */
  gold: readonly { start: number; end: number; cls: TagClass }[];
}

export interface TrainOptions {
  epochs?: number;
  seed?: number;
  /** weights below this (absolute) are not shipped */
  minWeight?: number;
  bias?: number;
  trainedOn?: string;
  /**
   * Share of documents, each epoch, seen without the rules' detections. The shared notes are the
   * ones the rules were written from, so there the rule features look almost perfect; without
   * this the model learns only to copy them and adds nothing on notes the rules miss.
   */
  ruleDropout?: number;
  /**
   * Rule categories (Candidate.category) a rule-dropout document loses; undefined: all of them.
   * ["name", "location", ...]: only the lexicon-bound detections go, dates and phones stay.
   */
  ruleDropoutCategories?: readonly string[];
  /**
   * Share of documents, each epoch, seen with the name and place lexicon bits of every token
   * cleared (independently of `ruleDropout`): names and places on unseen notes are mostly not in
   * the lexicons, so the model must learn them from shape, affixes and context too. 0 (the
   * default) draws no random number for it: the weights are those of a run without the option.
   */
  lexDropout?: number;
}

/** The name, city, US state and country bits of features.ts's lexicon bits (L_NAME, L_CITY, L_STATE, L_COUNTRY). */
const LEX_NAME_PLACE = 1 | 4 | 32 | 256;

/** Static features of `text` with the name and place lexicon bits cleared (lexicon dropout). */
function featuresWithoutNamePlaceLexicon(text: string, rules: readonly Candidate[]): Int32Array {
  const ctx = prepare(text, rules);
  for (let i = 0; i < ctx.lex.length; i++) ctx.lex[i] = ctx.lex[i]! & ~LEX_NAME_PLACE;
  const feats = new Int32Array(ctx.tokens.n * NSTATIC);
  for (let i = 0; i < ctx.tokens.n; i++) staticFeatures(ctx, i, feats, i * NSTATIC);
  return feats;
}

const rng = mulberry32;

/** Gold tags of a document's tokens: a token overlapping a labelled span takes its class (B- on the first). */
function goldTags(d: TrainDoc, start: Int32Array, end: Int32Array, n: number): Uint8Array {
  const tags = new Uint8Array(n);
  const spans = [...d.gold].sort((a, b) => a.start - b.start);
  let i = 0;
  for (const s of spans) {
    const c = CLASSES.indexOf(s.cls);
    while (i < n && end[i]! <= s.start) i++;
    let first = true;
    for (let j = i; j < n && start[j]! < s.end; j++) {
      tags[j] = first ? 1 + 2 * c : 2 + 2 * c;
      first = false;
    }
  }
  return tags;
}

export function train(docs: readonly TrainDoc[], options: TrainOptions = {}): { model: TaggerModel; file: Buffer } {
  const epochs = options.epochs ?? 8;
  const seed = options.seed ?? 14;
  const dropout = options.ruleDropout ?? 0.5;
  const lexDropout = options.lexDropout ?? 0;
  const dropCats = options.ruleDropoutCategories && new Set(options.ruleDropoutCategories);
  const prepared = docs.map((d) => {
    const x = extract(d.text, d.rules);
    const kept = dropCats ? d.rules.filter((c) => !dropCats.has(c.category)) : [];
    const bare = dropout > 0 ? extract(d.text, kept).feats : x.feats;
    return {
      ...x,
      bare,
      doc: d,
      noLex: undefined as Int32Array | undefined,
      bareNoLex: undefined as Int32Array | undefined,
      gold: goldTags(d, x.tokens.start, x.tokens.end, x.tokens.n),
    };
  });
  const table = new FeatureTable(1 << 18);
  let w = new Float64Array((1 << 18) * NTAGS);
  // averaging: u accumulates c * update; the average is w - u / c
  let u = new Float64Array((1 << 18) * NTAGS);
  let c = 1;
  const rowOf = (key: number) => {
    const r = table.insert(key);
    if ((r + 1) * NTAGS > w.length) {
      const w2 = new Float64Array(w.length * 2);
      w2.set(w);
      w = w2;
      const u2 = new Float64Array(u.length * 2);
      u2.set(u);
      u = u2;
    }
    return r;
  };
  const update = (key: number, t: number, delta: number) => {
    const b = rowOf(key) * NTAGS + t;
    w[b] = w[b]! + delta;
    u[b] = u[b]! + c * delta;
  };
  const scores = new Float64Array(NTAGS);
  const hist = new Int32Array(NHISTORY);
  const random = rng(seed);
  const order = prepared.map((_, i) => i);
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const di of order) {
      const p = prepared[di]!;
      const { tokens, words, gold } = p;
      const noRules = dropout > 0 && random() < dropout;
      let feats = noRules ? p.bare : p.feats;
      if (lexDropout > 0 && random() < lexDropout)
        feats = noRules
          ? (p.bareNoLex ??= featuresWithoutNamePlaceLexicon(
              p.doc.text,
              dropCats ? p.doc.rules.filter((c) => !dropCats.has(c.category)) : [],
            ))
          : (p.noLex ??= featuresWithoutNamePlaceLexicon(p.doc.text, p.doc.rules));
      let prev = 0;
      let prev2 = 0;
      for (let i = 0; i < tokens.n; i++) {
        const word = words[i + 2]!;
        scoreToken(table, w, feats, i, word, prev, prev2, hist, scores);
        const guess = bestTag(scores, prev, 0);
        const truth = gold[i]!;
        if (guess !== truth) {
          const o = i * NSTATIC;
          for (let f = 0; f < NSTATIC; f++) {
            update(feats[o + f]!, truth, 1);
            update(feats[o + f]!, guess, -1);
          }
          for (let f = 0; f < NHISTORY; f++) {
            update(hist[f]!, truth, 1);
            update(hist[f]!, guess, -1);
          }
        }
        c++;
        prev2 = prev;
        prev = guess;
      }
    }
  }
  const avg = new Float64Array(table.size * NTAGS);
  for (let i = 0; i < avg.length; i++) avg[i] = w[i]! - u[i]! / c;
  const gz = encodeModel(
    table,
    avg,
    { bias: options.bias ?? 0, trainedOn: options.trainedOn ?? "", epochs, seed },
    options.minWeight ?? 0.05,
  );
  return { model: decodeModel(gz), file: gz };
}

/** SHA-256 of a model file's decoded weights (what the training script and tests compare). */
export function modelDigest(gz: Buffer): string {
  const m = decodeModel(gz);
  const h = createHash("sha256");
  h.update(JSON.stringify(m.header));
  h.update(Buffer.from(m.table.keys.buffer));
  h.update(Buffer.from(m.w.buffer));
  return h.digest("hex");
}
