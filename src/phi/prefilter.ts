/**
 * Prefilters for the detection engine: cheap passes over a text that find the only places
 * where a rule can match, so the rule's regular expression runs there (sticky, on the full
 * text) instead of over the whole text. This is how gitleaks and ripsecrets stay fast on
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
  for (const lit of lits) for (let i = text.indexOf(lit); i !== -1; i = text.indexOf(lit, i + 1)) if (i - back >= 0) out.push(i - back);
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

const WORD = /[A-Za-z0-9_]/;

/**
 * Keyword prefixes of the context regexes (all start with `\b` and are case-insensitive):
 * every match of the named context starts with one of these. Prefixes are pure word
 * characters (or end in one non-word character), so a consumed prefix never hides another
 * word start in the shared pass below.
 */
export const ANCHOR_PREFIXES: Record<string, readonly string[]> = {
  "us-ssn-unformatted": ["ssn", "soc", "ss", "tax", "tin"],
  "health-plan-id": ["member", "subscriber", "policy", "group", "beneficiary", "insurance", "health", "medica", "hicn", "mbi"],
  "medical-record-number": ["mr", "medical", "chart", "patient", "unit", "hospital"],
  "account-number": ["account", "acct", "a/", "billing", "invoice", "claim", "routing"],
  npi: ["npi", "national"],
  "license-number": ["lic", "cert", "dl", "driver", "registration"],
  vin: ["vin", "vehicle"],
  "device-serial": ["serial", "s/", "sn", "device", "udi", "imei", "mac", "implant", "pacemaker", "pump"],
  // detectors outside the rule table
  date: ["dob", "d.", "birth", "born", "b-", "admi", "discharg", "death", "died", "deceased", "expired", "date", "visit", "appointment", "appt", "surgery", "procedure", "seen", "encounter", "dos", "dod"],
  zip: ["zip", "postal", "postcode"],
  "code-name": ["patient", "pt", "first", "last", "given", "family", "full", "middle", "maiden", "mother", "father", "guardian", "emergency", "next", "nok", "subscriber", "insured", "guarantor"],
  age: ["age"],
  "aws-secret-access-key": ["aws"],
  // CODE_NAME_GENERIC is case-sensitive `\bname`: the case-insensitive hit is a superset
  "code-name-generic": ["name"],
};

/** Literals holding '_' or '-', found from those characters' positions: literal -> its char. */
const SHARED_LITERALS = new Map<string, string>(
  ['"private_key"', "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "sk_live_", "rk_live_", "npm_", "-----BEGIN ", "glpat-", "gldt-", "glptt-", "glrt-", "xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-", "sk-ant-", "sk-"].map((l) => [l, l.includes("_") ? "_" : "-"]),
);
/** char -> (code of the character before it in the literal, or -1) -> [literal, offset of char]. */
const LITERALS_BY_CHAR = new Map<string, Map<number, [string, number][]>>();
for (const [lit, ch] of SHARED_LITERALS) {
  const o = lit.indexOf(ch);
  const prev = o > 0 ? lit.charCodeAt(o - 1) : -1;
  const byPrev = LITERALS_BY_CHAR.get(ch) ?? new Map<number, [string, number][]>();
  LITERALS_BY_CHAR.set(ch, byPrev);
  byPrev.set(prev, [...(byPrev.get(prev) ?? []), [lit, o]]);
}
/** char -> the ASCII codes that, right before it, lead some literal's check (a fast reject). */
const PREV_CHARS = new Map<string, Uint8Array>(
  [...LITERALS_BY_CHAR].map(([ch, byPrev]) => {
    const t = new Uint8Array(128);
    for (const p of byPrev.keys()) if (p >= 0 && p < 128) t[p] = 1;
    return [ch, t];
  }),
);

const NONE: readonly number[] = [];
const isDigitCode = (c: number) => c >= 48 && c <= 57;
const isWordCode = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;

const ALL_PREFIXES = [...new Set(Object.values(ANCHOR_PREFIXES).flat())];
const GROUPS = Object.keys(ANCHOR_PREFIXES);
const GROUP_INDEX = new Map(GROUPS.map((g, gi) => [g, gi]));

/**
 * The prefixes as a trie over lower-case ASCII codes, flat: TRIE_NEXT[node * 128 + code] is the
 * child node (0: none; node 0 is the root), TRIE_MASK[node] the groups whose prefixes end there.
 */
const trieNext: number[] = new Array<number>(128).fill(0);
const trieMask: number[] = [0];
if (GROUPS.length > 30) throw new Error("too many anchor groups for a 32-bit mask");
GROUPS.forEach((g, gi) => {
  for (const p of ANCHOR_PREFIXES[g]!) {
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
const TRIE_NEXT = Int32Array.from(trieNext);
const TRIE_MASK = Int32Array.from(trieMask);

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

// Built on first use (the prefilters run only past a scanner's first 128 KB): the trie costs a
// pre-commit hook's process more than its scan.
let keywords: RegExp | undefined;
function keywordRegex(): RegExp {
  if (keywords) return keywords;
  // keywordHits finds a match's start from its end: word characters and at most one final other
  for (const p of ALL_PREFIXES) if (!/^[a-z0-9_]+[^a-z0-9_]?$/.test(p)) throw new Error(`keyword prefix "${p}" must be word characters and at most one final other character`);
  return (keywords = new RegExp(`\\b${trieSource(ALL_PREFIXES)}`, "gi"));
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

  constructor(readonly text: string) {}

  /** One case-insensitive pass for every keyword prefix; positions where a word starts with one. */
  private keywordHits(): number[] {
    if (this.words) return this.words;
    const pos: number[] = [];
    const text = this.text;
    const KEYWORDS = keywordRegex();
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
    const gi = GROUP_INDEX.get(group);
    if (gi === undefined) return undefined;
    if (!this.groups) {
      const groups: number[][] = GROUPS.map(() => []);
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
    if (this.sharedLiteralHits().size === 0 && lits.every((l) => SHARED_LITERALS.has(l))) return out;
    for (const lit of lits) {
      const hits = SHARED_LITERALS.has(lit) ? (this.sharedLiteralHits().get(lit) ?? NONE) : literalStarts(this.text, [lit]);
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
    for (const [ch, byPrev] of LITERALS_BY_CHAR) {
      const any = byPrev.get(-1);
      const prevs = PREV_CHARS.get(ch)!;
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

// ---------------------------------------------------------------- regex rules

type Starts = (text: string, idx: TextIndex) => number[];

const isUpper = (c: number) => c >= 65 && c <= 90;

const SEP_SSN = /[- ]/;
const SEP_PHONE = /[\s.-]/;

/** Starts derived from the shared digit runs: `pick(start, end)` returns a start or -1. */
function fromRuns(idx: TextIndex, pick: (s: number, e: number) => number | number[]): number[] {
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

/**
 * Rules whose regex can be run at candidate positions only. `impliesGate` says the rule's
 * whole-text gate is implied by any match, so it need not be evaluated.
 */
export const RULE_STARTS: Record<string, { starts: Starts; impliesGate: boolean }> = {
  // AKIA, ASIA, ABIA, ACCA: search from the rarer second letter
  "aws-access-key-id": { starts: (t, idx) => idx.awsKeyPrefixes(), impliesGate: true },
  // \baws, case-insensitive: from the shared keyword pass
  "aws-secret-access-key": { starts: (t, idx) => idx.anchors("aws-secret-access-key")!, impliesGate: true },
  // "AIza": search the rarer "Iza"
  "gcp-api-key": { starts: (t) => literalStarts(t, ["Iza"], 1), impliesGate: true },
  "private-key": { starts: (t, idx) => idx.literals(["-----BEGIN "]), impliesGate: true },
  "gcp-service-account-key": { starts: (t, idx) => idx.literals(['"private_key"']), impliesGate: true },
  "azure-storage-key": { starts: (t) => literalStarts(t, ["Key="], 7), impliesGate: true },
  // [?&]sig= : the gate also asks for an sv/sp/se parameter, so it still runs
  "azure-sas-token": { starts: (t) => literalStarts(t, ["?sig=", "&sig="]), impliesGate: false },
  "github-token": { starts: (t, idx) => idx.literals(["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"]), impliesGate: true },
  "gitlab-token": { starts: (t, idx) => idx.literals(["glpat-", "gldt-", "glptt-", "glrt-"]), impliesGate: true },
  "slack-token": { starts: (t, idx) => idx.literals(["xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-"]), impliesGate: true },
  "slack-webhook": { starts: (t, idx) => idx.schemeSeparators().filter((i) => t.startsWith("https://hooks.slack.com/", i - 5)).map((i) => i - 5), impliesGate: true },
  "stripe-key": { starts: (t, idx) => idx.literals(["sk_live_", "rk_live_"]), impliesGate: true },
  "anthropic-key": { starts: (t, idx) => idx.literals(["sk-ant-"]), impliesGate: true },
  "openai-key": { starts: (t, idx) => idx.literals(["sk-"]), impliesGate: true },
  "npm-token": { starts: (t, idx) => idx.literals(["npm_"]), impliesGate: true },
  // "eyJ": search the rare capital J
  jwt: { starts: (t) => literalStarts(t, ["J"], 2).filter((i) => t.charCodeAt(i) === 101 && t.charCodeAt(i + 1) === 121), impliesGate: true },
  // scheme://user:pass@ : the scheme is letters, '+' and ':' right before "://"
  "connection-string-password": {
    starts: (t, idx) => {
      const out: number[] = [];
      for (const i of idx.schemeSeparators()) {
        let s = i;
        while (s > 0 && /[A-Za-z+:]/.test(t[s - 1]!)) s--;
        for (let p = s; p < i; p++) if (p === s || !WORD.test(t[p - 1]!)) out.push(p);
      }
      return sortUnique(out);
    },
    impliesGate: true,
  },
  // \b(\d{3})[- ]: a run of exactly three digits, then the separator
  "us-ssn": { starts: (t, idx) => fromRuns(idx, (s, e) => (e - s === 3 && SEP_SSN.test(t[e] ?? "") ? s : -1)), impliesGate: true },
  // an MBI ends in two letters and a two-digit run, 9 to 11 characters after its start (0 to 2 dashes)
  "medicare-mbi": {
    starts: (t, idx) => fromRuns(idx, (s, e) => (e - s === 2 && isUpper(t.charCodeAt(s - 1)) && isUpper(t.charCodeAt(s - 2)) ? [s - 11, s - 10, s - 9] : -1)),
    impliesGate: true,
  },
  // (?<![\d.,-]) then four digits starting 2-6: the start of a run of four or more
  "credit-card": { starts: (t, idx) => fromRuns(idx, (s, e) => (e - s >= 4 && t.charCodeAt(s) >= 50 && t.charCodeAt(s) <= 54 ? s : -1)), impliesGate: true },
  // \b[A-Z]{2}\d{2}: a digit run of two or more right after two capitals
  iban: { starts: (t, idx) => fromRuns(idx, (s) => (isUpper(t.charCodeAt(s - 1)) && isUpper(t.charCodeAt(s - 2)) ? s - 2 : -1)), impliesGate: true },
  // [A-Z][A-Z9]\d{7}\b: the seven digits end a run, nine characters after the start
  "dea-number": { starts: (t, idx) => fromRuns(idx, (s, e) => (e - s >= 7 ? e - 9 : -1)), impliesGate: true },
  // "(01)": '(' is frequent in code, "01)" less so
  udi: { starts: (t) => literalStarts(t, ["01)"], 1), impliesGate: true },
  // exchange and line ("555-0142") sit 4 to 9 characters after the start: [+1-](617) or 617-
  "us-phone": {
    starts: (t, idx) =>
      fromRuns(idx, (s, e) => {
        const c = t.charCodeAt(s);
        if (e - s !== 3 || c < 50 || !SEP_PHONE.test(t[e] ?? "")) return -1;
        let k = e + 1;
        while (k < e + 5 && t.charCodeAt(k) >= 48 && t.charCodeAt(k) <= 57) k++;
        return k === e + 5 ? [s - 9, s - 8, s - 7, s - 6, s - 5, s - 4] : -1;
      }),
    impliesGate: true,
  },
  // \d\.\d{1,3}\.\d{1,3}\.\d marks the last digit of the first octet, one to three digits in
  ipv4: { starts: (t, idx) => shifted(idx.dottedQuads(), [0, 1, 2]), impliesGate: true },
  "personal-url": { starts: (t, idx) => shifted(idx.schemeSeparators(), [4, 5]), impliesGate: true },
  "patient-portal-url": { starts: (t, idx) => shifted(idx.schemeSeparators(), [4, 5]), impliesGate: true },
  "age-over-89": {
    // \b(?:9\d|1[01]\d) followed by "y...": a run of exactly those digits; or "age ..." from the keyword pass
    starts: (t, idx) => sortUnique([...fromRuns(idx, (s, e) => ((e - s === 2 && t[s] === "9") || (e - s === 3 && t[s] === "1" && (t[s + 1] === "0" || t[s + 1] === "1")) ? s : -1)), ...idx.anchors("age")!]),
    impliesGate: true,
  },
};

/**
 * Each start function above was derived from one exact regex. A rule whose regex has since
 * changed (FNV-1a of source and flags differs) runs over the whole text instead: slower,
 * never wrong. After re-checking a start function against the new regex, update its hash
 * (test/phi-prefilter.test.ts prints the current ones when they differ).
 */
export const DERIVED_FROM: Record<string, string> = {
  "aws-access-key-id": "9cf780ed",
  "aws-secret-access-key": "58aa68f2",
  "gcp-api-key": "bd4ce765",
  "private-key": "a4382269",
  "gcp-service-account-key": "5dec7e66",
  "azure-storage-key": "595f5c5f",
  "azure-sas-token": "d79e87ca",
  "github-token": "83c1bcda",
  "gitlab-token": "da3c62ba",
  "slack-token": "54924371",
  "slack-webhook": "fd437203",
  "stripe-key": "6189a284",
  "anthropic-key": "5817caac",
  "openai-key": "0effc594",
  "npm-token": "7e2a982c",
  "jwt": "d7a644bc",
  "connection-string-password": "176fc26d",
  "us-ssn": "265d3c99",
  "medicare-mbi": "157a4f3a",
  "credit-card": "ed807515",
  "iban": "f1a927fc",
  "dea-number": "2836a4af",
  "udi": "5d8dd491",
  "us-phone": "180189ae",
  "ipv4": "9329795c",
  "personal-url": "97069fe3",
  "patient-portal-url": "d3eca565",
  "age-over-89": "f83c15b6",
  "generic-secret": "428a7070",
};

export function regexHash(re: RegExp): string {
  const s = `${re.source}/${re.flags}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, "0");
}

function shifted(xs: number[], offsets: readonly number[]): number[] {
  const out: number[] = [];
  for (const x of xs) for (const o of offsets) if (x - o >= 0) out.push(x - o);
  return sortUnique(out);
}

/** Anchored rules with a gate that a context match does not imply (so it must still run). */
export const ANCHOR_GATE_NEEDED = new Set(["npi"]);

// ---------------------------------------------------------------- generic secrets

const ASSIGN = /[:=](?=[=>]?\s*["'][A-Za-z0-9_\-+/=.~!@#$%^&*]{16})/g;
/** Digit runs of two or more, numbers before blanks and a street word, and ASSIGN: see TextIndex.numberPass. */
const NUMBER_PASS = new RegExp(String.raw`\d+(?:(?<=\d\d)|(?=[ \t]+[A-Za-z0-9'.-]|\.\d{1,3}\.\d{1,3}\.\d))|` + ASSIGN.source + "|A(?=[KSB]IA|CCA)", "g");
const STREET_WORD_CHAR = /[A-Za-z0-9'.-]/;
const DOTTED_TAIL = /\.\d{1,3}\.\d{1,3}\.\d/y;
const SPACE = /\s/;
const RUN = /[\w.-]/;

/**
 * `generic-secret` matches `<identifier><quote?> <op> "<16+ chars>"` right after a secret
 * word inside the identifier. Find the assignments first (rare), then the secret words only
 * in the identifier run before each: positions of context matches, sorted.
 */
const CONTEXT_GI = new Map<string, RegExp>();

export function genericSecretAnchors(text: string, context: RegExp, idx?: TextIndex): number[] {
  const out: number[] = [];
  let re = CONTEXT_GI.get(context.source);
  if (!re) CONTEXT_GI.set(context.source, (re = new RegExp(context.source, "gi")));
  let prevRun = -1;
  for (const o of idx ? idx.assignments() : markerStarts(text, ASSIGN)) {
    let k = o;
    while (k > 0 && SPACE.test(text[k - 1]!)) k--;
    if (k > 0 && (text[k - 1] === '"' || text[k - 1] === "'")) k--;
    const r1 = k;
    let r0 = r1;
    while (r0 > 0 && RUN.test(text[r0 - 1]!)) r0--;
    if (r0 === r1 || r0 === prevRun) continue;
    prevRun = r0;
    // The run is delimited by characters no context match can contain, so scanning it alone is exact.
    const run = text.slice(r0, r1);
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(run)) !== null) {
      out.push(r0 + m.index);
      if (m[0].length === 0) re.lastIndex++;
    }
  }
  return out;
}

/** Case-insensitive occurrences of any of the words (no word-boundary requirement). */
export function wordOccurrences(text: string, re: RegExp): number[] {
  return markerStarts(text, re);
}

/**
 * Run a sticky regex at each candidate position in order, skipping positions inside the
 * previous match: the same matches, in the same order, as a global scan of the whole text.
 */
export function stickyEach(re: RegExp, text: string, positions: readonly number[], fn: (m: RegExpExecArray) => void): void {
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
 * regex without adding its prefix here costs speed, never findings.
 */
export function anchorsCover(group: string, source: string): boolean {
  const prefixes = ANCHOR_PREFIXES[group];
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
    for (let i = 0; i < alt.length; ) {
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
