import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { packagePath } from "../../core/paths.js";
import type { Candidate } from "../candidate.js";
import { NATIONALITIES } from "../data/words.js";
import {
  CLASSES,
  NHISTORY,
  NSTATIC,
  NTAGS,
  historyFeatures,
  prepare,
  staticFeatures,
  type TagClass,
} from "./features.js";
import { FeatureTable, bestTag, scoreDecode, spansOf, type TaggedSpan } from "./table.js";
import { FastScorer } from "./fast.js";

/**
 * The statistical PHI tagger: an averaged perceptron over BIO tags (name, location, date, phone),
 * decoded greedily left to right with the tag history as features (src/phi/tagger/features.ts).
 * Trained by scripts/train-phi-tagger.ts (src/phi/tagger/train.ts) on the shared PhysioNet notes
 * of the development folds; the weights ship as src/phi/model/phi-tagger-v1.bin.gz and are read on
 * the first prose scan only.
 *
 * File format (gzip of): "PHITAG1\n", a uint32 LE length and that many bytes of JSON header
 * ({ version, classes, nstatic, features, entries, scale, bias, trainedOn, ... }), then
 * `features` int32 keys, `features` uint8 counts, `entries` uint8 tags and `entries` int16
 * weights (LE; weight = value * scale): each feature's non-zero weights.
 */

export const MODEL_FILE = "phi-tagger-v1.bin.gz";
const MAGIC = "PHITAG1\n";

export interface ModelHeader {
  version: 1;
  classes: readonly string[];
  nstatic: number;
  features: number;
  entries: number;
  scale: number;
  /** Added to every non-O tag's score when decoding (chosen by cross-validation). */
  bias: number;
  trainedOn: string;
  epochs: number;
  seed: number;
}

export interface TaggerModel {
  header: ModelHeader;
  table: FeatureTable;
  w: Float32Array;
}

/** Serialise weights (rows of NTAGS floats, one per table row), dropping |w| < minWeight. */
export function encodeModel(
  table: FeatureTable,
  w: Float32Array | Float64Array,
  meta: Omit<ModelHeader, "version" | "classes" | "nstatic" | "features" | "entries" | "scale">,
  minWeight: number,
): Buffer {
  const { gzipSync } = createRequire(import.meta.url)("node:zlib") as typeof import("node:zlib");
  let max = 0;
  for (let i = 0; i < table.size * NTAGS; i++) max = Math.max(max, Math.abs(w[i]!));
  const scale = max / 32000 || 1;
  // features in key order: the file is the same for the same weights
  const keyed: [number, number][] = [];
  for (let s = 0; s < table.keys.length; s++) if (table.keys[s] !== 0) keyed.push([table.keys[s]!, table.rows[s]!]);
  keyed.sort((a, b) => a[0] - b[0]);
  const keys: number[] = [];
  const counts: number[] = [];
  const tags: number[] = [];
  const vals: number[] = [];
  for (const [key, row] of keyed) {
    let c = 0;
    for (let t = 0; t < NTAGS; t++) {
      const v = w[row * NTAGS + t]!;
      if (Math.abs(v) < minWeight) continue;
      tags.push(t);
      vals.push(Math.round(v / scale));
      c++;
    }
    if (c === 0) continue;
    keys.push(key);
    counts.push(c);
  }
  const header: ModelHeader = {
    version: 1,
    classes: CLASSES,
    nstatic: NSTATIC,
    features: keys.length,
    entries: tags.length,
    scale,
    ...meta,
  };
  const h = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(h.length);
  const k = Buffer.from(new Int32Array(keys).buffer);
  const c = Buffer.from(new Uint8Array(counts).buffer);
  const t = Buffer.from(new Uint8Array(tags).buffer);
  const v = Buffer.from(new Int16Array(vals).buffer);
  return gzipSync(Buffer.concat([Buffer.from(MAGIC), len, h, k, c, t, v]), { level: 9 });
}

export function decodeModel(gz: Buffer): TaggerModel {
  const { gunzipSync } = createRequire(import.meta.url)("node:zlib") as typeof import("node:zlib");
  const buf = gunzipSync(gz);
  if (buf.subarray(0, MAGIC.length).toString() !== MAGIC) throw new Error("phi tagger: not a model file");
  const hl = buf.readUInt32LE(MAGIC.length);
  let at = MAGIC.length + 4;
  const header = JSON.parse(buf.subarray(at, at + hl).toString()) as ModelHeader;
  at += hl;
  if (header.version !== 1 || header.nstatic !== NSTATIC || header.classes.join() !== CLASSES.join())
    throw new Error("phi tagger: model does not match this version's features");
  const nf = header.features;
  const ne = header.entries;
  const copy = (bytes: number) => {
    const b = new Uint8Array(bytes);
    b.set(buf.subarray(at, at + bytes));
    at += bytes;
    return b.buffer;
  };
  const keys = new Int32Array(copy(nf * 4));
  const counts = new Uint8Array(copy(nf));
  const tags = new Uint8Array(copy(ne));
  const vals = new Int16Array(copy(ne * 2));
  const table = new FeatureTable(nf);
  const w = new Float32Array(nf * NTAGS);
  let e = 0;
  for (let i = 0; i < nf; i++) {
    const r = table.insert(keys[i]!);
    for (let j = 0; j < counts[i]!; j++, e++) w[r * NTAGS + tags[e]!] = vals[e]! * header.scale;
  }
  return { header, table, w };
}

let shipped: TaggerModel | undefined;
/** The shipped model, read on first use. */
export function shippedModel(): TaggerModel {
  return (shipped ??= decodeModel(readFileSync(packagePath("src", "phi", "model", MODEL_FILE))));
}

const scoresScratch = new Float64Array(NTAGS);
const histScratch = new Int32Array(NHISTORY);
const featScratch = new Int32Array(NSTATIC);

let tagsScratch = new Uint8Array(1024);

const scorers = new WeakMap<TaggerModel, FastScorer>();

/**
 * Tag `text`: the spans of each class. `rules` are the rule candidates (features). The scores
 * come from `FastScorer` (src/phi/tagger/fast.ts); `reference: true` computes them feature by
 * feature (`staticFeatures` + `scoreDecode`), the same bits (test/phi-tagger-fast.test.ts).
 */
export function tagText(
  model: TaggerModel,
  text: string,
  rules: readonly Candidate[],
  bias = model.header.bias,
  reference = false,
): TaggedSpan[] {
  // the fast path's context is made of arrays reused from text to text (read before this returns)
  const ctx = prepare(text, rules, !reference);
  const { tokens, words } = ctx;
  const n = tokens.n;
  if (tagsScratch.length < n) tagsScratch = new Uint8Array(Math.max(n, tagsScratch.length * 2));
  const tags = reference ? new Uint8Array(n) : tagsScratch;
  let prev = 0;
  let prev2 = 0;
  if (reference) {
    for (let i = 0; i < n; i++) {
      // one token's features at a time: no array of every token's features for a large text
      staticFeatures(ctx, i, featScratch, 0);
      historyFeatures(prev, prev2, words[i + 2]!, histScratch);
      scoreDecode(model.table, model.w, featScratch, 0, NSTATIC, histScratch, scoresScratch);
      const t = bestTag(scoresScratch, prev, bias);
      tags[i] = t;
      prev2 = prev;
      prev = t;
    }
  } else {
    let fast = scorers.get(model);
    if (!fast) scorers.set(model, (fast = new FastScorer(model.table, model.w, model.header.scale)));
    fast.decode(ctx, bias, tags);
  }
  // a language or nationality ("Spanish interpreter") is not an identifier (45 CFR 164.514(b))
  return spansOf(tags, tokens.start, tokens.end, n).filter(
    (s) => !NATIONALITIES.has(text.slice(s.start, s.end).toLowerCase()),
  );
}

const HIPAA: Record<TagClass, number> = { name: 1, location: 2, date: 3, phone: 4 };

/**
 * The combination policy (docs/ARCHITECTURE.md, "PHI tagger"): the tagger adds name, location,
 * date and phone spans where no rule or detector candidate overlaps them (union; on an overlap
 * the rule's span, category and severity stay). It never removes a rule's finding, and it never
 * produces validated identifiers (SSN, MRN, e-mail, accounts, secrets): those are the rules'.
 * Its findings are `phi-tagger-<class>`, medium severity, confidence 0.6; disabling the rule id
 * `phi-tagger` turns the tagger off.
 */
export function combine(resolved: readonly Candidate[], spans: readonly TaggedSpan[]): Candidate[] {
  if (spans.length === 0) return resolved as Candidate[];
  const out = [...resolved];
  let j = 0;
  for (const s of spans) {
    // resolved candidates are sorted by start and do not overlap each other
    while (j < resolved.length && resolved[j]!.end <= s.start) j++;
    if (j < resolved.length && resolved[j]!.start < s.end) continue;
    out.push({
      ruleId: `phi-tagger-${s.cls}`,
      category: s.cls,
      hipaa: HIPAA[s.cls],
      kind: "phi",
      start: s.start,
      end: s.end,
      severity: "medium",
      confidence: 0.6,
    });
  }
  return out.sort((a, b) => a.start - b.start);
}
