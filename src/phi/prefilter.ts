/**
 * The text index: cheap shared passes over a text (keywords, numbers, literals) that find the
 * only places where a rule can match, so the rule's regular expression runs there (sticky, on
 * the full text) instead of over the whole text. What each rule starts from is declared on the
 * rule (src/phi/rules/*.ts: `keywords`, `starts`, `derivedFrom`); this file knows no rule. This is how gitleaks and ripsecrets stay fast on
 * source code: most bytes of a file can start no match at all.
 *
 * Every function here must return a SUPERSET of the positions where the rule's own regex
 * can start a match; the engine then runs that regex at exactly those positions, in order,
 * skipping positions inside the previous match, which reproduces a global scan exactly.
 * `test/phi-prefilter.test.ts` checks the optimised engine against the plain full-text scan.
 */

/** Positions of every occurrence of any of `lits` (case-sensitive), minus `back`, sorted. */
export function literalStarts(text: string, lits: readonly string[], back = 0): number[] {
  const out: number[] = [];
  for (const lit of lits)
    for (let i = text.indexOf(lit); i !== -1; i = text.indexOf(lit, i + 1)) if (i - back >= 0) out.push(i - back);
  return lits.length > 1 ? sortUnique(out) : out;
}

/** Every position where `re` (global, no lookbehind) matches, each shifted by the offsets. */
export function markerStarts(text: string, re: RegExp, offsets: readonly number[] = [0]): number[] {
  const out: number[] = [];
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    for (const o of offsets) if (m.index - o >= 0) out.push(m.index - o);
    // step one character, not past the match: a match may start inside the previous one
    re.lastIndex = m.index + 1;
  }
  return offsets.length > 1 ? sortUnique(out) : out;
}

export function sortUnique(xs: number[]): number[] {
  if (xs.length < 2) return xs;
  xs.sort((a, b) => a - b);
  let k = 0;
  for (let i = 0; i < xs.length; i++) if (i === 0 || xs[i] !== xs[k - 1]) xs[k++] = xs[i]!;
  if (k < xs.length) xs.length = k;
  return xs;
}

/**
 * Literals that hold a '_' or '-' (secret prefixes: "ghp_", "sk-"), found in one walk over the
 * positions of those rarer characters for all of them at once. Declared by the rules (`literals`).
 */
export class SharedLiterals {
  /** literal -> its rare character */
  readonly chars: ReadonlyMap<string, string>;
  /** char -> (code of the character before it in the literal, or -1) -> [literal, offset of char] */
  readonly byChar = new Map<string, Map<number, [string, number][]>>();
  /** char -> the ASCII codes that, right before it, lead some literal's check (a fast reject) */
  readonly prevChars: ReadonlyMap<string, Uint8Array>;

  constructor(literals: readonly string[]) {
    this.chars = new Map(
      literals.filter((l) => l.includes("_") || l.includes("-")).map((l) => [l, l.includes("_") ? "_" : "-"]),
    );
    for (const [lit, ch] of this.chars) {
      const o = lit.indexOf(ch);
      const prev = o > 0 ? lit.charCodeAt(o - 1) : -1;
      const byPrev = this.byChar.get(ch) ?? new Map<number, [string, number][]>();
      this.byChar.set(ch, byPrev);
      byPrev.set(prev, [...(byPrev.get(prev) ?? []), [lit, o]]);
    }
    this.prevChars = new Map(
      [...this.byChar].map(([ch, byPrev]) => {
        const t = new Uint8Array(128);
        for (const p of byPrev.keys()) if (p >= 0 && p < 128) t[p] = 1;
        return [ch, t];
      }),
    );
  }

  has(lit: string): boolean {
    return this.chars.has(lit);
  }
}

/** What the shared passes of a TextIndex look for: the declared keyword groups and shared literals. */
export interface IndexSpec {
  readonly keywords: KeywordGroups;
  readonly literals: SharedLiterals;
}

const NONE: readonly number[] = [];
const isDigitCode = (c: number) => c >= 48 && c <= 57;
export const isWordCode = (c: number) =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;

/** A regex alternation factored as a trie: irregexp backtracks far less than over a flat list. */
function trieSource(words: readonly string[]): string {
  type Node = Map<string, Node> & { end?: boolean };
  const root: Node = new Map();
  for (const w of words) {
    let n = root;
    for (const c of w) {
      let next = n.get(c);
      if (!next) n.set(c, (next = new Map()));
      n = next;
    }
    n.end = true;
  }
  const esc = (c: string) => c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  const emit = (n: Node): string => {
    if (n.end) return ""; // a shorter prefix already suffices
    const alts = [...n].map(([c, child]) => esc(c) + emit(child));
    return alts.length === 1 ? alts[0]! : `(?:${alts.join("|")})`;
  };
  return emit(root);
}

/**
 * Named groups of keyword prefixes, found by one shared case-insensitive pass (`TextIndex.anchors`).
 * Every match of a group's context regex starts with one of its prefixes. Prefixes are pure word
 * characters (or end in one non-word character), so a consumed prefix never hides another word
 * start in the shared pass. The scanner builds one from the rules' and detectors' declarations.
 */
export class KeywordGroups {
  readonly groups: readonly string[];
  private readonly index: Map<string, number>;
  private readonly prefixes: Record<string, readonly string[]>;
  private trie?: { next: Int32Array; mask: Int32Array; regex: RegExp };

  constructor(prefixes: Record<string, readonly string[]>) {
    this.prefixes = prefixes;
    this.groups = Object.keys(prefixes);
    if (this.groups.length > 30) throw new Error("too many anchor groups for a 32-bit mask");
    this.index = new Map(this.groups.map((g, gi) => [g, gi]));
  }

  indexOf(group: string): number | undefined {
    return this.index.get(group);
  }

  prefixesOf(group: string): readonly string[] | undefined {
    return this.prefixes[group];
  }

  /**
   * The prefixes as a trie over lower-case ASCII codes, flat: next[node * 128 + code] is the child
   * node (0: none; node 0 is the root), mask[node] the groups whose prefixes end there; and the
   * keyword regex. Built on first use (the prefilters run only past a scanner's first 128 KB): the
   * trie costs a pre-commit hook's process more than its scan.
   */
  compiled(): { next: Int32Array; mask: Int32Array; regex: RegExp } {
    if (this.trie) return this.trie;
    const trieNext: number[] = new Array<number>(128).fill(0);
    const trieMask: number[] = [0];
    this.groups.forEach((g, gi) => {
      for (const p of this.prefixes[g]!) {
        let n = 0;
        for (let i = 0; i < p.length; i++) {
          const c = p.charCodeAt(i);
          if (c >= 128) throw new Error(`keyword prefix "${p}" must be ASCII`);
          if (trieNext[n * 128 + c] === 0) {
            trieNext[n * 128 + c] = trieMask.length;
            trieMask.push(0);
            for (let k = 0; k < 128; k++) trieNext.push(0);
          }
          n = trieNext[n * 128 + c]!;
        }
        trieMask[n]! |= 1 << gi;
      }
    });
    const all = [...new Set(Object.values(this.prefixes).flat())];
    // keywordHits finds a match's start from its end: word characters and at most one final other
    for (const p of all)
      if (!/^[a-z0-9_]+[^a-z0-9_]?$/.test(p))
        throw new Error(`keyword prefix "${p}" must be word characters and at most one final other character`);
    return (this.trie = {
      next: Int32Array.from(trieNext),
      mask: Int32Array.from(trieMask),
      regex: new RegExp(`\\b${trieSource(all)}`, "gi"),
    });
  }
}

/** Per-text results of the shared passes, computed on first use. */
export class TextIndex {
  private words?: number[];
  private groups?: number[][];
  private schemes?: number[];
  private runs?: number[];
  private streets?: number[];
  private assigns?: number[];
  private dotted?: number[];
  private awsKeys?: number[];
  private literalHits?: Map<string, number[]>;
  private markers?: Map<RegExp, number[]>;

  private readonly keywords: KeywordGroups;
  private readonly shared: SharedLiterals;

  constructor(
    readonly text: string,
    spec: IndexSpec,
  ) {
    this.keywords = spec.keywords;
    this.shared = spec.literals;
  }

  /** One case-insensitive pass for every keyword prefix; positions where a word starts with one. */
  private keywordHits(): number[] {
    if (this.words) return this.words;
    const pos: number[] = [];
    const text = this.text;
    const KEYWORDS = this.keywords.compiled().regex;
    KEYWORDS.lastIndex = 0;
    // test() allocates no match: a match is a word start, word characters and at most one
    // final non-word character, so its start is found by walking back from its end
    while (KEYWORDS.test(text)) {
      let s = KEYWORDS.lastIndex - 1;
      if (!isWordCode(text.charCodeAt(s))) s--;
      while (s > 0 && isWordCode(text.charCodeAt(s - 1))) s--;
      pos.push(s);
    }
    return (this.words = pos);
  }

  /** Positions where a match of the named context regex may start (superset), sorted. */
  anchors(group: string): number[] | undefined {
    const gi = this.keywords.indexOf(group);
    if (gi === undefined) return undefined;
    if (!this.groups) {
      const { next: TRIE_NEXT, mask: TRIE_MASK } = this.keywords.compiled();
      const groups: number[][] = this.keywords.groups.map(() => []);
      const text = this.text;
      for (const p of this.keywordHits()) {
        // every group with a prefix at p (ASCII case folded), each once
        let mask = 0;
        for (let i = p, n = 0; i < text.length; i++) {
          let c = text.charCodeAt(i);
          if (c >= 65 && c <= 90) c += 32;
          n = c < 128 ? TRIE_NEXT[n * 128 + c]! : 0;
          if (n === 0) break;
          mask |= TRIE_MASK[n]!;
        }
        for (let g = 0; mask !== 0; g++, mask >>>= 1) if (mask & 1) groups[g]!.push(p);
      }
      this.groups = groups;
    }
    return this.groups[gi];
  }

  /** Positions of "://". */
  schemeSeparators(): number[] {
    return (this.schemes ??= literalStarts(this.text, ["://"]));
  }

  /** Runs of two or more digits as [start, end) pairs, flattened; one pass shared by several rules. */
  digitRuns(): number[] {
    if (!this.runs) this.numberPass();
    return this.runs!;
  }

  /**
   * Starts of the numbers of at most six digits followed by blanks and a street-word character
   * (`\d{1,6}[ \t]+[A-Za-z0-9'.-]`): every match of the code profile's street pattern starts at one.
   */
  streetNumberStarts(): number[] {
    if (!this.streets) this.numberPass();
    return this.streets!;
  }

  /** Positions where ASSIGN matches (an operator before a quoted value of 16+ characters), in order. */
  assignments(): number[] {
    if (!this.assigns) this.numberPass();
    return this.assigns!;
  }

  /** Every position where `\d\.\d{1,3}\.\d{1,3}\.\d` matches (the last digit before a dotted quad's first dot). */
  dottedQuads(): number[] {
    if (!this.dotted) this.numberPass();
    return this.dotted!;
  }

  /** Positions of AKIA, ASIA, ABIA and ACCA. */
  awsKeyPrefixes(): number[] {
    if (!this.awsKeys) this.numberPass();
    return this.awsKeys!;
  }

  /**
   * One regex pass for digit runs, street numbers, dotted quads, secret assignments and AWS key
   * prefixes: irregexp's cost is mostly the walk over every position, so one alternation costs
   * about as much as one of them. A run of digits is matched whole when it has two or more digits,
   * or when blanks and a street word or a dotted quad follow; the other branches match one ':',
   * '=' or 'A', never a digit, so no branch hides another's match.
   */
  private numberPass(): void {
    const runs: number[] = [];
    const streets: number[] = [];
    const assigns: number[] = [];
    const dotted: number[] = [];
    const aws: number[] = [];
    const text = this.text;
    NUMBER_PASS.lastIndex = 0;
    // test() allocates no match; a match is one ':', '=' or 'A', or a whole run of digits
    while (NUMBER_PASS.test(text)) {
      const e = NUMBER_PASS.lastIndex;
      const c = text.charCodeAt(e - 1);
      if (c === 58 || c === 61) {
        assigns.push(e - 1);
        continue;
      }
      if (c === 65) {
        aws.push(e - 1);
        continue;
      }
      let s = e - 1;
      while (s > 0 && isDigitCode(text.charCodeAt(s - 1))) s--;
      if (e - s >= 2) runs.push(s, e);
      if (e - s <= 6) {
        let k = e;
        while (text.charCodeAt(k) === 32 || text.charCodeAt(k) === 9) k++;
        if (k > e && STREET_WORD_CHAR.test(text[k] ?? "")) streets.push(s);
      }
      if (text.charCodeAt(e) === 46) {
        DOTTED_TAIL.lastIndex = e;
        if (DOTTED_TAIL.test(text)) dotted.push(e - 1);
      }
    }
    this.runs = runs;
    this.streets = streets;
    this.assigns = assigns;
    this.dotted = dotted;
    this.awsKeys = aws;
  }

  /** markerStarts, cached per regex (shared by several rules). */
  marker(re: RegExp): number[] {
    this.markers ??= new Map();
    let out = this.markers.get(re);
    if (!out) this.markers.set(re, (out = markerStarts(this.text, re)));
    return out;
  }

  /**
   * Start positions of literals. Searching for "sk-" means stopping at every 's' of the
   * text; literals with '_' or '-' are found in one walk over the positions of those rarer
   * characters (for every such literal at once), the rest by `indexOf`.
   */
  literals(lits: readonly string[], back = 0): number[] {
    const out: number[] = [];
    // most texts hold none of the shared literals
    if (this.sharedLiteralHits().size === 0 && lits.every((l) => this.shared.has(l))) return out;
    for (const lit of lits) {
      const hits = this.shared.has(lit) ? (this.sharedLiteralHits().get(lit) ?? NONE) : literalStarts(this.text, [lit]);
      for (const p of hits) if (p - back >= 0) out.push(p - back);
    }
    return lits.length > 1 ? sortUnique(out) : out;
  }

  private sharedLiteralHits(): Map<string, number[]> {
    if (this.literalHits) return this.literalHits;
    // arrays only for the literals found (most texts hold none)
    const hits = new Map<string, number[]>();
    const add = (lit: string, at: number) => {
      const list = hits.get(lit);
      if (list) list.push(at);
      else hits.set(lit, [at]);
    };
    const text = this.text;
    for (const [ch, byPrev] of this.shared.byChar) {
      const any = byPrev.get(-1);
      const prevs = this.shared.prevChars.get(ch)!;
      for (let i = text.indexOf(ch); i !== -1; i = text.indexOf(ch, i + 1)) {
        const p = i > 0 ? text.charCodeAt(i - 1) : -1;
        const list = p >= 0 && p < 128 && prevs[p] ? byPrev.get(p) : undefined;
        if (list) for (const [lit, o] of list) if (i - o >= 0 && text.startsWith(lit, i - o)) add(lit, i - o);
        if (any) for (const [lit, o] of any) if (i - o >= 0 && text.startsWith(lit, i - o)) add(lit, i - o);
      }
    }
    return (this.literalHits = hits);
  }
}

// ---------------------------------------------------------------- helpers for rules' start functions

export const isUpperCode = (c: number) => c >= 65 && c <= 90;

/** Starts derived from the shared digit runs: `pick(start, end)` returns a start or -1. */
export function fromRuns(idx: TextIndex, pick: (s: number, e: number) => number | number[]): number[] {
  const runs = idx.digitRuns();
  const out: number[] = [];
  for (let i = 0; i < runs.length; i += 2) {
    const r = pick(runs[i]!, runs[i + 1]!);
    if (typeof r === "number") {
      if (r >= 0) out.push(r);
    } else for (const x of r) if (x >= 0) out.push(x);
  }
  return sortUnique(out);
}

export function regexHash(re: RegExp): string {
  const s = `${re.source}/${re.flags}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, "0");
}

/** Each position minus each offset (those >= 0), sorted. */
export function shifted(xs: number[], offsets: readonly number[]): number[] {
  const out: number[] = [];
  for (const x of xs) for (const o of offsets) if (x - o >= 0) out.push(x - o);
  return sortUnique(out);
}

/** An assignment operator before a quoted value of 16+ characters (generic-secret's anchors). */
export const ASSIGN = /[:=](?=[=>]?\s*["'][A-Za-z0-9_\-+/=.~!@#$%^&*]{16})/g;
/** Digit runs of two or more, numbers before blanks and a street word, and ASSIGN: see TextIndex.numberPass. */
const NUMBER_PASS = new RegExp(
  String.raw`\d+(?:(?<=\d\d)|(?=[ \t]+[A-Za-z0-9'.-]|\.\d{1,3}\.\d{1,3}\.\d))|` + ASSIGN.source + "|A(?=[KSB]IA|CCA)",
  "g",
);
const STREET_WORD_CHAR = /[A-Za-z0-9'.-]/;
const DOTTED_TAIL = /\.\d{1,3}\.\d{1,3}\.\d/y;
/** Case-insensitive occurrences of any of the words (no word-boundary requirement). */
export function wordOccurrences(text: string, re: RegExp): number[] {
  return markerStarts(text, re);
}

/**
 * Run a sticky regex at each candidate position in order, skipping positions inside the
 * previous match: the same matches, in the same order, as a global scan of the whole text.
 */
export function stickyEach(
  re: RegExp,
  text: string,
  positions: readonly number[],
  fn: (m: RegExpExecArray) => void,
): void {
  let last = 0;
  for (const p of positions) {
    if (p < last) continue;
    re.lastIndex = p;
    const m = re.exec(text);
    if (m === null) continue;
    last = p + Math.max(1, m[0].length);
    fn(m);
  }
}

/** A sticky, non-global copy of a regex (same source and other flags). */
export function toSticky(re: RegExp, extraFlags = ""): RegExp {
  const flags = new Set((re.flags + extraFlags).replace(/[gy]/g, ""));
  return new RegExp(re.source, [...flags].join("") + "y");
}

/**
 * True when every match of a `\b(?:a|b|...)...` regex must start with one of the group's
 * keyword prefixes, judged from the regex source: each alternative's leading literal must
 * begin with a prefix. Anything this reader does not understand counts as not covered, and
 * the engine then runs that regex over the whole text. So adding a keyword to a context
 * regex without adding its prefix to the declared keywords costs speed, never findings.
 */
export function anchorsCover(prefixes: readonly string[] | undefined, source: string): boolean {
  // the keyword pass finds words that start with a prefix: a context that may match inside a word is not covered
  if (!prefixes || !source.startsWith("\\b")) return false;
  const body = source.slice(2);
  const alternatives: string[] = [];
  if (body.startsWith("(?:")) {
    let depth = 0;
    let start = 3;
    let i = 3;
    for (; i < body.length; i++) {
      const c = body[i];
      if (c === "\\") i++;
      else if (c === "[") while (i < body.length && body[i] !== "]") i += body[i] === "\\" ? 2 : 1;
      else if (c === "(") depth++;
      else if (c === ")") {
        if (depth === 0) break;
        depth--;
      } else if (c === "|" && depth === 0) {
        alternatives.push(body.slice(start, i));
        start = i + 1;
      }
    }
    if (i >= body.length) return false;
    alternatives.push(body.slice(start, i));
  } else alternatives.push(body);
  return alternatives.every((alt) => {
    let lit = "";
    for (let i = 0; i < alt.length;) {
      let ch: string;
      let next = i + 1;
      if (/[A-Za-z0-9 _'#-]/.test(alt[i]!)) ch = alt[i]!;
      else if (alt[i] === "\\" && /[./#-]/.test(alt[i + 1] ?? "")) {
        ch = alt[i + 1]!;
        next = i + 2;
      } else break;
      if (/[?*{]/.test(alt[next] ?? "")) break; // optional: not part of every match
      lit += ch.toLowerCase();
      i = next;
    }
    return lit.length > 0 && prefixes.some((p) => lit.startsWith(p));
  });
}
