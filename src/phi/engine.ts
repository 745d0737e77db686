import { createRequire } from "node:module";
import type { Finding, ScanTextOptions, Severity } from "./types.js";
import * as v from "./validators.js";
import { RULES, RULE_KEYWORDS, type Rule } from "./rules/index.js";
import { hasDigit } from "./rules/rule.js";
import { FIRST_NAMES, SURNAMES, NOT_NAMES } from "./data/names.js";
import { COUNTRIES, US_CITIES, US_STATES, US_STATE_CODES } from "./data/places.js";
import { COMMON_WORDS, CLINICAL_WORDS, NATIONALITIES } from "./data/words.js";
import { loadLexicon } from "./data/lexicons.js";
import { scanDelimited, scanFhirJson, scanFhirShaped, scanHl7 } from "./formats.js";
import { KeywordGroups, TextIndex, anchorsCover, regexHash, stickyEach, toSticky } from "./prefilter.js";
import type { Candidate, ExtraRule, Kind, Profile, UserPattern } from "./candidate.js";

export type { Candidate, ExtraRule, Kind, Profile, UserPattern } from "./candidate.js";

/**
 * The detection engine. Text is scanned with a small set of global regular expressions,
 * each guarded by a cheap prefilter, plus context-driven detectors for names, dates and
 * places. Two profiles: `code` (source files: identifiers need validation or strong
 * context, so ordinary code stays quiet) and `prose` (notes, documents, prompts, data:
 * aggressive, recall first).
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
}


export const CODE_EXTENSIONS = /\.(?:[cm]?[jt]sx?|py|rb|go|rs|java|kt|kts|scala|cs|fs|c|cc|cpp|cxx|h|hpp|m|mm|swift|php|pl|pm|sh|bash|zsh|ps1|lua|r|dart|ex|exs|erl|hs|clj|groovy|gradle|sql|vue|svelte|css|scss|less|html?|xml|xsd|ya?ml|toml|ini|cfg|conf|properties|json|lock|map|d\.ts|proto|tf|hcl|dockerfile|makefile|cmake|gemspec|podspec)$/i;

export function profileFor(path: string | undefined): Profile {
  if (!path) return "prose";
  const base = path.slice(Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")) + 1);
  if (/^(?:dockerfile|makefile|jenkinsfile|vagrantfile|gemfile|rakefile)$/i.test(base)) return "code";
  // the extension alone decides (testing the whole path costs more than a short scan)
  return CODE_EXTENSIONS.test(base.slice(base.lastIndexOf("."))) ? "code" : "prose";
}

// ---------------------------------------------------------------- regex rules

/** Extra rules given as V8 RegExps never see more than this many characters at once, bounding any backtracking. */
export const MAX_USER_RULE_LINE = 4096;

/**
 * Time budget, per scanned text (a file, a diff block), for the user-supplied patterns together.
 * Past it they stop on that text and a `custom-rule-budget` finding (high: the text was not fully
 * checked) says so. GITOPS_HEALTH_RULE_BUDGET_MS overrides it.
 */
export const USER_RULE_BUDGET_MS = 2000;
const NEVER = /(?!)/g;

/** Keyword groups of the detectors outside the rule table (their context regexes). */
export const DETECTOR_KEYWORDS: Record<string, readonly string[]> = {
  date: ["dob", "d.", "birth", "born", "b-", "admi", "discharg", "death", "died", "deceased", "expired", "date", "visit", "appointment", "appt", "surgery", "procedure", "seen", "encounter", "dos", "dod"],
  zip: ["zip", "postal", "postcode"],
  "code-name": ["patient", "pt", "first", "last", "given", "family", "full", "middle", "maiden", "mother", "father", "guardian", "emergency", "next", "nok", "subscriber", "insured", "guarantor"],
  // CODE_NAME_GENERIC is case-sensitive `\bname`: the case-insensitive hit is a superset
  "code-name-generic": ["name"],
};
export const KEYWORDS = new KeywordGroups({ ...RULE_KEYWORDS, ...DETECTOR_KEYWORDS });

// ---------------------------------------------------------------- dates

const MONTHS = "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?";
const DATE_NUMERIC = /(?:(?<=[A-Za-z]{3}\.)|(?<=[A-Za-z]{2}[:-])|(?<![\w/.:-]))(\d{1,2})[/-](\d{1,2})(?:[/-](\d{4}|\d{2}))?(?![\w/%]|[.-]\d)/g;
/** Dotted dates with a year: "12.03.2021", "3.4.97" (European order allowed). */
const DATE_DOTTED = /(?<![\w.@#/-])(\d{1,2})\.(\d{1,2})\.((?:19|20)\d{2}|\d{2})(?![\w.-]|\.\d)/g;
/** Holidays name a day of the year ("since Christmas", "on Thanksgiving"). */
const HOLIDAY = /\b(?:christmas(?:[ \t]+(?:eve|day))?|xmas|thanksgiving(?:[ \t]+day)?|easter(?:[ \t]+sunday)?|new[ \t]+year'?s(?:[ \t]+(?:eve|day))?|hanukk?ah|chanukah|passover|yom[ \t]+kippur|rosh[ \t]+hashana(?:h)?|ramadan|eid|diwali|halloween|valentine'?s[ \t]+day|memorial[ \t]+day|labor[ \t]+day|veterans[ \t]+day|independence[ \t]+day|fourth[ \t]+of[ \t]+july|4th[ \t]+of[ \t]+july|july[ \t]+4th|mother'?s[ \t]+day|father'?s[ \t]+day|st\.?[ \t]+patrick'?s[ \t]+day|martin[ \t]+luther[ \t]+king[ \t]+day|presidents'?[ \t]+day|columbus[ \t]+day)\b/gi;
/** A range of two month/day dates: "10/15-10/16". */
const DATE_RANGE = /(?<![\w/.:-])(\d{1,2})\/(\d{1,2})-(\d{1,2})\/(\d{1,2})(?![\w/%]|[.-]\d)/g;
/** A day by its ordinal: "it's the 11th.", "on the 3rd," (not "the 5th intercostal space"). */
const DATE_ORDINAL = /\b(?:on|the|of)[ \t]+(?:the[ \t]+)?(\d{1,2})(?:st|nd|rd|th)(?=[ \t]*(?:[.,;:)!?"]|$)|[ \t]+(?:at|in|and|or|to|when|after|before|morning|evening|night)\b)/gm;
/** Words that introduce a day ("since 1/4", "Tues. 2/3"); not "on", which leads vent settings ("on 5/5"). */
const DATE_LEAD = /(?:^|\n)[ \t]*$|\b(?:since|until|till|dated?|post|s\/p|(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|thurs|fri|sat(?:ur)?|sun)(?:day)?\.?,?)[ \t:]*$/i;
const DATE_ISO = /(?<![\w-])((?:19|20)\d{2})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(?:[T ][\d:.]+Z?)?(?![\w-])/g;
const DATE_TEXT_MDY = new RegExp(`\\b(?:${MONTHS})\\.?\\s+\\d{1,2}(?:st|nd|rd|th)?(?:-\\d{1,2}(?:st|nd|rd|th)?\\b)?(?:,?\\s+\\d{4})?\\b`, "gi");
const DATE_TEXT_DMY = new RegExp(`\\b\\d{1,2}(?:st|nd|rd|th)?(?:\\s+(?:of\\s+)?(?:${MONTHS})\\.?(?:,?\\s+\\d{4})?|-(?:${MONTHS})(?:-(?:\\d{4}|\\d{2}))?)\\b`, "gi");
const DATE_TEXT_MY = new RegExp(`\\b(?:${MONTHS})\\.?,?\\s+(?:(?:19|20)\\d{2}\\b|['’]\\d{2}\\b)`, "gi");
/** Month and four-digit year: "11/2004", "3-1998". */
const DATE_MONTH_YEAR = /(?<![\w/.:-])(?:0?[1-9]|1[0-2])[/-](?:19|20)\d{2}(?![\w/%]|[.-]\d)/g;
const DATE_CONTEXT = /\b(?:dob|d\.o\.b|birth|born|b-day|birthday|admi(?:t|tted|ssion)|discharg\w*|death|died|deceased|expired|date[_\s-]?of[_\s-]?(?:birth|death|service|admission|discharge|visit)|dateofbirth|birth[_\s-]?date|visit|appointment|appt|surgery|procedure|seen|encounter|dos|dod)\b/i;

const DATE_CONTEXT_STICKY = toSticky(DATE_CONTEXT);
const DATE_PREFILTER = anchorsCover(DETECTOR_KEYWORDS.date, DATE_CONTEXT.source);

function detectDates(text: string, profile: Profile, out: Candidate[], idx?: TextIndex): void {
  if (profile === "prose") for (const m of text.matchAll(HOLIDAY)) out.push({ ruleId: "date", category: "date", hipaa: 3, kind: "phi", start: m.index, end: m.index + m[0].length, severity: "medium", confidence: 0.6 });
  if (!hasDigit(text)) return;
  if (profile === "code") {
    // Source code: only dates right after a date-of-a-person word; scan those windows only.
    let lastEnd = 0;
    const each = (a: RegExpExecArray) => {
      const from = Math.max(a.index + a[0].length, lastEnd);
      const windowText = text.slice(from, from + 60);
      if (!hasDigit(windowText) && !/[a-z]/i.test(windowText)) return;
      const inner: Candidate[] = [];
      detectDatesIn(windowText, "prose-window", inner);
      for (const c of inner) out.push({ ...c, start: c.start + from, end: c.end + from, severity: "high", confidence: 0.8 });
      lastEnd = from + 60;
    };
    if (idx && DATE_PREFILTER) stickyEach(DATE_CONTEXT_STICKY, text, idx.anchors("date")!, each);
    else for (const a of text.matchAll(new RegExp(DATE_CONTEXT.source, "gi"))) each(a);
    return;
  }
  detectDatesIn(text, profile, out);
}

function detectDatesIn(text: string, profile: Profile | "prose-window", out: Candidate[]): void {
  const push = (start: number, end: number, severity: Severity, confidence: number) =>
    out.push({ ruleId: "date", category: "date", hipaa: 3, kind: "phi", start, end, severity, confidence });
  const contextual = (start: number) => DATE_CONTEXT.test(text.slice(Math.max(0, start - 40), start));
  for (const m of text.matchAll(DATE_NUMERIC)) {
    const a = Number(m[1]);
    const b = Number(m[2]);
    const year = m[3];
    // with a year, a day past the month's end is still a date (a typo, or a shifted surrogate: "2/31/14")
    const sameSeparators = year !== undefined && m[0][m[1]!.length] === m[0][m[0].length - year.length - 1];
    // "3-4/10" is a range over a scale, not 3 April 2010
    if (year !== undefined && !sameSeparators) continue;
    const mdy = v.monthDayValid(a, b) || (sameSeparators && a >= 1 && a <= 12 && b >= 1 && b <= 31);
    const dmy = v.monthDayValid(b, a) || (sameSeparators && b >= 1 && b <= 12 && a >= 1 && a <= 31);
    if (!mdy && !dmy) {
      // month/two-digit year ("5/97"): a date element finer than the year
      if (!year && profile === "prose" && a >= 1 && a <= 12 && m[2]!.length === 2 && b > 31 && !m[0].includes("-")) push(m.index, m.index + m[0].length, "medium", 0.55);
      continue;
    }
    if (!year) {
      // A bare m/d: a date in notes, but also a fraction or a score; notes only, US order only.
      // "3-12" is a range more often than a date, unless a date word or preposition leads to it
      if (profile === "code" || !mdy || (m[0].includes("-") && !/\b(?:on|since|from|until|till|dated?|admitted|seen|discharged|born|dob|surgery|procedure)[ \t:]*$/i.test(text.slice(Math.max(0, m.index - 16), m.index)) && !DATE_LEAD.test(text.slice(Math.max(0, m.index - 16), m.index)))) continue;
      // fractions, scores and counts: "1/2", "4/4 bottles", "2/2", "6/10" pain (a date there needs a date word)
      const painNear = /\b(?:pain|cp|discomfort|pressure|tightness|score|scale|rates?|rated|level|angina|ache|#)\W*$/i.test(text.slice(Math.max(0, m.index - 20), m.index)) || /^\W*(?:pain|cp|angina|discomfort|incisional|chest|abd|back|headache|ha|sem|murmur|mur|hsm)\b/i.test(text.slice(m.index + m[0].length, m.index + m[0].length + 16));
      // a date preposition or a weekday right before decides for a date: "on 2/3", "Tues 1/4"
      // a leading zero is no fraction: "03/04"
      const dateLead = DATE_LEAD.test(text.slice(Math.max(0, m.index - 16), m.index)) || m[1]!.startsWith("0") || m[2]!.startsWith("0");
      if (!dateLead && ((a < b && b <= 4) || (b === 5 && a <= 5) || (a === b && b <= 4)) || (b === 10 && a <= 10 && painNear)) continue;
      // ventilator and haemodynamic values: "40%, & 5/8", "50% 8/5", "700x10 5/5", "CO/CI 5/3"; a 0-10 scale: "c/o 5/10"
      const lead = text.slice(Math.max(0, m.index - 14), m.index);
      if (!dateLead && (/(?:\d%|\d[xX]\d+)[ \t,&]*$/.test(lead) || /\b\p{L}{2,}\/\p{L}{2,}[ \t:]*$/u.test(lead) || (b === 10 && a <= 10 && !contextual(m.index) && (/\b(?:c\/o|complains?|rating|rated|rates|describes?|reports?|pain)\b[^.;\n\d]{0,18}$/i.test(text.slice(Math.max(0, m.index - 30), m.index)) || /^[^.;\n]{0,30}\b(?:pain|ache|discomfort|cp)\b/i.test(text.slice(m.index + m[0].length, m.index + m[0].length + 40)))))) continue;
      const after = text.slice(m.index + m[0].length, m.index + m[0].length + 12);
      if (/^\s*(?:mg|ml|mcg|units?|tabs?|of|dose|times|x\b|%|ns\b|normal saline|strength|nss|cc)/i.test(after)) continue;
      if (/\b(?:ps|psv|cpap|peep|bipap|ipap|epap|pap|strength|vent|settings|ivf|abp|bp|nbp|sbp|dbp|map|ratio|i:e|gcs|motor|score)\b(?:(?!\band\b|\bthen\b|\bextubat)[^.;\n\d]){0,14}$/i.test(text.slice(Math.max(0, m.index - 30), m.index))) continue;
      push(m.index, m.index + m[0].length, contextual(m.index) ? "high" : "medium", 0.6);
      continue;
    }
    if (profile === "code" && !contextual(m.index)) continue;
    push(m.index, m.index + m[0].length, "high", 0.85);
  }
  if (profile === "prose") {
    for (const m of text.matchAll(DATE_DOTTED)) {
      const a = Number(m[1]);
      const b = Number(m[2]);
      if (!v.monthDayValid(a, b) && !v.monthDayValid(b, a)) continue;
      // "1.1.13" is a version number far more often than a date: a two-digit year needs dd.mm.yy
      if (m[3]!.length === 2 && (m[1]!.length !== 2 || m[2]!.length !== 2 || /(?:\bv|version|release|##)\s*$/i.test(text.slice(Math.max(0, m.index - 10), m.index)))) continue;
      push(m.index, m.index + m[0].length, m[3]!.length === 4 ? "high" : "medium", 0.7);
    }
    for (const m of text.matchAll(DATE_MONTH_YEAR)) push(m.index, m.index + m[0].length, "medium", 0.6);
    for (const m of text.matchAll(DATE_RANGE)) {
      if (!v.monthDayValid(Number(m[1]), Number(m[2])) || !v.monthDayValid(Number(m[3]), Number(m[4]))) continue;
      if (Number(m[2]) <= 4 && Number(m[4]) <= 4) continue; // fractions: "1/3-1/2"
      push(m.index, m.index + m[0].length, "medium", 0.65);
    }
    for (const m of text.matchAll(DATE_ORDINAL)) {
      const d = Number(m[1]);
      if (d < 1 || d > 31) continue;
      const s = m.index + m[0].lastIndexOf(m[1]!);
      push(s, m.index + m[0].length, "medium", 0.55);
    }
  }
  if (profile === "prose") {
    // an abbreviated year in a history: "CABG '79", "CVA 74'", "prostate CA'88" (not "90's", "5'10")
    for (const m of text.matchAll(/(?<=[\s(,;]|\p{Lu}{2})['’](\d{2})(?=[\s.,;)]|$)|(?<=\s)(\d{2})['’](?=[\s.,;)]|$)/gu)) {
      // a quoted string in code or prose ("'40 + 2'", "'entity:42'") closes or opens on the same line
      const line0 = text.lastIndexOf("\n", m.index) + 1;
      const line1 = text.indexOf("\n", m.index) < 0 ? text.length : text.indexOf("\n", m.index);
      const rest = m[1] !== undefined ? text.slice(m.index + m[0].length, Math.min(line1, m.index + 40)) : text.slice(Math.max(line0, m.index - 40), m.index);
      if (/['’]/.test(rest.replace(/(?<![\w'’])['’]\d{2}(?![\w'’])|(?<![\w'’])\d{2}['’](?![\w'’])/g, ""))) continue;
      // feet and degrees: "ambulated 30'", "HOB 30'"
      if (m[2] !== undefined && /\b(?:ambulat\w*|walk\w*|hob|bed|feet|ft|distance|height|ht|elevat\w*|degrees?|angle|up|x)[ \t]*$/i.test(text.slice(Math.max(0, m.index - 20), m.index))) continue;
      push(m.index, m.index + m[0].length, "medium", 0.5);
    }
  }
  for (const m of text.matchAll(DATE_ISO)) {
    if (profile === "code" && !contextual(m.index)) continue;
    // ISO dates in prose are mostly document and release dates unless a person-date word is near.
    push(m.index, m.index + m[0].length, contextual(m.index) ? "high" : "medium", 0.7);
  }
  if (!/[a-z]/i.test(text)) return;
  for (const re of [DATE_TEXT_MDY, DATE_TEXT_DMY, DATE_TEXT_MY]) {
    for (const m of text.matchAll(re)) {
      const s = m[0];
      if (/^may\s/i.test(s) && !/\d{4}/.test(s) && /^May\s+\d{1,2}\b/.test(s) === false) continue;
      if (profile === "code" && !contextual(m.index)) continue;
      push(m.index, m.index + s.length, "high", 0.85);
    }
  }
}

// ---------------------------------------------------------------- names

const TOKEN = /\p{L}[\p{L}'’]*/gu;
const TITLE = /^(?:dr|drs|doctor|mr|mrs|ms|miss|mx|prof|professor|nurse|rev)$/;
const WEAK_TITLE = /^(?:ms|miss|nurse|rev)$/;
/** Roles written before a person's name in notes: "caseworker Leona ...", "HO SCHWARZ", "chaplain Pat ...". */
const ROLE_BEFORE = /^(?:caseworker|chaplain|chapl|lawyer|attorney|sw|msw|ho|pastor|priest|rabbi|interpreter|translator|coordinator|therapist|dietitian|nutritionist|pharmacist)$/;
/** Species after a genus initial ("S. AUREUS", "E. coli"): no person. */
const SPECIES = /^(?:aureus|coli|diff|difficile|dificile|pylori|epidermidis|faecalis|faecium|pneumoniae|pneumonia|influenzae|aeruginosa|albicans|glabrata|marcescens|cloacae|jejuni|viridans|pyogenes|agalactiae|maltophilia|baumannii|mirabilis|fragilis|perfringens|typhi|enteritidis|catarrhalis|kansasii|avium|tuberculosis|carinii|jirovecii|neoformans|fumigatus|monocytogenes|lugdunensis|hominis|haemolyticus|mutans|bovis|oxytoca|freundii|aerogenes|cepacia|putida|gondii|vaginalis|trachomatis|gonorrhoeae|pallidum|burgdorferi|hepaticus|base|fib|flutter|line|lobe|side|sided|arm|leg|foot|hand|lung|lungs|chest|eye|ear)$/;
const RELATION = /^(?:wife|husband|spouse|daughter|daughters|son|sons|mother|mom|father|dad|sister|sisters|brother|brothers|niece|nephew|aunt|uncle|cousin|grandson|granddaughter|grandmother|grandfather|grandma|grandpa|friend|partner|fiance|fiancee|boyfriend|girlfriend|neighbor|neighbour|hcp|proxy|guardian|sibling|stepson|stepdaughter|kid|kids|child|baby|grandchild|grandkid|stepmother|stepfather|stepmom|stepdad|caregiver|roommate|dtr|sis|bro|niece|nephews|nieces|companion)$/;
const PERSON_VERB_BEFORE = /^(?:per|by|with|called|paged|notified|informed|spoke|discussed|seen|told|reach|reached|meet|met|attending|resident|fellow|covering|cc|signed|dictated|cosigned|asked|contacted|contact|update|updated|consult|consulted|page|call|notify)$/;
const PERSON_VERB_AFTER = /^(?:aware|notified|paged|called|informed|updated|here|visited|visiting|spoke|states|stated|reports|reported|agrees|agreed|requests|requested|says|said|wants|wishes)$/;
const CREDENTIAL = /^(?:md|rn|phd|dds|lpn|cnm|crna|lcsw|msw|pharmd|rph|rrt|crt|bsn|msn|cna|aprn|fnp|otr|slp|dpt|mph|facp|facc|ccrn|np|pa)$/;
const VERBISH = /(?:ing|ed|ly|tion|sion|ment|ness|ity|ous|ive|al|ic)$/i;

interface Tok { s: string; l: string; start: number; end: number; i: number }
const SURNAME_SHAPE = /^\p{Lu}\p{Ll}+(?:s?son|sen|sdóttir|dóttir|dottir|ski|ska|sky|skaya|wicz|owicz|czyk|ović|ovic|ević|ić|enko|chuk|yan|ian|ishvili|adze|oğlu|oglu|opoulos|akis|escu|eanu|ov|ova|ová|ev|eva|ová|ina|ovich|ovna|berg|stein|mann|baum|feld|sson|quist|qvist|ström|strom|gaard|haug|ainen|inen|nen|oğlu|zadeh|pour|uddin|ullah|ahmed)$/u;
const TREATMENT_BEFORE = /\b(?:on|received?|receiving|started|start|given|give|continued?|increased|decreased|dc|d\/c|d\/cing|cing|consider|#\d+)[ \t]+$/i;
/** Occupations used as a title before a name in ordinary prose: "Producer Liviana Palerma". */
const OCCUPATION = /^(?:producer|director|author|writer|novelist|poet|singer|songwriter|actor|actress|artist|painter|composer|engineer|manager|ceo|cfo|cto|president|chairman|chairwoman|senator|governor|mayor|judge|officer|detective|inspector|coach|teacher|captain|sergeant|lieutenant|colonel|agent|lawyer|attorney|journalist|reporter|editor|photographer|designer|architect|chef|pilot|pastor|priest|rabbi|imam|deacon|therapist|counselor|counsellor|pharmacist|dentist|surgeon|physician|midwife|paramedic|coordinator|supervisor|technician|assistant|secretary|spokesman|spokeswoman|spokesperson|minister|ambassador|commissioner|sheriff|chief|king|queen|prince|princess|saint|uncle|aunt)$/;
/** Verbs after a person's name at the start of a sentence: "Mehrudin shouted", "Quionia is from". */
const HUMAN_VERB_AFTER = /^[ \t]+(?:said|says|shouted|replied|asked|told|tells|explained|wrote|writes|began|begins|spent|lives|lived|works|worked|is from|was from|was born|died|smiled|laughed|married|studied|graduated|joined|founded|had given|has given|gave|met|visited|called|thinks|thought|believes|believed|wants|wanted|loves|loved|hates|knows|knew|went|came|left|arrived|returned|decided|agreed|refused|admitted|claimed|added|noted|remembered)\b/;
/** Words right before a person's name in ordinary prose. */
const NAME_CUE = /(?:\bname(?:\s+is|\s*:|\?)|\bsigned\s*:|\bi'?m|\bi am|\bcalls? me|\bsays|\bsaid|\bassistant to|\bstarring|\bwritten by|\bdirected by|\bsigned by|\bregards,|\bsincerely,|\bdear|\bhello|\bcontact(?:ed)?)\s*$/i;

/** Notes are often written all in capitals; then case says nothing about names. */
function isUpperText(text: string, start: number, end: number): boolean {
  const s = text.slice(Math.max(0, start - 200), Math.min(text.length, end + 200));
  let letters = 0;
  let upper = 0;
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c >= 65 && c <= 90) { letters++; upper++; }
    else if (c >= 97 && c <= 122) letters++;
  }
  return letters >= 20 && upper / letters > 0.7;
}

/** 183K given names and surnames that are not English words (lexicons.ts), decoded on first prose use. */
let bigNames: string[] | undefined;
/** Binary search in a sorted list: cheaper to set up than a Set of 183K strings (hook latency). */
function sortedHas(list: string[], w: string): boolean {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = list[mid]!;
    if (v === w) return true;
    if (v < w) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}
const BIG_NAMES = {
  has: (w: string) => {
    bigNames ??= loadLexicon("person-names");
    if (sortedHas(bigNames, w)) return true;
    // the lexicon is mostly unaccented: "szölösi" → "szolosi"
    const plain = w.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/ł/g, "l").replace(/ø/g, "o").replace(/æ/g, "ae").replace(/ð/g, "d").replace(/þ/g, "th").replace(/ß/g, "ss");
    return plain !== w && sortedHas(bigNames, plain);
  },
};
/** World cities (15,000+) and US places (2,000+); value true: the name is also made of English words. */
let cityNames: Map<string, boolean> | undefined;
export function cityLookup(w: string): boolean | undefined {
  if (!cityNames) {
    cityNames = new Map();
    for (const c of loadLexicon("city-names")) {
      if (c.endsWith("*")) cityNames.set(c.slice(0, -1), true);
      else cityNames.set(c, false);
    }
  }
  return cityNames.get(w);
}
let englishWords: Set<string> | undefined;
/** Frequent English words (lexicons.ts): ordinary words, not proper nouns, when case says nothing. */
const ENGLISH = { has: (w: string) => (englishWords ??= new Set(loadLexicon("english-words"))).has(w) };
let placeStarts: Set<string> | undefined;
/** First words of multi-word places ("new" of "new york"): only these need a longer lookup. */
function multiWordPlaceStart(w: string): boolean {
  if (!placeStarts) {
    placeStarts = new Set();
    cityLookup("");
    for (const c of [...cityNames!.keys(), ...US_CITIES, ...COUNTRIES, ...US_STATES]) {
      const sp = c.indexOf(" ");
      if (sp > 0) placeStarts.add(c.slice(0, sp));
    }
  }
  return placeStarts.has(w);
}
/** Capitalised (any script): "Jožef", "Ólafur", "O'Hara", "McDonald". */
const CAP_WORD = /^(?:(?:Mc|Mac|O['’]|D['’]|De|Di|Da|Du|La|Le|Van|Von|Fitz)?\p{Lu}\p{Ll}*|\p{Lu}['’]\p{L}\p{Ll}+)$/u;
/** Eponyms: "Riker scale", "Fick method", "Swan catheter" are not people in notes. */
const EPONYM_AFTER = /^[ \t]+(?:scale|score|method|principle|criteria|sign|syndrome|disease|maneuver|manoeuvre|catheter|tube|trach|valve|test|classification|equation|formula|reflex|position)\b/i;
/** Words after "Dr"/"Mr" that are no surname: "dr ok'd", "dr here", "MD team", "dr's orders". */
const NAME_TITLE_STOP = /^(?:team|teams|service|office|orders?|note|notes|visit|today|tonight|now|then|here|there|yesterday|tomorrow|also|unit|floor|staff|please|thanks|who|which|whom|what|and|or|the|a|an|at|in|on|to|of|for|from|with|by|re|pt|patient)$/;
/** Grammatical words that never follow a relation word as a name ("son is", "wife will"). */
const FUNCTION_WORD = /^(?:is|was|were|are|be|been|and|or|but|at|in|on|to|of|for|from|with|by|will|would|may|might|can|could|should|has|had|have|not|no|also|who|that|this|the|a|an|states|stated|says|said|called|visited|present|here|there|aware|updated|notified)$/;

function detectNames(text: string, profile: Profile, out: Candidate[], idx?: TextIndex): void {
  if (!/\p{L}/u.test(text)) return;
  if (profile === "code") {
    detectCodeNames(text, out, idx);
    return;
  }
  const firstOut = out.length;
  const toks: Tok[] = [];
  for (const m of text.matchAll(TOKEN)) {
    // a possessive is not part of the name: "Szczepańska's killers"
    const w = m[0].length > 3 && /['’]s$/i.test(m[0]) ? m[0].slice(0, -2) : m[0];
    toks.push({ s: w, l: w.toLowerCase(), start: m.index, end: m.index + w.length, i: toks.length });
  }
  const taken = new Uint8Array(toks.length);
  const push = (i: number, j: number, severity: Severity, confidence: number, rule: string) => {
    for (let k = i; k <= j; k++) taken[k] = 1;
    out.push({ ruleId: rule, category: "name", hipaa: 1, kind: "phi", start: toks[i]!.start, end: toks[j]!.end, severity, confidence });
  };
  const sep = (a: Tok, b: Tok) => text.slice(a.end, b.start);
  const adjacent = (a: Tok, b: Tok) => /^[ \t]*[.,]?[ \t]*$/.test(sep(a, b)) && sep(a, b).length <= 3 && sep(a, b).length >= 1;
  const upperCache = new Map<number, boolean>();
  const upperAt = (i: number) => {
    const key = i >> 4;
    let u = upperCache.get(key);
    if (u === undefined) upperCache.set(key, (u = isUpperText(text, toks[i]!.start, toks[i]!.end)));
    return u;
  };
  const known = (t: Tok) => (FIRST_NAMES.has(t.l) || SURNAMES.has(t.l) || (t.s.length >= 4 && CAP_WORD.test(t.s) && BIG_NAMES.has(t.l) && !upperAt(t.i))) && !NATIONALITIES.has(t.l) && !US_STATES.has(t.l) && !COUNTRIES.has(t.l) && !NOT_NAMES.has(t.l) && !COMMON_WORDS.has(t.l) && !CLINICAL_WORDS.has(t.l) && t.s.length >= 3;
  const isInitial = (i: number) => toks[i]!.s.length === 1 && /^[A-Za-z]$/.test(toks[i]!.s) && text[toks[i]!.end] === ".";
  /** A Capitalised word in mixed-case text that is not an ordinary or clinical word. */
  const capName = (i: number) => {
    const t = toks[i];
    return !!t && t.s.length >= 2 && CAP_WORD.test(t.s) && !COMMON_WORDS.has(t.l) && !CLINICAL_WORDS.has(t.l) && !NATIONALITIES.has(t.l) && !NOT_NAMES.has(t.l) && !US_STATES.has(t.l) && !COUNTRIES.has(t.l) && !upperAt(i);
  };
  /** Looks like a name given the surrounding case: known, or Capitalised (mixed text), or any uncommon word (upper text, strong context only). */
  const shaped = (i: number, strong: boolean) => {
    const t = toks[i];
    if (!t || COMMON_WORDS.has(t.l) || t.s.length < 2) return false;
    if (known(t)) return true;
    if (CLINICAL_WORDS.has(t.l)) return false;
    if (upperAt(i)) return strong && t.s.length >= 3 && !ENGLISH.has(t.l);
    // mixed-case text: Capitalised word, not an all-caps abbreviation, not camel case
    if (CAP_WORD.test(t.s)) return !NOT_NAMES.has(t.l) || strong;
    return strong && /^[a-z]+$/.test(t.s) && t.s.length >= 3 && !NOT_NAMES.has(t.l);
  };
  /** Extend a name from token i: optional middle initial, then a second name token. */
  const extend = (i: number, strong: boolean) => {
    let j = i;
    if (toks[j + 1] && isInitial(j + 1) && adjacent(toks[j]!, toks[j + 1]!) && toks[j + 2] && shaped(j + 2, true)) return j + 2;
    // a second name token: known, or Capitalised after a Capitalised first token; "." only after an initial
    const n = toks[j + 1];
    // upper-case notes, strong context: any uncommon word ("DICK CUCCHIARA (RESIDENT)")
    const upperSurname = (k: number) => strong && upperAt(k) && toks[k]!.s.length >= 3 && !ENGLISH.has(toks[k]!.l) && !COMMON_WORDS.has(toks[k]!.l) && !CLINICAL_WORDS.has(toks[k]!.l) && !VERBISH.test(toks[k]!.l) && !FUNCTION_WORD.test(toks[k]!.l);
    // a census surname that is also a word ("Baker", "Hill") right after a Capitalised given name
    const censusSurname = (a: number, b: number) => FIRST_NAMES.has(toks[a]!.l) && CAP_WORD.test(toks[a]!.s) && /^\p{Lu}\p{Ll}+$/u.test(toks[b]!.s) && SURNAMES.has(toks[b]!.l) && !upperAt(b);
    if (n && adjacent(toks[j]!, n) && !sep(toks[j]!, n).includes(".") && (!sep(toks[j]!, n).includes(",") || (FIRST_NAMES.has(n.l) && !ENGLISH.has(n.l))) && !CREDENTIAL.test(n.l) && (known(n) || (capName(j + 1) && CAP_WORD.test(toks[j]!.s)) || upperSurname(j + 1) || censusSurname(j, j + 1))) j++;
    // double-barrelled surname: "Stord-Painter", "SMITH-JONES"
    const h = toks[j + 1];
    if (h && sep(toks[j]!, h) === "-" && !CREDENTIAL.test(h.l) && !COMMON_WORDS.has(h.l) && !CLINICAL_WORDS.has(h.l) && (known(h) || (CAP_WORD.test(h.s) && CAP_WORD.test(toks[j]!.s)) || (upperAt(j + 1) && h.s.length >= 3 && !ENGLISH.has(h.l)))) j++;
    return j;
  };
  // After a relation word a given name that is also a word counts ("son bill", "wife, Rose"); other
  // words must look like names: known, Capitalised in mixed text, or uncommon in upper-case text.
  const relName = (k: number) => {
    const n = toks[k]!;
    // "Son, Ed, was updated": a Capitalised given name in mixed-case text, even when an abbreviation's letters
    if (!upperAt(k) && /^\p{Lu}\p{Ll}+$/u.test(n.s) && FIRST_NAMES.has(n.l) && !FUNCTION_WORD.test(n.l) && !RELATION.test(n.l) && /^[ \t]*[,(][ \t]*$/.test(sep(toks[k - 1]!, n))) return true;
    if (FUNCTION_WORD.test(n.l) || RELATION.test(n.l) || CREDENTIAL.test(n.l) || CLINICAL_WORDS.has(n.l) || COMMON_WORDS.has(n.l) && !FIRST_NAMES.has(n.l)) return false;
    if (!upperAt(k) && /^\p{Lu}{2,}$/u.test(n.s)) return false; // an acronym in mixed-case text: "Baby ASA"
    if (known(n) || (FIRST_NAMES.has(n.l) && n.s.length >= 2)) return true;
    if (upperAt(k)) return shaped(k, true) && !VERBISH.test(n.l);
    return capName(k) && !VERBISH.test(n.l);
  };
  for (let i = 0; i < toks.length; i++) {
    if (taken[i]) continue;
    const t = toks[i]!;
    const next = toks[i + 1];
    const prev = toks[i - 1];
    // Title + name: "Dr. Healey", "DR. WILLIAMS", "Mrs Adams"; weak titles (ms = mental status) need a clear name.
    if (TITLE.test(t.l) && next && adjacent(t, next) && !sep(t, next).includes(",") && !(WEAK_TITLE.test(t.l) && VERBISH.test(next.l))) {
      const strong = !WEAK_TITLE.test(t.l);
      // "Dr. B. Muse", "Dr B Muse": an initial, with or without its period, before the surname
      const bareInitial = toks[i + 1]!.s.length === 1 && /^\p{Lu}$/u.test(toks[i + 1]!.s) && toks[i + 2] !== undefined && /^[ \t]+$/.test(sep(toks[i + 1]!, toks[i + 2]!)) && /^\p{Lu}/u.test(toks[i + 2]!.s);
      const j0 = (isInitial(i + 1) || bareInitial) && toks[i + 2] && shaped(i + 2, true) ? i + 2 : i + 1;
      const n0 = toks[j0]!;
      const mixedCap = (k: number) => toks[k] !== undefined && !upperAt(k) && /^\p{Lu}\p{Ll}+$/u.test(toks[k]!.s);
      // "Dr Will Cole": a Capitalised word that is also an ordinary word, before a Capitalised surname
      if (strong && mixedCap(j0) && toks[j0 + 1] && /^[ \t]+$/.test(sep(n0, toks[j0 + 1]!)) && (capName(j0 + 1) || (mixedCap(j0 + 1) && !ENGLISH.has(toks[j0 + 1]!.l) && !CLINICAL_WORDS.has(toks[j0 + 1]!.l))) && !FUNCTION_WORD.test(toks[j0 + 1]!.l) && !PERSON_VERB_AFTER.test(toks[j0 + 1]!.l)) {
        const j = extend(j0 + 1, true);
        push(i + 1, j, "high", 0.85, "name-title");
        i = j;
        continue;
      }
      // "Dr. Foley": after "Dr." a Capitalised word in mixed-case text names a person even when it is a clinical word
      if (t.l === "dr" && text[t.end] === "." && mixedCap(j0) && !FUNCTION_WORD.test(n0.l) && !PERSON_VERB_AFTER.test(n0.l) && !PERSON_VERB_BEFORE.test(n0.l) && !NAME_TITLE_STOP.test(n0.l) && !RELATION.test(n0.l)) {
        push(i + 1, j0, "high", 0.8, "name-title");
        i = j0;
        continue;
      }
      // after a strong title even a surname that is an ordinary word names a person ("Dr. Small", "Mrs. Park"),
      // unless it is a grammatical, clinical or person-verb word ("dr aware", "dr on call", "dr notified")
      // an all-caps title in mixed-case text is an abbreviation: "3+ MR. Given ..." (mitral regurgitation)
      const wordSurname = strong && !(/^\p{Lu}+$/u.test(t.s) && !upperAt(i)) && n0.s.length >= 3 && /^\p{L}+$/u.test(n0.s) && !FUNCTION_WORD.test(n0.l) && !CLINICAL_WORDS.has(n0.l) && !PERSON_VERB_AFTER.test(n0.l) && !PERSON_VERB_BEFORE.test(n0.l) && !TITLE.test(n0.l) && !CREDENTIAL.test(n0.l) && !RELATION.test(n0.l) && !VERBISH.test(n0.l) && !NAME_TITLE_STOP.test(n0.l);
      const weakUpper = !strong && upperAt(j0) && n0.s.length >= 5 && /^\p{L}+$/u.test(n0.s) && !ENGLISH.has(n0.l) && !COMMON_WORDS.has(n0.l) && !CLINICAL_WORDS.has(n0.l) && !VERBISH.test(n0.l) && !SPECIES.test(n0.l);
      if (shaped(j0, strong) || (strong && !COMMON_WORDS.has(n0.l) && n0.s.length >= 2 && !/^\d/.test(n0.s)) || wordSurname || weakUpper) {
        const j = extend(j0, strong);
        push(i + 1, j, "high", 0.9, "name-title");
        i = j;
        continue;
      }
    }
    // A role before a name: "CASEWORKER LEONA LABOWICH", "spoke with HO SCHWARZ", "case manager Karen"
    const role = (ROLE_BEFORE.test(t.l) || (t.l === "manager" && prev?.l === "case")) && !(t.l === "ho" && !upperAt(i) && t.s !== "HO");
    if (role && next && /^[ \t]*[:,(-]?[ \t]*$/.test(sep(t, next)) && !FUNCTION_WORD.test(next.l) && !RELATION.test(next.l) && !CREDENTIAL.test(next.l) && !VERBISH.test(next.l) && !PERSON_VERB_AFTER.test(next.l) && (known(next) || (FIRST_NAMES.has(next.l) && !COMMON_WORDS.has(next.l)) || (shaped(i + 1, true) && !ENGLISH.has(next.l)))) {
      const j = extend(i + 1, true);
      push(i + 1, j, "high", 0.8, "name-title");
      i = j;
      continue;
    }
    // A credential before a name: "NP Wolfe", "per np grace", "RN Carole Hayes"
    if (/^(?:np|rn|pa|md|lpn|rrt)$/.test(t.l) && next && /^[ \t]+$/.test(sep(t, next)) && !CREDENTIAL.test(next.l) && !FUNCTION_WORD.test(next.l) && !CLINICAL_WORDS.has(next.l) && (known(next) || (FIRST_NAMES.has(next.l) && !upperAt(i + 1) && !ENGLISH.has(next.l)) || (FIRST_NAMES.has(next.l) && /^[a-z]/.test(next.s) && /^[a-z]/.test(t.s)) || capName(i + 1) && !VERBISH.test(next.l) && !ENGLISH.has(next.l))) {
      const j = extend(i + 1, true);
      push(i + 1, j, "high", 0.8, "name-title");
      i = j;
      continue;
    }
    // Relation + name: "husband John", "SON ROB", "daughter, Mary Smith", "son bill"
    const relation = RELATION.test(t.l) || (t.l === "other" && prev?.l === "significant") || (t.l === "person" && prev?.l === "contact") || t.l === "poa";
    if (relation && next && /^[ \t]*[,:("“'-]?[ \t]*(?:(?:named|is|name is)[ \t]+)?["“']?$/i.test(sep(t, next)) && sep(t, next).length >= 1 && relName(i + 1)) {
      const j = extend(i + 1, true);
      push(i + 1, j, "high", 0.85, "name-relation");
      i = j;
      continue;
    }
    // Name, credential: "Carole Hayes, RN", "FRANCIS G. LEVINE, RRT", "barbara j. parrilli bsn/rn"
    if (shaped(i, true) && !TITLE.test(t.l)) {
      let j = extend(i, false);
      // an uncommon upper-case surname only when a credential or role follows: "DICK CUCCHIARA (RESIDENT)"
      const js = extend(i, true);
      if (js > j && toks[js + 1] && (CREDENTIAL.test(toks[js + 1]!.l) || /^(?:resident|attending|fellow|intern)$/.test(toks[js + 1]!.l))) j = js;
      // lower/upper-case notes: a given name and an uncommon word before a credential or a person
      // verb ("mary o'hara np aware", "patty hoeller re skin care" is left alone)
      const n1 = toks[i + 1];
      if (j === i && n1 && FIRST_NAMES.has(t.l) && !COMMON_WORDS.has(t.l) && (upperAt(i) || /^[a-z]/.test(t.s)) && /^[ \t]+$/.test(sep(t, n1)) && n1.s.length >= 3 && !COMMON_WORDS.has(n1.l) && !CLINICAL_WORDS.has(n1.l) && !VERBISH.test(n1.l) && toks[i + 2] && /^[ \t]+$/.test(sep(n1, toks[i + 2]!)) && (CREDENTIAL.test(toks[i + 2]!.l) || PERSON_VERB_AFTER.test(toks[i + 2]!.l))) j = i + 1;
      const after = toks[j + 1];
      const credEnd = after ? text.slice(after.end, after.end + 12) : "";
      const role = after && /^(?:resident|attending|fellow|intern|surgeon|cardiologist|intensivist|hospitalist|pcp)$/.test(after.l) && /^[ \t]*\([ \t]*$/.test(sep(toks[j]!, after));
      if (after && (CREDENTIAL.test(after.l) || role) && /^[ \t]*[,(]?[ \t]*$/.test(sep(toks[j]!, after)) && (/^(?:[ \t]*[/,-][ \t]*[A-Za-z]{2,4})*[ \t]*(?:\r?\n|$)/.test(credEnd) || role || (j > i && (known(t) || known(toks[j]!) || FIRST_NAMES.has(t.l) || (capName(i) && capName(j))))) && (known(t) || upperAt(i) || /^[A-Z]/.test(t.s) || known(toks[j]!)) && !VERBISH.test(toks[j]!.l)) {
        // include a preceding first name or initial: "ANTHONY C. KOZICKI"
        let s0 = i;
        if (prev && adjacent(prev, t) && (isInitial(i - 1) || known(prev)) && !taken[i - 1]) s0 = i - 1;
        push(s0, j, "high", 0.85, "name-credential");
        i = j;
        continue;
      }
      // Initial + surname: "W. MAROTTA aware", "B. CLIFFORD MD"
      // (a lower-case "s." is more often "seconds." or an abbreviation than an initial)
      const pp = toks[i - 2];
      const verbBeforeInitial = pp !== undefined && PERSON_VERB_BEFORE.test(pp.l) && /^[ \t]+$/.test(sep(pp, prev!)) && !VERBISH.test(t.l) && t.s.length >= 3;
      // upper-case notes: an initial and a word no vocabulary knows ("M. PEPPLER"), unless a species ("S. AUREUS")
      const standaloneInitial = prev !== undefined && !/[\p{L}\d'’.&/]/u.test(text[prev.start - 1] ?? " ");
      const upperUnknown = standaloneInitial && after !== undefined && (PERSON_VERB_AFTER.test(after.l) || /^\p{L}+ing$/u.test(after.l)) && upperAt(i) && t.s.length >= 4 && /^\p{L}+$/u.test(t.s) && !ENGLISH.has(t.l) && !CLINICAL_WORDS.has(t.l) && !VERBISH.test(t.l) && !SPECIES.test(t.l);
      if (prev && isInitial(i - 1) && !taken[i - 1] && !SPECIES.test(t.l) && (/^[A-Z]$/.test(prev.s) || (after && CREDENTIAL.test(after.l))) && (known(t) || verbBeforeInitial || upperUnknown || (after && (PERSON_VERB_AFTER.test(after.l) || CREDENTIAL.test(after.l))))) {
        push(i - 1, j, "high", 0.75, "name-initial");
        i = j;
        continue;
      }
      // First + last from the lexicons: "Mary Souza", "GERRY MASCI" needs a known first name
      if (FIRST_NAMES.has(t.l) && !NOT_NAMES.has(t.l) && j > i && !(ENGLISH.has(t.l) && ENGLISH.has(toks[j]!.l)) && (upperAt(i) || /^[A-Z]/.test(t.s) || SURNAMES.has(toks[j]!.l))) {
        push(i, j, "high", 0.8, "name-full");
        i = j;
        continue;
      }
      // Person verbs around a name: "per healey", "spoke with Dr", "MAROTTA AWARE"
      const verbBefore = prev && PERSON_VERB_BEFORE.test(prev.l) && adjacent(prev, t) && !sep(prev, t).includes(".") && !(prev.l === "cc" && /\d$/.test(text.slice(Math.max(0, prev.start - 1), prev.start)));
      const verbAfter = after && PERSON_VERB_AFTER.test(after.l) && /^[ \t]+$/.test(sep(toks[j]!, after));
      const nameShape = known(t) || (!upperAt(i) && /^[A-Z][a-z'\u2019]+$/.test(t.s) && !NOT_NAMES.has(t.l)) || (upperAt(i) && verbAfter && !VERBISH.test(t.l) && t.s.length >= 4 && !ENGLISH.has(t.l));
      const weakBefore = verbBefore && /^(?:with|by)$/.test(prev!.l);
      const clearName = known(t) && !ENGLISH.has(t.l) && (upperAt(i) ? t.s.length >= 4 : CAP_WORD.test(t.s) || (/^[a-z]{4,}$/.test(t.s) && FIRST_NAMES.has(t.l)));
      if ((verbBefore || verbAfter) && nameShape && !(nameShape && !known(t) && VERBISH.test(t.l)) && !(weakBefore && !verbAfter && !clearName)) {
        push(i, j, known(t) ? "high" : "medium", known(t) ? 0.75 : 0.55, "name-context");
        i = j;
        continue;
      }
      j = i;
    }
    // An occupation as a title, a subject of a human verb, a name addressed: "Producer Liviana Palerma",
    // "Mehrudin shouted at", "Aloisia, can I please", "Don't go to town, Roy!"
    if (capName(i) && !ENGLISH.has(t.l)) {
      const j = extend(i, false);
      const afterText = text.slice(toks[j]!.end, toks[j]!.end + 24);
      const sentenceStart = /(?:^|[.!?:"”]\s*|\n\s*)$/.test(text.slice(Math.max(0, t.start - 3), t.start));
      const occupation = prev !== undefined && OCCUPATION.test(prev.l) && /^[ \t]+$/.test(sep(prev, t)) && /^\p{Lu}/u.test(prev.s);
      const subject = sentenceStart && HUMAN_VERB_AFTER.test(afterText);
      const vocative = (sentenceStart && /^,[ \t]+(?:can|could|would|will|please|do|did|are|is|have|i|we|you|let|thank|thanks)\b/i.test(afterText)) || (prev !== undefined && /^,[ \t]+$/.test(sep(prev, t)) && /^[ \t]*[!?]/.test(afterText));
      if (occupation || subject || vocative) {
        push(i, j, "medium", 0.55, "name-context");
        i = j;
        continue;
      }
    }
    // A run of Capitalised words in mixed-case text ("Hijacinta Godina", "Mijail C Adomo") holding a
    // lexicon name that is not an English word, or following a name cue ("my name is", "says").
    if (capName(i)) {
      let k = i;
      while (k - i < 3 && toks[k + 1] && (/^[ \t]+$/.test(sep(toks[k]!, toks[k + 1]!)) || (toks[k]!.s.length === 1 && /^\.[ \t]+$/.test(sep(toks[k]!, toks[k + 1]!)))) && (capName(k + 1) || (toks[k + 1]!.s.length === 1 && /^[A-Z]$/.test(toks[k + 1]!.s) && toks[k + 2] !== undefined && capName(k + 2)))) k++;
      if (toks[k]!.s.length === 1) k--;
      // a run starting a sentence may start with an ordinary word: "Afterwards Tomasz Wieczorek"
      let i0 = i;
      while (i0 < k && ENGLISH.has(toks[i0]!.l) && !known(toks[i0]!)) i0++;
      let lex = false;
      for (let q = i; q <= k; q++) if (toks[q]!.s.length >= 4 && BIG_NAMES.has(toks[q]!.l)) lex = true;
      // two or more Capitalised words, one shaped like a surname of many languages ("Jónsdóttir", "Kowalczyk")
      if (!lex && k > i0) for (let q = i0; q <= k; q++) if (SURNAME_SHAPE.test(toks[q]!.s)) lex = true;
      // two or more Capitalised words that no English vocabulary knows: "Lopie Certusi", "Wil Laberbera"
      // next to a phone number ("Lopie Certusi cell# 410-...")
      if (!lex && k > i0 && toks.slice(i0, k + 1).every((q) => q.s.length >= 3 && !ENGLISH.has(q.l) && !VERBISH.test(q.l)) && /^[ \t]*[,:(-]?[ \t]*(?:(?:cell|home|work|phone|tel|mobile|pager|beeper|#)\b|\(?\d{3}\)?[ .-]?\d{3})/i.test(text.slice(toks[k]!.end, toks[k]!.end + 16))) lex = true;
      const cue = NAME_CUE.test(text.slice(Math.max(0, t.start - 24), t.start));
      const sentenceStart = /(?:^|[.!?:]\s*|\n\s*)$/.test(text.slice(Math.max(0, t.start - 3), t.start));
      // a lone lexicon word right after a treatment word is more often a drug or an eponym ("started on Cipro")
      const treated = k === i && !cue && TREATMENT_BEFORE.test(text.slice(Math.max(0, t.start - 16), t.start));
      const eponym = EPONYM_AFTER.test(text.slice(toks[k]!.end, toks[k]!.end + 16));
      if ((lex || cue || (FIRST_NAMES.has(t.l) && known(t) && !sentenceStart && !ENGLISH.has(t.l))) && !treated && !eponym) {
        push(i0, k, "medium", lex || cue ? 0.6 : 0.5, "name-lexicon");
        i = k;
        continue;
      }
    }
  }
  // A name explained by a relation after it: "Mary (wife)", "JOHN (SON)", "Mary, his wife", "John's wife"
  for (let i = 0; i + 1 < toks.length; i++) {
    if (taken[i]) continue;
    const t = toks[i]!;
    const n = toks[i + 1]!;
    const gap = sep(t, n);
    const relAfter = (RELATION.test(n.l) && /^[ \t]*\([ \t]*$/.test(gap)) || (/^[ \t]*,[ \t]+$/.test(gap) && /^(?:his|her|their)$/.test(n.l) && toks[i + 2] !== undefined && /^[ \t]+$/.test(sep(n, toks[i + 2]!)) && RELATION.test(toks[i + 2]!.l));
    if (!relAfter || FUNCTION_WORD.test(t.l) || CLINICAL_WORDS.has(t.l) || COMMON_WORDS.has(t.l) || RELATION.test(t.l)) continue;
    if (!(known(t) || capName(i) || (upperAt(i) && t.s.length >= 3 && !ENGLISH.has(t.l)) || FIRST_NAMES.has(t.l))) continue;
    let s0 = i;
    if (i > 0 && !taken[i - 1] && /^[ \t]+$/.test(sep(toks[i - 1]!, t)) && (FIRST_NAMES.has(toks[i - 1]!.l) || capName(i - 1)) && !COMMON_WORDS.has(toks[i - 1]!.l)) s0 = i - 1;
    push(s0, i, "high", 0.75, "name-relation");
  }
  // A name found once is a name everywhere in the text: "Hakuba had given Hakuba his address"
  const seen = new Set<string>();
  for (const c of out) {
    // only names found by a strong cue or made of two words spread; a lone guess does not
    if (c.category !== "name" || !(/^name-(?:title|relation|credential|cue|full)$/.test(c.ruleId) || /\s/.test(text.slice(c.start, c.end)))) continue;
    for (const m of text.slice(c.start, c.end).matchAll(/\p{Lu}[\p{Ll}'’]{2,}/gu)) {
      const l = m[0].toLowerCase();
      if (!ENGLISH.has(l) && !COMMON_WORDS.has(l) && !CLINICAL_WORDS.has(l) && !NOT_NAMES.has(l) && !NATIONALITIES.has(l)) seen.add(m[0]);
    }
  }
  if (seen.size) for (let i = 0; i < toks.length; i++) if (!taken[i] && seen.has(toks[i]!.s)) push(i, i, "medium", 0.5, "name-repeat");
  // Coordinated names: "Marrero and Murphy", "founders: Kónya, Becker and Vasquez" – a Capitalised
  // word joined by "and"/","/"&" to a detected name is a name too (mixed-case text only).
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < toks.length; i++) {
      // upper-case notes: a known given name joined to a found name ("DAUGHTERS MARY AND JANE")
      const upperName = (upperAt(i) || /^\p{Ll}+$/u.test(toks[i]!.s)) && FIRST_NAMES.has(toks[i]!.l) && !COMMON_WORDS.has(toks[i]!.l) && !CLINICAL_WORDS.has(toks[i]!.l) && toks[i]!.s.length >= 3;
      if (taken[i] || !(capName(i) || upperName) || ENGLISH.has(toks[i]!.l)) continue;
      const joined = (a: number, b: number) => toks[a] !== undefined && toks[b] !== undefined && /^(?:[ \t]*,[ \t]*|[ \t]+(?:and|&|or)[ \t]+|[ \t]*,[ \t]*(?:and|&)[ \t]+)$/.test(sep(toks[a]!, toks[b]!));
      // a comma alone joins list items only: the word must itself be followed by a list separator
      const inList = (a: number, b: number) => joined(a, b) && (!/^[ \t]*,[ \t]*$/.test(sep(toks[a]!, toks[b]!)) || (toks[i + 1] !== undefined && /^(?:[ \t]*,[ \t]*|[ \t]+(?:and|&|or)[ \t]+)/.test(sep(toks[i]!, toks[i + 1]!))) || (b === i && toks[i + 1] === undefined));
      // "sarah and margie": the conjunction is a token of its own
      const conj = (c: number) => toks[c] !== undefined && /^(?:and|or)$/.test(toks[c]!.l) && toks[c - 1] !== undefined && toks[c + 1] !== undefined && /^[ \t]+$/.test(sep(toks[c - 1]!, toks[c]!)) && /^[ \t]+$/.test(sep(toks[c]!, toks[c + 1]!));
      const viaConj = (i > 1 && taken[i - 2] && conj(i - 1)) || (taken[i + 2] && conj(i + 1));
      if ((i > 0 && taken[i - 1] && inList(i - 1, i)) || (taken[i + 1] && inList(i, i + 1)) || viaConj) push(i, i, "medium", 0.5, "name-list");
    }
  }
  // Strong cues allow a lower-case name: "my name is vitoria", "call me višeslav", "maiden name is nyberg"
  for (const m of text.matchAll(/\b(?:my name is|name is|name:|call me|calls me|named|named him|named her)[ \t]+(\p{Ll}[\p{L}'’-]+)(?:[ \t]+(\p{Ll}[\p{L}'’-]+))?/giu)) {
    const a = m[1]!.toLowerCase();
    if (ENGLISH.has(a) || COMMON_WORDS.has(a) || CLINICAL_WORDS.has(a)) continue;
    let value = m[1]!;
    if (m[2] && !ENGLISH.has(m[2].toLowerCase()) && !COMMON_WORDS.has(m[2].toLowerCase())) value = m[0].slice(m[0].indexOf(m[1]!));
    const st = m.index + m[0].indexOf(m[1]!);
    out.push({ ruleId: "name-cue", category: "name", hipaa: 1, kind: "phi", start: st, end: st + value.length, severity: "medium", confidence: 0.6 });
  }
  // Speaker labels in dialogue: 'Koppány: "Who are you?"', 'Ubul: What a wife.'
  for (const m of text.matchAll(/(?:^|[.!?"”]\s+|\n)(\p{Lu}[\p{Ll}'’]+):[ \t]*(["“]?)/gmu)) {
    const l = m[1]!.toLowerCase();
    if (ENGLISH.has(l) || COMMON_WORDS.has(l) || CLINICAL_WORDS.has(l) || NATIONALITIES.has(l)) continue;
    if (!m[2] && !(BIG_NAMES.has(l) || FIRST_NAMES.has(l))) continue;
    const st = m.index + m[0].indexOf(m[1]!, m[0].length - m[1]!.length - m[2]!.length - 3);
    out.push({ ruleId: "name-speaker", category: "name", hipaa: 1, kind: "phi", start: st, end: st + m[1]!.length, severity: "medium", confidence: 0.5 });
  }

  growNames(text, toks, out, firstOut, upperAt, known);
}


/**
 * Names are runs of tokens, but cues anchor only one of them: grow every name found over the
 * neighbouring initials and name-like words ("Z. MILLER", "KAREN ANN YANULIS", "Dr B Muse",
 * "Dorothy Joy, MSW"). A word joins when a name lexicon knows it, or when it is a word no
 * vocabulary knows (English, clinical, common); an English word joins only before a credential.
 */
function growNames(text: string, toks: Tok[], out: Candidate[], from: number, upperAt: (i: number) => boolean, known: (t: Tok) => boolean): void {
  if (out.length === from) return;
  const byStart = new Map<number, number>();
  const byEnd = new Map<number, number>();
  toks.forEach((t, i) => {
    byStart.set(t.start, i);
    byEnd.set(t.end, i);
  });
  const covered = (s: number, e: number, self: Candidate) => out.some((c) => c !== self && c.start < e && c.end > s);
  const gap = (a: Tok, b: Tok) => text.slice(a.end, b.start);
  const unknownWord = (t: Tok) => t.s.length >= 3 && /^\p{L}+$/u.test(t.s) && !ENGLISH.has(t.l) && !COMMON_WORDS.has(t.l) && !CLINICAL_WORDS.has(t.l) && !VERBISH.test(t.l) && !FUNCTION_WORD.test(t.l) && !NATIONALITIES.has(t.l) && !US_STATES.has(t.l) && !COUNTRIES.has(t.l) && !TITLE.test(t.l) && !CREDENTIAL.test(t.l) && !RELATION.test(t.l) && !SPECIES.test(t.l);
  const nameWord = (k: number, anchorUpper: boolean) => {
    const t = toks[k];
    if (!t || CREDENTIAL.test(t.l) || FUNCTION_WORD.test(t.l) || PERSON_VERB_AFTER.test(t.l) || PERSON_VERB_BEFORE.test(t.l) || RELATION.test(t.l)) return false;
    // the case must match the name's: a lower-case word does not continue "Mary Smith"
    if (upperAt(k) !== anchorUpper && !/^\p{Lu}/u.test(t.s)) return false;
    if (!upperAt(k) && /^\p{Lu}/u.test(toks[k - 1]?.s ?? "") && /^\p{Ll}/u.test(t.s)) return false;
    // an acronym in mixed-case text is no part of a name: "Kamei JIT metrics"
    if (!upperAt(k) && /^\p{Lu}{2,}$/u.test(t.s)) return false;
    return known(t) || unknownWord(t);
  };
  const end = out.length;
  for (let c = from; c < end; c++) {
    const cand = out[c]!;
    if (cand.category !== "name") continue;
    let i = byStart.get(cand.start);
    let j = byEnd.get(cand.end);
    if (i === undefined || j === undefined) continue;
    const anchorUpper = upperAt(i);
    // right: an initial then a name word, or a name word; an English word before ", MSW"
    for (let n = 0; n < 2; n++) {
      const a = toks[j]!;
      const b = toks[j + 1];
      if (!b) break;
      const g = gap(a, b);
      if (/^[ \t]+$/.test(g) || (a.s.length === 1 && /^\.[ \t]*$/.test(g))) {
        const cred = toks[j + 2] !== undefined && /^[ \t]*,?[ \t]*$/.test(gap(b, toks[j + 2]!)) && CREDENTIAL.test(toks[j + 2]!.l);
        if ((nameWord(j + 1, anchorUpper) || (cred && /^\p{L}{2,}$/u.test(b.s) && !FUNCTION_WORD.test(b.l))) && !covered(a.end, b.end, cand)) {
          j++;
          continue;
        }
      }
      break;
    }
    // left: an initial ("Z. MILLER", "d ross", "Dr B Muse") or a given name ("LEONA LABOWICH")
    for (let n = 0; n < 2; n++) {
      const b = toks[i]!;
      const a = toks[i - 1];
      if (!a) break;
      const g = gap(a, b);
      const initial = a.s.length === 1 && /^\p{L}$/u.test(a.s) && !/[\p{L}\d'’.]/u.test(text[a.start - 1] ?? " ") && (/^\.[ \t]*$/.test(g) || (/^[ \t]+$/.test(g) && (/^\p{Lu}$/u.test(a.s) || PERSON_VERB_BEFORE.test(toks[i - 2]?.l ?? "") || TITLE.test(toks[i - 2]?.l ?? ""))));
      // a lower-case letter is an initial only after a person verb or a title ("per d ross"), not "0.06 s. Violations"
      const lowerOk = /^\p{Lu}$/u.test(a.s) || PERSON_VERB_BEFORE.test(toks[i - 2]?.l ?? "") || TITLE.test(toks[i - 2]?.l ?? "");
      if (initial && lowerOk && !/^[ai]$/i.test(a.s)) {
        if (covered(a.start, b.start, cand)) break;
        i--;
        continue;
      }
      if (/^[ \t]+$/.test(g) && FIRST_NAMES.has(a.l) && known(a) && !ENGLISH.has(a.l) && (upperAt(i - 1) === anchorUpper) && !covered(a.start, b.start, cand)) {
        i--;
        continue;
      }
      break;
    }
    cand.start = toks[i]!.start;
    cand.end = toks[j]!.end;
  }
}

/** A note signed with a name alone on its last line: "SUSAN", "Carole Hayes", "mary k". */
function detectSignature(text: string, out: Candidate[]): void {
  const m = /(?:^|\n)[ \t]*(\p{L}[\p{L}'’-]+)(?:[ \t]+(\p{L}[\p{L}'’.-]*))?[ \t]*\s*$/u.exec(text.slice(-80));
  if (!m) return;
  const a = m[1]!.toLowerCase();
  const b = m[2]?.toLowerCase().replace(/\.$/, "");
  if (!FIRST_NAMES.has(a) || COMMON_WORDS.has(a) || CLINICAL_WORDS.has(a) || ENGLISH.has(a) || NOT_NAMES.has(a)) return;
  if (b && (COMMON_WORDS.has(b) || CLINICAL_WORDS.has(b) || (ENGLISH.has(b) && !SURNAMES.has(b)))) return;
  const start = text.length - 80 + m.index + m[0].indexOf(m[1]!);
  const value = m[2] ? m[1]! + text.slice(start + m[1]!.length).match(/^[ \t]+/)![0] + m[2] : m[1]!;
  const s = Math.max(0, text.length - 80) === 0 ? m.index + m[0].indexOf(m[1]!) : start;
  out.push({ ruleId: "name-signature", category: "name", hipaa: 1, kind: "phi", start: s, end: s + value.length, severity: "medium", confidence: 0.55 });
}

const CODE_NAME = /\b(?:patient|pt|first|last|given|family|full|middle|maiden|mother'?s?|father'?s?|guardian|emergency[_\s]?contact|next[_\s]?of[_\s]?kin|nok|subscriber|insured|guarantor)[_\s-]?(?:name|nm)s?\b["']?\s*(?::|=|=>|:=)\s*["']([A-Z][a-zA-Z'’-]+(?:\s+[A-Z][a-zA-Z'’.-]+){0,3})["']/gi;
const CODE_NAME_GENERIC = /\bname["']?\s*(?::|=|=>)\s*["']([A-Z][a-z'’-]+)\s+([A-Z][a-z'’-]+)["']/g;

const CODE_NAME_STICKY = toSticky(CODE_NAME);
const CODE_NAME_GENERIC_STICKY = toSticky(CODE_NAME_GENERIC);
const CODE_NAME_PREFILTER = anchorsCover(DETECTOR_KEYWORDS["code-name"], CODE_NAME.source) && anchorsCover(DETECTOR_KEYWORDS["code-name-generic"], CODE_NAME_GENERIC.source);

function detectCodeNames(text: string, out: Candidate[], idx?: TextIndex): void {
  if (!/name/i.test(text)) return;
  const field = (m: RegExpExecArray) => {
    const start = m.index + m[0].lastIndexOf(m[1]!);
    out.push({ ruleId: "name-field", category: "name", hipaa: 1, kind: "phi", start, end: start + m[1]!.length, severity: "high", confidence: 0.8 });
  };
  const generic = (m: RegExpExecArray) => {
    const f = m[1]!.toLowerCase();
    const l = m[2]!.toLowerCase();
    if (!FIRST_NAMES.has(f) || !SURNAMES.has(l)) return;
    const start = m.index + m[0].indexOf(m[1]!);
    out.push({ ruleId: "name-field", category: "name", hipaa: 1, kind: "phi", start, end: start + m[1]!.length + 1 + m[2]!.length, severity: "medium", confidence: 0.6 });
  };
  if (idx && CODE_NAME_PREFILTER) {
    stickyEach(CODE_NAME_STICKY, text, idx.anchors("code-name")!, field);
    stickyEach(CODE_NAME_GENERIC_STICKY, text, idx.anchors("code-name-generic")!, generic);
    return;
  }
  for (const m of text.matchAll(CODE_NAME)) field(m);
  for (const m of text.matchAll(CODE_NAME_GENERIC)) generic(m);
}

// ---------------------------------------------------------------- places

const STREET_SUFFIX = "street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|terrace|ter|circle|cir|parkway|pkwy|highway|hwy|square|trail|trl|row|alley|crescent|cres|close|grove|gardens|heights|hill|hills|park|point|ridge|walk|view|village|mews|green|loop|pike|turnpike|crossing|plaza|route|rte|path|pass|glen|creek|landing|estates|commons|harbor|harbour|junction|knoll|meadows?|orchard|shores?|springs|station|summit|valley|vista|wharf|woods?|expressway|freeway|causeway|esplanade|promenade|quay|rise|broadway|manor|oval|parade";
const STREET = new RegExp(`\\b\\d{1,6}[ \\t]+(?:[NSEW]\\.?[ \\t]+)?((?:[\\p{L}0-9'’.-]+[ \\t]+){1,4}?)(${STREET_SUFFIX})\\b\\.?(?:,?[ \\t]*(?:apt|apartment|unit|suite|ste|#)\\.?[ \\t]*[\\w-]+)?`, "giu");
/** Source code: the original ASCII street pattern, cheaper than the Unicode one. */
const STREET_CODE = /\b\d{1,6}[ \t]+(?:[NSEW]\.?[ \t]+)?((?:[A-Za-z0-9'.-]+[ \t]+){1,4})(street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|terrace|ter|circle|cir|parkway|pkwy|highway|hwy|square|sq|trail|trl|row|alley)\b\.?(?:,?[ \t]*(?:apt|apartment|unit|suite|ste|#)\.?[ \t]*[\w-]+)?/gi;
const UNIT = /\b(?:apt|apartment|suite|ste|unit|flat|p\.?o\.? box|po box)\.?[ \t]*#?[ \t]*\d{1,6}[A-Za-z]?\b(?![%.,]?\d|[ \t]*(?:%|mg|mcg|ml|cc|units?|u\b|prbc|ffp))/gi;
const INTL_STREET_BEFORE = /\b(?:via|viale|vicolo|piazza|corso|calle|avenida|av\.|rua|rue|chemin|allee|allée|plaza|paseo|ulica|ul\.|utca|strada|carrer|avinguda|rambla|praça|largo|travessa|camino|carretera|boulevard)[ \t]+(\p{Lu}\p{Ll}[\p{L}'’-]*)(?:[ \t]+[\p{L}][\p{L}'’-]*){0,3},?[ \t]*\d{1,5}[A-Za-z]?\b/giu;
const INTL_STREET_SUFFIX = /(?<![\p{L}\d])\p{Lu}[\p{L}'’-]*(?:stra(?:ss|ß)e|str\.|gasse|weg|platz|allee|gatan|gata|vägen|vagen|väg|vej|gade|stræde|straede|katu|tie|kuja|polku|utca|ulica|laan|straat|plein|gracht|kade|dreef|veien|vegen|gränd|stien|vænget|gata|sokak|sokağı|caddesi|utja|tee)(?:[ \t]+\p{Lu}[\p{L}'’-]*)?[ \t]*\d{1,5}[A-Za-z]?\b/gu;
/** US military mail: "PSC 1437, Box 3833, APO AA 66791", "Unit 1009 Box 0219 DPO AP 51065". */
const MILITARY_ADDRESS = /\b(?:PSC|Unit|CMR)[ \t]+\d{1,5},?[ \t]+Box[ \t]+\d{1,5},?\s+(?:APO|FPO|DPO)[ \t]+(?:AA|AE|AP)[ \t]+\d{5}\b/gi;
/** French, Italian, Iberian order: "137 Avenue Teboulbi", "20 Rue Hsine Eloued". */
const NUM_KEYWORD_STREET = /\b\d{1,5},?[ \t]+(?:rue|avenue|av\.|boulevard|bd|chemin|allée|allee|impasse|place|via|viale|piazza|calle|rua|avenida|travessa|largo)[ \t]+(?:(?:de|du|des|la|le|les|del|della|do|da|dos|das|al)[ \t]+)*\p{Lu}[\p{L}'’-]*(?:[ \t]+(?:\p{Lu}[\p{L}'’-]*|de|du|des|la|le|del|do|da|al)){0,3}/gu;
/** A street type written as a separate word before the house number: "Villacher Strasse 89", "Trenerys gate 232", "Erzsébet tér 19". */
const STREET_WORD_NUM = /(?<![\p{L}\d])\p{Lu}[\p{L}'’-]*(?:[ \t]+\p{Lu}[\p{L}'’-]*)?[ \t]+(?:[Ss]tra(?:ss|ß)e|STRASSE|[Ss]tr\.|[Gg]asse|[Ww]eg|[Aa]llee|[Pp]latz|[Gg]ate|[Gg]ata|[Gg]atan|[Vv]ei|[Vv]eien|[Vv]egen|[Vv]ej|[Gg]ade|tér|utca|út|ulica|ul\.|katu|tie|tee|laan|straat|kade|sokak|caddesi)[ \t]+\d{1,5}[A-Za-z]?\b/gu;
/** A named street without a number after "on/at/in": "shows on Marina Fort Street". */
const NAMED_STREET = /\b(?:on|at|in|off|along|near)[ \t]+((?:\p{Lu}[\p{L}'’-]*[ \t]+){1,3}(?:Street|Avenue|Road|Boulevard|Lane|Drive|Court|Terrace|Crescent|Parkway|Highway|Way|Place|Square))\b/gu;
/** "83393 Pärna 33": building number, street name, house number (mixed-case text only). */
const NUM_STREET_NUM = /(?<![\w.,/-])\d{1,6}[ \t]+(\p{Lu}\p{L}*\p{Ll}[\p{L}'’-]*(?:[ \t]+[\p{L}][\p{L}'’-]*){0,3})[ \t]+\d{1,5}[A-Za-z]?(?![\w.,/%-]|[.,]\d)/gu;
const ADDRESS_CUE = /\b(?:address(?:\s+is)?|lives?\s+at|living\s+at|located\s+at|resides?\s+at|mail(?:ed)?\s+to|ship(?:ped)?\s+to|send\s+(?:it\s+)?to|return(?:ed)?\s+to|corner\s+of|office\s+is\s+at)\s*:?\s*$/i;
const STREET_PARTICLE = /^(?:de|del|della|dei|di|da|do|dos|das|du|la|le|les|van|von|der|den|het|am|an|im|auf|y|e|i|tee|u|utca|ulica|sur|sous)$/i;
const CITY_STATE = /\b([A-Z][a-zA-Z.'-]+(?:\s[A-Z][a-zA-Z.'-]+){0,2}),\s*([A-Z]{2})(?:\s+(\d{5}(?:-\d{4})?))?\b/g;
const ZIP_CONTEXT = /\b(?:zip|zipcode|zip code|postal code|postcode)\b(?:[ \t]+(?:is|was|number))?\W{0,5}(\d{5}(?:-\d{3,4})?|\d{3} ?\d{2}|\d{3,6}|\d{2}-\d{3}|\d{4}-\d{3}|[A-Z]\d[A-Z] ?\d[A-Z]\d|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2})(?![\w-])/gi;
const FACILITY = /(?:hospital|hosp|medical center|med ctr|medical ctr|med center|health center|health centre|clinic|nursing home|rehab(?:ilitation)? (?:center|hospital|facility)|infirmary|hospice|medical group|care center|assisted living|heart center|cancer center|rehabilitation)\b/gi;
const TRANSFER_PLACE = /\b(?:transferred|transfered|transfer|xfer|sent|admitted|arrived|came|followed|referred|discharged|returned|went|back|seen|treated|hospitalized|lives|resides|moved|medflight|medflighted|flown|taken|brought|presented|trans|enroute|leave|go|going|come|coming)[ \t]+(?:back[ \t]+)?(?:here[ \t]+)?(?:over[ \t]+)?(?:to|from|at|in|into)[ \t]+(?:the[ \t]+)?(?:\d{1,4}[ \t]+)?((?:\p{L}[\p{L}'’.-]*[ \t]*){1,3})/giu;
const AMBIGUOUS_STATE_CODES = new Set(["CO", "MD", "PA", "OR", "IN", "ME", "OK", "HI", "DE", "LA", "MA", "CT", "MS", "MT", "NE", "AL", "ID", "SC", "VA", "WA", "GA", "IA", "MO", "ND", "SD", "PR", "DC", "NP", "RN", "AK"]);
/** A preposition right before a place. */
const PLACE_PREP = /\b(?:in|from|to|at|near|of|outside|around|towards?|via)[ \t]+(?:the[ \t]+)?$/i;
/** Phrases that announce where someone lives, comes from or goes: strong enough for an unknown place. */
const FROM_CUE = /\b(?:i'?m|i am|is|are|was|were|be|been)[ \t]+(?:originally[ \t]+)?from[ \t]+$/i;
const PLACE_CUE = /\b(?:live[sd]?|living|resides?|residing|resident|grew[ \t]+up|born|raised|based|located|headquartered|moved|moving|relocated|relocating|travel(?:l)?(?:ing|ed|s)?|trip|flew|flying|fly|vacation(?:ing)?|holiday|visiting|visited|stay(?:ing|ed|s)?|hometown|native|originally|comes?|came|hails?|home|house|farm|bakery|shop|store|business|works?|worked|working|school|college|church|shelter|street|road|avenue|district|neighbou?rhood|suburb|county|province|region|village|town|city)[ \t]+(?:(?:back|here|there|now|currently|nearby|up|out|down)[ \t]+)?(?:in|from|to|at|near|outside|of)[ \t]+(?:the[ \t]+)?(?:(?:city|town|village|county|state|province|region|area|suburbs?)[ \t]+of[ \t]+)?$/i;
const PREP_WORDS = new Set(["in", "from", "to", "at", "near", "of", "outside", "around", "toward", "towards", "via", "the"]);
const PLACE_PREFIX = new Set(["new", "san", "saint", "st", "los", "las", "el", "la", "le", "fort", "port", "mount", "north", "south", "east", "west", "united", "great", "santa", "upper", "lower", "central"]);
/** First-person presence and labels that announce a place: "I am in Sutri", "Where: Upton". */
const HERE_CUE = /(?:\b(?:i'?m|i am|we'?re|we are)[ \t]+(?:currently[ \t]+|now[ \t]+)?in|\b(?:where|location|city|town|place of birth|birthplace|hometown)[ \t]*:|\bhome city)[ \t]+$/i;
const FACILITY_OK = new Set("u of st saint general university county community regional medical children's childrens mount mt sacred heart holy cross good samaritan valley lake north south east west new city state memorial mercy union baptist methodist presbyterian lutheran jewish christian veterans shriners women's center centre and & health".split(" "));
/** Words that make a hospital's name though each is an ordinary word: "Holy Cross", "Union Memorial", "Good Sam". */
const FACILITY_NAME_WORDS = new Set("good memorial general holy cross mercy union sacred heart samaritan sam sinai baptist methodist presbyterian lutheran jewish christian veterans shriners deaconess episcopal adventist providence covenant trinity".split(" "));
/** Clinical acronyms that follow "to", "at", "from" or "in" without naming a place: "to ICU", "in NSR", "at HS". */
const CLINICAL_ACRONYMS = new Set(
  `ABG ABX ACE ACS ADL AFIB AKI ALS AMA AML ARDS ASA ASAP AVR BKA BMP BNP BPH BRBPR CABG CAD CBC CBI CCB CHF CKD CLL CMO CMV CNS COPD CPR CRF CRI CRP CSF CTA CVA CVL CXR DKA DM DNR DNI DOE DVT EBL EEG EGD EKG ECG EMS ENT ERCP ESRD ETOH EVD FFP FSBS GCS GERD GIB GTT HCP HCT HEENT HHN HOB HPI HTN IABP ICD IDDM ILD INR IVC IVF JP JVD KVO LAD LBBB RBBB LCX LFT LLE LLL LLQ LOC LP LUE LUL LUQ LVH MAE MAP MRSA MSO MVR NGT NIDDM NKA NKDA NPO NSR NSTEMI OOB ORIF OSH PCA PCI PCP PCWP PDA PEA PEEP PERL PICC PMH PNA PNX PRBC PRN PSV PTT PVD RBC RCA RLE RLL RLQ RML ROS RSV RUE RUL RUQ SBP SBT SCD SSI STEMI SVT TBI TEE TF TFS TIA TKR TLC TPN TTE UA UOP URI UTI VAP VRE VSS WBC NSB SB SR AF VT VF VS HR RR BP IV PO PR SQ IM OR ER ED EW PACU CCU CSRU CT MRI MRA KUB US EP IR GI GU RT PT OT SW CM HO AM PM HS QD BID TID QID QHS QOD NS LR DSD DSG BS BM BRP WNL NAD AAO AOX VAD MVA MVC GSW EMT BLS ACLS TX DX HX RX SX FX CX ABD EXT DC VA VNA PMD NH SNF LTAC ALF ADHC HD CVVH CVVHD CRRT PD HDU OBS CDU TICU STICU NICU PICU CVICU MICU SICU ICU CCU PCU ECU RICU NCCU NSICU OPD IOP ICP CPP EVD VPS LOS SAT SATS PFT PFTS DOA DOS AMS LOA CP ROM AVSS PPD TB HIV HCV HBV HSV VZV EBV CDIFF CMV UGIB LGIB SBO NEC AAA PE MI HF AS AR MR TR PS DCM HCM HOCM EF LVEF RVH RVEF CHB AVB MAT AVNRT WPW PSVT NSVT VTACH VFIB SIRS MODS ARF ATN AIN HHS DIC PAT USOH YEST TOD TMRW
  LTC ECF BSC BR FM TM SM HFNC CAM TKO SC LIS LCS LWS LCWS LIWS GD SD HHNK HONK JR VP AP DDD VVI DDI AAI VOO DOO AOO PVCS TPA ABGS CBCS LFTS`.split(/\s+/),
);
const FACILITY_STOP = new Set(["the", "a", "an", "to", "from", "at", "in", "and", "or", "for", "with", "by", "on", "was", "is", "this", "that", "outside", "home", "other", "same", "local", "private", "transfer", "transferred", "osh", "another", "any", "nearest", "previous", "prior", "current"]);

const ZIP_CONTEXT_STICKY = toSticky(ZIP_CONTEXT);
const ZIP_PREFILTER = anchorsCover(DETECTOR_KEYWORDS.zip, ZIP_CONTEXT.source);
const STREET_STICKY = toSticky(STREET_CODE);
const STREET_PREFILTER = regexHash(STREET_CODE) === "d46d5e22";

/**
 * STREET_CODE's matches, found by running it only where a number of at most six digits is
 * followed by blanks and a word character (every match starts so; TextIndex.streetNumberStarts).
 */
function streetMatchesAtNumbers(text: string, idx: TextIndex): RegExpExecArray[] {
  const out: RegExpExecArray[] = [];
  stickyEach(STREET_STICKY, text, idx.streetNumberStarts(), (m) => out.push(m));
  return out;
}

function detectPlaces(text: string, profile: Profile, out: Candidate[], idx?: TextIndex): void {
  const push = (start: number, end: number, severity: Severity, confidence: number, rule: string, category = "location") => {
    // a house or building number right before a street name belongs to the address: "4844 Søndergade 52"
    if (rule === "street-address" && profile === "prose") {
      const lead = /(?:^|[\s>,:])(\d{1,6})[ \t]+$/.exec(text.slice(Math.max(0, start - 10), start));
      if (lead && /^\p{L}/u.test(text.slice(start, start + 1))) start -= lead[0].length - lead[0].indexOf(lead[1]!);
    }
    out.push({ ruleId: rule, category, hipaa: 2, kind: "phi", start, end, severity, confidence });
  };
  const upperCache = new Map<number, boolean>();
  const upper = (at: number) => {
    const key = at >> 7;
    let u = upperCache.get(key);
    if (u === undefined) upperCache.set(key, (u = isUpperText(text, at, at + 1)));
    return u;
  };
  const plainWord = (w: string) => COMMON_WORDS.has(w.toLowerCase()) || CLINICAL_WORDS.has(w.toLowerCase());
  /** An ordinary word unless Capitalised in mixed-case text ("Harbor Hospital" is a name, "HARBOR" alone is not). */
  const ordinary = (w: string, at: number) => plainWord(w) || ((upper(at) || !/^\p{Lu}/u.test(w)) && ENGLISH.has(w.toLowerCase()));
  /** Address lines after a street: unit, city, region, postcode, country ("Apt. 026 Zoetermeer Netherlands 91196"). */
  const tail = (from: number, maxParts: number, onlyCodes = false) => {
    let pos = from;
    for (let parts = 0; parts < maxParts; parts++) {
      const rest = text.slice(pos, pos + 90);
      const m = /^((?:[ \t]*(?:,|>|\?{3}|\r?\n|-)){0,3}[ \t]*)(?:((?:apt|apartment|suite|ste|unit|flat)\.?[ \t]*#?[ \t]*[\w-]+)|(\d{4,6}(?:-\d{3,4})?|\d{2}[ -]\d{3}|[A-Z]\d[A-Z][ ]?\d[A-Z]\d|[A-Z]{1,2}\d[A-Z\d]?[ ]\d[A-Z]{2})(?![\w-])|([A-Z]{2})(?=[ \t]+\d{5}\b)|(\p{Lu}[\p{L}'’-]*(?:[ \t]+(?:\p{Lu}[\p{L}'’-]*|de|la|del|di|da|do|du|le|les|sur|am|an|der|den|upon|on|im|y)){0,3}(?:[ \t]*\([\p{L} ]+\))?))/u.exec(rest);
      if (!m || m[0].length === m[1]!.length) return;
      const s = pos + m[1]!.length;
      const e = pos + m[0].length;
      if (m[5] !== undefined) {
        if (onlyCodes && !(COUNTRIES.has(m[5].toLowerCase()) || US_STATES.has(m[5].toLowerCase()))) return;
        const words = m[5].split(/[ \t]+/);
        if (plainWord(words[0]!) || NATIONALITIES.has(words[0]!.toLowerCase()) || text[e] === ":" || (/\r?\n/.test(m[1]!) && parts > 0 && !cityLookup(m[5].toLowerCase()) && !COUNTRIES.has(m[5].toLowerCase()) && !/^[ \t]*(?:,?[ \t]*[A-Z]{2})?[ \t]*(?:\d{4,6})?[ \t]*(?:\r?\n|$)/.test(text.slice(e, e + 20)))) return;
        const country = [...COUNTRIES].find((c) => m[5]!.toLowerCase().endsWith(" " + c));
        if (country) {
          push(s, e - country.length - 1, "medium", 0.6, "city");
          push(e - country.length, e, "medium", 0.6, "city");
        } else push(s, e, "medium", 0.6, "city");
      } else if (m[3] !== undefined) push(s, e, "medium", 0.65, "zip-code");
      else if (m[4] !== undefined) push(s, e, "medium", 0.55, "city");
      else {
        if (onlyCodes) return;
        push(s, e, "medium", 0.65, "street-address");
      }
      pos = e;
    }
  };
  if (hasDigit(text)) {
    for (const m of profile === "code" ? (idx && STREET_PREFILTER ? streetMatchesAtNumbers(text, idx) : text.matchAll(STREET_CODE)) : text.matchAll(STREET)) {
      const words = m[1]!.trim().split(/[ \t]+/);
      if (words.every((w) => plainWord(w) || /^\d/.test(w))) continue;
      // a street name holds no sentence break and no function word: "28 on repeat. ct", "5 lpc in place"
      if (words.some((w) => (/\.$/.test(w) && !/^\p{Lu}\p{Ll}?\.$/u.test(w)) || /^(?:in|on|at|to|of|for|with|via|per|from|by|is|was|and|or|the|a|an|x|q|hrs?|mins?|ml|cc|mg)$/i.test(w))) continue;
      const isUpper = upper(m.index);
      if (!isUpper && !/^[\p{Lu}\d]/u.test(words[0]!) && !/^\p{Lu}/u.test(m[2]!)) continue;
      if (words.some((w) => CLINICAL_WORDS.has(w.toLowerCase()))) continue;
      if (/^(?:dr|st)$/i.test(m[2]!) && /^[ \t]+[A-Za-z]/.test(text.slice(m.index + m[0].length, m.index + m[0].length + 3))) continue;
      // "2 MEDIASTINAL CT", "3 PERSANTINE THALLIUM ST": a suffix that is also a clinical abbreviation (chest tube,
      // ST segment) makes a street only in Capitalised words or with an address tail after it
      if (profile === "prose" && /^(?:ct|st|dr|pl|ln|ter|cir)$/i.test(m[2]!) && (isUpper || !words.every((w) => /^[\p{Lu}\d]/u.test(w))) && !/^\.?[ \t]*(?:,[ \t]*\p{Lu}|(?:apt|apartment|unit|suite|ste|#)\b|\d{5}\b)/iu.test(text.slice(m.index + m[0].length, m.index + m[0].length + 14))) continue;
      let end = m.index + m[0].length;
      if (m[0].endsWith(".") && m[2]!.length > 4) end--;
      if (profile === "code" && !/\b(?:address|addr|street|line1|residence)\b/i.test(text.slice(Math.max(0, m.index - 40), m.index))) continue;
      push(m.index, end, "high", 0.8, "street-address");
      if (profile === "prose") tail(end, 5);
    }
    if (profile === "prose") {
      for (const re of [UNIT, INTL_STREET_BEFORE, INTL_STREET_SUFFIX, MILITARY_ADDRESS, NUM_KEYWORD_STREET, STREET_WORD_NUM]) {
        for (const m of text.matchAll(re)) {
          if (re === INTL_STREET_BEFORE && (upper(m.index) || !/^\p{Lu}\p{Ll}/u.test(m[1]!) || plainWord(m[1]!))) continue;
          if ((re === NUM_KEYWORD_STREET || re === STREET_WORD_NUM) && (upper(m.index) || !/\p{Ll}/u.test(m[0]) || plainWord(m[0].replace(/^[\d, \t]+/, "").split(/[ \t]/)[re === STREET_WORD_NUM ? 0 : 1] ?? ""))) continue;
          push(m.index, m.index + m[0].length, "medium", 0.65, "street-address");
          tail(m.index + m[0].length, 5);
        }
      }
      for (const m of text.matchAll(NUM_STREET_NUM)) {
        if (upper(m.index)) continue;
        const words = m[1]!.split(/[ \t]+/);
        if (words.some((w) => (plainWord(w) && !STREET_PARTICLE.test(w)) || NATIONALITIES.has(w.toLowerCase()))) continue;
        if (words.length > 1 && !words.slice(1).every((w) => /^\p{Lu}/u.test(w) || STREET_PARTICLE.test(w))) continue;
        push(m.index, m.index + m[0].length, "medium", 0.6, "street-address");
        tail(m.index + m[0].length, 5);
      }
    }
    const zip = (m: RegExpExecArray) => {
      const s = m.index + m[0].lastIndexOf(m[1]!);
      push(s, s + m[1]!.length, "medium", 0.7, "zip-code");
    };
    if (idx && ZIP_PREFILTER) stickyEach(ZIP_CONTEXT_STICKY, text, idx.anchors("zip")!, zip);
    else for (const m of text.matchAll(ZIP_CONTEXT)) zip(m);
  }
  if (profile === "code") return;
  for (const m of text.matchAll(NAMED_STREET)) {
    const words = m[1]!.trim().split(/[ \t]+/);
    if (upper(m.index) || words.slice(0, -1).some((w) => plainWord(w) || NATIONALITIES.has(w.toLowerCase()))) continue;
    const s = m.index + m[0].length - m[1]!.length;
    push(s, m.index + m[0].length, "medium", 0.6, "street-address");
  }
  // A hospital acronym before one of its units: "GH ER", "FROM GH CATH LAB", "dc'd from GH TCU"
  for (const m of text.matchAll(/\b([A-Z]{2,5})[ \t]+(?:ER|ED|EW|E\.R\.|CATH LAB|cath lab|TCU|ICU|CCU|MICU|SICU|CSRU|NICU|PACU|clinic|CLINIC|campus|CAMPUS)\b/g)) {
    const w = m[1]!;
    const l = w.toLowerCase();
    if (CLINICAL_WORDS.has(l) || COMMON_WORDS.has(l) || ENGLISH.has(l) || US_STATE_CODES.has(w) || CREDENTIAL.test(l)) continue;
    push(m.index, m.index + w.length, "medium", 0.55, "facility");
  }
  // A proper word before a facility or unit noun names the facility: "Kimbrough rehab", "from kernan ew",
  // "on mackerer campus". Out-of-vocabulary only (no English, clinical, nationality or name-lexicon word).
  for (const m of text.matchAll(/\b(\p{L}{4,})[ \t]+(?:rehab|campus|ew|er|e\.r\.|emergency[ \t]+room|building|bldg|memorial)\b/giu)) {
    const w = m[1]!;
    const l = w.toLowerCase();
    // "on North Campus": a Capitalised word before a Capitalised facility noun in mixed-case text
    const named = !upper(m.index) && /^\p{Lu}\p{Ll}/u.test(w) && /^\p{Lu}/u.test(m[0].slice(w.length).trim()) && !FACILITY_STOP.has(l) && !FUNCTION_WORD.test(l);
    if (named) {
      push(m.index, m.index + m[0].length, "medium", 0.55, "facility");
      continue;
    }
    if (plainWord(w) || ENGLISH.has(l) || NATIONALITIES.has(l) || VERBISH.test(l) || FACILITY_STOP.has(l) || FIRST_NAMES.has(l)) continue;
    if (/^\p{Ll}/u.test(w) && /^\p{Lu}/u.test(m[0].slice(w.length).trim())) continue;
    push(m.index, m.index + w.length, "medium", 0.55, "facility");
  }
  // Mid-sentence capitals after a place preposition in mixed-case notes name a place even when made
  // of English words: "a transplant at Holy Cross", "on vacation on the Eastern Shore", "Surgeon from Harbor"
  for (const m of text.matchAll(/(?<=\p{Ll}[ \t]+)(?:(?:at|from|to)[ \t]+(?:the[ \t]+)?|on[ \t]+the[ \t]+)((?:\p{Lu}\p{Ll}+)(?:[ \t]+\p{Lu}\p{Ll}+){0,2})\b(?![ \t]*\d|[ \t]+\p{Lu})/gu)) {
    const s = m.index + m[0].length - m[1]!.length;
    if (upper(s)) continue;
    const ws = m[1]!.split(/[ \t]+/);
    if (ws.some((w) => plainWord(w) || NATIONALITIES.has(w.toLowerCase()) || FACILITY_STOP.has(w.toLowerCase()) || FIRST_NAMES.has(w.toLowerCase()) || CREDENTIAL.test(w.toLowerCase()) || TITLE.test(w.toLowerCase()) || /^(?:god|lord|jesus|allah)$/i.test(w))) continue;
    if (!ws.some((w) => ENGLISH.has(w.toLowerCase()))) continue; // unknown words are the other rules' business
    push(s, s + m[1]!.length, "medium", 0.5, "facility");
  }
  // Institutions named after a place: "University of Maryland", "UNIVERSITY OF MD"
  for (const m of text.matchAll(/\b(?:university|college|institute|univ\.?|u)[ \t]+of[ \t]+(\p{L}[\p{L}'’.-]*(?:[ \t]+\p{Lu}[\p{L}'’.-]*)?)/giu)) {
    let place = m[1]!.toLowerCase().replace(/\.$/, "");
    // "UNIVERSITY OF MARYLAND MEDICAL": the place is the first word
    if (!US_STATES.has(place) && US_STATES.has(place.split(/[ \t]+/)[0]!)) place = place.split(/[ \t]+/)[0]!;
    const isPlace = US_STATES.has(place) || US_STATE_CODES.has(m[1]!.toUpperCase().replace(/\.$/, "")) && /^\p{Lu}{2}$/u.test(m[1]!) || cityLookup(place) !== undefined || US_CITIES.has(place) || (/^\p{Lu}/u.test(m[1]!) && !upper(m.index) && !plainWord(m[1]!.split(/[ \t]/)[0]!));
    if (!isPlace || (/^u$/i.test(m[0].split(/[ \t]/)[0]!) && !/^\p{Lu}/u.test(m[0]))) continue;
    push(m.index, m.index + m[0].length, "medium", 0.65, "facility");
  }
  // An address announced by a cue but without a street word: "lives at Růžena 15", "address: Skogstien 106"
  // ("ip-address P 0.000" is no address: the cue is a whole word, the value has a name of 3+ letters)
  for (const m of text.matchAll(/(?<![\w-])(?:address(?:\s+is)?|lives?\s+at|living\s+at|located\s+at|resides?\s+at|return(?:ed)?\s+to|corner\s+of|office\s+is\s+at)\s*:?[ \t]*/gi)) {
    const s = m.index + m[0].length;
    if (!ADDRESS_CUE.test(text.slice(Math.max(0, s - 40), s))) continue;
    const r = /^(?:\d{1,6}[ \t]+)?\p{Lu}[\p{L}'’.-]*(?:[ \t]+(?:\p{Lu}[\p{L}'’.-]*|\d{1,5}[A-Za-z]?|de|la|do|da|di|del|van|von|and)){0,5}/u.exec(text.slice(s, s + 80));
    if (!r || plainWord(r[0].split(/[ \t]/)[0]!) || !/\d/.test(r[0]) || !/\p{L}{3}/u.test(r[0]) || upper(s)) continue;
    if (!/^\d/.test(r[0]) && !/address|lives?|living|resides?/i.test(m[0])) continue;
    push(s, s + r[0].length, "medium", 0.6, "street-address");
    tail(s + r[0].length, 5);
  }
  for (const m of text.matchAll(CITY_STATE)) {
    if (!US_STATE_CODES.has(m[2]!)) continue;
    const cityKnown = US_CITIES.has(m[1]!.toLowerCase()) || cityLookup(m[1]!.toLowerCase()) !== undefined;
    if (!m[3] && !cityKnown && (AMBIGUOUS_STATE_CODES.has(m[2]!) || !/^[A-Z][a-z]/.test(m[1]!))) continue;
    push(m.index, m.index + m[1]!.length, "medium", 0.7, "city");
    if (m[3]) {
      const s = m.index + m[0].lastIndexOf(m[3]);
      push(s, s + m[3].length, "medium", 0.75, "zip-code");
    }
  }
  // Facilities: the proper words before a facility noun ("Franklin Square Hospital", "HOLY CROSS HOSP").
  for (const m of /hosp|medical|med c|health|clinic|nursing|rehab|infirmary|hospice|care cent|assisted|heart cent|cancer cent/i.test(text) ? text.matchAll(FACILITY) : []) {
    const isUpper = upper(m.index);
    const before = text.slice(Math.max(0, m.index - 60), m.index);
    const words = [...before.matchAll(/[\p{L}][\p{L}'’.&-]*/gu)];
    let k = words.length;
    let sawProper = false;
    while (k > 0) {
      const w = words[k - 1]!;
      const gap = before.slice(w.index + w[0].length, k < words.length ? words[k]!.index : before.length);
      if (!/^[ \t]+$/.test(gap) || words.length - k >= 5) break;
      const l = w[0].toLowerCase().replace(/\.$/, "");
      if (US_STATES.has(l) || (isUpper && US_STATE_CODES.has(w[0]) && k >= 2 && /^of$/i.test(words[k - 2]![0]))) { sawProper = true; k--; continue; }
      if (FACILITY_STOP.has(l) || CLINICAL_WORDS.has(l) || /\.$/.test(w[0]) && w[0].length > 3) break;
      if (FACILITY_OK.has(l) || FACILITY_NAME_WORDS.has(l)) {
        // "Memorial Hospital", "HOLY CROSS HOSPITAL": name words, Capitalised (or in an upper-case note)
        if (FACILITY_NAME_WORDS.has(l) && (isUpper || /^\p{Lu}/u.test(w[0]) || (k >= 2 && FACILITY_NAME_WORDS.has(words[k - 2]![0].toLowerCase())))) sawProper = true;
        k--;
        continue;
      }
      const proper = isUpper ? !COMMON_WORDS.has(l) && !ENGLISH.has(l) && !VERBISH.test(l) && l.length >= 2 : /^\p{Lu}/u.test(w[0]) ? !NATIONALITIES.has(l) : !COMMON_WORDS.has(l) && !ENGLISH.has(l) && !VERBISH.test(l) && l.length >= 3;
      if (!proper) break;
      sawProper = true;
      k--;
    }
    while (k < words.length && /^(?:of|and|&)$/i.test(words[k]![0])) k++;
    if (!sawProper || k >= words.length) continue;
    let s = Math.max(0, m.index - 60) + words[k]!.index;
    const saint = /(?:\bst\.?|\bsaint)[ \t]+$/i.exec(text.slice(Math.max(0, s - 8), s));
    if (saint) s -= saint[0].length;
    push(s, m.index + m[0].length, "medium", 0.7, "facility");
  }
  const clinical = clinicalNote(text);
  for (const m of text.matchAll(TRANSFER_PLACE)) {
    const words = m[1]!.split(/[ \t]+/).filter(Boolean);
    const keep: string[] = [];
    // a sentence ends the place: "REFERRED TO GH. ARRIVED"
    const stop = words.findIndex((w) => /[.]$/.test(w) && w.length > 2);
    if (stop >= 0) {
      words.length = stop + 1;
      words[stop] = words[stop]!.replace(/[.]+$/, "");
    }
    for (const w of words) {
      // a lone letter ends the place ("admitted to GH w/ chest pain"), unless it starts one ("U Maryland")
      if (w.length === 1 && keep.length > 0) break;
      if (ordinary(w, m.index) || /^\d/.test(w) || !/^\p{L}[\p{L}'’-]*$/u.test(w) || NATIONALITIES.has(w.toLowerCase()) || FACILITY_STOP.has(w.toLowerCase())) break;
      keep.push(w);
    }
    if (keep.length === 0 || keep.join("").length < 2 || US_STATES.has(keep.join(" ").toLowerCase())) continue;
    const start = m.index + m[0].length - m[1]!.length;
    const after = text.slice(start + keep.join(" ").length, start + keep.join(" ").length + 6);
    const isUpper = upper(m.index);
    const cap = /^\p{Lu}\p{Ll}/u.test(keep[0]!);
    const gaz = cityLookup(keep.join(" ").toLowerCase()) === false || US_CITIES.has(keep.join(" ").toLowerCase());
    // upper-case notes: an uncommon word of 3+ letters, or an acronym before a unit word ("GH ER")
    // (a bare acronym only in clinical notes: "moved to URL objects", "taken from the CLI" name no place)
    const acronym = /^\p{Lu}{2,6}$/u.test(keep[0]!) && keep.length === 1 && clinical;
    // lower-case notes: an uncommon word that is no English word ("sent to gh")
    const lowerProper = /^\p{Ll}+$/u.test(keep[0]!) && keep.length === 1 && !ENGLISH.has(keep[0]!) && /^(?:transferred|transfered|transfer|sent|admitted|referred|medflight|medflighted|arrived|taken|brought|enroute|followed|come|came)\b/i.test(m[0]) && (!/^[ \t]+\p{L}/u.test(after) || /^[ \t]+(?:for|w|with|by|on|at|in|and|via|where|when|after|from|to|er|ed|ew)\b/i.test(text.slice(start + keep[0]!.length, start + keep[0]!.length + 10)));
    if (isUpper ? VERBISH.test(keep[0]!) && !/^[ \t]+(?:er|ed|cath|icu|ccu|tcu|ew)\b/i.test(after) : !(cap || acronym || gaz || lowerProper || (keep[0]!.length >= 4 && /^[ \t]+\d/.test(after)))) continue;
    push(start, start + keep.join(" ").length, "medium", 0.55, "facility");
  }
  // Gazetteer and cues: "lives in Catonsville", "grew up in Remniku", "travelling to Hungary".
  const words = [...text.matchAll(/\p{L}[\p{L}.'’-]*/gu)];
  const lowerCache: (string | undefined)[] = new Array<string | undefined>(words.length);
  const lowerOf = (q: number) => (lowerCache[q] ??= words[q]![0].toLowerCase().replace(/[.,]$/, ""));
  const spaced = (q: number) => q < words.length && text.charCodeAt(words[q]!.index - 1) === 32 && words[q]!.index - 1 === words[q - 1]!.index + words[q - 1]![0].length;
  for (let wi = 0; wi < words.length; wi++) {
    const first = words[wi]![0];
    const c0 = first.charCodeAt(0);
    // cheap exit: a lower-case word that does not follow a preposition is no place
    if (c0 >= 97 && c0 <= 122 && !(wi > 0 && PREP_WORDS.has(lowerOf(wi - 1)))) continue;
    const l0 = lowerOf(wi);
    if ((COMMON_WORDS.has(l0) && !PLACE_PREFIX.has(l0)) || CLINICAL_WORDS.has(l0)) continue;
    const capFirst = /^\p{Lu}/u.test(first);
    const prevWord = wi > 0 ? lowerOf(wi - 1) : "";
    const afterPrep = PREP_WORDS.has(prevWord);
    if (!capFirst && !afterPrep && !/[:]$|city$/i.test(prevWord + (text[words[wi]!.index - 2] ?? ""))) continue;
    // upper-case notes: capitals say nothing, so only a preposition or a label can introduce a place
    if (!afterPrep && upper(words[wi]!.index) && !HERE_CUE.test(text.slice(Math.max(0, words[wi]!.index - 30), words[wi]!.index))) continue;
    // longest gazetteer match of up to three words
    let matched = 0;
    let city: boolean | undefined;
    let country = false;
    let state = false;
    const maxK = multiWordPlaceStart(l0) ? 3 : 1;
    for (let k = maxK; k >= 1; k--) {
      if (k > 1 && !Array.from({ length: k - 1 }, (_, q) => spaced(wi + q + 1)).every(Boolean)) continue;
      const sub = Array.from({ length: k }, (_, q) => lowerOf(wi + q)).join(" ");
      city = US_CITIES.has(sub) ? false : cityLookup(sub);
      country = COUNTRIES.has(sub);
      // a US state alone is not PHI under Safe Harbor; it is part of an address (see tail)
      if (US_STATES.has(sub) && !country) {
        state = true;
        break;
      }
      if (city === undefined && !country) continue;
      matched = k;
      break;
    }
    if (!matched && !capFirst) continue;
    const before = text.slice(Math.max(0, words[wi]!.index - 45), words[wi]!.index);
    const prep = afterPrep && PLACE_PREP.test(before);
    const cue = (prep && (PLACE_CUE.test(before) || FROM_CUE.test(before))) || HERE_CUE.test(before);
    const isUpper = upper(words[wi]!.index);
    const cap = capFirst && !isUpper;
    let strong = false;
    if (matched) {
      const sub = Array.from({ length: matched }, (_, q) => lowerOf(wi + q)).join(" ");
      // a place that is also an English word ("Reading", "Mobile") or a name, or a country, needs a cue
      // countries: not a Safe Harbor element but personal data elsewhere (GDPR): flagged when written as a name
      strong = country ? cue || cap : city === false && !FIRST_NAMES.has(sub) && !NOT_NAMES.has(sub) ? prep || cue || (cap && matched > 1) : (cue || (prep && matched > 1)) && (cap || !isUpper);
    } else if (!state && cue && (cap || (/^\p{Lu}+$/u.test(first) && !isUpper)) && !plainWord(first) && !NATIONALITIES.has(l0) && first.length >= 3) {
      // unknown place after a strong cue, Capitalised in mixed-case text
      matched = 1;
      while (matched < 3 && spaced(wi + matched) && /^\p{Lu}/u.test(words[wi + matched]![0]) && !plainWord(words[wi + matched]![0])) matched++;
      strong = true;
    }
    if (!matched || !strong) continue;
    const last = words[wi + matched - 1]!;
    const end = last.index + last[0].replace(/[.,]$/, "").length;
    push(words[wi]!.index, end, "medium", 0.6, "city");
    tail(end, 2, true);
    wi += matched - 1;
  }
  // Saints name hospitals: "transfer to St. Mary's", "ST. MARY", "St Agnes Hospital" (not "ST CHANGES")
  for (const m of text.matchAll(/\b(?:st\.?|saint)[ \t]+(\p{L}+)(['’]s)?/giu)) {
    const w = m[1]!.toLowerCase();
    if (!FIRST_NAMES.has(w) || ENGLISH.has(w) || COMMON_WORDS.has(w) || CLINICAL_WORDS.has(w)) continue;
    if (!upper(m.index) && !/^\p{Lu}/u.test(m[0]) && !m[2]) continue;
    // "123 Main St. Mary ..." is a street followed by a name
    if (/\d[ \t]+(?:\p{L}+[ \t]+){0,3}$/u.test(text.slice(Math.max(0, m.index - 30), m.index))) continue;
    push(m.index, m.index + m[0].length, "medium", 0.6, "facility");
  }
  // Two hospital-name words after a place preposition, with no facility noun: "went to Holy Cross", "at Union Memorial"
  for (const m of text.matchAll(/\b(?:to|from|at|in)[ \t]+(?:the[ \t]+)?(\p{L}+)[ \t]+(\p{L}+)\b/dgiu)) {
    const a = m[1]!.toLowerCase();
    const b = m[2]!.toLowerCase();
    if (!FACILITY_NAME_WORDS.has(a) || !FACILITY_NAME_WORDS.has(b) || a === b) continue;
    push(m.indices![1]![0], m.indices![2]![1], "medium", 0.55, "facility");
  }
  // A hospital's acronym where a place is expected: "admitted to GH w/", "at GBMC", "retired from GH",
  // after a verb of going, staying or working there (a bare acronym after "to" is mostly a clinical
  // one), or with an article: "a consult from the GBMC". Only in clinical notes: elsewhere "converted
  // to URL", "from the CLI" are technical acronyms.
  for (const re of clinical ? [ACRONYM_AFTER_VERB, ACRONYM_AFTER_ARTICLE] : []) {
    for (const m of text.matchAll(re)) {
      const w = m[1]!;
      const l = w.toLowerCase();
      if (w !== w.toUpperCase() || CLINICAL_WORDS.has(l) || COMMON_WORDS.has(l) || ENGLISH.has(l) || US_STATE_CODES.has(w) || CREDENTIAL.test(l) || CLINICAL_ACRONYMS.has(w)) continue;
      const s = m.index + m[0].length - w.length;
      push(s, s + w.length, "medium", 0.5, "facility");
    }
  }
  // "U Maryland", "U. of Md" is handled above; a city before its state: "Towson, Maryland", "BALTIMORE MD"
  for (const m of text.matchAll(/\bU\.?[ \t]+(\p{L}+)\b/gu)) if (US_STATES.has(m[1]!.toLowerCase()) && /^\p{Lu}/u.test(m[1]!)) push(m.index, m.index + m[0].length, "medium", 0.6, "facility");
  // (found from the state: one pass of a regex of state names, then the word before it)
  US_STATE_NAMES ??= new RegExp(`(?<=\\p{L}[\\p{L}'’-]*[ \\t]*,?[ \\t]+)(?:${[...US_STATES].sort((a, b) => b.length - a.length).join("|")})(?=['’]s\\b|[^\\p{L}'’]|$)`, "giu");
  for (const st of text.matchAll(US_STATE_NAMES)) {
    const base = Math.max(0, st.index - 40);
    const m = /(\p{L}[\p{L}'’-]+)[ \t]*,?[ \t]+$/u.exec(text.slice(base, st.index));
    if (!m) continue;
    const city = m[1]!.toLowerCase();
    if (plainWord(m[1]!) || US_STATES.has(city) || !(cityLookup(city) === false || US_CITIES.has(city))) continue;
    push(base + m.index, base + m.index + m[1]!.length, "medium", 0.6, "city");
  }
  // Wards and buildings named after people or places: "transfer to Quartermain 2", "FROM QUARTERMAIN 3"
  for (const m of text.matchAll(/\b(?:to|from|plan:)[ \t]+(?:the[ \t]+)?(\p{L}[\p{L}'’-]{3,})[ \t]+(\d{1,2})(?![\d,:/%-]|\.\d|[ \t]*(?:mg|mcg|ml|cc|l|units?|u|meq|gm?|%|hrs?|hours?|min|mins|minutes|days?|x|times|am|pm|liters?|lpm|kg|mmhg|cm|mm)\b)/giu)) {
    const w = m[1]!;
    if (ordinary(w, m.index) || NATIONALITIES.has(w.toLowerCase()) || VERBISH.test(w) || FACILITY_STOP.has(w.toLowerCase())) continue;
    const s = m.index + m[0].indexOf(w, m[0].length - m[1]!.length - m[2]!.length - 2);
    push(s, s + w.length, "medium", 0.55, "facility");
  }
}

/** Where a hospital acronym stands: after a verb of going or staying there, or after "the" (clinical notes only). */
const ACRONYM_AFTER_VERB = /\b(?:admitted|admission|transferred|transfered|transfer|xfer|sent|taken|went|go|going|came|come|coming|arrived|arrival|retired|works?|worked|working|employed|seen|treated|flighted|flown|flew|transported|brought|discharged|returned|back|tx|tx'd|presented|referred|hospitalized|stay|stayed|died|born|(?:is|i'm|he's|she's|was|were|be)(?:[ \t]+still)?|far|had|done)[ \t]+(?:here[ \t]+)?(?:to|at|from|in|into)[ \t]+(?:the[ \t]+)?([A-Z]{2,4})(?![\w'’/&-]|\.\w)/gi;
const ACRONYM_AFTER_ARTICLE = /\b(?:to|from|at|in)[ \t]+(?:the|THE)[ \t]+([A-Z]{2,4})(?![\w'’/&-]|\.\w)/gi;
let US_STATE_NAMES: RegExp | undefined;
const CLINICAL_CUE = /\b(?:pt|patient|admit\w*|icu|ccu|micu|sicu|csru|ed|er|hospital|nurse|rn|md|dr|iv|po|prn|bid|bp|hr|rr|sats?|o2|meds?|dx|hx|s\/p|c\/o|w\/|transferred|discharged?|intubated|extubated|vent|foley|lasix|npo|pmh|hpi|cath|labs?|neuro|resp|cv|gi|gu)(?!\w)/gi;
/** A clinical note: clinical abbreviations at least once every 300 characters (two at least). */
export function clinicalNote(text: string): boolean {
  let n = 0;
  for (const _ of text.matchAll(CLINICAL_CUE)) if (++n >= 2 && n * 300 >= text.length) return true;
  return false;
}

/**
 * A document names the same person or place more than once, but cues surround only some mentions:
 * every other mention of a word found as a name or place is one too ("sent to Kimbrough" ...
 * "KIMBROUGH CALLED"). Only words no vocabulary knows (English, clinical, common) travel.
 */
function propagateMentions(text: string, ctx: Candidate[]): void {
  const WORD = /\p{L}+(?:['’-]\p{L}+)*/gu;
  const seen = new Map<string, { src: Candidate; acronym: boolean }>();
  for (const c of ctx) {
    if (c.category !== "name" && c.ruleId !== "facility" && c.ruleId !== "city") continue;
    for (const m of text.slice(c.start, c.end).matchAll(WORD)) {
      const w = m[0];
      const l = w.toLowerCase();
      const acronym = /^\p{Lu}{2,3}$/u.test(w);
      if ((w.length < 4 && !acronym) || seen.has(l) || COMMON_WORDS.has(l) || CLINICAL_WORDS.has(l) || ENGLISH.has(l) || NATIONALITIES.has(l)) continue;
      seen.set(l, { src: c, acronym });
    }
  }
  if (seen.size === 0) return;
  const extra: Candidate[] = [];
  for (const m of text.matchAll(WORD)) {
    const hit = seen.get(m[0].toLowerCase());
    // a short acronym travels only in capitals: "GH", not "gh" in a lower-case word sense
    if (!hit || (hit.acronym && m[0] !== m[0].toUpperCase())) continue;
    const s = m.index;
    const e = s + m[0].length;
    if (ctx.some((c) => c.start < e && c.end > s)) continue;
    extra.push({ ...hit.src, start: s, end: e, severity: "medium", confidence: Math.min(hit.src.confidence, 0.6) });
  }
  ctx.push(...extra);
}

// ---------------------------------------------------------------- scanner

let crypto: typeof import("node:crypto") | undefined;
let fingerprintKey: Uint8Array | (() => Uint8Array) | undefined;
let resolvedKey: Uint8Array | undefined;

/**
 * The secret that keys finding fingerprints (HMAC-SHA256), or a function giving it, called once on
 * the first finding (so a clean run never looks for it). Without one a random key is made per
 * process: fingerprints then hide the value but match nothing across runs. See docs/SECURITY.md.
 */
export function setFingerprintKey(key: Uint8Array | (() => Uint8Array) | undefined): void {
  fingerprintKey = key;
  resolvedKey = undefined;
}

const normalise = (value: string) => value.replace(/\s+/g, " ").trim().toLowerCase();

/** Fingerprint scheme "hmac-sha256/v2": HMAC of rule, path and normalised value under the fingerprint key. */
export function fingerprint(ruleId: string, path: string | undefined, value: string): string {
  // node:crypto loads on the first finding only: a clean hook run never pays for it
  crypto ??= createRequire(import.meta.url)("node:crypto") as typeof import("node:crypto");
  resolvedKey ??= typeof fingerprintKey === "function" ? fingerprintKey() : fingerprintKey ?? crypto.randomBytes(32);
  return crypto.createHmac("sha256", resolvedKey).update(`${ruleId}\0${path ?? ""}\0${normalise(value)}`).digest("hex").slice(0, 32);
}

/**
 * The unkeyed fingerprint of earlier versions (scheme v1: SHA-256 of the same input). Brute-forceable
 * for low-entropy values: computed only to match an old baseline until it is migrated, never written.
 */
export function legacyFingerprint(ruleId: string, path: string | undefined, value: string): string {
  crypto ??= createRequire(import.meta.url)("node:crypto") as typeof import("node:crypto");
  return crypto.createHash("sha256").update(`${ruleId}\0${path ?? ""}\0${normalise(value)}`).digest("hex").slice(0, 32);
}

/** Mask a value for display: keep at most the first and last character of long values. */
export function maskValue(value: string): string {
  const flat = value.replace(/\s+/g, " ");
  if (flat.length <= 4) return "*".repeat(flat.length);
  if (flat.length <= 8) return flat[0] + "*".repeat(flat.length - 1);
  return flat[0] + "*".repeat(Math.min(flat.length - 2, 24)) + flat[flat.length - 1];
}

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
const NO_PLAN: PrefilterPlan = { kind: "none", gateNeeded: false, starts: undefined, impliesGate: false, sticky: undefined };

/** Characters a scanner sees before "auto" switches to the prefiltered path. */
export const PREFILTER_AFTER = 128 * 1024;

const SEVERITY_RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2 };

export class Scanner {
  private readonly rules: Rule[];
  private readonly kinds: Set<Kind>;
  private readonly disabled: Set<string>;
  private readonly anchors = new Map<string, RegExp>();
  private readonly prefilter: boolean | "auto";
  private seen = 0;
  private readonly sticky = new Map<RegExp, RegExp>();
  private readonly budgetMs: number;
  /** performance.now() after which user patterns stop on the current text (0: not started). */
  private deadline = 0;

  constructor(options: ScannerOptions = {}) {
    this.disabled = new Set(options.disabledRules ?? []);
    this.prefilter = options.prefilter ?? "auto";
    this.kinds = new Set(options.kinds ?? ["phi", "secret"]);
    const extra: Rule[] = (options.extraRules ?? []).map((r) => ({
      id: r.id,
      category: r.category,
      hipaa: r.hipaaIdentifier,
      kind: r.kind ?? (r.category === "secret" ? "secret" : "phi"),
      re: r.regex instanceof RegExp ? new RegExp(r.regex.source, r.regex.flags.includes("g") ? r.regex.flags : r.regex.flags + "g") : NEVER,
      user: r.regex instanceof RegExp ? undefined : r.regex,
      severity: r.severity,
      confidence: 0.7,
      perLine: true,
    }));
    this.budgetMs = Number(process.env.GITOPS_HEALTH_RULE_BUDGET_MS) || USER_RULE_BUDGET_MS;
    this.rules = [...RULES, ...extra].filter((r) => !this.disabled.has(r.id) && this.kinds.has(r.kind)).map(sameShape);
  }

  /** Validate a match and record it; false when the validator rejects it. */
  private accept(rule: Rule, value: string, m: RegExpExecArray, text: string, start: number, profile: Profile, out: Candidate[]): boolean {
    let synthetic = false;
    if (rule.validate) {
      const ok = rule.validate(value, m, text);
      if (ok === false) return false;
      synthetic = ok === "sample";
    }
    const sev = typeof rule.severity === "string" ? rule.severity : rule.severity[profile];
    out.push({ ruleId: rule.id, category: rule.category, hipaa: rule.hipaa, kind: rule.kind, start, end: start + value.length, severity: synthetic ? "low" : sev, confidence: rule.confidence, synthetic: synthetic || undefined });
    return true;
  }

  /** Raw candidates (offsets into `text`), overlaps resolved. */
  candidates(text: string, profile: Profile, path?: string): Candidate[] {
    const out: Candidate[] = [];
    if (this.kinds.has("phi")) {
      const structured = scanHl7(text) ?? (path && /\.(?:csv|tsv)$/i.test(path) ? scanDelimited(text, path) : undefined) ?? (/^\s*[{[]/.test(text) ? scanFhirJson(text, (d) => this.candidates(d, "prose")) : undefined);
      if (structured) {
        out.push(...structured);
        // Structured files are data, not code: scan free text in them as prose.
        profile = "prose";
      } else if (profile === "code") out.push(...scanFhirShaped(text));
    }
    const fast = this.prefilter === true || (this.prefilter === "auto" && (this.seen += text.length) > PREFILTER_AFTER);
    this.deadline = 0;
    const idx = fast ? new TextIndex(text, KEYWORDS) : undefined;
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
    if (this.kinds.has("phi")) {
      const ctx: Candidate[] = [];
      if (!this.disabled.has("date")) detectDates(text, profile, ctx, idx);
      detectNames(text, profile, ctx, idx);
      if (profile === "prose") detectSignature(text, ctx);
      detectPlaces(text, profile, ctx, idx);
      if (profile === "prose") propagateMentions(text, ctx);
      for (const c of ctx) if (!this.disabled.has(c.ruleId)) out.push(c);
    }
    return resolveOverlaps(out);
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
    const anchor = (this.anchors.get(rule.id) ?? this.anchors.set(rule.id, new RegExp(rule.context!.source, "gi")).get(rule.id))!;
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
    if (rule.context) plan = (rule.anchorStarts ? rule.derivedFrom === regexHash(rule.re) : anchorsCover(rule.keywords, rule.context.source)) ? { ...NO_PLAN, kind: "anchored", gateNeeded: rule.anchorGate === true } : NO_PLAN;
    else {
      // the rule's regex must be the one its start function was derived from
      const fast = rule.atChar ? undefined : rule.starts;
      plan = fast && rule.derivedFrom === regexHash(rule.re) ? { ...NO_PLAN, kind: "starts", starts: fast, impliesGate: rule.impliesGate === true, sticky: this.stickyOf(rule.re) } : NO_PLAN;
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
      if (quick && rule.id === "email" && (!EMAIL_LOCAL.test(text[at - 1] ?? "") || !EMAIL_DOMAIN.test(text[at + 1] ?? ""))) continue;
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
        out.push({ ruleId: rule.id, category: rule.category, hipaa: rule.hipaa, kind: rule.kind, start: lineStart + m.index, end: lineStart + m.index + m.length, severity: sev, confidence: rule.confidence });
      }
      lineStart = lineEnd + 1;
    }
    return true;
  }

  private overBudget(at: number, out: Candidate[]): false {
    out.push({ ruleId: "custom-rule-budget", category: "scan-incomplete", kind: "secret", start: at, end: at, severity: "high", confidence: 1 });
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
          out.push({ ruleId: rule.id, category: rule.category, hipaa: rule.hipaa, kind: rule.kind, start: lineStart + m.index, end: lineStart + m.index + m[0].length, severity: sev, confidence: rule.confidence });
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
}

/** Keep the strongest of overlapping candidates; identical spans keep the more specific rule. */
export function resolveOverlaps(cands: Candidate[]): Candidate[] {
  if (cands.length === 0) return cands;
  // A known synthetic value stays synthetic even when a looser rule also matched it.
  const synthetic = cands.filter((c) => c.synthetic);
  if (synthetic.length) cands = cands.filter((c) => c.synthetic || !synthetic.some((x) => x.category === c.category && c.start < x.end && x.start < c.end));
  // A span strictly inside a longer one (a name inside an e-mail address) is part of it.
  cands = cands.filter((c) => c.category !== "name" || !cands.some((o) => o.category !== "name" && o.kind === c.kind && o.start <= c.start && o.end >= c.end && o.end - o.start > c.end - c.start));
  const sorted = [...cands].sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || b.confidence - a.confidence || b.end - b.start - (a.end - a.start));
  const kept: Candidate[] = [];
  for (const c of sorted) {
    if (kept.some((k) => c.start < k.end && k.start < c.end)) continue;
    kept.push(c);
  }
  return kept.sort((a, b) => a.start - b.start);
}

export function toFindings(text: string, cands: Candidate[], options: ScanTextOptions): Finding[] {
  if (cands.length === 0) return [];
  const lineStarts = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) lineStarts.push(i + 1);
  const firstLine = options.firstLine ?? 1;
  return cands.map((c) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= c.start) lo = mid;
      else hi = mid - 1;
    }
    const value = text.slice(c.start, c.end);
    const f: Finding = {
      ruleId: c.ruleId,
      category: c.category,
      ...(c.hipaa !== undefined ? { hipaaIdentifier: c.hipaa } : {}),
      severity: c.severity,
      confidence: c.confidence,
      ...(options.path !== undefined ? { file: options.path } : {}),
      line: lo + firstLine,
      column: c.start - lineStarts[lo]! + 1,
      start: c.start,
      end: c.end,
      ...(options.commit !== undefined ? { commit: options.commit } : {}),
      preview: maskValue(value),
      fingerprint: fingerprint(c.ruleId, options.path, value),
      ...(c.synthetic ? { synthetic: true } : {}),
    };
    return f;
  });
}
