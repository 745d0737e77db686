import type { Severity } from "../types.js";
import type { Candidate, Profile } from "../candidate.js";
import { FIRST_NAMES, SURNAMES, NOT_NAMES } from "../data/names.js";
import { COMMON_WORDS, CLINICAL_WORDS, NATIONALITIES, SPECIES } from "../data/words.js";
import { anchorsCover, stickyEach, toSticky, type TextIndex } from "../prefilter.js";
import {
  BIG_NAMES,
  CAP_WORD,
  ENGLISH,
  W_CLINICAL,
  W_COMMON,
  W_COUNTRY,
  W_CREDENTIAL,
  W_FIRST,
  W_FIRST_DETECTOR_BIT,
  W_FUNCTION,
  W_NATIONALITY,
  W_NOT_NAME,
  W_SURNAME,
  W_TITLE,
  W_US_STATE,
  W_VERBISH,
  computeWordFlags,
  isUpperText,
} from "./lexicon.js";
import { TF_UPPER, TF_WIDE, WORDS, WordClasses, wordTokens } from "./tokens.js";
import { cueGroup, cuesOf, isAsciiText } from "./cues.js";
import { anchored, anchoredWords, matchesOf } from "./anchored.js";

/** The first words of the strong name cues ("my name is", "name:", "call me", "named"): src/phi/detect/cues.ts. */
const CUE_NAME_IS = cueGroup(["my", "name", "call", "calls", "named"]);
import type { Detector } from "./detector.js";

/**
 * Person names (HIPAA identifier 1). Prose: cues (titles, roles, relations, credentials, person
 * verbs), lexicons and case, then every name found grows over neighbouring initials and unknown
 * words; signatures. Code: names assigned to person-name fields.
 */

// Tokens: the matches of \p{L}[\p{L}'’]* (flags gu), found by the shared token pass (tokens.ts).
const WEAK_TITLE = /^(?:ms|miss|nurse|rev)$/;
/** Roles written before a person's name in notes: "caseworker Leona ...", "HO SCHWARZ", "chaplain Pat ...". */
const ROLE_BEFORE =
  /^(?:caseworker|chaplain|chapl|lawyer|attorney|sw|msw|ho|pastor|priest|rabbi|interpreter|translator|coordinator|therapist|dietitian|nutritionist|pharmacist)$/;
const RELATION =
  /^(?:wife|husband|spouse|daughter|daughters|son|sons|mother|mom|father|dad|sister|sisters|brother|brothers|niece|nephew|aunt|uncle|cousin|grandson|granddaughter|grandmother|grandfather|grandma|grandpa|friend|partner|fiance|fiancee|boyfriend|girlfriend|neighbor|neighbour|hcp|proxy|guardian|sibling|stepson|stepdaughter|kid|kids|child|baby|grandchild|grandkid|stepmother|stepfather|stepmom|stepdad|caregiver|roommate|dtr|sis|bro|niece|nephews|nieces|companion)$/;
const PERSON_VERB_BEFORE =
  /^(?:per|by|with|called|paged|notified|informed|spoke|discussed|seen|told|reach|reached|meet|met|attending|resident|fellow|covering|cc|signed|dictated|cosigned|asked|contacted|contact|update|updated|consult|consulted|page|call|notify)$/;
const PERSON_VERB_AFTER =
  /^(?:aware|notified|paged|called|informed|updated|here|visited|visiting|spoke|states|stated|reports|reported|agrees|agreed|requests|requested|says|said|wants|wishes)$/;

interface Tok {
  s: string;
  l: string;
  start: number;
  end: number;
  i: number;
  /** The interned id of `l` (tokens.ts), -1 when the word table started over during this text. */
  id: number;
  /** Word-class bits of `l` (W_*, N_*), plus the lazily answered T_* bits. */
  f: number;
}
const SURNAME_SHAPE =
  /^\p{Lu}\p{Ll}+(?:s?son|sen|sdóttir|dóttir|dottir|ski|ska|sky|skaya|wicz|owicz|czyk|ović|ovic|ević|ić|enko|chuk|yan|ian|ishvili|adze|oğlu|oglu|opoulos|akis|escu|eanu|ov|ova|ová|ev|eva|ová|ina|ovich|ovna|berg|stein|mann|baum|feld|sson|quist|qvist|ström|strom|gaard|haug|ainen|inen|nen|oğlu|zadeh|pour|uddin|ullah|ahmed)$/u;
const TREATMENT_BEFORE =
  /\b(?:on|received?|receiving|started|start|given|give|continued?|increased|decreased|dc|d\/c|d\/cing|cing|consider|#\d+)[ \t]+$/i;
/** Occupations used as a title before a name in ordinary prose: "Producer Liviana Palerma". */
const OCCUPATION =
  /^(?:producer|director|author|writer|novelist|poet|singer|songwriter|actor|actress|artist|painter|composer|engineer|manager|ceo|cfo|cto|president|chairman|chairwoman|senator|governor|mayor|judge|officer|detective|inspector|coach|teacher|captain|sergeant|lieutenant|colonel|agent|lawyer|attorney|journalist|reporter|editor|photographer|designer|architect|chef|pilot|pastor|priest|rabbi|imam|deacon|therapist|counselor|counsellor|pharmacist|dentist|surgeon|physician|midwife|paramedic|coordinator|supervisor|technician|assistant|secretary|spokesman|spokeswoman|spokesperson|minister|ambassador|commissioner|sheriff|chief|king|queen|prince|princess|saint|uncle|aunt)$/;
/** Verbs after a person's name at the start of a sentence: "Mehrudin shouted", "Quionia is from". */
const HUMAN_VERB_AFTER =
  /^[ \t]+(?:said|says|shouted|replied|asked|told|tells|explained|wrote|writes|began|begins|spent|lives|lived|works|worked|is from|was from|was born|died|smiled|laughed|married|studied|graduated|joined|founded|had given|has given|gave|met|visited|called|thinks|thought|believes|believed|wants|wanted|loves|loved|hates|knows|knew|went|came|left|arrived|returned|decided|agreed|refused|admitted|claimed|added|noted|remembered)\b/;
/** Words right before a person's name in ordinary prose. */
const NAME_CUE =
  /(?:\bname(?:\s+is|\s*:|\?)|\bsigned\s*:|\bi'?m|\bi am|\bcalls? me|\bsays|\bsaid|\bassistant to|\bstarring|\bwritten by|\bdirected by|\bsigned by|\bregards,|\bsincerely,|\bdear|\bhello|\bcontact(?:ed)?)\s*$/i;

/** Eponyms: "Riker scale", "Fick method", "Swan catheter" are not people in notes. */
const EPONYM_AFTER =
  /^[ \t]+(?:scale|score|method|principle|criteria|sign|syndrome|disease|maneuver|manoeuvre|catheter|tube|trach|valve|test|classification|equation|formula|reflex|position)\b/i;
/** Words after "Dr"/"Mr" that are no surname: "dr ok'd", "dr here", "MD team", "dr's orders". */
const NAME_TITLE_STOP =
  /^(?:team|teams|service|office|orders?|note|notes|visit|today|tonight|now|then|here|there|yesterday|tomorrow|also|unit|floor|staff|please|thanks|who|which|whom|what|and|or|the|a|an|at|in|on|to|of|for|from|with|by|re|pt|patient)$/;

/** This detector's own word classes, as bits beside lexicon.ts's W_* (see `nameFlags`). */
const N_WEAK_TITLE = 1 << W_FIRST_DETECTOR_BIT;
const N_ROLE_BEFORE = 1 << (W_FIRST_DETECTOR_BIT + 1);
const N_SPECIES = 1 << (W_FIRST_DETECTOR_BIT + 2);
const N_RELATION = 1 << (W_FIRST_DETECTOR_BIT + 3);
const N_PERSON_VERB_BEFORE = 1 << (W_FIRST_DETECTOR_BIT + 4);
const N_PERSON_VERB_AFTER = 1 << (W_FIRST_DETECTOR_BIT + 5);
const N_OCCUPATION = 1 << (W_FIRST_DETECTOR_BIT + 6);
const N_NAME_TITLE_STOP = 1 << (W_FIRST_DETECTOR_BIT + 7);
/** Credentials written before a name: "NP Wolfe", "per np grace". */
const CREDENTIAL_BEFORE = /^(?:np|rn|pa|md|lpn|rrt)$/;
const N_CREDENTIAL_BEFORE = 1 << (W_FIRST_DETECTOR_BIT + 8);
const NAME_CLASSES: readonly RegExp[] = [
  WEAK_TITLE,
  ROLE_BEFORE,
  SPECIES,
  RELATION,
  PERSON_VERB_BEFORE,
  PERSON_VERB_AFTER,
  OCCUPATION,
  NAME_TITLE_STOP,
  CREDENTIAL_BEFORE,
];
const nameFlags = new WordClasses((l) => {
  let f = computeWordFlags(l);
  for (let k = 0; k < NAME_CLASSES.length; k++) if (NAME_CLASSES[k]!.test(l)) f |= 1 << (W_FIRST_DETECTOR_BIT + k);
  return f;
});
/** Answered on first use per token (their lexicons load lazily): done and value bits. */
const T_ENGLISH_DONE = 1 << 25;
const T_ENGLISH = 1 << 26;
const T_BIG_DONE = 1 << 27;
const T_BIG = 1 << 28;
const T_CAP_DONE = 1 << 29;
const T_CAP = 1 << 30;
if (W_FIRST_DETECTOR_BIT + NAME_CLASSES.length > 25) throw new Error("names: word-class bits overlap the token bits");
/** The lazily loaded lexicons' answers, once per distinct word (asked only when a token needs them). */
const ENGLISH_CLASS = new WordClasses((l) => (ENGLISH.has(l) ? 1 : 0));
const BIG_CLASS = new WordClasses((l) => (BIG_NAMES.has(l) ? 1 : 0));

/** Whether token `t` is in the word class(es) `bit`. */
const is = (t: Tok, bit: number): boolean => (t.f & bit) !== 0;
/** ENGLISH.has(t.l), asked once per token. */
function english(t: Tok): boolean {
  if ((t.f & T_ENGLISH_DONE) === 0)
    t.f |= T_ENGLISH_DONE | ((t.id >= 0 ? ENGLISH_CLASS.of(t.id) !== 0 : ENGLISH.has(t.l)) ? T_ENGLISH : 0);
  return (t.f & T_ENGLISH) !== 0;
}
/** BIG_NAMES.has(t.l), asked once per token. */
function bigName(t: Tok): boolean {
  if ((t.f & T_BIG_DONE) === 0)
    t.f |= T_BIG_DONE | ((t.id >= 0 ? BIG_CLASS.of(t.id) !== 0 : BIG_NAMES.has(t.l)) ? T_BIG : 0);
  return (t.f & T_BIG) !== 0;
}
/** capWord(t), asked once per token. */
function capWord(t: Tok): boolean {
  if ((t.f & T_CAP_DONE) === 0) {
    // CAP_WORD starts with a capital (its prefixes too): a word starting with a-z is answered without it
    const c = t.s.charCodeAt(0);
    t.f |= T_CAP_DONE | (!(c >= 97 && c <= 122) && CAP_WORD.test(t.s) ? T_CAP : 0);
  }
  return (t.f & T_CAP) !== 0;
}

/** Whether token `t` starts with a-z. */
function lowerStart(t: Tok): boolean {
  const c = t.s.charCodeAt(0);
  return c >= 97 && c <= 122;
}
/** The words the main loop of `detectNames` tests by name ("case manager", "significant other", "contact person", "poa"). */
const LOOP_WORD = (l: string): boolean => l === "manager" || l === "other" || l === "person" || l === "poa";

function isDigitAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return c >= 48 && c <= 57;
}

/**
 * Speaker labels ('Ubul: What a wife.'), anchored (src/phi/detect/anchored.ts) at the colons of an
 * ASCII text: every match is a capital, lower-case letters or apostrophes, then ":", and starts at
 * that word (at a line start), at the newline before it, or at the `.!?"` before the blanks
 * before it. A text with a character ≥ 128 runs the regex over the whole text.
 */
const SPEAKER = anchored("speaker-label", /(?:^|[.!?"”]\s+|\n)(\p{Lu}[\p{Ll}'’]+):[ \t]*(["“]?)/gmu, (text) => {
  if (!isAsciiText(text)) return undefined;
  const out: number[] = [];
  for (let c = text.indexOf(":"); c >= 0; c = text.indexOf(":", c + 1)) {
    let r = c;
    for (let d = text.charCodeAt(r - 1); (d >= 97 && d <= 122) || d === 39; d = text.charCodeAt(r - 1)) r--;
    const w = r - 1;
    const u = text.charCodeAt(w);
    if (r === c || !(u >= 65 && u <= 90)) continue;
    // the blanks before the word (\s: ASCII text), then one of . ! ? "
    let q = w;
    for (let d = text.charCodeAt(q - 1); d === 32 || (d >= 9 && d <= 13); d = text.charCodeAt(q - 1)) q--;
    const p = text.charCodeAt(q - 1);
    if (q < w && (p === 46 || p === 33 || p === 63 || p === 34)) out.push(q - 1);
    const b = text.charCodeAt(w - 1);
    if (b === 10) out.push(w - 1);
    if (w === 0 || b === 10 || b === 13) out.push(w);
  }
  return out;
});

/**
 * Per-text byte arrays of `detectNames` (taken, case blocks, two memos), cut from buffers kept
 * between texts: a typed array of more than 64 bytes is a separately allocated backing store.
 * `zeroed(k, n)` is buffer k's first n bytes, zeroed (a view of exactly n: reads past it are
 * undefined, as on a new array).
 */
const SCRATCH: Uint8Array[] = [0, 1, 2, 3].map(() => new Uint8Array(4096));
const KEPT_BYTES = 1 << 16;
function zeroed(k: number, n: number): Uint8Array {
  let b = SCRATCH[k]!;
  if (n > b.length) {
    if (n > KEPT_BYTES) return new Uint8Array(n);
    SCRATCH[k] = b = new Uint8Array(Math.min(KEPT_BYTES, Math.max(n, b.length * 2)));
  }
  const v = b.subarray(0, n);
  v.fill(0);
  return v;
}

/**
 * The strong name cues, anchored (src/phi/detect/anchored.ts) at their first words: every match
 * starts at a word boundary with "my", "name", "call", "calls" or "named" as a whole run of letters.
 */
const NAME_IS = anchoredWords(
  "name-is",
  /\b(?:my name is|name is|name:|call me|calls me|named|named him|named her)[ \t]+(\p{Ll}[\p{L}'’-]+)(?:[ \t]+(\p{Ll}[\p{L}'’-]+))?/giu,
  ["my", "name", "call", "calls", "named"],
);

function detectNames(text: string, profile: Profile, out: Candidate[], idx?: TextIndex): void {
  if (!/\p{L}/u.test(text)) return;
  if (profile === "code") {
    detectCodeNames(text, out, idx);
    return;
  }
  const firstOut = out.length;
  const toks: Tok[] = [];
  // the tokens (see above), each word's classes looked up once; the shared word pass (tokens.ts)
  // hashed each ASCII token as it read it
  const tk = wordTokens(text);
  const generation = WORDS.generation;
  for (let k = 0; k < tk.n; k++) {
    const start = tk.starts[k]!;
    const tokEnd = tk.ends[k]!;
    let end = tokEnd;
    // letters glued to a digit are part of a code ("893Ree", "R5Sehi", "Bed4A"), not a word
    if (isDigitAt(text, start - 1) || isDigitAt(text, end)) continue;
    // a possessive is not part of the name: "Szczepańska's killers"
    if (end - start > 3) {
      const c1 = text.charCodeAt(end - 1);
      const c2 = text.charCodeAt(end - 2);
      if ((c1 === 115 || c1 === 83) && (c2 === 39 || c2 === 0x2019)) end -= 2;
    }
    const tf = tk.flags[k]!;
    const id =
      end === tokEnd && (tf & TF_WIDE) === 0
        ? WORDS.idHashed(text, start, end, tk.hashes[k]!, (tf & TF_UPPER) === 0)
        : WORDS.id(text, start, end);
    const l = WORDS.word(id);
    // an ASCII word without capitals is its interned lower-case string: no new string for it
    const s = WORDS.lastAscii && WORDS.lastLower ? l : text.slice(start, end);
    toks.push({ s, l, start, end, i: toks.length, id, f: nameFlags.of(id) });
  }
  // the word table started over while the tokens were read: their ids are of two generations
  if (WORDS.generation !== generation) for (const t of toks) t.id = -1;
  const taken = zeroed(0, toks.length);
  const push = (i: number, j: number, severity: Severity, confidence: number, rule: string) => {
    for (let k = i; k <= j; k++) taken[k] = 1;
    out.push({
      ruleId: rule,
      category: "name",
      hipaa: 1,
      kind: "phi",
      start: toks[i]!.start,
      end: toks[j]!.end,
      severity,
      confidence,
    });
  };
  const sep = (a: Tok, b: Tok) => text.slice(a.end, b.start);
  /** sep(a, b).includes(String.fromCharCode(c)), without a slice. */
  const gapHas = (a: Tok, b: Tok, c: number) => {
    for (let k = a.end; k < b.start; k++) if (text.charCodeAt(k) === c) return true;
    return false;
  };
  /** 1-3 characters between: blanks and at most one "." or "," (/^[ \t]*[.,]?[ \t]*$/, without a slice). */
  const adjacent = (a: Tok, b: Tok) => {
    const g = b.start - a.end;
    if (g < 1 || g > 3) return false;
    let punct = 0;
    for (let k = a.end; k < b.start; k++) {
      const c = text.charCodeAt(k);
      if (c === 32 || c === 9) continue;
      if ((c === 46 || c === 44) && punct++ === 0) continue;
      return false;
    }
    return true;
  };
  /** Only blanks between, at least one (/^[ \t]+$/ on the gap, without a slice). */
  const blank = (a: Tok, b: Tok) => {
    if (b.start <= a.end) return false;
    for (let k = a.end; k < b.start; k++) {
      const c = text.charCodeAt(k);
      if (c !== 32 && c !== 9) return false;
    }
    return true;
  };
  // isUpperText of the first token asked about in each block of 16 (0: not yet, 1: false, 2: true)
  const upperCache = zeroed(1, (toks.length >> 4) + 1);
  const upperAt = (i: number) => {
    const key = i >> 4;
    const u = upperCache[key]!;
    if (u !== 0) return u === 2;
    const r = isUpperText(text, toks[i]!.start, toks[i]!.end);
    upperCache[key] = r ? 2 : 1;
    return r;
  };
  // known() and capName() are asked about the same tokens many times (every pass, every extension):
  // each token's answer is kept (0: not yet, 1: false, 2: true); both depend on the token alone
  const knownMemo = zeroed(2, toks.length);
  const capMemo = zeroed(3, toks.length);
  const known = (t: Tok) => {
    const k = knownMemo[t.i]!;
    if (k !== 0) return k === 2;
    const r =
      (is(t, W_FIRST) || is(t, W_SURNAME) || (t.s.length >= 4 && capWord(t) && bigName(t) && !upperAt(t.i))) &&
      !is(t, W_NATIONALITY) &&
      !is(t, W_US_STATE) &&
      !is(t, W_COUNTRY) &&
      !is(t, W_NOT_NAME) &&
      !is(t, W_COMMON) &&
      !is(t, W_CLINICAL) &&
      t.s.length >= 3;
    knownMemo[t.i] = r ? 2 : 1;
    return r;
  };
  const isInitial = (i: number) => {
    const t = toks[i]!;
    if (t.s.length !== 1 || text.charCodeAt(t.end) !== 46) return false;
    const c = t.s.charCodeAt(0) | 32; // /^[A-Za-z]$/
    return c >= 97 && c <= 122;
  };
  /** A Capitalised word in mixed-case text that is not an ordinary or clinical word. */
  const capName = (i: number) => {
    const t = toks[i];
    if (!t) return false;
    const k = capMemo[i]!;
    if (k !== 0) return k === 2;
    const r =
      t.s.length >= 2 &&
      capWord(t) &&
      !is(t, W_COMMON) &&
      !is(t, W_CLINICAL) &&
      !is(t, W_NATIONALITY) &&
      !is(t, W_NOT_NAME) &&
      !is(t, W_US_STATE) &&
      !is(t, W_COUNTRY) &&
      !upperAt(i);
    capMemo[i] = r ? 2 : 1;
    return r;
  };
  /** Looks like a name given the surrounding case: known, or Capitalised (mixed text), or any uncommon word (upper text, strong context only). */
  const shaped = (i: number, strong: boolean) => {
    const t = toks[i];
    if (!t || is(t, W_COMMON) || t.s.length < 2) return false;
    if (known(t)) return true;
    if (is(t, W_CLINICAL)) return false;
    if (upperAt(i)) return strong && t.s.length >= 3 && !english(t);
    // mixed-case text: Capitalised word, not an all-caps abbreviation, not camel case
    if (capWord(t)) return !is(t, W_NOT_NAME) || strong;
    return strong && t.s.length >= 3 && /^[a-z]+$/.test(t.s) && !is(t, W_NOT_NAME);
  };
  // upper-case notes, strong context: any uncommon word ("DICK CUCCHIARA (RESIDENT)")
  const upperSurname = (k: number, strong: boolean) =>
    strong &&
    upperAt(k) &&
    toks[k]!.s.length >= 3 &&
    !english(toks[k]!) &&
    !is(toks[k]!, W_COMMON) &&
    !is(toks[k]!, W_CLINICAL) &&
    !is(toks[k]!, W_VERBISH) &&
    !is(toks[k]!, W_FUNCTION);
  // a census surname that is also a word ("Baker", "Hill") right after a Capitalised given name
  const censusSurname = (a: number, b: number) =>
    is(toks[a]!, W_FIRST) &&
    capWord(toks[a]!) &&
    /^\p{Lu}\p{Ll}+$/u.test(toks[b]!.s) &&
    is(toks[b]!, W_SURNAME) &&
    !upperAt(b);
  /** Extend a name from token i: optional middle initial, then a second name token. */
  const extend = (i: number, strong: boolean) => {
    let j = i;
    if (toks[j + 1] && isInitial(j + 1) && adjacent(toks[j]!, toks[j + 1]!) && toks[j + 2] && shaped(j + 2, true))
      return j + 2;
    // a second name token: known, or Capitalised after a Capitalised first token; "." only after an initial
    const n = toks[j + 1];
    if (
      n &&
      adjacent(toks[j]!, n) &&
      !gapHas(toks[j]!, n, 46) &&
      (!gapHas(toks[j]!, n, 44) || (is(n, W_FIRST) && !english(n))) &&
      !is(n, W_CREDENTIAL) &&
      (known(n) || (capName(j + 1) && capWord(toks[j]!)) || upperSurname(j + 1, strong) || censusSurname(j, j + 1))
    )
      j++;
    // double-barrelled surname: "Stord-Painter", "SMITH-JONES"
    const h = toks[j + 1];
    if (
      h &&
      sep(toks[j]!, h) === "-" &&
      !is(h, W_CREDENTIAL) &&
      !is(h, W_COMMON) &&
      !is(h, W_CLINICAL) &&
      (known(h) || (capWord(h) && capWord(toks[j]!)) || (upperAt(j + 1) && h.s.length >= 3 && !english(h)))
    )
      j++;
    return j;
  };
  // After a relation word a given name that is also a word counts ("son bill", "wife, Rose"); other
  // words must look like names: known, Capitalised in mixed text, or uncommon in upper-case text.
  const relName = (k: number) => {
    const n = toks[k]!;
    // "Son, Ed, was updated": a Capitalised given name in mixed-case text, even when an abbreviation's letters
    if (
      !upperAt(k) &&
      /^\p{Lu}\p{Ll}+$/u.test(n.s) &&
      is(n, W_FIRST) &&
      !is(n, W_FUNCTION) &&
      !is(n, N_RELATION) &&
      /^[ \t]*[,(][ \t]*$/.test(sep(toks[k - 1]!, n))
    )
      return true;
    if (
      is(n, W_FUNCTION) ||
      is(n, N_RELATION) ||
      is(n, W_CREDENTIAL) ||
      is(n, W_CLINICAL) ||
      (is(n, W_COMMON) && !is(n, W_FIRST))
    )
      return false;
    if (!upperAt(k) && /^\p{Lu}{2,}$/u.test(n.s)) return false; // an acronym in mixed-case text: "Baby ASA"
    if (known(n) || (is(n, W_FIRST) && n.s.length >= 2)) return true;
    if (upperAt(k)) return shaped(k, true) && !is(n, W_VERBISH);
    return capName(k) && !is(n, W_VERBISH);
  };
  // "1.8 ms. Targets": a lower-case "ms" right after a number is milliseconds, not the title Ms.
  const unitAfterNumber = (t: Tok): boolean => {
    if (text.charCodeAt(t.start) !== 0x6d || text.charCodeAt(t.start + 1) !== 0x73 || t.end !== t.start + 2)
      return false;
    let k = t.start - 1;
    while (k >= 0 && text.charCodeAt(k) === 0x20) k--;
    const c = text.charCodeAt(k);
    return c >= 0x30 && c <= 0x39;
  };
  for (let i = 0; i < toks.length; i++) {
    if (taken[i]) continue;
    const t = toks[i]!;
    // A common word starting with a-z that is no title, role, credential or relation word starts
    // nothing below: each branch needs one of those words, a word `shaped` allows (never a common
    // one) or a Capitalised one (`capName`); skipped, it asks no question (`upperAt`) either.
    if (
      (t.f & (W_COMMON | W_TITLE | N_ROLE_BEFORE | N_CREDENTIAL_BEFORE | N_RELATION)) === W_COMMON &&
      lowerStart(t) &&
      !LOOP_WORD(t.l)
    )
      continue;
    const next = toks[i + 1];
    const prev = toks[i - 1];
    // Title + name: "Dr. Healey", "DR. WILLIAMS", "Mrs Adams"; weak titles (ms = mental status) need a clear name.
    if (
      is(t, W_TITLE) &&
      next &&
      adjacent(t, next) &&
      !sep(t, next).includes(",") &&
      !(is(t, N_WEAK_TITLE) && is(next, W_VERBISH)) &&
      !unitAfterNumber(t)
    ) {
      const strong = !is(t, N_WEAK_TITLE);
      // "Dr. B. Muse", "Dr B Muse": an initial, with or without its period, before the surname
      const bareInitial =
        toks[i + 1]!.s.length === 1 &&
        /^\p{Lu}$/u.test(toks[i + 1]!.s) &&
        toks[i + 2] !== undefined &&
        blank(toks[i + 1]!, toks[i + 2]!) &&
        /^\p{Lu}/u.test(toks[i + 2]!.s);
      const j0 = (isInitial(i + 1) || bareInitial) && toks[i + 2] && shaped(i + 2, true) ? i + 2 : i + 1;
      const n0 = toks[j0]!;
      const mixedCap = (k: number) => toks[k] !== undefined && !upperAt(k) && /^\p{Lu}\p{Ll}+$/u.test(toks[k]!.s);
      // "Dr Will Cole": a Capitalised word that is also an ordinary word, before a Capitalised surname
      if (
        strong &&
        mixedCap(j0) &&
        toks[j0 + 1] &&
        blank(n0, toks[j0 + 1]!) &&
        (capName(j0 + 1) || (mixedCap(j0 + 1) && !english(toks[j0 + 1]!) && !is(toks[j0 + 1]!, W_CLINICAL))) &&
        !is(toks[j0 + 1]!, W_FUNCTION) &&
        !is(toks[j0 + 1]!, N_PERSON_VERB_AFTER)
      ) {
        const j = extend(j0 + 1, true);
        push(i + 1, j, "high", 0.85, "name-title");
        i = j;
        continue;
      }
      // "Dr. Foley": after "Dr." a Capitalised word in mixed-case text names a person even when it is a clinical word
      if (
        t.l === "dr" &&
        text[t.end] === "." &&
        mixedCap(j0) &&
        !is(n0, W_FUNCTION) &&
        !is(n0, N_PERSON_VERB_AFTER) &&
        !is(n0, N_PERSON_VERB_BEFORE) &&
        !is(n0, N_NAME_TITLE_STOP) &&
        !is(n0, N_RELATION)
      ) {
        push(i + 1, j0, "high", 0.8, "name-title");
        i = j0;
        continue;
      }
      // after a strong title even a surname that is an ordinary word names a person ("Dr. Small", "Mrs. Park"),
      // unless it is a grammatical, clinical or person-verb word ("dr aware", "dr on call", "dr notified")
      // an all-caps title in mixed-case text is an abbreviation: "3+ MR. Given ..." (mitral regurgitation)
      const wordSurname =
        strong &&
        !(/^\p{Lu}+$/u.test(t.s) && !upperAt(i)) &&
        n0.s.length >= 3 &&
        /^\p{L}+$/u.test(n0.s) &&
        !is(n0, W_FUNCTION) &&
        !is(n0, W_CLINICAL) &&
        !is(n0, N_PERSON_VERB_AFTER) &&
        !is(n0, N_PERSON_VERB_BEFORE) &&
        !is(n0, W_TITLE) &&
        !is(n0, W_CREDENTIAL) &&
        !is(n0, N_RELATION) &&
        !is(n0, W_VERBISH) &&
        !is(n0, N_NAME_TITLE_STOP);
      const weakUpper =
        !strong &&
        upperAt(j0) &&
        n0.s.length >= 5 &&
        /^\p{L}+$/u.test(n0.s) &&
        !english(n0) &&
        !is(n0, W_COMMON) &&
        !is(n0, W_CLINICAL) &&
        !is(n0, W_VERBISH) &&
        !is(n0, N_SPECIES);
      if (
        shaped(j0, strong) ||
        (strong && !is(n0, W_COMMON) && n0.s.length >= 2 && !/^\d/.test(n0.s)) ||
        wordSurname ||
        weakUpper
      ) {
        const j = extend(j0, strong);
        push(i + 1, j, "high", 0.9, "name-title");
        i = j;
        continue;
      }
    }
    // A role before a name: "CASEWORKER LEONA LABOWICH", "spoke with HO SCHWARZ", "case manager Karen"
    const role =
      (is(t, N_ROLE_BEFORE) || (t.l === "manager" && prev?.l === "case")) &&
      !(t.l === "ho" && !upperAt(i) && t.s !== "HO");
    if (
      role &&
      next &&
      /^[ \t]*[:,(-]?[ \t]*$/.test(sep(t, next)) &&
      !is(next, W_FUNCTION) &&
      !is(next, N_RELATION) &&
      !is(next, W_CREDENTIAL) &&
      !is(next, W_VERBISH) &&
      !is(next, N_PERSON_VERB_AFTER) &&
      (known(next) || (is(next, W_FIRST) && !is(next, W_COMMON)) || (shaped(i + 1, true) && !english(next)))
    ) {
      const j = extend(i + 1, true);
      push(i + 1, j, "high", 0.8, "name-title");
      i = j;
      continue;
    }
    // A credential before a name: "NP Wolfe", "per np grace", "RN Carole Hayes"
    if (
      is(t, N_CREDENTIAL_BEFORE) &&
      next &&
      blank(t, next) &&
      !is(next, W_CREDENTIAL) &&
      !is(next, W_FUNCTION) &&
      !is(next, W_CLINICAL) &&
      (known(next) ||
        (is(next, W_FIRST) && !upperAt(i + 1) && !english(next)) ||
        (is(next, W_FIRST) && /^[a-z]/.test(next.s) && /^[a-z]/.test(t.s)) ||
        (capName(i + 1) && !is(next, W_VERBISH) && !english(next)))
    ) {
      const j = extend(i + 1, true);
      push(i + 1, j, "high", 0.8, "name-title");
      i = j;
      continue;
    }
    // Relation + name: "husband John", "SON ROB", "daughter, Mary Smith", "son bill"
    const relation =
      is(t, N_RELATION) ||
      (t.l === "other" && prev?.l === "significant") ||
      (t.l === "person" && prev?.l === "contact") ||
      t.l === "poa";
    if (
      relation &&
      next &&
      /^[ \t]*[,:("“'-]?[ \t]*(?:(?:named|is|name is)[ \t]+)?["“']?$/i.test(sep(t, next)) &&
      sep(t, next).length >= 1 &&
      relName(i + 1)
    ) {
      const j = extend(i + 1, true);
      push(i + 1, j, "high", 0.85, "name-relation");
      i = j;
      continue;
    }
    // Name, credential: "Carole Hayes, RN", "FRANCIS G. LEVINE, RRT", "barbara j. parrilli bsn/rn"
    if (shaped(i, true) && !is(t, W_TITLE)) {
      let j = extend(i, false);
      // an uncommon upper-case surname only when a credential or role follows: "DICK CUCCHIARA (RESIDENT)"
      const js = extend(i, true);
      if (
        js > j &&
        toks[js + 1] &&
        (is(toks[js + 1]!, W_CREDENTIAL) || /^(?:resident|attending|fellow|intern)$/.test(toks[js + 1]!.l))
      )
        j = js;
      // lower/upper-case notes: a given name and an uncommon word before a credential or a person
      // verb ("mary o'hara np aware", "patty hoeller re skin care" is left alone)
      const n1 = toks[i + 1];
      if (
        j === i &&
        n1 &&
        is(t, W_FIRST) &&
        !is(t, W_COMMON) &&
        (upperAt(i) || /^[a-z]/.test(t.s)) &&
        blank(t, n1) &&
        n1.s.length >= 3 &&
        !is(n1, W_COMMON) &&
        !is(n1, W_CLINICAL) &&
        !is(n1, W_VERBISH) &&
        toks[i + 2] &&
        blank(n1, toks[i + 2]!) &&
        (is(toks[i + 2]!, W_CREDENTIAL) || is(toks[i + 2]!, N_PERSON_VERB_AFTER))
      )
        j = i + 1;
      const after = toks[j + 1];
      const role =
        after &&
        /^(?:resident|attending|fellow|intern|surgeon|cardiologist|intensivist|hospitalist|pcp)$/.test(after.l) &&
        /^[ \t]*\([ \t]*$/.test(sep(toks[j]!, after));
      if (
        after &&
        (is(after, W_CREDENTIAL) || role) &&
        /^[ \t]*[,(]?[ \t]*$/.test(sep(toks[j]!, after)) &&
        (/^(?:[ \t]*[/,-][ \t]*[A-Za-z]{2,4})*[ \t]*(?:\r?\n|$)/.test(text.slice(after.end, after.end + 12)) ||
          role ||
          (j > i && (known(t) || known(toks[j]!) || is(t, W_FIRST) || (capName(i) && capName(j))))) &&
        (known(t) || upperAt(i) || /^[A-Z]/.test(t.s) || known(toks[j]!)) &&
        !is(toks[j]!, W_VERBISH)
      ) {
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
      const verbBeforeInitial =
        pp !== undefined && is(pp, N_PERSON_VERB_BEFORE) && blank(pp, prev!) && !is(t, W_VERBISH) && t.s.length >= 3;
      // upper-case notes: an initial and a word no vocabulary knows ("M. PEPPLER"), unless a species ("S. AUREUS")
      const standaloneInitial = prev !== undefined && !/[\p{L}\d'’.&/]/u.test(text[prev.start - 1] ?? " ");
      const upperUnknown =
        standaloneInitial &&
        after !== undefined &&
        (is(after, N_PERSON_VERB_AFTER) || (after.l.endsWith("ing") && /^\p{L}+ing$/u.test(after.l))) &&
        upperAt(i) &&
        t.s.length >= 4 &&
        /^\p{L}+$/u.test(t.s) &&
        !english(t) &&
        !is(t, W_CLINICAL) &&
        !is(t, W_VERBISH) &&
        !is(t, N_SPECIES);
      if (
        prev &&
        isInitial(i - 1) &&
        !taken[i - 1] &&
        !is(t, N_SPECIES) &&
        (/^[A-Z]$/.test(prev.s) || (after && is(after, W_CREDENTIAL))) &&
        (known(t) ||
          verbBeforeInitial ||
          upperUnknown ||
          (after && (is(after, N_PERSON_VERB_AFTER) || is(after, W_CREDENTIAL))))
      ) {
        push(i - 1, j, "high", 0.75, "name-initial");
        i = j;
        continue;
      }
      // First + last from the lexicons: "Mary Souza", "GERRY MASCI" needs a known first name
      if (
        is(t, W_FIRST) &&
        !is(t, W_NOT_NAME) &&
        j > i &&
        !(english(t) && english(toks[j]!)) &&
        (upperAt(i) || /^[A-Z]/.test(t.s) || is(toks[j]!, W_SURNAME))
      ) {
        push(i, j, "high", 0.8, "name-full");
        i = j;
        continue;
      }
      // Person verbs around a name: "per healey", "spoke with Dr", "MAROTTA AWARE"
      const verbBefore =
        prev &&
        is(prev, N_PERSON_VERB_BEFORE) &&
        adjacent(prev, t) &&
        !sep(prev, t).includes(".") &&
        !(prev.l === "cc" && /\d$/.test(text.slice(Math.max(0, prev.start - 1), prev.start)));
      const verbAfter = after && is(after, N_PERSON_VERB_AFTER) && blank(toks[j]!, after);
      const nameShape =
        known(t) ||
        (!upperAt(i) && /^[A-Z][a-z'\u2019]+$/.test(t.s) && !is(t, W_NOT_NAME)) ||
        (upperAt(i) && verbAfter && !is(t, W_VERBISH) && t.s.length >= 4 && !english(t));
      const weakBefore = verbBefore && /^(?:with|by)$/.test(prev!.l);
      const clearName =
        known(t) &&
        !english(t) &&
        (upperAt(i) ? t.s.length >= 4 : capWord(t) || (/^[a-z]{4,}$/.test(t.s) && is(t, W_FIRST)));
      if (
        (verbBefore || verbAfter) &&
        nameShape &&
        !(nameShape && !known(t) && is(t, W_VERBISH)) &&
        !(weakBefore && !verbAfter && !clearName)
      ) {
        push(i, j, known(t) ? "high" : "medium", known(t) ? 0.75 : 0.55, "name-context");
        i = j;
        continue;
      }
      j = i;
    }
    // An occupation as a title, a subject of a human verb, a name addressed: "Producer Liviana Palerma",
    // "Mehrudin shouted at", "Aloisia, can I please", "Don't go to town, Roy!"
    if (capName(i) && !english(t)) {
      const j = extend(i, false);
      const afterText = text.slice(toks[j]!.end, toks[j]!.end + 24);
      const sentenceStart = /(?:^|[.!?:"”]\s*|\n\s*)$/.test(text.slice(Math.max(0, t.start - 3), t.start));
      const occupation = prev !== undefined && is(prev, N_OCCUPATION) && blank(prev, t) && /^\p{Lu}/u.test(prev.s);
      const subject = sentenceStart && HUMAN_VERB_AFTER.test(afterText);
      const vocative =
        (sentenceStart &&
          /^,[ \t]+(?:can|could|would|will|please|do|did|are|is|have|i|we|you|let|thank|thanks)\b/i.test(afterText)) ||
        (prev !== undefined && /^,[ \t]+$/.test(sep(prev, t)) && /^[ \t]*[!?]/.test(afterText));
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
      while (
        k - i < 3 &&
        toks[k + 1] &&
        (blank(toks[k]!, toks[k + 1]!) ||
          (toks[k]!.s.length === 1 && /^\.[ \t]+$/.test(sep(toks[k]!, toks[k + 1]!)))) &&
        (capName(k + 1) ||
          (toks[k + 1]!.s.length === 1 &&
            /^[A-Z]$/.test(toks[k + 1]!.s) &&
            toks[k + 2] !== undefined &&
            capName(k + 2)))
      )
        k++;
      if (toks[k]!.s.length === 1) k--;
      // a run starting a sentence may start with an ordinary word: "Afterwards Tomasz Wieczorek"
      let i0 = i;
      while (i0 < k && english(toks[i0]!) && !known(toks[i0]!)) i0++;
      let lex = false;
      for (let q = i; q <= k; q++) if (toks[q]!.s.length >= 4 && bigName(toks[q]!)) lex = true;
      // two or more Capitalised words, one shaped like a surname of many languages ("Jónsdóttir", "Kowalczyk")
      if (!lex && k > i0) for (let q = i0; q <= k; q++) if (SURNAME_SHAPE.test(toks[q]!.s)) lex = true;
      // two or more Capitalised words that no English vocabulary knows: "Lopie Certusi", "Wil Laberbera"
      // next to a phone number ("Lopie Certusi cell# 410-...")
      if (
        !lex &&
        k > i0 &&
        toks.slice(i0, k + 1).every((q) => q.s.length >= 3 && !english(q) && !is(q, W_VERBISH)) &&
        /^[ \t]*[,:(-]?[ \t]*(?:(?:cell|home|work|phone|tel|mobile|pager|beeper|#)\b|\(?\d{3}\)?[ .-]?\d{3})/i.test(
          text.slice(toks[k]!.end, toks[k]!.end + 16),
        )
      )
        lex = true;
      const cue = NAME_CUE.test(text.slice(Math.max(0, t.start - 24), t.start));
      const sentenceStart = /(?:^|[.!?:]\s*|\n\s*)$/.test(text.slice(Math.max(0, t.start - 3), t.start));
      // a lone lexicon word right after a treatment word is more often a drug or an eponym ("started on Cipro")
      const treated = k === i && !cue && TREATMENT_BEFORE.test(text.slice(Math.max(0, t.start - 16), t.start));
      const eponym = EPONYM_AFTER.test(text.slice(toks[k]!.end, toks[k]!.end + 16));
      if ((lex || cue || (is(t, W_FIRST) && known(t) && !sentenceStart && !english(t))) && !treated && !eponym) {
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
    // only a relation word or his/her/their can follow: the gap is read for those alone
    const pronoun = n.l === "his" || n.l === "her" || n.l === "their";
    if (!pronoun && !is(n, N_RELATION)) continue;
    const gap = sep(t, n);
    const relAfter =
      (is(n, N_RELATION) && /^[ \t]*\([ \t]*$/.test(gap)) ||
      (/^[ \t]*,[ \t]+$/.test(gap) &&
        pronoun &&
        toks[i + 2] !== undefined &&
        blank(n, toks[i + 2]!) &&
        is(toks[i + 2]!, N_RELATION));
    if (!relAfter || is(t, W_FUNCTION) || is(t, W_CLINICAL) || is(t, W_COMMON) || is(t, N_RELATION)) continue;
    if (!(known(t) || capName(i) || (upperAt(i) && t.s.length >= 3 && !english(t)) || is(t, W_FIRST))) continue;
    let s0 = i;
    if (
      i > 0 &&
      !taken[i - 1] &&
      blank(toks[i - 1]!, t) &&
      (is(toks[i - 1]!, W_FIRST) || capName(i - 1)) &&
      !is(toks[i - 1]!, W_COMMON)
    )
      s0 = i - 1;
    push(s0, i, "high", 0.75, "name-relation");
  }
  // A name found once is a name everywhere in the text: "Hakuba had given Hakuba his address"
  const seen = new Set<string>();
  for (const c of out) {
    // only names found by a strong cue or made of two words spread; a lone guess does not
    if (
      c.category !== "name" ||
      !(/^name-(?:title|relation|credential|cue|full)$/.test(c.ruleId) || /\s/.test(text.slice(c.start, c.end)))
    )
      continue;
    for (const m of text.slice(c.start, c.end).matchAll(/\p{Lu}[\p{Ll}'’]{2,}/gu)) {
      const l = m[0].toLowerCase();
      if (
        !ENGLISH.has(l) &&
        !COMMON_WORDS.has(l) &&
        !CLINICAL_WORDS.has(l) &&
        !NOT_NAMES.has(l) &&
        !NATIONALITIES.has(l)
      )
        seen.add(m[0]);
    }
  }
  if (seen.size)
    for (let i = 0; i < toks.length; i++)
      if (!taken[i] && seen.has(toks[i]!.s)) push(i, i, "medium", 0.5, "name-repeat");
  // Coordinated names: "Marrero and Murphy", "founders: Kónya, Becker and Vasquez" – a Capitalised
  // word joined by "and"/","/"&" to a detected name is a name too (mixed-case text only).
  const joined = (a: number, b: number) =>
    toks[a] !== undefined &&
    toks[b] !== undefined &&
    /^(?:[ \t]*,[ \t]*|[ \t]+(?:and|&|or)[ \t]+|[ \t]*,[ \t]*(?:and|&)[ \t]+)$/.test(sep(toks[a]!, toks[b]!));
  // a comma alone joins list items only: the word i must itself be followed by a list separator
  const inList = (i: number, a: number, b: number) =>
    joined(a, b) &&
    (!/^[ \t]*,[ \t]*$/.test(sep(toks[a]!, toks[b]!)) ||
      (toks[i + 1] !== undefined && /^(?:[ \t]*,[ \t]*|[ \t]+(?:and|&|or)[ \t]+)/.test(sep(toks[i]!, toks[i + 1]!))) ||
      (b === i && toks[i + 1] === undefined));
  // "sarah and margie": the conjunction is a token of its own
  const conj = (c: number) =>
    toks[c] !== undefined &&
    /^(?:and|or)$/.test(toks[c]!.l) &&
    toks[c - 1] !== undefined &&
    toks[c + 1] !== undefined &&
    blank(toks[c - 1]!, toks[c]!) &&
    blank(toks[c]!, toks[c + 1]!);
  // with no name found nothing can join: only the case blocks are asked, as the loop below would
  // (the first token of each block not asked yet, in order)
  if (taken.indexOf(1) < 0) {
    for (let b = 0; b << 4 < toks.length; b++) if (upperCache[b] === 0) upperAt(b << 4);
  } else
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < toks.length; i++) {
        // every token's case block is asked here, in order (upperAt keeps the first answer of each
        // block of 16 tokens, and growNames below reads them): then the words that cannot join skip
        if (upperCache[i >> 4] === 0) upperAt(i);
        // a word next to a found name (or one word and a conjunction away): the only ones that can join
        if (taken[i] || !(taken[i - 1] || taken[i + 1] || taken[i - 2] || taken[i + 2])) continue;
        // upper-case notes: a known given name joined to a found name ("DAUGHTERS MARY AND JANE")
        const upperName = () =>
          (upperAt(i) || /^\p{Ll}+$/u.test(toks[i]!.s)) &&
          is(toks[i]!, W_FIRST) &&
          !is(toks[i]!, W_COMMON) &&
          !is(toks[i]!, W_CLINICAL) &&
          toks[i]!.s.length >= 3;
        if (!(capName(i) || upperName()) || english(toks[i]!)) continue;
        const viaConj = (i > 1 && taken[i - 2] && conj(i - 1)) || (taken[i + 2] && conj(i + 1));
        if ((i > 0 && taken[i - 1] && inList(i, i - 1, i)) || (taken[i + 1] && inList(i, i, i + 1)) || viaConj)
          push(i, i, "medium", 0.5, "name-list");
      }
    }
  // Strong cues allow a lower-case name: "my name is vitoria", "call me višeslav", "maiden name is nyberg"
  if (cuesOf(text) & CUE_NAME_IS)
    for (const m of matchesOf(NAME_IS, text)) {
      const a = m[1]!.toLowerCase();
      if (ENGLISH.has(a) || COMMON_WORDS.has(a) || CLINICAL_WORDS.has(a)) continue;
      let value = m[1]!;
      if (m[2] && !ENGLISH.has(m[2].toLowerCase()) && !COMMON_WORDS.has(m[2].toLowerCase()))
        value = m[0].slice(m[0].indexOf(m[1]!));
      const st = m.index + m[0].indexOf(m[1]!);
      out.push({
        ruleId: "name-cue",
        category: "name",
        hipaa: 1,
        kind: "phi",
        start: st,
        end: st + value.length,
        severity: "medium",
        confidence: 0.6,
      });
    }
  // Speaker labels in dialogue: 'Koppány: "Who are you?"', 'Ubul: What a wife.'
  for (const m of matchesOf(SPEAKER, text)) {
    const l = m[1]!.toLowerCase();
    if (ENGLISH.has(l) || COMMON_WORDS.has(l) || CLINICAL_WORDS.has(l) || NATIONALITIES.has(l)) continue;
    if (!m[2] && !(BIG_NAMES.has(l) || FIRST_NAMES.has(l))) continue;
    const st = m.index + m[0].indexOf(m[1]!, m[0].length - m[1]!.length - m[2]!.length - 3);
    out.push({
      ruleId: "name-speaker",
      category: "name",
      hipaa: 1,
      kind: "phi",
      start: st,
      end: st + m[1]!.length,
      severity: "medium",
      confidence: 0.5,
    });
  }

  growNames(text, toks, out, firstOut, upperAt, known);
}

/**
 * Names are runs of tokens, but cues anchor only one of them: grow every name found over the
 * neighbouring initials and name-like words ("Z. MILLER", "KAREN ANN YANULIS", "Dr B Muse",
 * "Dorothy Joy, MSW"). A word joins when a name lexicon knows it, or when it is a word no
 * vocabulary knows (English, clinical, common); an English word joins only before a credential.
 */
function growNames(
  text: string,
  toks: Tok[],
  out: Candidate[],
  from: number,
  upperAt: (i: number) => boolean,
  known: (t: Tok) => boolean,
): void {
  if (out.length === from) return;
  // the token starting (ending) at a position: tokens are in order, their starts and ends increase
  const tokenAt = (pos: number, atEnd: boolean): number | undefined => {
    let lo = 0;
    let hi = toks.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = atEnd ? toks[mid]!.end : toks[mid]!.start;
      if (v === pos) return mid;
      if (v < pos) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  };
  const covered = (s: number, e: number, self: Candidate) => out.some((c) => c !== self && c.start < e && c.end > s);
  const gap = (a: Tok, b: Tok) => text.slice(a.end, b.start);
  const unknownWord = (t: Tok) =>
    t.s.length >= 3 &&
    /^\p{L}+$/u.test(t.s) &&
    !english(t) &&
    !is(t, W_COMMON) &&
    !is(t, W_CLINICAL) &&
    !is(t, W_VERBISH) &&
    !is(t, W_FUNCTION) &&
    !is(t, W_NATIONALITY) &&
    !is(t, W_US_STATE) &&
    !is(t, W_COUNTRY) &&
    !is(t, W_TITLE) &&
    !is(t, W_CREDENTIAL) &&
    !is(t, N_RELATION) &&
    !is(t, N_SPECIES);
  const nameWord = (k: number, anchorUpper: boolean) => {
    const t = toks[k];
    if (
      !t ||
      is(t, W_CREDENTIAL) ||
      is(t, W_FUNCTION) ||
      is(t, N_PERSON_VERB_AFTER) ||
      is(t, N_PERSON_VERB_BEFORE) ||
      is(t, N_RELATION)
    )
      return false;
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
    let i = tokenAt(cand.start, false);
    let j = tokenAt(cand.end, true);
    if (i === undefined || j === undefined) continue;
    const anchorUpper = upperAt(i);
    // right: an initial then a name word, or a name word; an English word before ", MSW"
    for (let n = 0; n < 2; n++) {
      const a = toks[j]!;
      const b = toks[j + 1];
      if (!b) break;
      const g = gap(a, b);
      if (/^[ \t]+$/.test(g) || (a.s.length === 1 && /^\.[ \t]*$/.test(g))) {
        const cred =
          toks[j + 2] !== undefined && /^[ \t]*,?[ \t]*$/.test(gap(b, toks[j + 2]!)) && is(toks[j + 2]!, W_CREDENTIAL);
        if (
          (nameWord(j + 1, anchorUpper) || (cred && /^\p{L}{2,}$/u.test(b.s) && !is(b, W_FUNCTION))) &&
          !covered(a.end, b.end, cand)
        ) {
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
      const initial =
        a.s.length === 1 &&
        /^\p{L}$/u.test(a.s) &&
        !/[\p{L}\d'’.]/u.test(text[a.start - 1] ?? " ") &&
        (/^\.[ \t]*$/.test(g) ||
          (/^[ \t]+$/.test(g) &&
            (/^\p{Lu}$/u.test(a.s) ||
              (toks[i - 2] !== undefined && is(toks[i - 2]!, N_PERSON_VERB_BEFORE | W_TITLE)))));
      // a lower-case letter is an initial only after a person verb or a title ("per d ross"), not "0.06 s. Violations"
      const lowerOk =
        /^\p{Lu}$/u.test(a.s) || (toks[i - 2] !== undefined && is(toks[i - 2]!, N_PERSON_VERB_BEFORE | W_TITLE));
      if (initial && lowerOk && !/^[ai]$/i.test(a.s)) {
        if (covered(a.start, b.start, cand)) break;
        i--;
        continue;
      }
      if (
        /^[ \t]+$/.test(g) &&
        is(a, W_FIRST) &&
        known(a) &&
        !english(a) &&
        upperAt(i - 1) === anchorUpper &&
        !covered(a.start, b.start, cand)
      ) {
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
  out.push({
    ruleId: "name-signature",
    category: "name",
    hipaa: 1,
    kind: "phi",
    start: s,
    end: s + value.length,
    severity: "medium",
    confidence: 0.55,
  });
}

const CODE_NAME =
  /\b(?:patient|pt|first|last|given|family|full|middle|maiden|mother'?s?|father'?s?|guardian|emergency[_\s]?contact|next[_\s]?of[_\s]?kin|nok|subscriber|insured|guarantor)[_\s-]?(?:name|nm)s?\b["']?\s*(?::|=|=>|:=)\s*["']([A-Z][a-zA-Z'’-]+(?:\s+[A-Z][a-zA-Z'’.-]+){0,3})["']/gi;
const CODE_NAME_GENERIC = /\bname["']?\s*(?::|=|=>)\s*["']([A-Z][a-z'’-]+)\s+([A-Z][a-z'’-]+)["']/g;

const CODE_NAME_STICKY = toSticky(CODE_NAME);
const CODE_NAME_GENERIC_STICKY = toSticky(CODE_NAME_GENERIC);
const CODE_NAME_KEYWORDS = [
  "patient",
  "pt",
  "first",
  "last",
  "given",
  "family",
  "full",
  "middle",
  "maiden",
  "mother",
  "father",
  "guardian",
  "emergency",
  "next",
  "nok",
  "subscriber",
  "insured",
  "guarantor",
];
// CODE_NAME_GENERIC is case-sensitive `\bname`: the case-insensitive hit is a superset
const CODE_NAME_GENERIC_KEYWORDS = ["name"];
const CODE_NAME_PREFILTER =
  anchorsCover(CODE_NAME_KEYWORDS, CODE_NAME.source) &&
  anchorsCover(CODE_NAME_GENERIC_KEYWORDS, CODE_NAME_GENERIC.source);

function detectCodeNames(text: string, out: Candidate[], idx?: TextIndex): void {
  if (!/name/i.test(text)) return;
  const field = (m: RegExpExecArray) => {
    const start = m.index + m[0].lastIndexOf(m[1]!);
    out.push({
      ruleId: "name-field",
      category: "name",
      hipaa: 1,
      kind: "phi",
      start,
      end: start + m[1]!.length,
      severity: "high",
      confidence: 0.8,
    });
  };
  const generic = (m: RegExpExecArray) => {
    const f = m[1]!.toLowerCase();
    const l = m[2]!.toLowerCase();
    if (!FIRST_NAMES.has(f) || !SURNAMES.has(l)) return;
    const start = m.index + m[0].indexOf(m[1]!);
    out.push({
      ruleId: "name-field",
      category: "name",
      hipaa: 1,
      kind: "phi",
      start,
      end: start + m[1]!.length + 1 + m[2]!.length,
      severity: "medium",
      confidence: 0.6,
    });
  };
  if (idx && CODE_NAME_PREFILTER) {
    stickyEach(CODE_NAME_STICKY, text, idx.anchors("code-name")!, field);
    stickyEach(CODE_NAME_GENERIC_STICKY, text, idx.anchors("code-name-generic")!, generic);
    return;
  }
  for (const m of text.matchAll(CODE_NAME)) field(m);
  for (const m of text.matchAll(CODE_NAME_GENERIC)) generic(m);
}

export const names: Detector = {
  name: "names",
  profiles: ["code", "prose"],
  keywords: {
    "code-name": { prefixes: CODE_NAME_KEYWORDS, context: CODE_NAME },
    "code-name-generic": { prefixes: CODE_NAME_GENERIC_KEYWORDS, context: CODE_NAME_GENERIC },
  },
  detect: detectNames,
};

export const signatures: Detector = {
  name: "signatures",
  profiles: ["prose"],
  detect: (text, _profile, out) => detectSignature(text, out),
};
