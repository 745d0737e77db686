import type { Candidate } from "../candidate.js";
import { COMMON_WORDS, CLINICAL_WORDS, NATIONALITIES } from "../data/words.js";
import { ENGLISH } from "./lexicon.js";
import type { Detector } from "./detector.js";
import { isAsciiText } from "./cues.js";

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
  // in an ASCII text a word's lower-case form has its length: a word of a length no seen word has
  // is skipped before it is lower-cased (lengths ≥ 31 share one bit)
  const ascii = isAsciiText(text);
  let lengths = 0;
  for (const l of seen.keys()) lengths |= 1 << Math.min(l.length, 31);
  const extra: Candidate[] = [];
  for (const m of text.matchAll(WORD)) {
    if (ascii && (lengths & (1 << Math.min(m[0].length, 31))) === 0) continue;
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

export const mentions: Detector = {
  name: "mentions",
  profiles: ["prose"],
  detect: (text, _profile, out) => propagateMentions(text, out),
};
