import type { Candidate } from "../candidate.js";
import { COMMON_WORDS, CLINICAL_WORDS, NATIONALITIES } from "../data/words.js";
import { ENGLISH } from "./lexicon.js";
import type { Detector } from "./detector.js";
import { isAsciiText } from "./cues.js";
import { StartIndex } from "../intervals.js";

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
      if (
        (w.length < 4 && !acronym) ||
        seen.has(l) ||
        COMMON_WORDS.has(l) ||
        CLINICAL_WORDS.has(l) ||
        ENGLISH.has(l) ||
        NATIONALITIES.has(l)
      )
        continue;
      seen.set(l, { src: c, acronym });
    }
  }
  if (seen.size === 0) return;
  const extra: Candidate[] = [];
  // "does a candidate overlap [s, e)": pairwise on a short list, from a start index on a long one
  // (a text of dense records has tens of thousands of candidates and as many mentions)
  const index = ctx.length >= 48 ? new StartIndex(ctx) : undefined;
  const overlapped = (s: number, e: number) =>
    index ? index.maxEndBefore(e, false) > s : ctx.some((c) => c.start < e && c.end > s);
  const spread = (s: number, e: number, w: string, hit: { src: Candidate; acronym: boolean }) => {
    // a short acronym travels only in capitals: "GH", not "gh" in a lower-case word sense
    if (hit.acronym && w !== w.toUpperCase()) return;
    if (overlapped(s, e)) return;
    extra.push({ ...hit.src, start: s, end: e, severity: "medium", confidence: Math.min(hit.src.confidence, 0.6) });
  };
  // each seen word searched for over the whole text: only while that costs less than one pass of
  // WORD matches with a lookup each (many distinct names in a long text take the single pass)
  if (seen.size <= 64 && isAsciiText(text)) {
    // an ASCII text: each seen word is searched for in the lower-cased text and kept where it is a
    // whole WORD match (a token boundary on both sides), then the hits are taken in text order, as
    // the loop over every WORD match below would take them
    const lower = text.toLowerCase();
    const hits: { s: number; e: number; hit: { src: Candidate; acronym: boolean } }[] = [];
    for (const [l, hit] of seen)
      for (let s = lower.indexOf(l); s >= 0; s = lower.indexOf(l, s + 1)) {
        const e = s + l.length;
        if (tokenStartAt(text, s) && tokenEndAt(text, e)) hits.push({ s, e, hit });
      }
    if (hits.length > 1) hits.sort((a, b) => a.s - b.s);
    for (const h of hits) spread(h.s, h.e, text.slice(h.s, h.e), h.hit);
  } else
    for (const m of text.matchAll(WORD)) {
      const hit = seen.get(m[0].toLowerCase());
      if (hit) spread(m.index, m.index + m[0].length, m[0], hit);
    }
  ctx.push(...extra);
}

/** ASCII letter. */
function letterAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i) | 32;
  return c >= 97 && c <= 122;
}
/** A WORD connector (ASCII text: "'" or "-"). */
function connectorAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return c === 39 || c === 45;
}
/**
 * In an ASCII text, whether a WORD match (`\p{L}+(?:['’-]\p{L}+)*`) can start at letter `s`: no
 * match runs through it, i.e. no letter before it, nor a connector after a letter.
 */
function tokenStartAt(text: string, s: number): boolean {
  if (s === 0) return true;
  if (letterAt(text, s - 1)) return false;
  return !(connectorAt(text, s - 1) && s >= 2 && letterAt(text, s - 2));
}
/** In an ASCII text, whether a WORD match ending in a letter at `e - 1` ends at `e` (greedy: no letter, nor a connector and a letter, follows). */
function tokenEndAt(text: string, e: number): boolean {
  if (e >= text.length) return true;
  if (letterAt(text, e)) return false;
  return !(connectorAt(text, e) && e + 1 < text.length && letterAt(text, e + 1));
}

export const mentions: Detector = {
  name: "mentions",
  profiles: ["prose"],
  detect: (text, _profile, out) => propagateMentions(text, out),
};
