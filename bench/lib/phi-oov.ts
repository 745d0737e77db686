// Out-of-vocabulary (OOV) transform of labelled notes (issue 14, section 1): every gold name and
// location is replaced by a made-up value that no lexicon the engine ships holds, offsets adjusted.
// It estimates how the detector does on surrogate names and places it has never seen (the held-back
// notes' misses are mostly these), which the shared notes cannot show: their names and places are in
// the lexicons, or the rules were written reading them.
//
// Two generators, deliberately unlike each other, so a model trained on one is scored on the other:
//  - "eval": names and places built from syllables (onset + vowel + coda, 2-3 syllables, with a
//    name or place ending half the time); used to score (bench/phi-tagger.bench.ts) and never to train;
//  - "train": splices of two gold words of the same class from the training notes themselves (the
//    head of one, the tail of the other: "Vasquez" + "Healey" → "Vasley"); used for entity-replacement
//    augmentation in training (scripts/train-phi-tagger.ts).
// A value is accepted only when its lower-case form is in none of the engine's lexicons (first
// names, surnames, the 183,000 person names, cities, US states and state codes, countries, English,
// common, clinical words, nationalities, titles, credentials: `computeWordFlags` is 0) and is not a
// word of the note's own original names or places.
//
// Names: each word of two letters or more in a name span becomes a made-up name with the original's
// case (UPPER, lower, Title); initials, titles and credentials stay. The same word gets the same value
// throughout a note (surrogates are consistent). Places: adjacent location spans (PhysioNet labels
// word by word: "Holy" "Cross") form one place; its proper words are replaced; its trailing ordinary
// words ("Memorial", "Hospital", "Harbor": the suffix words) are kept in one half of the places and
// dropped in the other (seeded by note and position), so half the places have no facility word; a
// place made only of ordinary words gets a made-up word before its suffix. Short acronyms ("GH",
// "VAMC") become made-up letters of the same length and case. Deterministic: same notes, same seed,
// same text.
import { createHash } from "node:crypto";
import { BIG_NAMES, ENGLISH, cityLookup, computeWordFlags } from "../../src/phi/detect/lexicon.js";
import { FIRST_NAMES, NOT_NAMES, SURNAMES } from "../../src/phi/data/names.js";
import { COUNTRIES, US_CITIES, US_STATES, US_STATE_CODES } from "../../src/phi/data/places.js";
import { CLINICAL_WORDS, COMMON_WORDS, NATIONALITIES } from "../../src/phi/data/words.js";
import type { Doc, Span } from "./phi-corpora.js";
import { mulberry32 } from "../../src/core/prng.js";

export type OovStyle = "eval" | "train";

/** Seed of the "eval" OOV transform (the benchmark's OOV folds). */
export const OOV_EVAL_SEED = 1;
/** Seed of the k-th augmented copy of a training note (the "train" generator). */
export const augmentSeed = (copy: number) => 100 + copy;

/** Gold types transformed (PhysioNet and presidio names). */
const NAME_TYPES = new Set(["HCPName", "PTName", "RelativeProxyName", "PTNameInitial", "PERSON"]);
const PLACE_TYPES = new Set(["Location", "GPE"]);

/** True when no lexicon the engine ships holds `w` (lower case). */
export function outOfLexicon(w: string): boolean {
  return (
    computeWordFlags(w) === 0 &&
    !FIRST_NAMES.has(w) &&
    !SURNAMES.has(w) &&
    !NOT_NAMES.has(w) &&
    !BIG_NAMES.has(w) &&
    cityLookup(w) === undefined &&
    !US_CITIES.has(w) &&
    !US_STATES.has(w) &&
    !US_STATE_CODES.has(w.toUpperCase()) &&
    !COUNTRIES.has(w) &&
    !ENGLISH.has(w) &&
    !COMMON_WORDS.has(w) &&
    !CLINICAL_WORDS.has(w) &&
    !NATIONALITIES.has(w)
  );
}

/** A seeded PRNG (mulberry32) from a string key. */
function rngOf(key: string): () => number {
  return mulberry32(createHash("sha256").update(key).digest().readUInt32LE(0));
}
const pick = <T>(r: () => number, a: readonly T[]): T => a[Math.floor(r() * a.length)]!;

// the "eval" generator's inventory
const ONSETS = "b d f g k l m n p r s t v z br dr gr kr pr tr st bl gl sk".split(" ");
const VOWELS = "a e i o u a e i o".split(" ");
const CODAS = ["", "", "", "n", "r", "l", "s", "m", "k"];
const NAME_ENDS = "ard ell ek ov ani ena ez ler eth ino ska".split(" ");
const PLACE_ENDS = "ton ville burg field dale port mont bury stead ridge".split(" ");

function syllableWord(r: () => number, place: boolean): string {
  let w = "";
  const n = 2 + (r() < 0.35 ? 1 : 0);
  for (let i = 0; i < n; i++) w += (i === 0 || r() < 0.8 ? pick(r, ONSETS) : "") + pick(r, VOWELS) + pick(r, CODAS);
  if (r() < 0.5) w = w.replace(/[aeiou]$/, "") + pick(r, place ? PLACE_ENDS : NAME_ENDS);
  return w.length >= 4 && w.length <= 10 ? w : "";
}

function spliceWord(r: () => number, pool: readonly string[]): string | undefined {
  if (pool.length < 2) return undefined;
  const a = pick(r, pool);
  const b = pick(r, pool);
  if (a === b) return undefined;
  const head = a.slice(0, 2 + Math.floor(r() * (a.length - 3)));
  const tail = b.slice(1 + Math.floor(r() * (b.length - 2)));
  const w = head + tail;
  return w.length >= 4 && w.length <= 12 ? w : undefined;
}

function acronym(r: () => number, n: number): string {
  let w = "";
  for (let i = 0; i < n; i++) w += String.fromCharCode(97 + Math.floor(r() * 26));
  return w;
}

/** `w` in the case of `like`: UPPER, lower or Title. */
function caseLike(w: string, like: string): string {
  if (like === like.toUpperCase() && like !== like.toLowerCase() && like.length > 1) return w.toUpperCase();
  if (like === like.toLowerCase()) return w;
  return w[0]!.toUpperCase() + w.slice(1);
}

const LETTERS = /\p{L}+(?:['’]\p{L}+)*/gu;
const TITLE_OR_CRED =
  /^(?:dr|drs|doctor|mr|mrs|ms|miss|mx|prof|professor|nurse|rev|md|do|rn|np|pa|phd|dds|dmd|pharmd|lpn|cnp|crnp|msw|lcsw|pt|ot|rrt)$/i;
/** Ordinary words of a place (its suffix when trailing): English, common or clinical words, and facility words. */
const PLACE_WORD =
  /^(?:hospital|hosp|center|centre|ctr|medical|med|clinic|rehab|rehabilitation|memorial|general|university|univ|college|county|regional|community|nursing|home|house|manor|square|street|st|avenue|ave|road|rd|drive|dr|lane|ln|boulevard|blvd|court|ct|place|pl|way|mill|bay|harbor|harbour|lake|valley|park|hill|hills|heights|village|city|town|health|care|system|of|the|and|at|u|holy|cross|mercy|union|sacred|heart|saint|mount|mt|north|south|east|west|new)$/i;
const isOrdinary = (w: string) => {
  const l = w.toLowerCase();
  return (
    PLACE_WORD.test(l) || ((ENGLISH.has(l) || COMMON_WORDS.has(l)) && !US_STATES.has(l) && cityLookup(l) === undefined)
  );
};
/** A short acronym-like proper word ("GH", "VAMC", "gh"): replaced by letters of the same length. */
const isAcronym = (w: string) => w.length <= 5 && (w === w.toUpperCase() || !/[aeiouy]/i.test(w));

interface Edit {
  start: number;
  end: number;
  text: string;
}

/** Pools of training words for the "train" (splice) generator: lower-case gold words of 4+ letters. */
export function splicePools(docs: readonly Doc[]): { name: string[]; place: string[] } {
  const name = new Set<string>();
  const place = new Set<string>();
  for (const d of docs)
    for (const g of d.gold) {
      const set = NAME_TYPES.has(g.type) ? name : PLACE_TYPES.has(g.type) ? place : undefined;
      if (!set) continue;
      for (const m of d.text.slice(g.start, g.end).matchAll(LETTERS)) {
        const w = m[0].toLowerCase();
        if (w.length >= 4 && /^[a-z]+$/.test(w)) set.add(w);
      }
    }
  return { name: [...name].sort(), place: [...place].sort() };
}

export interface OovOptions {
  style: OovStyle;
  seed: number;
  /** for style "train": the words to splice (splicePools of the training notes) */
  pools?: { name: readonly string[]; place: readonly string[] };
}

/** One note with its gold names and places replaced by made-up values (see the file's comment). */
export function oovDoc(d: Doc, o: OovOptions): Doc {
  const key = `${o.style}:${o.seed}:${d.id}`;
  const taken = new Set<string>();
  for (const g of d.gold)
    if (NAME_TYPES.has(g.type) || PLACE_TYPES.has(g.type))
      for (const m of d.text.slice(g.start, g.end).matchAll(LETTERS)) taken.add(m[0].toLowerCase());
  const memo = new Map<string, string>();
  /** A made-up value for `word` (lower case), the same for the same word in this note. */
  const fresh = (word: string, place: boolean, acro: boolean): string => {
    const k = `${place ? "p" : "n"}:${acro ? "a" : "w"}:${word}`;
    const hit = memo.get(k);
    if (hit) return hit;
    const r = rngOf(`${key}:${k}`);
    for (let tries = 0; ; tries++) {
      const w = acro
        ? acronym(r, word.length)
        : o.style === "train" && tries < 200
          ? spliceWord(r, place ? o.pools!.place : o.pools!.name)
          : syllableWord(r, place);
      if (w && !taken.has(w) && outOfLexicon(w) && (acro || w.length >= 3)) {
        taken.add(w);
        memo.set(k, w);
        return w;
      }
      if (tries > 10000) throw new Error(`phi-oov: no made-up value for a word of ${word.length} letters`);
    }
  };
  const edits: Edit[] = [];
  const gold = [...d.gold].sort((a, b) => a.start - b.start);
  for (let i = 0; i < gold.length; i++) {
    const g = gold[i]!;
    if (NAME_TYPES.has(g.type)) {
      for (const m of d.text.slice(g.start, g.end).matchAll(LETTERS)) {
        const w = m[0];
        if (w.length < 2 || TITLE_OR_CRED.test(w)) continue;
        const s = g.start + m.index;
        edits.push({ start: s, end: s + w.length, text: caseLike(fresh(w.toLowerCase(), false, false), w) });
      }
      continue;
    }
    if (!PLACE_TYPES.has(g.type)) continue;
    // one place: this span and the location spans right after it, apart only by spaces
    let j = i;
    while (
      j + 1 < gold.length &&
      PLACE_TYPES.has(gold[j + 1]!.type) &&
      /^[ \t]*$/.test(d.text.slice(gold[j]!.end, gold[j + 1]!.start))
    )
      j++;
    const words: { s: number; e: number; w: string }[] = [];
    for (let k = i; k <= j; k++)
      for (const m of d.text.slice(gold[k]!.start, gold[k]!.end).matchAll(LETTERS))
        words.push({ s: gold[k]!.start + m.index, e: gold[k]!.start + m.index + m[0].length, w: m[0] });
    i = j;
    if (words.length === 0) continue;
    let suffixFrom = words.length;
    while (suffixFrom > 0 && isOrdinary(words[suffixFrom - 1]!.w)) suffixFrom--;
    const keepSuffix = rngOf(`${key}:place:${words[0]!.s}`)() < 0.5;
    const proper = words.slice(0, suffixFrom).filter((x) => !isOrdinary(x.w));
    for (const x of proper) {
      const acro = isAcronym(x.w);
      edits.push({ start: x.s, end: x.e, text: caseLike(fresh(x.w.toLowerCase(), true, acro), x.w) });
    }
    const suffix = words.slice(suffixFrom);
    if (suffix.length === 0) continue;
    if (proper.length === 0) {
      // only ordinary words ("Harbor", "Holy Cross"): a made-up word takes the place of all but the
      // last (or goes before it); the last is the suffix, kept or dropped
      const last = suffix[suffix.length - 1]!;
      const first = suffix[0]!;
      const made = caseLike(fresh(suffix.map((x) => x.w.toLowerCase()).join(" "), true, false), first.w);
      if (keepSuffix) edits.push({ start: first.s, end: last.s, text: `${made} ` });
      else edits.push({ start: first.s, end: last.e, text: made });
      continue;
    }
    if (!keepSuffix) {
      // drop the suffix words and the spaces before them
      const cut = words[suffixFrom - 1]!.e;
      edits.push({ start: cut, end: suffix[suffix.length - 1]!.e, text: "" });
    }
  }
  return applyEdits(d, edits);
}

/**
 * Apply non-overlapping edits and move every gold span: an offset after an edit moves by its change
 * in length; a span's start inside an edit (or at an insertion) goes to the edit's new start, its
 * end inside an edit to the end of the edit's new text. Spans left empty (dropped suffix words) and
 * duplicates (words merged into one) are removed.
 */
function applyEdits(d: Doc, edits: Edit[]): Doc {
  edits.sort((a, b) => a.start - b.start || a.end - b.end);
  const kept: (Edit & { at: number })[] = [];
  let text = "";
  let from = 0;
  for (const e of edits) {
    if (e.start < from) continue; // overlapping (not made above): the first wins
    text += d.text.slice(from, e.start);
    kept.push({ ...e, at: text.length });
    text += e.text;
    from = e.end;
  }
  text += d.text.slice(from);
  const move = (x: number, isEnd: boolean): number => {
    let delta = 0;
    for (const e of kept) {
      if (isEnd ? e.end <= x : e.end <= x && e.start < x) delta += e.text.length - (e.end - e.start);
      else if (e.start < x || (!isEnd && e.start === x)) return e.at + (isEnd ? e.text.trimEnd().length : 0);
      else break;
    }
    return x + delta;
  };
  const seen = new Set<string>();
  const gold: Span[] = [];
  for (const g of d.gold) {
    const m = { ...g, start: move(g.start, false), end: move(g.end, true) };
    const k = `${m.start}:${m.end}:${m.type}`;
    if (m.end <= m.start || text.slice(m.start, m.end).trim() === "" || seen.has(k)) continue;
    seen.add(k);
    gold.push(m);
  }
  return { ...d, text, gold };
}

/** Every note transformed (see `oovDoc`). */
export function oovDocs(docs: readonly Doc[], o: OovOptions): Doc[] {
  return docs.map((d) => oovDoc(d, o));
}
