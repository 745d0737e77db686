import type { Finding, ScanTextOptions, Severity } from "./types.js";
import type { Candidate, ExtraRule, Kind, Profile, UserPattern } from "./candidate.js";
import { RULES, RULE_KEYWORDS, RULE_LITERALS, startsOf, type Rule } from "./rules/index.js";
import { DETECTORS, DETECTOR_KEYWORDS, type Detector } from "./detect/index.js";
import { scanDelimited, scanFhirJson, scanFhirShaped, scanHl7 } from "./formats.js";
import {
  KeywordGroups,
  SharedLiterals,
  TextIndex,
  type IndexSpec,
  anchorsCover,
  regexHash,
  stickyEach,
  toSticky,
} from "./prefilter.js";
import { fingerprint, maskValue } from "./fingerprint.js";
import { isSyntheticName } from "./synthetic-names.js";
import { isReservedSynthetic } from "./reserved.js";
import { StartIndex } from "./intervals.js";
import { combine, shippedModel, tagText, type TaggerModel } from "./tagger/model.js";
import { shippedSpanClassifier, tagAndDecide, type SpanClassifier } from "./tagger/spans.js";

/**
 * The scanner. A text goes through four steps, in this order (`Scanner.candidates`):
 *
 *   1. structured formats (src/phi/formats.ts): HL7 v2, CSV/TSV, FHIR JSON say what each value
 *      is; their free text is then scanned as prose. Code gets FHIR-shaped objects.
 *   2. the regex rules (src/phi/rules/*.ts), each on the cheapest path its declarations allow:
 *      at the candidate positions of the text index (src/phi/prefilter.ts), near its context
 *      words, around a character, or over the whole text; then the user's extra rules.
 *   3. the context detectors (src/phi/detect/*.ts: dates, names, signatures, places, mentions)
 *      in registry order.
 *   4. overlaps resolved: the strongest candidate of each overlapping group stays.
 *
 * `scan` turns the candidates into findings (line, column, masked preview, keyed fingerprint).
 */

export interface ScannerOptions {
  extraRules?: ExtraRule[];
  disabledRules?: string[];
  kinds?: Kind[];
  /**
   * Run rules only where the prefilters (src/phi/prefilter.ts) say they can match. `false` scans
   * every rule over the whole text: the reference the prefilters are tested against (same
   * findings). Default "auto": the reference path for the first PREFILTER_AFTER characters a
   * scanner sees, then the prefilters, whose extra regexes cost more to compile than they save
   * on a pre-commit hook's few kilobytes.
   */
  prefilter?: boolean | "auto";
  /**
   * The statistical tagger (src/phi/tagger/) after the rules, on prose that is not a structured
   * format (default true; also off when `disabledRules` holds "phi-tagger"). `false` gives the
   * rules-only engine: the tagger's own features and the benchmark baseline.
   */
  tagger?: boolean | TaggerModel;
  /**
   * The tagger's second stage (src/phi/tagger/spans.ts): a span classifier that decides which of
   * the tagger's spans to add. Default: the shipped one with the shipped tagger (`tagger` true),
   * none with a given model (its spans are added by the union policy, as before).
   */
  spanClassifier?: boolean | SpanClassifier;
}

export const CODE_EXTENSIONS =
  /\.(?:[cm]?[jt]sx?|py|rb|go|rs|java|kt|kts|scala|cs|fs|c|cc|cpp|cxx|h|hpp|m|mm|swift|php|pl|pm|sh|bash|zsh|ps1|lua|r|dart|ex|exs|erl|hs|clj|groovy|gradle|sql|vue|svelte|css|scss|less|html?|xml|xsd|ya?ml|toml|ini|cfg|conf|properties|json|lock|map|d\.ts|proto|tf|hcl|dockerfile|makefile|cmake|gemspec|podspec)$/i;

export function profileFor(path: string | undefined): Profile {
  if (!path) return "prose";
  const base = path.slice(Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")) + 1);
  if (/^(?:dockerfile|makefile|jenkinsfile|vagrantfile|gemfile|rakefile)$/i.test(base)) return "code";
  // the extension alone decides (testing the whole path costs more than a short scan)
  return CODE_EXTENSIONS.test(base.slice(base.lastIndexOf("."))) ? "code" : "prose";
}

/** Extra rules given as V8 RegExps never see more than this many characters at once, bounding any backtracking. */
export const MAX_USER_RULE_LINE = 4096;

/**
 * Time budget, per scanned text (a file, a diff block), for the user-supplied patterns together.
 * Past it they stop on that text and a `custom-rule-budget` finding (high: the text was not fully
 * checked) says so. GITOPS_HEALTH_RULE_BUDGET_MS overrides it.
 */
export const USER_RULE_BUDGET_MS = 2000;
const NEVER = /(?!)/g;

/** What the text index looks for: the keyword groups and literals the rules and detectors declare. */
export const INDEX_SPEC: IndexSpec = {
  keywords: new KeywordGroups({ ...RULE_KEYWORDS, ...DETECTOR_KEYWORDS }),
  literals: new SharedLiterals(RULE_LITERALS),
};

/**
 * Per profile, the index the scanner builds: the keyword groups of the rules that run in that
 * profile (and every detector's). Prose-only rules' keywords ("number", "case", "order", "text",
 * "call" ...) are common words in source code: the code profile's keyword pass does not look for them.
 */
function indexSpecFor(profile: Profile): IndexSpec {
  const rules = Object.fromEntries(
    RULES.filter((r) => r.keywords && (!r.profiles || r.profiles.includes(profile))).map((r) => [r.id, r.keywords!]),
  );
  return { keywords: new KeywordGroups({ ...rules, ...DETECTOR_KEYWORDS }), literals: INDEX_SPEC.literals };
}
export const INDEX_SPECS: Readonly<Record<Profile, IndexSpec>> = {
  code: indexSpecFor("code"),
  prose: indexSpecFor("prose"),
};

const EMAIL_LOCAL = /[A-Za-z0-9._%+-]/;
const EMAIL_DOMAIN = /[A-Za-z0-9-]/;

/**
 * A copy of a rule with every field present, in one order: the rule table's literals have a
 * dozen shapes, and each new one met in the scan loop cost a deoptimisation and a recompile.
 */
function sameShape(r: Rule): Rule {
  return {
    id: r.id,
    category: r.category,
    hipaa: r.hipaa,
    kind: r.kind,
    re: r.re,
    group: r.group,
    severity: r.severity,
    confidence: r.confidence,
    profiles: r.profiles,
    gate: r.gate,
    validate: r.validate,
    context: r.context,
    window: r.window,
    perLine: r.perLine,
    user: r.user,
    atChar: r.atChar,
    keywords: r.keywords,
    literals: r.literals,
    starts: r.starts,
    impliesGate: r.impliesGate,
    anchorStarts: r.anchorStarts,
    derivedFrom: r.derivedFrom,
    anchorGate: r.anchorGate,
    samples: r.samples,
  };
}

/** How a rule runs on the prefiltered path (Scanner.planOf). */
interface PrefilterPlan {
  kind: "none" | "anchored" | "starts";
  /** anchored: whether the rule's gate must still run */
  gateNeeded: boolean;
  /** starts: the start function, whether any match implies the gate, the sticky regex */
  starts: ((text: string, idx: TextIndex) => number[]) | undefined;
  impliesGate: boolean;
  sticky: RegExp | undefined;
}
const NO_PLAN: PrefilterPlan = {
  kind: "none",
  gateNeeded: false,
  starts: undefined,
  impliesGate: false,
  sticky: undefined,
};

/** Characters a scanner sees before "auto" switches to the prefiltered path. */
export const PREFILTER_AFTER = 128 * 1024;

/** Characters of text `Scanner.scanMany` takes through each stage together (their candidates are held in between). */
export const SCAN_MANY_CHARS = 256 * 1024;

/** A text between the scanner's stages (`Scanner.scanMany`). */
interface Pending {
  text: string;
  /** The profile asked for. */
  given: Profile;
  /** The profile the rest of the text is scanned with (prose for structured formats). */
  profile: Profile;
  structured: boolean;
  out: Candidate[];
  idx: TextIndex | undefined;
}

const SEVERITY_RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2 };

export class Scanner {
  private readonly rules: Rule[];
  /** Per profile, the detectors that run (registry order; those a disabled rule id turns off left out). */
  private readonly detectors: Record<Profile, readonly Detector[]>;
  private readonly kinds: Set<Kind>;
  private readonly disabled: Set<string>;
  private readonly anchors = new Map<string, RegExp>();
  private readonly prefilter: boolean | "auto";
  private seen = 0;
  private readonly sticky = new Map<RegExp, RegExp>();
  private readonly budgetMs: number;
  /** performance.now() after which user patterns stop on the current text (0: not started). */
  private deadline = 0;
  /** true: the shipped model, read on first use; or a given model (tests, benchmarks) */
  private readonly tagger: boolean | TaggerModel;
  private readonly spans: boolean | SpanClassifier;

  constructor(options: ScannerOptions = {}) {
    this.disabled = new Set(options.disabledRules ?? []);
    this.tagger = this.disabled.has("phi-tagger") ? false : (options.tagger ?? true);
    this.spans = options.spanClassifier ?? this.tagger === true;
    this.prefilter = options.prefilter ?? "auto";
    this.kinds = new Set(options.kinds ?? ["phi", "secret"]);
    const extra: Rule[] = (options.extraRules ?? []).map((r) => ({
      id: r.id,
      category: r.category,
      hipaa: r.hipaaIdentifier,
      kind: r.kind ?? (r.category === "secret" ? "secret" : "phi"),
      re:
        r.regex instanceof RegExp
          ? new RegExp(r.regex.source, r.regex.flags.includes("g") ? r.regex.flags : r.regex.flags + "g")
          : NEVER,
      user: r.regex instanceof RegExp ? undefined : r.regex,
      severity: r.severity,
      confidence: 0.7,
      perLine: true,
    }));
    this.budgetMs = Number(process.env.GITOPS_HEALTH_RULE_BUDGET_MS) || USER_RULE_BUDGET_MS;
    const detectorsFor = (p: Profile) =>
      DETECTORS.filter(
        (d) => d.profiles.includes(p) && !(d.disabledBy !== undefined && this.disabled.has(d.disabledBy)),
      );
    this.detectors = { code: detectorsFor("code"), prose: detectorsFor("prose") };
    this.rules = [...RULES, ...extra].filter((r) => !this.disabled.has(r.id) && this.kinds.has(r.kind)).map(sameShape);
  }

  /** Validate a match and record it; false when the validator rejects it. */
  private accept(
    rule: Rule,
    value: string,
    m: RegExpExecArray,
    text: string,
    start: number,
    profile: Profile,
    out: Candidate[],
  ): boolean {
    let synthetic = false;
    if (rule.validate) {
      const ok = rule.validate(value, m, text);
      if (ok === false) return false;
      synthetic = ok === "sample";
    }
    const sev = typeof rule.severity === "string" ? rule.severity : rule.severity[profile];
    out.push({
      ruleId: rule.id,
      category: rule.category,
      hipaa: rule.hipaa,
      kind: rule.kind,
      start,
      end: start + value.length,
      severity: synthetic ? "low" : sev,
      confidence: rule.confidence,
      synthetic: synthetic || undefined,
    });
    return true;
  }

  /** Raw candidates (offsets into `text`), overlaps resolved. */
  candidates(text: string, profile: Profile, path?: string): Candidate[] {
    const p = this.ruleStage(text, profile, path);
    this.detectorStage(p);
    return this.resolveStage(p);
  }

  /** Steps 1-2: structured formats, then the regex rules (the only steps that read `seen` and `deadline`). */
  private ruleStage(text: string, profile: Profile, path: string | undefined): Pending {
    const out: Candidate[] = [];
    const given = profile;
    this.wasStructured = false;
    if (this.kinds.has("phi")) profile = this.structured(text, profile, path, out);
    const structured = this.wasStructured;
    const fast = this.prefilter === true || (this.prefilter === "auto" && (this.seen += text.length) > PREFILTER_AFTER);
    const idx = fast ? new TextIndex(text, INDEX_SPECS[profile]) : undefined;
    this.runRules(text, profile, out, idx);
    return { text, given, profile, structured, out, idx };
  }

  /** Step 3: the context detectors. */
  private detectorStage(p: Pending): void {
    if (this.kinds.has("phi")) this.runDetectors(p.text, p.profile, p.out, p.idx);
  }

  /** Steps 4-5: overlaps resolved, then the statistical tagger on prose that is not a structured format. */
  private resolveStage(p: Pending): Candidate[] {
    const resolved = resolveOverlaps(p.out);
    // Step 5: the statistical tagger on prose that is not a structured format, its spans added
    // to the rules' by the combination policy (src/phi/tagger/model.ts `combine`)
    if (this.tagger && p.given === "prose" && this.kinds.has("phi") && !p.structured) {
      const model = this.tagger === true ? shippedModel() : this.tagger;
      // the second stage decides on the tagger's spans (src/phi/tagger/spans.ts)
      if (this.spans)
        return tagAndDecide(model, this.spans === true ? shippedSpanClassifier() : this.spans, p.text, resolved);
      return combine(resolved, tagText(model, p.text, resolved));
    }
    return resolved;
  }
  /** Whether the last `structured` call found a structured format (read right after it). */
  private wasStructured = false;

  /** Step 1: candidates of a structured format; the profile to scan the rest with (structured files are data: prose). */
  private structured(text: string, profile: Profile, path: string | undefined, out: Candidate[]): Profile {
    const structured =
      scanHl7(text) ??
      (path && /\.(?:csv|tsv)$/i.test(path) ? scanDelimited(text, path) : undefined) ??
      (/^\s*[{[]/.test(text) ? scanFhirJson(text, (d) => this.candidates(d, "prose")) : undefined);
    this.wasStructured = structured !== undefined;
    if (structured) {
      out.push(...structured);
      // Structured files are data, not code: scan free text in them as prose.
      return "prose";
    }
    if (profile === "code") out.push(...scanFhirShaped(text));
    return profile;
  }

  /** Step 2: every regex rule of the profile, each on its cheapest exact path; user rules within their time budget. */
  private runRules(text: string, profile: Profile, out: Candidate[], idx: TextIndex | undefined): void {
    this.deadline = 0;
    for (let ri = 0; ri < this.rules.length; ri++) {
      const rule = this.rules[ri]!;
      if (rule.profiles && !rule.profiles.includes(profile)) continue;
      if (idx && !rule.perLine && this.runPrefiltered(ri, text, profile, out, idx)) continue;
      if (rule.gate && !rule.gate(text)) continue;
      if (rule.user) {
        if (!this.runUser(rule, rule.user, text, profile, out)) break;
        continue;
      }
      if (rule.perLine) {
        this.runPerLine(rule, text, profile, out);
        continue;
      }
      if (rule.context) {
        this.runAnchored(rule, text, profile, out);
        continue;
      }
      if (rule.atChar) {
        this.runAroundChar(rule, text, profile, out, idx !== undefined);
        continue;
      }
      this.runWhole(rule, text, profile, out);
    }
  }

  /** Step 3: the context detectors in registry order; candidates of disabled rule ids are dropped. */
  private runDetectors(text: string, profile: Profile, out: Candidate[], idx: TextIndex | undefined): void {
    const ctx: Candidate[] = [];
    for (const d of this.detectors[profile]) d.detect(text, profile, ctx, idx);
    for (const c of ctx) if (!this.disabled.has(c.ruleId)) out.push(c);
  }

  /** A rule's regex over the whole text (the reference path). */
  private runWhole(rule: Rule, text: string, profile: Profile, out: Candidate[]): void {
    rule.re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = rule.re.exec(text)) !== null) {
      if (m[0].length === 0) {
        rule.re.lastIndex++;
        continue;
      }
      const value = rule.group !== undefined ? m[rule.group] : m[0];
      if (value === undefined) continue;
      const start = rule.group !== undefined ? m.index + m[0].indexOf(value) : m.index;
      this.accept(rule, value, m, text, start, profile, out);
    }
  }

  /**
   * Rules that need context words run only near those words: find each context match, then
   * look for the value in the following window. Context words are rare, so this is far
   * cheaper than running a generic value pattern over the whole text.
   */
  private runAnchored(rule: Rule, text: string, profile: Profile, out: Candidate[], positions?: number[]): void {
    const window = rule.window ?? 30;
    let lastStart = -1;
    const visit = (a: RegExpExecArray) => {
      const from = a.index + a[0].length;
      // start at the anchor so that look-behinds can see it ("pager 4567")
      const sliceStart = a.index;
      const slice = text.slice(sliceStart, from + window + 64);
      rule.re.lastIndex = 0;
      let m: RegExpExecArray | null;
      while ((m = rule.re.exec(slice)) !== null) {
        if (m[0].length === 0) {
          rule.re.lastIndex++;
          continue;
        }
        const value = rule.group !== undefined ? m[rule.group] : m[0];
        if (value === undefined) continue;
        const start = sliceStart + (rule.group !== undefined ? m.index + m[0].indexOf(value) : m.index);
        if (start - from > window) break;
        if (start <= lastStart || start < from) continue;
        if (this.accept(rule, value, m, text, start, profile, out)) lastStart = start;
      }
    };
    if (positions) {
      stickyEach(this.stickyOf(rule.context!, "i"), text, positions, visit);
      return;
    }
    const anchor = (this.anchors.get(rule.id) ??
      this.anchors.set(rule.id, new RegExp(rule.context!.source, "gi")).get(rule.id))!;
    anchor.lastIndex = 0;
    let a: RegExpExecArray | null;
    while ((a = anchor.exec(text)) !== null) {
      visit(a);
      if (a[0].length === 0) anchor.lastIndex++;
    }
  }

  /** Per rule (by index): how its prefiltered path runs, worked out on first use. */
  private readonly plans: (PrefilterPlan | undefined)[] = [];

  private planOf(ri: number): PrefilterPlan {
    let plan = this.plans[ri];
    if (plan) return plan;
    const rule = this.rules[ri]!;
    // the keyword pass finds every start of the rule's context regex (checked once per rule);
    // a rule with its own anchor function (generic-secret) must still have the regex it was derived from
    if (rule.context)
      plan = (
        rule.anchorStarts
          ? rule.derivedFrom === regexHash(rule.re) || rule.derivedFrom === regexHash(rule.context)
          : anchorsCover(rule.keywords, rule.context.source)
      )
        ? { ...NO_PLAN, kind: "anchored", gateNeeded: rule.anchorGate === true }
        : NO_PLAN;
    else {
      // the rule's regex must be the one its start function was derived from
      const fast = rule.atChar ? undefined : startsOf(rule);
      plan =
        fast && rule.derivedFrom === regexHash(rule.re)
          ? {
              ...NO_PLAN,
              kind: "starts",
              starts: fast,
              impliesGate: rule.impliesGate === true,
              sticky: this.stickyOf(rule.re),
            }
          : NO_PLAN;
    }
    return (this.plans[ri] = plan);
  }

  private stickyOf(re: RegExp, extraFlags = ""): RegExp {
    let s = this.sticky.get(re);
    if (!s) this.sticky.set(re, (s = toSticky(re, extraFlags)));
    return s;
  }

  /**
   * The prefiltered path for a rule: its regex runs only at candidate positions (or its
   * context regex only at keyword positions). False when the rule has no prefilter.
   */
  private runPrefiltered(ri: number, text: string, profile: Profile, out: Candidate[], idx: TextIndex): boolean {
    const plan = this.planOf(ri);
    if (plan.kind === "none") return false;
    const rule = this.rules[ri]!;
    if (plan.kind === "anchored") {
      const positions = rule.anchorStarts ? rule.anchorStarts(text, rule.context!, idx) : idx.anchors(rule.id);
      if (!positions) return false;
      if (positions.length === 0 || (plan.gateNeeded && rule.gate && !rule.gate(text))) return true;
      this.runAnchored(rule, text, profile, out, positions);
      return true;
    }
    // no start, no match: the whole-text gate (often a slower search) is then not needed
    const starts = plan.starts!(text, idx);
    if (starts.length === 0 || (!plan.impliesGate && rule.gate && !rule.gate(text))) return true;
    stickyEach(plan.sticky!, text, starts, (m) => {
      if (m[0].length === 0) return;
      const value = rule.group !== undefined ? m[rule.group] : m[0];
      if (value === undefined) return;
      const start = rule.group !== undefined ? m.index + m[0].indexOf(value) : m.index;
      this.accept(rule, value, m, text, start, profile, out);
    });
    return true;
  }

  /** Run `rule.re` only on a window around each occurrence of `rule.atChar`. */
  private runAroundChar(rule: Rule, text: string, profile: Profile, out: Candidate[], quick = false): void {
    let lastEnd = -1;
    for (let at = text.indexOf(rule.atChar!); at !== -1; at = text.indexOf(rule.atChar!, at + 1)) {
      if (at < lastEnd) continue;
      // an e-mail address has a local-part character before its '@' and a domain character after it
      if (
        quick &&
        rule.id === "email" &&
        (!EMAIL_LOCAL.test(text[at - 1] ?? "") || !EMAIL_DOMAIN.test(text[at + 1] ?? ""))
      )
        continue;
      const from = Math.max(0, at - 70);
      const slice = text.slice(from, at + 260);
      rule.re.lastIndex = 0;
      let m: RegExpExecArray | null;
      while ((m = rule.re.exec(slice)) !== null) {
        const start = from + m.index;
        const end = start + m[0].length;
        if (start > at || end <= at) continue;
        // a match starting at the window edge may be truncated on the left: extend it
        if (m.index === 0 && from > 0 && /[A-Za-z0-9._%+-]/.test(text[from - 1]!)) break;
        if (this.accept(rule, m[0], m, text, start, profile, out)) lastEnd = end;
        break;
      }
    }
  }

  /**
   * A user pattern, line by line (no length limit: the engine is linear), after a whole-text
   * pretest. False when the text's budget ran out: a `custom-rule-budget` candidate then marks
   * the line where the user patterns stopped, and no further user pattern runs on this text.
   */
  private runUser(rule: Rule, user: UserPattern, text: string, profile: Profile, out: Candidate[]): boolean {
    const { performance } = globalThis;
    if (this.deadline === 0) this.deadline = performance.now() + this.budgetMs;
    const sev = typeof rule.severity === "string" ? rule.severity : rule.severity[profile];
    if (!user.mayMatch(text)) return performance.now() <= this.deadline || this.overBudget(0, out);
    let lineStart = 0;
    while (lineStart <= text.length) {
      if (performance.now() > this.deadline) return this.overBudget(lineStart, out);
      let lineEnd = text.indexOf("\n", lineStart);
      if (lineEnd === -1) lineEnd = text.length;
      const line = text.slice(lineStart, lineEnd);
      for (const m of user.matchAll(line)) {
        if (m.length === 0) continue;
        out.push({
          ruleId: rule.id,
          category: rule.category,
          hipaa: rule.hipaa,
          kind: rule.kind,
          start: lineStart + m.index,
          end: lineStart + m.index + m.length,
          severity: sev,
          confidence: rule.confidence,
        });
      }
      lineStart = lineEnd + 1;
    }
    return true;
  }

  private overBudget(at: number, out: Candidate[]): false {
    out.push({
      ruleId: "custom-rule-budget",
      category: "scan-incomplete",
      kind: "secret",
      start: at,
      end: at,
      severity: "high",
      confidence: 1,
    });
    return false;
  }

  private runPerLine(rule: Rule, text: string, profile: Profile, out: Candidate[]): void {
    let lineStart = 0;
    while (lineStart <= text.length) {
      let lineEnd = text.indexOf("\n", lineStart);
      if (lineEnd === -1) lineEnd = text.length;
      if (lineEnd - lineStart <= MAX_USER_RULE_LINE) {
        const line = text.slice(lineStart, lineEnd);
        rule.re.lastIndex = 0;
        for (const m of line.matchAll(rule.re)) {
          if (m[0].length === 0) continue;
          const sev = typeof rule.severity === "string" ? rule.severity : rule.severity[profile];
          out.push({
            ruleId: rule.id,
            category: rule.category,
            hipaa: rule.hipaa,
            kind: rule.kind,
            start: lineStart + m.index,
            end: lineStart + m.index + m[0].length,
            severity: sev,
            confidence: rule.confidence,
          });
        }
      }
      lineStart = lineEnd + 1;
    }
  }

  scan(text: string, options: ScanTextOptions & { profile?: Profile } = {}): Finding[] {
    const profile = options.profile ?? profileFor(options.path);
    const kinds = options.kinds;
    let cands = this.candidates(text, profile, options.path);
    if (kinds) cands = cands.filter((c) => kinds.includes(c.kind));
    return toFindings(text, cands, options);
  }

  /**
   * Several texts with the same options: the findings of `scan` on each, in order (bulk input:
   * jsonl records, exported notes). The texts go stage by stage in groups of up to
   * `SCAN_MANY_CHARS` characters (rules over the group, then the detectors, then the tagger), so
   * each stage's tables and compiled code stay in the CPU's caches between texts. Findings are the
   * same as one `scan` after another: the only state carried from one text to the next (`seen`,
   * which turns the prefilters on, and the user patterns' per-text deadline) is read in the rule
   * stage, which runs the texts in their order; the detectors and the tagger answer from the text
   * alone (test/phi-scan-many.test.ts). `paths`, when given, is each text's own `options.path`
   * (files of a directory scan): its profile and format follow it as in `scan`.
   */
  scanMany(
    texts: readonly string[],
    options: ScanTextOptions & { profile?: Profile } = {},
    paths?: readonly (string | undefined)[],
  ): Finding[][] {
    const kinds = options.kinds;
    const pathOf = (k: number) => (paths ? paths[k] : options.path);
    const profileOf = (k: number) => options.profile ?? profileFor(pathOf(k));
    const found: Finding[][] = [];
    for (let a = 0; a < texts.length;) {
      let b = a;
      let chars = 0;
      while (b < texts.length && (b === a || chars + texts[b]!.length <= SCAN_MANY_CHARS)) chars += texts[b++]!.length;
      const group: Pending[] = [];
      for (let k = a; k < b; k++) group.push(this.ruleStage(texts[k]!, profileOf(k), pathOf(k)));
      for (const p of group) this.detectorStage(p);
      const cands = group.map((p) => this.resolveStage(p));
      for (let k = 0; k < group.length; k++) {
        const c = kinds ? cands[k]!.filter((x) => kinds.includes(x.kind)) : cands[k]!;
        found.push(toFindings(group[k]!.text, c, paths ? { ...options, path: paths[a + k] } : options));
      }
      a = b;
    }
    return found;
  }
}

/** Keep the strongest of overlapping candidates; identical spans keep the more specific rule. */
/**
 * Overlapping candidates resolved to one per span: a known synthetic value beats a looser rule of
 * its category, a name strictly inside a longer non-name span of its kind is part of that span,
 * then the highest severity, confidence and length win (stable: equal ones keep the earlier).
 * Small inputs take the direct pairwise form; larger ones ({@link OVERLAP_INDEX_AT} candidates or
 * more) the same tests answered from sorted indexes, so a long text with tens of thousands of
 * candidates costs O(n log n + covered characters), not O(n²). Both give identical output
 * (test/phi-overlaps.test.ts compares them on random sets).
 */
export function resolveOverlaps(cands: Candidate[]): Candidate[] {
  return cands.length >= OVERLAP_INDEX_AT ? resolveOverlapsIndexed(cands) : resolveOverlapsPairwise(cands);
}

/** From this many candidates on, {@link resolveOverlaps} answers its overlap tests from indexes. */
export const OVERLAP_INDEX_AT = 48;

/** The pairwise form of {@link resolveOverlaps}: the reference for small inputs and for tests. */
export function resolveOverlapsPairwise(cands: Candidate[]): Candidate[] {
  if (cands.length === 0) return cands;
  // A known synthetic value stays synthetic even when a looser rule also matched it.
  const synthetic = cands.filter((c) => c.synthetic);
  if (synthetic.length)
    cands = cands.filter(
      (c) => c.synthetic || !synthetic.some((x) => x.category === c.category && c.start < x.end && x.start < c.end),
    );
  // A span strictly inside a longer one (a name inside an e-mail address) is part of it.
  cands = cands.filter(
    (c) =>
      c.category !== "name" ||
      !cands.some(
        (o) =>
          o.category !== "name" &&
          o.kind === c.kind &&
          o.start <= c.start &&
          o.end >= c.end &&
          o.end - o.start > c.end - c.start,
      ),
  );
  const kept: Candidate[] = [];
  for (const c of byPriority(cands)) {
    if (kept.some((k) => c.start < k.end && k.start < c.end)) continue;
    kept.push(c);
  }
  return kept.sort((a, b) => a.start - b.start);
}

function byPriority(cands: Candidate[]): Candidate[] {
  return [...cands].sort(
    (a, b) =>
      SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
      b.confidence - a.confidence ||
      b.end - b.start - (a.end - a.start),
  );
}

function groupBy(items: readonly Candidate[], key: (c: Candidate) => string): Map<string, StartIndex> {
  const groups = new Map<string, Candidate[]>();
  for (const c of items) {
    const k = key(c);
    const g = groups.get(k);
    if (g) g.push(c);
    else groups.set(k, [c]);
  }
  return new Map([...groups].map(([k, g]) => [k, new StartIndex(g)]));
}

/** {@link resolveOverlaps} with its three overlap tests answered from indexes (identical output). */
export function resolveOverlapsIndexed(cands: Candidate[]): Candidate[] {
  if (cands.length === 0) return cands;
  const synthetic = cands.filter((c) => c.synthetic);
  if (synthetic.length) {
    // some synthetic x of c's category with x.start < c.end and x.end > c.start
    const index = groupBy(synthetic, (c) => c.category);
    cands = cands.filter((c) => {
      const ix = index.get(c.category);
      return c.synthetic || !ix || !(ix.maxEndBefore(c.end, false) > c.start);
    });
  }
  {
    // some non-name o of c's kind with o.start <= c.start, o.end >= c.end and longer than c: with
    // both ends inside, longer means not the same span, so o.start < c.start (then o.end >= c.end)
    // or o.start <= c.start with o.end > c.end
    const index = groupBy(
      cands.filter((o) => o.category !== "name"),
      (o) => o.kind,
    );
    cands = cands.filter((c) => {
      if (c.category !== "name") return true;
      const ix = index.get(c.kind);
      return !ix || !(ix.maxEndBefore(c.start, false) >= c.end || ix.maxEndBefore(c.start, true) > c.end);
    });
  }
  // Kept spans never overlap each other (c.start < k.end && k.start < c.end), so a non-empty span
  // covers its characters alone: `owner` holds, per character, 1 + the index of the kept span
  // covering it. An empty span [p, p) overlaps a kept one only when p is strictly inside it
  // (the same owner on both sides of p); kept empty spans are few and are tested directly.
  let top = 0;
  for (const c of cands) top = Math.max(top, c.end);
  const owner = new Int32Array(top + 1);
  const points: number[] = [];
  const kept: Candidate[] = [];
  for (const c of byPriority(cands)) {
    if (c.end > c.start) {
      let hit = false;
      for (let i = Math.max(0, c.start); i < c.end && !hit; i++) hit = owner[i] !== 0;
      if (hit || points.some((p) => c.start < p && p < c.end)) continue;
      kept.push(c);
      for (let i = Math.max(0, c.start); i < c.end; i++) owner[i] = kept.length;
    } else {
      const p = c.start;
      if (p > 0 && p <= top && owner[p - 1] !== 0 && owner[p - 1] === owner[p]) continue;
      kept.push(c);
      points.push(p);
    }
  }
  return kept.sort((a, b) => a.start - b.start);
}

export function toFindings(text: string, cands: Candidate[], options: ScanTextOptions): Finding[] {
  if (cands.length === 0) return [];
  const lineStarts = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) lineStarts.push(i + 1);
  const firstLine = options.firstLine ?? 1;
  const detail = options.offsetsOnly !== true;
  return cands.map((c) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= c.start) lo = mid;
      else hi = mid - 1;
    }
    const value = text.slice(c.start, c.end);
    // sanitize --mode synthetic's reserved ranges (src/phi/reserved.ts): known synthetic, low
    // (a rule that matched only the first name, e.g. after a title, is read with the word after it)
    let fakeName = false;
    if (c.kind === "phi" && !c.synthetic) {
      const after = text.slice(c.end, c.end + 40);
      // a fake given name that is also a place ("Jordan Doe"): read with the surname after it
      const nextWord =
        c.category === "name" || c.category === "location" ? /^[ \t]+([A-Za-z]+)/.exec(after)?.[1] : undefined;
      fakeName =
        isReservedSynthetic(c.category, value, after, text.slice(Math.max(0, c.start - 40), c.start)) ||
        (nextWord !== undefined && isSyntheticName(`${value} ${nextWord}`)) ||
        // the statistical tagger mixes up names and places: fake words of either kind are synthetic
        (c.ruleId.startsWith("phi-tagger-") &&
          (isReservedSynthetic("name", value) || isReservedSynthetic("location", value)));
    }
    const f: Finding = {
      ruleId: c.ruleId,
      category: c.category,
      ...(c.hipaa !== undefined ? { hipaaIdentifier: c.hipaa } : {}),
      severity: fakeName ? "low" : c.severity,
      confidence: c.confidence,
      ...(options.path !== undefined ? { file: options.path } : {}),
      line: lo + firstLine,
      column: c.start - lineStarts[lo]! + 1,
      start: c.start,
      end: c.end,
      ...(options.commit !== undefined ? { commit: options.commit } : {}),
      preview: detail ? maskValue(value) : "",
      fingerprint: detail ? fingerprint(c.ruleId, options.path, value) : "",
      ...(c.synthetic || fakeName ? { synthetic: true } : {}),
    };
    return f;
  });
}
