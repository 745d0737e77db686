import { NHISTORY, NSTATIC, NTAGS, classOf, historyFeatures, isBegin, type TagClass } from "./features.js";

/**
 * Feature ids → weight rows: an open-addressing hash table of 32-bit keys (0 = empty slot);
 * row r holds the NTAGS weights of one feature at w[r * NTAGS .. r * NTAGS + NTAGS).
 */
export class FeatureTable {
  keys: Int32Array;
  rows: Int32Array;
  size = 0;
  mask: number;

  constructor(capacity = 1 << 16) {
    let cap = 1 << 4;
    while (cap < capacity * 2) cap <<= 1;
    this.keys = new Int32Array(cap);
    this.rows = new Int32Array(cap);
    this.mask = cap - 1;
  }

  /** The row of a feature, -1 when absent. */
  find(key: number): number {
    const keys = this.keys;
    let i = (Math.imul(key, 0x9e3779b1) >>> 7) & this.mask;
    for (;;) {
      const k = keys[i]!;
      if (k === key) return this.rows[i]!;
      if (k === 0) return -1;
      i = (i + 1) & this.mask;
    }
  }

  /** The row of a feature, a new row (numbered in order) when absent. */
  insert(key: number): number {
    if ((this.size + 1) * 2 > this.keys.length) this.grow();
    const keys = this.keys;
    let i = (Math.imul(key, 0x9e3779b1) >>> 7) & this.mask;
    for (;;) {
      const k = keys[i]!;
      if (k === key) return this.rows[i]!;
      if (k === 0) {
        keys[i] = key;
        this.rows[i] = this.size;
        return this.size++;
      }
      i = (i + 1) & this.mask;
    }
  }

  private grow(): void {
    const { keys, rows } = this;
    this.keys = new Int32Array(keys.length * 2);
    this.rows = new Int32Array(keys.length * 2);
    this.mask = this.keys.length - 1;
    const size = this.size;
    for (let j = 0; j < keys.length; j++) {
      const key = keys[j]!;
      if (key === 0) continue;
      let i = (Math.imul(key, 0x9e3779b1) >>> 7) & this.mask;
      while (this.keys[i] !== 0) i = (i + 1) & this.mask;
      this.keys[i] = key;
      this.rows[i] = rows[j]!;
    }
    this.size = size;
  }
}

/** Whether tag t may follow tag prev (an I- tag continues its own class only). */
export function allowed(prev: number, t: number): boolean {
  if (t === 0 || isBegin(t)) return true;
  return prev !== 0 && (prev + 1) >> 1 === (t + 1) >> 1;
}

/**
 * Scores of every tag for token i given the history, into `scores`. `hist` is scratch space
 * (NHISTORY ids), filled with the token's history features.
 */
export function scoreToken(
  table: FeatureTable,
  w: Float32Array | Float64Array,
  feats: Int32Array,
  i: number,
  word: number,
  prev: number,
  prev2: number,
  hist: Int32Array,
  scores: Float64Array,
): void {
  scores.fill(0);
  const o = i * NSTATIC;
  for (let f = 0; f < NSTATIC; f++) {
    const r = table.find(feats[o + f]!);
    if (r < 0) continue;
    const b = r * NTAGS;
    for (let t = 0; t < NTAGS; t++) scores[t] = scores[t]! + w[b + t]!;
  }
  historyFeatures(prev, prev2, word, hist);
  for (let f = 0; f < NHISTORY; f++) {
    const r = table.find(hist[f]!);
    if (r < 0) continue;
    const b = r * NTAGS;
    for (let t = 0; t < NTAGS; t++) scores[t] = scores[t]! + w[b + t]!;
  }
}

/**
 * The decoder's scorer (`tagText`): the same scores as `scoreToken`, for a model's Float32
 * weights, summed in nine locals instead of an array. The weights are int16 multiples of one
 * scale stored as float32, so their sums in float64 are exact: any order gives the same bits.
 * `feats[o..o + NSTATIC)` are the static features; the history features are added here.
 */
export function scoreDecode(
  table: FeatureTable,
  w: Float32Array,
  feats: Int32Array,
  o: number,
  nfeats: number,
  hist: Int32Array,
  scores: Float64Array,
): void {
  const keys = table.keys;
  const rows = table.rows;
  const mask = table.mask;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let s4 = 0;
  let s5 = 0;
  let s6 = 0;
  let s7 = 0;
  let s8 = 0;
  for (let f = 0; f < nfeats + NHISTORY; f++) {
    const key = f < nfeats ? feats[o + f]! : hist[f - nfeats]!;
    let i = (Math.imul(key, 0x9e3779b1) >>> 7) & mask;
    let r = -1;
    for (;;) {
      const k = keys[i]!;
      if (k === key) {
        r = rows[i]!;
        break;
      }
      if (k === 0) break;
      i = (i + 1) & mask;
    }
    if (r < 0) continue;
    const b = r * 9;
    s0 += w[b]!;
    s1 += w[b + 1]!;
    s2 += w[b + 2]!;
    s3 += w[b + 3]!;
    s4 += w[b + 4]!;
    s5 += w[b + 5]!;
    s6 += w[b + 6]!;
    s7 += w[b + 7]!;
    s8 += w[b + 8]!;
  }
  scores[0] = s0;
  scores[1] = s1;
  scores[2] = s2;
  scores[3] = s3;
  scores[4] = s4;
  scores[5] = s5;
  scores[6] = s6;
  scores[7] = s7;
  scores[8] = s8;
}
if (NTAGS !== 9) throw new Error("tagger: scoreDecode is written for 9 tags");

/** The best allowed tag after `prev`; `bias` is added to every tag but O (recall over precision). */
export function bestTag(scores: Float64Array, prev: number, bias: number): number {
  let best = 0;
  let bestScore = scores[0]!;
  for (let t = 1; t < NTAGS; t++) {
    if (!allowed(prev, t)) continue;
    const s = scores[t]! + bias;
    if (s > bestScore) {
      bestScore = s;
      best = t;
    }
  }
  return best;
}

export interface TaggedSpan {
  start: number;
  end: number;
  cls: TagClass;
}

/** Token tags → character spans (a B- tag and the I- tags that follow it). */
export function spansOf(tags: Uint8Array, start: Int32Array, end: Int32Array, n: number): TaggedSpan[] {
  const out: TaggedSpan[] = [];
  let i = 0;
  while (i < n) {
    const t = tags[i]!;
    if (t === 0) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < n && tags[j] !== 0 && !isBegin(tags[j]!)) j++;
    out.push({ start: start[i]!, end: end[j - 1]!, cls: classOf(t) });
    i = j;
  }
  return out;
}
