import { WORDS } from "../detect/tokens.js";
import {
  LETTERS,
  NHISTORY,
  NSTATIC,
  NTAGS,
  T,
  affix,
  feat,
  historyFeatures,
  staticFeatures,
  type FeatureContext,
} from "./features.js";
import { allowed, bestTag, scoreDecode, type FeatureTable } from "./table.js";

/**
 * The tagger's decoder, with far fewer feature lookups than one per feature and token
 * (`scoreDecode` over `staticFeatures`), and the same tags.
 *
 * Exactness: the decoder's tags are those `bestTag` picks from the exact scores, the float64
 * sums of the model's float32 weights (exact in any order: a weight is float32(v × scale) with v
 * an int16, a multiple of 2^(E-23) below 2^(E+16), E = floor(log2(scale)), and up to 2^6 of them
 * need at most 45 significant bits). Those weights are not v × scale (float32 rounds them), so
 * sums of v are not the scores; but they are within a bound: each weight differs from v × scale
 * by at most maxErr (≈ 2^-24 of the largest weight), so a score differs from scale × Σv by at most
 * 35 maxErr. Everything here sums the v of each feature as integers, nine tags packed two to a
 * float64 (`pack`: v(2k) * 2^26 + v(2k+1); a sum of packed rows is the packed sum exactly, so a
 * row of nine is five additions), and a tag is taken from the integer sums when no
 * other allowed tag's estimate comes within twice that bound (plus the roundings, `margin`);
 * otherwise (no token of the 1,624 shared notes) from the exact scores of that token, computed
 * feature by feature. Partial sums can be kept in any grouping.
 *
 * What is kept:
 * - per token text (`FeatureContext.textKeys`: an ASCII word's interned id and shape, a digit
 *   run's shape and length, one character's code), in one typed array indexed by the key
 *   (entries contiguous in the order first seen, none evicted until it starts over): the sum of the
 *   token's 12 features of its own text (bias, word, shape, affixes, lexicon bits, length...)
 *   and the four sums it gives its neighbours (word and lexicon bits at offsets ±1, ±2);
 * - the weights of features with few values (rule category at -1, 0, +1; the line-start pair;
 *   no rule id; the previous tag and the previous two) in dense arrays;
 * - the current section header's weights (a section spans many tokens).
 * The rest (shape n-grams, word bigrams, rule id and rule × shape, previous tag × word: 8 per
 * token) are looked up as before.
 */

/** Float64 lanes per row of nine tag values (`pack`), and the factor of a lane's high part. */
const LANES = 5;
const HI = 2 ** 26;
const INV_HI = 2 ** -26;
/** Largest |v| + 1 of a weight (64 of them sum within ±2^24 per part, well inside ±2^25 and 2^53 in all). */
const MAX_V = 2 ** 18;

/**
 * Cache entry: the token's own sum, its previous-tag-with-word feature for the previous tag O
 * (the usual case; read with the own sum), then what it adds to the tokens at offsets +1, +2,
 * -1, -2: six packed rows of LANES float64.
 */
const ENTRY = 6 * LANES;
/** In an entry: the weights of `prevW` for previous tag 0 (historyFeatures), next to the token's own sum. */
const PREV_O = LANES;
/** In an entry: the sums of its features wm1 + lexm1, wm2 + lexm2, wp1 + lexp1, wp2 + lexp2 (its neighbours'). */
const BM1 = 2 * LANES;
const BM2 = 3 * LANES;
const BP1 = 4 * LANES;
const BP2 = 5 * LANES;
/** Cached token texts kept before the cache starts over (3.9 MB of float64 at most). */
const MAX_ENTRIES = 1 << 14;
/** Slots of the index from a token text's key to its entry (load factor at most 1/2). */
const INDEX_SLOTS = MAX_ENTRIES * 2;
const INDEX_MASK = INDEX_SLOTS - 1;
/** In `entries`: the padding tokens' entry, the cached entries, then per-text overflow entries. */
const PAD_ENTRY = 0;
const FIRST_ENTRY = ENTRY;
const OVERFLOW = (1 + MAX_ENTRIES) * ENTRY;
/** Word value of the padding tokens (features.ts `prepare`). */
const PAD_WORD = 0x5bd1e995;
/** Rule categories: 0 none, 1-6 B, 7-12 I (features.ts `prepare`). */
const RULE_VALUES = 13;
const COMBOS = RULE_VALUES * RULE_VALUES * RULE_VALUES * 4 * 2;
const SHAPE_SLOTS = 1 << 12;
/** Shapes below this (letters, digits, ASCII characters: 32 + code) have a dense rule × shape table. */
const DENSE_SHAPES = 160;
const SHAPE_MASK = SHAPE_SLOTS - 1;
/** Shape trigrams whose feature rows are kept before that index starts over, and its slots. */
const TRI_MAX = 1 << 13;
const TRI_SLOTS = TRI_MAX * 2;
const TRI_MASK = TRI_SLOTS - 1;

/** The largest `decode` buffer of static sums kept from text to text (float64: 4 MiB). */
const STAT_KEPT = 1 << 19;

export class FastScorer {
  /** Token text key → its entry's offset in `entries` (open addressing; key 0 marks an empty slot). */
  private readonly indexKeys = new Int32Array(INDEX_SLOTS);
  private readonly indexOffs = new Int32Array(INDEX_SLOTS);
  /** Entries cached since the cache (last) started over. */
  private count = 0;
  private entries = new Float64Array(OVERFLOW + 64 * ENTRY);
  /** `locate`'s answer, reused from text to text. */
  private offs = new Int32Array(1024);
  private readonly acc = new Float64Array(LANES);
  /** `decode`'s static sums of every token (LANES per token), reused from text to text. */
  private stat = new Float64Array(1024 * LANES);
  /** `acc` unpacked: the nine integer sums. */
  private readonly sums = new Float64Array(NTAGS);
  private generation = WORDS.generation;
  private readonly rule0 = new Float64Array(RULE_VALUES * LANES);
  private readonly rulem1 = new Float64Array(RULE_VALUES * LANES);
  private readonly rulep1 = new Float64Array(RULE_VALUES * LANES);
  private readonly lineStart = new Float64Array(4 * LANES);
  private readonly noRuleId = new Float64Array(LANES);
  /** The two tag-history features' weights by (prev2, prev). */
  private readonly historyW = new Float64Array(NTAGS * NTAGS * LANES);
  private sectionValue = 0;
  private readonly sectionW = new Float64Array(LANES);
  private readonly hist = new Int32Array(3);
  /** Shape n-gram sums by the five shapes around a token (direct-mapped). */
  private readonly shapeKey1 = new Int32Array(SHAPE_SLOTS);
  private readonly shapeKey2 = new Int32Array(SHAPE_SLOTS);
  private readonly shapeW = new Float64Array(SHAPE_SLOTS * LANES);
  /**
   * By shape trigram (three shapes as bytes, the padding 255): the weight rows (-1: none) of its
   * features shape3 (it centred on a token), shape3 + 100 (starting at it), shape3 + 101 (ending at it).
   */
  private readonly triKeys = new Int32Array(TRI_SLOTS);
  private readonly triRows = new Int32Array(TRI_SLOTS * 3);
  private triCount = 0;
  /** Sums of the rule-category, line-start and no-rule-id features by their combination. */
  private readonly combo = new Float64Array(COMBOS * LANES);
  private readonly comboDone = new Uint8Array(COMBOS);
  /** The rule × shape feature's weights by (rule category, shape < DENSE_SHAPES). */
  private readonly ruleShapeW = new Float64Array(RULE_VALUES * DENSE_SHAPES * LANES);
  private readonly ruleShapeDone = new Uint8Array(RULE_VALUES * DENSE_SHAPES);

  /** The model's weights as integers, v = round(w / unit) (int16 values of the model file's scale). */
  readonly v: Int32Array;
  /** The same values packed two to a float64 (`pack`): row r at pv[r * LANES ..]. */
  private readonly pv: Float64Array;
  /** Largest |w - v * unit| over the weights, and largest |w| (see `margin`). */
  private readonly maxErr: number;
  private readonly maxAbs: number;
  private readonly featScratch = new Int32Array(NSTATIC);
  private readonly histScratch = new Int32Array(NHISTORY);
  private readonly exact = new Float64Array(NTAGS);
  /** Decisions made from the exact scores because the integer ones were too close (tests, stats). */
  exactDecisions = 0;
  /** Tests: make every decision from the exact scores. */
  alwaysExact = false;

  constructor(
    private readonly table: FeatureTable,
    private readonly w: Float32Array,
    /** The model's scale (model.ts: weight = float32(int16 value * scale)). */
    readonly unit: number,
  ) {
    if (NTAGS !== 9) throw new Error("tagger: FastScorer is written for 9 tags");
    if (!(unit > 0)) throw new Error("tagger: FastScorer needs the model's positive scale");
    this.v = new Int32Array(w.length);
    let maxErr = 0;
    let maxAbs = 0;
    for (let i = 0; i < w.length; i++) {
      const x = w[i]!;
      const v = Math.round(x / unit);
      // |v| < MAX_V: a sum of 64 stays within a packed lane's ±2^24 (`pack`); the file's values are int16
      if (Math.abs(v) >= MAX_V) throw new Error("tagger: a weight is out of FastScorer's integer range");
      this.v[i] = v;
      maxErr = Math.max(maxErr, Math.abs(x - v * unit));
      maxAbs = Math.max(maxAbs, Math.abs(x));
    }
    this.maxErr = maxErr;
    this.maxAbs = maxAbs;
    const rows = w.length / NTAGS;
    this.pv = new Float64Array(rows * LANES);
    for (let r = 0; r < rows; r++) pack(this.v, r * NTAGS, this.pv, r * LANES);
    // the padding tokens' entry: what they give tokens 0, 1 (as -1, -2) and n-1, n-2 (as +1, +2)
    const E = this.entries;
    this.add(feat(T.wm1, PAD_WORD), E, PAD_ENTRY + BM1);
    this.add(feat(T.lexm1, 0), E, PAD_ENTRY + BM1);
    this.add(feat(T.wm2, PAD_WORD), E, PAD_ENTRY + BM2);
    this.add(feat(T.lexm2, 0), E, PAD_ENTRY + BM2);
    this.add(feat(T.wp1, PAD_WORD), E, PAD_ENTRY + BP1);
    this.add(feat(T.lexp1, 0), E, PAD_ENTRY + BP1);
    this.add(feat(T.wp2, PAD_WORD), E, PAD_ENTRY + BP2);
    this.add(feat(T.lexp2, 0), E, PAD_ENTRY + BP2);
    for (let v = 0; v < RULE_VALUES; v++) {
      this.add(feat(T.rule0, v), this.rule0, v * LANES);
      this.add(feat(T.rulem1, v), this.rulem1, v * LANES);
      this.add(feat(T.rulep1, v), this.rulep1, v * LANES);
    }
    for (let v = 0; v < 4; v++) this.add(feat(T.lineStart, v), this.lineStart, v * LANES);
    this.add(feat(T.ruleId, 0), this.noRuleId, 0);
    // the history features but the word's (historyFeatures: prev, prev2 * 16 + prev), by (prev2, prev)
    for (let prev = 0; prev < NTAGS; prev++)
      for (let prev2 = 0; prev2 < NTAGS; prev2++) {
        historyFeatures(prev, prev2, 0, this.hist);
        this.add(this.hist[0]!, this.historyW, (prev2 * NTAGS + prev) * LANES);
        this.add(this.hist[1]!, this.historyW, (prev2 * NTAGS + prev) * LANES);
      }
    // the word's feature must be the one `score` computes
    historyFeatures(3, 5, 0x1234567, this.hist);
    if (this.hist[2] !== feat(T.prevW, Math.imul(3 + 1, 0x27d4eb2d) ^ 0x1234567))
      throw new Error("tagger: FastScorer's history feature differs from historyFeatures");
    this.add(feat(T.section, 0), this.sectionW, 0);
  }

  /** acc[o..o+LANES) += the packed weights of feature `key` (nothing when the model lacks it). */
  private add(key: number, acc: Float64Array, o: number): void {
    const { keys, rows, mask } = this.table;
    let i = (Math.imul(key, 0x9e3779b1) >>> 7) & mask;
    for (;;) {
      const k = keys[i]!;
      if (k === key) break;
      if (k === 0) return;
      i = (i + 1) & mask;
    }
    addInto(acc, o, this.pv, rows[i]! * LANES);
  }

  /** The five sums of token i's own text (see ENTRY) into dst[o..o+ENTRY), from zero. */
  private textSums(ctx: FeatureContext, i: number, dst: Float64Array, o: number): void {
    const { text, tokens: tok, words, shapes, lex, upperDoc } = ctx;
    for (let j = o; j < o + ENTRY; j++) dst[j] = 0;
    const p = i + 2;
    const s = tok.start[i]!;
    const e = tok.end[i]!;
    const k = tok.kind[i]!;
    const w0 = words[p]!;
    const sh = shapes[p]!;
    const lx = lex[p]!;
    this.add(feat(T.bias, 0), dst, o);
    this.add(feat(T.w0, w0), dst, o);
    this.add(feat(T.shape, sh), dst, o);
    this.add(feat(T.pre2, k === LETTERS ? affix(text, s, e, 2, false) : 0), dst, o);
    this.add(feat(T.pre3, k === LETTERS ? affix(text, s, e, 3, false) : 0), dst, o);
    this.add(feat(T.suf2, k === LETTERS ? affix(text, s, e, 2, true) : 0), dst, o);
    this.add(feat(T.suf3, k === LETTERS ? affix(text, s, e, 3, true) : 0), dst, o);
    this.add(feat(T.lex, lx), dst, o);
    this.add(feat(T.lexShape, (lx << 10) ^ (sh << 1) ^ upperDoc), dst, o);
    this.add(feat(T.upperDocShape, upperDoc * 1000 + sh), dst, o);
    this.add(feat(T.len, Math.min(12, e - s) * 8 + k), dst, o);
    // what this token is to its neighbours: the previous word of token i+1, ...
    this.add(feat(T.wm1, w0), dst, o + BM1);
    this.add(feat(T.lexm1, lx), dst, o + BM1);
    this.add(feat(T.wm2, w0), dst, o + BM2);
    this.add(feat(T.lexm2, lx), dst, o + BM2);
    this.add(feat(T.wp1, w0), dst, o + BP1);
    this.add(feat(T.lexp1, lx), dst, o + BP1);
    this.add(feat(T.wp2, w0), dst, o + BP2);
    this.add(feat(T.lexp2, lx), dst, o + BP2);
    // its previous-tag-with-word feature when the previous tag is O (`history`)
    this.add(feat(T.prevW, Math.imul(0 + 1, 0x27d4eb2d) ^ w0), dst, o + PREV_O);
  }

  /**
   * Where each token's cached sums are (offsets into `entries`, padded by two tokens each side;
   * valid until the next call).
   * Entries are kept by token text key, in the order first seen (no two texts share a slot, so no
   * entry is evicted until the cache starts over, and never while a text that uses it is decoded).
   */
  private locate(ctx: FeatureContext): Int32Array {
    const n = ctx.tokens.n;
    // start over on a new word-table generation (ids reused), or when this text might not fit
    if (WORDS.generation !== this.generation || (this.count > 0 && this.count + n > MAX_ENTRIES)) {
      this.indexKeys.fill(0);
      this.count = 0;
      this.generation = WORDS.generation;
    }
    if (this.offs.length < n + 4) this.offs = new Int32Array(Math.max(n + 4, this.offs.length * 2));
    const offs = this.offs;
    offs[0] = offs[1] = offs[n + 2] = offs[n + 3] = PAD_ENTRY;
    const { indexKeys, indexOffs } = this;
    const textKeys = ctx.textKeys;
    let overflow = 0;
    for (let q = 0; q < n; q++) {
      const key = textKeys[q]!;
      if (key !== 0) {
        let slot = (Math.imul(key, 0x9e3779b1) >>> 11) & INDEX_MASK;
        let k = indexKeys[slot]!;
        while (k !== key && k !== 0) {
          slot = (slot + 1) & INDEX_MASK;
          k = indexKeys[slot]!;
        }
        if (k === key) {
          offs[q + 2] = indexOffs[slot]!;
          continue;
        }
        if (this.count < MAX_ENTRIES) {
          const o = FIRST_ENTRY + this.count * ENTRY;
          this.count++;
          this.textSums(ctx, q, this.entries, o);
          indexKeys[slot] = key;
          indexOffs[slot] = o;
          offs[q + 2] = o;
          continue;
        }
      }
      // no key, or the cache is full (a text of more than MAX_ENTRIES tokens): an entry of its own
      const o = OVERFLOW + overflow * ENTRY;
      if (o + ENTRY > this.entries.length) {
        const grown = new Float64Array(this.entries.length * 2);
        grown.set(this.entries);
        this.entries = grown;
      }
      this.textSums(ctx, q, this.entries, o);
      offs[q + 2] = o;
      overflow++;
    }
    return offs;
  }

  /** acc[o..o+LANES) = the sum of token i's NSTATIC static features (`offs` from `locate`). */
  private tokenStatic(ctx: FeatureContext, offs: Int32Array, i: number, acc: Float64Array, o: number): void {
    const E = this.entries;
    const p = i + 2;
    const a = offs[p]!;
    // the token's own sums, then what its neighbours give it: -1's "to q+1", -2's "to q+2", ...
    const m1 = offs[p - 1]! + BM1;
    const m2 = offs[p - 2]! + BM2;
    const p1 = offs[p + 1]! + BP1;
    const p2 = offs[p + 2]! + BP2;
    acc[o] = E[a]! + E[m1]! + E[m2]! + E[p1]! + E[p2]!;
    acc[o + 1] = E[a + 1]! + E[m1 + 1]! + E[m2 + 1]! + E[p1 + 1]! + E[p2 + 1]!;
    acc[o + 2] = E[a + 2]! + E[m1 + 2]! + E[m2 + 2]! + E[p1 + 2]! + E[p2 + 2]!;
    acc[o + 3] = E[a + 3]! + E[m1 + 3]! + E[m2 + 3]! + E[p1 + 3]! + E[p2 + 3]!;
    acc[o + 4] = E[a + 4]! + E[m1 + 4]! + E[m2 + 4]! + E[p1 + 4]! + E[p2 + 4]!;
    const { tokens: tok, words, shapes, rule, ruleIds, sections } = ctx;
    const n = tok.n;
    const sh = shapes[p]!;
    const w0 = words[p]!;
    const sm1 = shapes[p - 1]!;
    const sm2 = shapes[p - 2]!;
    const sp1 = shapes[p + 1]!;
    const sp2 = shapes[p + 2]!;
    // the four shape n-grams, kept by the five shapes when each fits a byte (pad 999 as 255)
    const b2 = sm2 === 999 ? 255 : sm2;
    const b1 = sm1 === 999 ? 255 : sm1;
    const a1 = sp1 === 999 ? 255 : sp1;
    const a2 = sp2 === 999 ? 255 : sp2;
    if ((b2 | b1 | sh | a1 | a2) < 256) {
      const k1 = (b2 << 24) | (b1 << 16) | (sh << 8) | a1;
      const k2 = a2 + 1;
      const slot = (Math.imul(k1 ^ Math.imul(k2, 0x27d4eb2d), 0x9e3779b1) >>> 12) & SHAPE_MASK;
      if (this.shapeKey1[slot] !== k1 || this.shapeKey2[slot] !== k2) {
        // the three trigram features' rows by trigram, the five-shape feature looked up
        const W = this.shapeW;
        const o = slot * LANES;
        W[o] = W[o + 1] = W[o + 2] = W[o + 3] = W[o + 4] = 0;
        this.addRow(this.triRows[this.trigram(b1, sh, a1)]!, W, o);
        this.addRow(this.triRows[this.trigram(sh, a1, a2) + 1]!, W, o);
        this.addRow(this.triRows[this.trigram(b2, b1, sh) + 2]!, W, o);
        this.add(
          feat(
            T.shape3 + 102,
            Math.imul(sm2, 0x3c6ef372) ^ Math.imul(sm1, 1009) ^ Math.imul(sh, 31) ^ Math.imul(sp1, 7) ^ sp2,
          ),
          W,
          o,
        );
        this.shapeKey1[slot] = k1;
        this.shapeKey2[slot] = k2;
      }
      addInto(acc, o, this.shapeW, slot * LANES);
    } else this.shapeGrams(sm2, sm1, sh, sp1, sp2, acc, o);
    const section = sections[i]!;
    if (section !== this.sectionValue) {
      this.sectionValue = section;
      const sw = this.sectionW;
      sw[0] = sw[1] = sw[2] = sw[3] = sw[4] = 0;
      this.add(feat(T.section, section), this.sectionW, 0);
    }
    addInto(acc, o, this.sectionW, 0);
    const r0 = rule[p]!;
    const rm1 = rule[p - 1]!;
    const rp1 = rule[p + 1]!;
    const rid = ruleIds[p]!;
    const ls = tok.lineStart[i]! * 2 + (i + 1 < n ? tok.lineStart[i + 1]! : 1);
    // rule categories at -1, 0, +1, the line-start pair and "no rule id": one sum per combination
    if ((r0 | rm1 | rp1) < RULE_VALUES) {
      const c = ((((r0 * RULE_VALUES + rm1) * RULE_VALUES + rp1) * 4 + ls) << 1) | (rid === 0 ? 1 : 0);
      if (this.comboDone[c] === 0) {
        addInto(this.combo, c * LANES, this.rule0, r0 * LANES);
        addInto(this.combo, c * LANES, this.rulem1, rm1 * LANES);
        addInto(this.combo, c * LANES, this.rulep1, rp1 * LANES);
        addInto(this.combo, c * LANES, this.lineStart, ls * LANES);
        if (rid === 0) addInto(this.combo, c * LANES, this.noRuleId, 0);
        this.comboDone[c] = 1;
      }
      addInto(acc, o, this.combo, c * LANES);
      if (rid !== 0) this.add(feat(T.ruleId, rid), acc, o);
    } else {
      this.add(feat(T.rule0, r0), acc, o);
      this.add(feat(T.rulem1, rm1), acc, o);
      this.add(feat(T.rulep1, rp1), acc, o);
      this.add(feat(T.ruleId, rid), acc, o);
      addInto(acc, o, this.lineStart, ls * LANES);
    }
    this.add(feat(T.bigramL, Math.imul(words[p - 1]!, 0x2f0b3c1d) ^ w0), acc, o);
    this.add(feat(T.bigramR, Math.imul(w0, 0x2f0b3c1d) ^ words[p + 1]!), acc, o);
    if (r0 < RULE_VALUES && sh < DENSE_SHAPES) {
      const c = r0 * DENSE_SHAPES + sh;
      if (this.ruleShapeDone[c] === 0) {
        this.add(feat(T.ruleShape, r0 * 4096 + sh), this.ruleShapeW, c * LANES);
        this.ruleShapeDone[c] = 1;
      }
      addInto(acc, o, this.ruleShapeW, c * LANES);
    } else this.add(feat(T.ruleShape, r0 * 4096 + sh), acc, o);
  }

  /**
   * The static scores of every token (NTAGS per token) in units of `unit`: the integer sums of
   * its NSTATIC static features' values `v`.
   */
  staticScores(ctx: FeatureContext): Int32Array {
    const n = ctx.tokens.n;
    const S = new Int32Array(n * NTAGS);
    const offs = this.locate(ctx);
    const acc = this.acc;
    const sums = this.sums;
    for (let i = 0; i < n; i++) {
      this.tokenStatic(ctx, offs, i, acc, 0);
      unpack(acc, sums);
      S.set(sums, i * 9);
    }
    return S;
  }

  /**
   * Greedy decoding (model.ts `tagText`): each token's tag from its scores and the tag history,
   * into `tags`: the tag `bestTag` picks from the exact scores (float64 sums of the float32
   * weights, `scoreDecode`). `scores` (n * NTAGS), when given, receives the integer sums.
   */
  decode(ctx: FeatureContext, bias: number, tags: Uint8Array, scores?: Int32Array): void {
    const n = ctx.tokens.n;
    const offs = this.locate(ctx);
    const acc = this.acc;
    const sums = this.sums;
    const words = ctx.words;
    const margin = this.margin(bias);
    const u = this.unit;
    const always = this.alwaysExact;
    // every token's static sums first (no iteration waits on the one before: the cached entries'
    // loads overlap), then the tags in order; sums of packed rows are exact in any grouping
    let stat = this.stat;
    if (stat.length < n * LANES) {
      stat = new Float64Array(Math.max(n * LANES, 2 * stat.length));
      if (stat.length <= STAT_KEPT) this.stat = stat;
    }
    for (let i = 0; i < n; i++) this.tokenStatic(ctx, offs, i, stat, i * LANES);
    let prev = 0;
    let prev2 = 0;
    for (let i = 0; i < n; i++) {
      const so = i * LANES;
      acc[0] = stat[so]!;
      acc[1] = stat[so + 1]!;
      acc[2] = stat[so + 2]!;
      acc[3] = stat[so + 3]!;
      acc[4] = stat[so + 4]!;
      if (prev === 0) {
        // previous tag O: the word's feature is in the token's entry
        addInto(acc, 0, this.historyW, prev2 * NTAGS * LANES);
        addInto(acc, 0, this.entries, offs[i + 2]! + PREV_O);
      } else this.history(acc, prev, prev2, words[i + 2]!);
      unpack(acc, sums);
      // element by element: `set` from a Float64Array into an Int32Array converts through a slow
      // generic path (the same ToInt32 of each integer-valued double)
      if (scores) {
        const o = i * 9;
        for (let c = 0; c < NTAGS; c++) scores[o + c] = sums[c]!;
      }
      // bestTag on the integer sums times the unit, taken when no other tag comes within `margin`
      let t = 0;
      let top = sums[0]! * u;
      let second = -Infinity;
      for (let c = 1; c < NTAGS; c++) {
        if (!allowed(prev, c)) continue;
        const x = sums[c]! * u + bias;
        if (x > top) {
          second = top;
          top = x;
          t = c;
        } else if (x > second) second = x;
      }
      if (!(top - second > margin) || always) t = this.exactTag(ctx, i, prev, prev2, bias);
      tags[i] = t;
      prev2 = prev;
      prev = t;
    }
  }

  /**
   * How far apart the best and second tag's estimates (integer sum × unit, + bias) must be for the
   * exact scores to pick the same tag. Each exact score s = Σ w over at most N = NSTATIC + NHISTORY
   * weights (exact in float64) and its estimate u·Σv differ by at most N·maxErr; the roundings of
   * u·V, of + bias on either side and of maxErr's own computation add at most
   * 4·2^-52·(N·maxAbs + |bias|). Two scores apart by more than twice that bound are in the same order.
   */
  private margin(bias: number): number {
    const N = NSTATIC + NHISTORY;
    const d = N * this.maxErr * (1 + 2 ** -40) + 4 * 2 ** -52 * (N * this.maxAbs + Math.abs(bias));
    return 2 * d;
  }

  /** The tag `bestTag` picks from token i's exact scores (features one by one, as `scoreDecode`). */
  private exactTag(ctx: FeatureContext, i: number, prev: number, prev2: number, bias: number): number {
    this.exactDecisions++;
    staticFeatures(ctx, i, this.featScratch, 0);
    historyFeatures(prev, prev2, ctx.words[i + 2]!, this.histScratch);
    scoreDecode(this.table, this.w, this.featScratch, 0, NSTATIC, this.histScratch, this.exact);
    return bestTag(this.exact, prev, bias);
  }

  /** Where in `triRows` the rows of the trigram of shapes (a, b, c) are (bytes, 255 the padding's 999). */
  private trigram(a: number, b: number, c: number): number {
    const key = ((a << 16) | (b << 8) | c) + 1;
    const keys = this.triKeys;
    let slot = (Math.imul(key, 0x9e3779b1) >>> 14) & TRI_MASK;
    let k = keys[slot]!;
    while (k !== key && k !== 0) {
      slot = (slot + 1) & TRI_MASK;
      k = keys[slot]!;
    }
    if (k === key) return slot * 3;
    if (this.triCount === TRI_MAX) {
      // full: start over (rows are read at once, never kept)
      keys.fill(0);
      this.triCount = 0;
      return this.trigram(a, b, c);
    }
    this.triCount++;
    const v = Math.imul(a === 255 ? 999 : a, 1009) ^ Math.imul(b === 255 ? 999 : b, 31) ^ (c === 255 ? 999 : c);
    keys[slot] = key;
    this.triRows[slot * 3] = this.table.find(feat(T.shape3, v));
    this.triRows[slot * 3 + 1] = this.table.find(feat(T.shape3 + 100, v));
    this.triRows[slot * 3 + 2] = this.table.find(feat(T.shape3 + 101, v));
    return slot * 3;
  }

  /** acc[o..o+LANES) += the packed weights of row r (nothing when r < 0). */
  private addRow(r: number, acc: Float64Array, o: number): void {
    if (r >= 0) addInto(acc, o, this.pv, r * LANES);
  }

  /** acc[o..o+LANES) += the packed weights of the four shape n-gram features of a token. */
  private shapeGrams(
    sm2: number,
    sm1: number,
    sh: number,
    sp1: number,
    sp2: number,
    acc: Float64Array,
    o: number,
  ): void {
    this.add(feat(T.shape3, Math.imul(sm1, 1009) ^ Math.imul(sh, 31) ^ sp1), acc, o);
    this.add(feat(T.shape3 + 100, Math.imul(sh, 1009) ^ Math.imul(sp1, 31) ^ sp2), acc, o);
    this.add(feat(T.shape3 + 101, Math.imul(sm2, 1009) ^ Math.imul(sm1, 31) ^ sh), acc, o);
    this.add(
      feat(
        T.shape3 + 102,
        Math.imul(sm2, 0x3c6ef372) ^ Math.imul(sm1, 1009) ^ Math.imul(sh, 31) ^ Math.imul(sp1, 7) ^ sp2,
      ),
      acc,
      o,
    );
  }

  /** acc += the weights of the history features (previous tag, previous two, previous tag with the word). */
  private history(acc: Float64Array, prev: number, prev2: number, word: number): void {
    addInto(acc, 0, this.historyW, (prev2 * NTAGS + prev) * LANES);
    this.add(feat(T.prevW, Math.imul(prev + 1, 0x27d4eb2d) ^ word), acc, 0);
  }

  /** scores = static sums of token i + its history features' values (prev, prev2, word). */
  score(S: Int32Array, i: number, prev: number, prev2: number, word: number, scores: Int32Array): void {
    const packed = new Float64Array(LANES);
    pack(S, i * 9, packed, 0);
    this.history(packed, prev, prev2, word);
    const sums = new Float64Array(NTAGS);
    unpack(packed, sums);
    scores.set(sums);
  }
}

/**
 * Nine integer values v0..v8 packed into LANES float64: lane k < 4 holds v(2k) * HI + v(2k+1),
 * lane 4 holds v8. Sums of packed rows are the packed sums, exactly, while every lane's low part
 * stays within ±2^25 and the whole within 2^53 (`MAX_V`: sums of up to 64 values).
 */
function pack(src: Int32Array, so: number, dst: Float64Array, o: number): void {
  for (let k = 0; k < 4; k++) dst[o + k] = src[so + 2 * k]! * HI + src[so + 2 * k + 1]!;
  dst[o + 4] = src[so + 8]!;
}

/** The nine integer sums of one packed row (`pack`): the high part by rounding (|low| < 2^25 = HI / 2). */
function unpack(acc: Float64Array, out: Float64Array): void {
  const a0 = acc[0]!;
  const h0 = Math.round(a0 * INV_HI);
  out[0] = h0;
  out[1] = a0 - h0 * HI;
  const a1 = acc[1]!;
  const h1 = Math.round(a1 * INV_HI);
  out[2] = h1;
  out[3] = a1 - h1 * HI;
  const a2 = acc[2]!;
  const h2 = Math.round(a2 * INV_HI);
  out[4] = h2;
  out[5] = a2 - h2 * HI;
  const a3 = acc[3]!;
  const h3 = Math.round(a3 * INV_HI);
  out[6] = h3;
  out[7] = a3 - h3 * HI;
  out[8] = acc[4]!;
}

/** dst[o..o+LANES) += src[so..so+LANES): one packed row of nine tag values (the tagger's innermost loop). */
function addInto(dst: Float64Array, o: number, src: Float64Array, so: number): void {
  dst[o] = dst[o]! + src[so]!;
  dst[o + 1] = dst[o + 1]! + src[so + 1]!;
  dst[o + 2] = dst[o + 2]! + src[so + 2]!;
  dst[o + 3] = dst[o + 3]! + src[so + 3]!;
  dst[o + 4] = dst[o + 4]! + src[so + 4]!;
}

if (NSTATIC !== 32) throw new Error("tagger: FastScorer covers 32 static features");
