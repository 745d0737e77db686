import type { Severity } from "../types.js";
import type { Candidate, Profile } from "../candidate.js";
import * as v from "../validators.js";
import { hasDigit } from "../rules/rule.js";
import { anchorsCover, stickyEach, toSticky, type TextIndex } from "../prefilter.js";
import type { Detector } from "./detector.js";
import { anchorGroup, anchorsOf, cueGroup, cuesOf } from "./cues.js";
import {
  anchored,
  anchoredWords,
  digitRunsBefore,
  matchesOf,
  quoteYearStarts,
  someDigitRunBefore,
} from "./anchored.js";

/**
 * Dates (HIPAA identifier 3): numeric, ISO, dotted, written-out and holiday dates in prose; in
 * source code only dates right after a date-of-a-person word.
 */

const MONTHS =
  "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?";
const DATE_NUMERIC =
  /(?:(?<=[A-Za-z]{3}\.)|(?<=[A-Za-z]{2}[:-])|(?<![\w/.:-]))(\d{1,2})[/-](\d{1,2})(?:[/-](\d{4}|\d{2}))?(?![\w/%]|[.-]\d)/g;
/** Dotted dates with a year: "12.03.2021", "3.4.97" (European order allowed). */
const DATE_DOTTED = /(?<![\w.@#/-])(\d{1,2})\.(\d{1,2})\.((?:19|20)\d{2}|\d{2})(?![\w.-]|\.\d)/g;
/** Holidays name a day of the year ("since Christmas", "on Thanksgiving"). */
const HOLIDAY =
  /\b(?:christmas(?:[ \t]+(?:eve|day))?|xmas|thanksgiving(?:[ \t]+day)?|easter(?:[ \t]+sunday)?|new[ \t]+year'?s(?:[ \t]+(?:eve|day))?|hanukk?ah|chanukah|passover|yom[ \t]+kippur|rosh[ \t]+hashana(?:h)?|ramadan|eid|diwali|halloween|valentine'?s[ \t]+day|memorial[ \t]+day|labor[ \t]+day|veterans[ \t]+day|independence[ \t]+day|fourth[ \t]+of[ \t]+july|4th[ \t]+of[ \t]+july|july[ \t]+4th|mother'?s[ \t]+day|father'?s[ \t]+day|st\.?[ \t]+patrick'?s[ \t]+day|martin[ \t]+luther[ \t]+king[ \t]+day|presidents'?[ \t]+day|columbus[ \t]+day)\b/gi;
/** The first word of each holiday as a whole ASCII letter run (src/phi/detect/cues.ts): "4th of july" starts with "th". */
const CUE_HOLIDAY = cueGroup(
  "christmas xmas thanksgiving easter new hanukkah hanukah chanukah passover yom rosh ramadan eid diwali halloween valentine valentines memorial labor veterans independence fourth th july mother mothers father fathers st martin presidents columbus".split(
    " ",
  ),
);
/** A range of two month/day dates: "10/15-10/16". */
const DATE_RANGE = /(?<![\w/.:-])(\d{1,2})\/(\d{1,2})-(\d{1,2})\/(\d{1,2})(?![\w/%]|[.-]\d)/g;
/** A day by its ordinal: "it's the 11th.", "on the 3rd," (not "the 5th intercostal space"). */
const DATE_ORDINAL =
  /\b(?:on|the|of)[ \t]+(?:the[ \t]+)?(\d{1,2})(?:st|nd|rd|th)(?=[ \t]*(?:[.,;:)!?"]|$)|[ \t]+(?:at|in|and|or|to|when|after|before|morning|evening|night)\b)/gm;
/** Words that introduce a day ("since 1/4", "Tues. 2/3"); not "on", which leads vent settings ("on 5/5"). */
const DATE_LEAD =
  /(?:^|\n)[ \t]*$|\b(?:since|until|till|dated?|post|s\/p|(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|thurs|fri|sat(?:ur)?|sun)(?:day)?\.?,?)[ \t:]*$/i;
/** An abbreviated year in a history: "CABG '79", "CVA 74'" (starts at the quote, or two digits before it). */
const QUOTE_YEAR = /(?<=[\s(,;]|\p{Lu}{2})['’](\d{2})(?=[\s.,;)]|$)|(?<=\s)(\d{2})['’](?=[\s.,;)]|$)/gu;
const DATE_ISO = /(?<![\w-])((?:19|20)\d{2})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(?:[T ][\d:.]+Z?)?(?![\w-])/g;
const DATE_TEXT_MDY = new RegExp(
  `\\b(?:${MONTHS})\\.?\\s+\\d{1,2}(?:st|nd|rd|th)?(?:-\\d{1,2}(?:st|nd|rd|th)?\\b)?(?:,?\\s+\\d{4})?\\b`,
  "gi",
);
const DATE_TEXT_DMY = new RegExp(
  `\\b\\d{1,2}(?:st|nd|rd|th)?(?:\\s+(?:of\\s+)?(?:${MONTHS})\\.?(?:,?\\s+\\d{4})?|-(?:${MONTHS})(?:-(?:\\d{4}|\\d{2}))?)\\b`,
  "gi",
);
const DATE_TEXT_MY = new RegExp(`\\b(?:${MONTHS})\\.?,?\\s+(?:(?:19|20)\\d{2}\\b|['’]\\d{2}\\b)`, "gi");
/** Month and four-digit year: "11/2004", "3-1998". */
const DATE_MONTH_YEAR = /(?<![\w/.:-])(?:0?[1-9]|1[0-2])[/-](?:19|20)\d{2}(?![\w/%]|[.-]\d)/g;
const DATE_CONTEXT =
  /\b(?:dob|d\.o\.b|birth|born|b-day|birthday|admi(?:t|tted|ssion)|discharg\w*|death|died|deceased|expired|date[_\s-]?of[_\s-]?(?:birth|death|service|admission|discharge|visit)|dateofbirth|birth[_\s-]?date|visit|appointment|appt|surgery|procedure|seen|encounter|dos|dod)\b/i;

// Anchored matching (src/phi/detect/anchored.ts): where each whole-text regex below can start.
// The numeric ones start at a digit run (their lookbehinds exclude a digit before): of one or two
// digits before "/" or "-", "/", "." or anything; of four before "-".
const SLASH_OR_DASH = (c: number) => c === 47 || c === 45;
const NUMERIC = anchored("date-numeric", DATE_NUMERIC, (t) => digitRunsBefore(t, 1, 2, SLASH_OR_DASH));
const DOTTED = anchored("date-dotted", DATE_DOTTED, (t) => digitRunsBefore(t, 1, 2, (c) => c === 46));
const MONTH_YEAR = anchored("date-month-year", DATE_MONTH_YEAR, (t) => digitRunsBefore(t, 1, 2, SLASH_OR_DASH));
const RANGE = anchored("date-range", DATE_RANGE, (t) => digitRunsBefore(t, 1, 2, (c) => c === 47));
const ISO = anchored("date-iso", DATE_ISO, (t) => digitRunsBefore(t, 4, 4, (c) => c === 45));
const TEXT_DMY = anchored("date-text-dmy", DATE_TEXT_DMY, (t) => digitRunsBefore(t, 1, 2, () => true));
/** "'79" starts at the quote, "74'" two characters before it. */
const QUOTED_YEAR = anchored("date-quoted-year", QUOTE_YEAR, quoteYearStarts);
/** DATE_TEXT_MDY and DATE_TEXT_MY start with a month word, a whole run ("Jan." "January," "sept "). */
const MONTH_WORDS =
  "jan january feb february mar march apr april may jun june jul july aug august sep sept september oct october nov november dec december".split(
    " ",
  );
const TEXT_MDY = anchoredWords("date-text-mdy", DATE_TEXT_MDY, MONTH_WORDS);
const TEXT_MY = anchoredWords("date-text-my", DATE_TEXT_MY, MONTH_WORDS);
const ORDINAL_SUFFIXES = ["st", "nd", "rd", "th"];
/** Holidays start with one of these words as a whole run ("valentine's", "st. patrick's"), or at "4th of july". */
const HOLIDAY_WORDS =
  "christmas xmas thanksgiving easter new hanukkah hanukah chanukah passover yom rosh ramadan eid diwali halloween valentine valentines memorial labor veterans independence fourth july mother mothers father fathers st martin presidents columbus".split(
    " ",
  );
const HOLIDAY_GROUP = anchorGroup(HOLIDAY_WORDS);
const HOLIDAY_A = anchored(
  "holiday",
  HOLIDAY,
  (t) => {
    const words = anchorsOf(t, HOLIDAY_GROUP);
    if (words === undefined) return undefined;
    const fourth: number[] = [];
    for (let i = t.indexOf("4"); i >= 0; i = t.indexOf("4", i + 1))
      if ((t.charCodeAt(i + 1) | 32) === 116 && (t.charCodeAt(i + 2) | 32) === 104) fourth.push(i);
    return fourth.length === 0 ? words : mergeSorted(words, fourth);
  },
  HOLIDAY_WORDS,
);
/** Two ascending lists as one. */
function mergeSorted(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) out.push(j >= b.length || (i < a.length && a[i]! <= b[j]!) ? a[i++]! : b[j++]!);
  return out;
}

const DATE_CONTEXT_STICKY = toSticky(DATE_CONTEXT);
/** Keyword prefixes of DATE_CONTEXT for the shared keyword pass. */
const DATE_KEYWORDS = [
  "dob",
  "d.",
  "birth",
  "born",
  "b-",
  "admi",
  "discharg",
  "death",
  "died",
  "deceased",
  "expired",
  "date",
  "visit",
  "appointment",
  "appt",
  "surgery",
  "procedure",
  "seen",
  "encounter",
  "dos",
  "dod",
];
const DATE_PREFILTER = anchorsCover(DATE_KEYWORDS, DATE_CONTEXT.source);

function detectDates(text: string, profile: Profile, out: Candidate[], idx?: TextIndex): void {
  if (profile === "prose" && (cuesOf(text) & CUE_HOLIDAY) !== 0)
    for (const m of matchesOf(HOLIDAY_A, text))
      out.push({
        ruleId: "date",
        category: "date",
        hipaa: 3,
        kind: "phi",
        start: m.index,
        end: m.index + m[0].length,
        severity: "medium",
        confidence: 0.6,
      });
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
      for (const c of inner)
        out.push({ ...c, start: c.start + from, end: c.end + from, severity: "high", confidence: 0.8 });
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
  for (const m of matchesOf(NUMERIC, text)) {
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
      if (!year && profile === "prose" && a >= 1 && a <= 12 && m[2]!.length === 2 && b > 31 && !m[0].includes("-"))
        push(m.index, m.index + m[0].length, "medium", 0.55);
      continue;
    }
    if (!year) {
      // A bare m/d: a date in notes, but also a fraction or a score; notes only, US order only.
      // "3-12" is a range more often than a date, unless a date word or preposition leads to it
      if (
        profile === "code" ||
        !mdy ||
        (m[0].includes("-") &&
          !/\b(?:on|since|from|until|till|dated?|admitted|seen|discharged|born|dob|surgery|procedure)[ \t:]*$/i.test(
            text.slice(Math.max(0, m.index - 16), m.index),
          ) &&
          !DATE_LEAD.test(text.slice(Math.max(0, m.index - 16), m.index)))
      )
        continue;
      // fractions, scores and counts: "1/2", "4/4 bottles", "2/2", "6/10" pain (a date there needs a date word)
      const painNear =
        /\b(?:pain|cp|discomfort|pressure|tightness|score|scale|rates?|rated|level|angina|ache|#)\W*$/i.test(
          text.slice(Math.max(0, m.index - 20), m.index),
        ) ||
        /^\W*(?:pain|cp|angina|discomfort|incisional|chest|abd|back|headache|ha|sem|murmur|mur|hsm)\b/i.test(
          text.slice(m.index + m[0].length, m.index + m[0].length + 16),
        );
      // a date preposition or a weekday right before decides for a date: "on 2/3", "Tues 1/4"
      // a leading zero is no fraction: "03/04"
      const dateLead =
        DATE_LEAD.test(text.slice(Math.max(0, m.index - 16), m.index)) ||
        m[1]!.startsWith("0") ||
        m[2]!.startsWith("0");
      if (
        (!dateLead && ((a < b && b <= 4) || (b === 5 && a <= 5) || (a === b && b <= 4))) ||
        (b === 10 && a <= 10 && painNear)
      )
        continue;
      // ventilator and haemodynamic values: "40%, & 5/8", "50% 8/5", "700x10 5/5", "CO/CI 5/3"; a 0-10 scale: "c/o 5/10"
      const lead = text.slice(Math.max(0, m.index - 14), m.index);
      if (
        !dateLead &&
        (/(?:\d%|\d[xX]\d+)[ \t,&]*$/.test(lead) ||
          /\b\p{L}{2,}\/\p{L}{2,}[ \t:]*$/u.test(lead) ||
          (b === 10 &&
            a <= 10 &&
            !contextual(m.index) &&
            (/\b(?:c\/o|complains?|rating|rated|rates|describes?|reports?|pain)\b[^.;\n\d]{0,18}$/i.test(
              text.slice(Math.max(0, m.index - 30), m.index),
            ) ||
              /^[^.;\n]{0,30}\b(?:pain|ache|discomfort|cp)\b/i.test(
                text.slice(m.index + m[0].length, m.index + m[0].length + 40),
              ))))
      )
        continue;
      const after = text.slice(m.index + m[0].length, m.index + m[0].length + 12);
      if (/^\s*(?:mg|ml|mcg|units?|tabs?|of|dose|times|x\b|%|ns\b|normal saline|strength|nss|cc)/i.test(after))
        continue;
      if (
        /\b(?:ps|psv|cpap|peep|bipap|ipap|epap|pap|strength|vent|settings|ivf|abp|bp|nbp|sbp|dbp|map|ratio|i:e|gcs|motor|score)\b(?:(?!\band\b|\bthen\b|\bextubat)[^.;\n\d]){0,14}$/i.test(
          text.slice(Math.max(0, m.index - 30), m.index),
        )
      )
        continue;
      push(m.index, m.index + m[0].length, contextual(m.index) ? "high" : "medium", 0.6);
      continue;
    }
    if (profile === "code" && !contextual(m.index)) continue;
    push(m.index, m.index + m[0].length, "high", 0.85);
  }
  if (profile === "prose") {
    for (const m of matchesOf(DOTTED, text)) {
      const a = Number(m[1]);
      const b = Number(m[2]);
      if (!v.monthDayValid(a, b) && !v.monthDayValid(b, a)) continue;
      // "1.1.13" is a version number far more often than a date: a two-digit year needs dd.mm.yy
      if (
        m[3]!.length === 2 &&
        (m[1]!.length !== 2 ||
          m[2]!.length !== 2 ||
          /(?:\bv|version|release|##)\s*$/i.test(text.slice(Math.max(0, m.index - 10), m.index)))
      )
        continue;
      push(m.index, m.index + m[0].length, m[3]!.length === 4 ? "high" : "medium", 0.7);
    }
    for (const m of matchesOf(MONTH_YEAR, text)) push(m.index, m.index + m[0].length, "medium", 0.6);
    for (const m of matchesOf(RANGE, text)) {
      if (!v.monthDayValid(Number(m[1]), Number(m[2])) || !v.monthDayValid(Number(m[3]), Number(m[4]))) continue;
      if (Number(m[2]) <= 4 && Number(m[4]) <= 4) continue; // fractions: "1/3-1/2"
      push(m.index, m.index + m[0].length, "medium", 0.65);
    }
    // an ordinal day needs one or two digits before st/nd/rd/th somewhere in the text
    for (const m of someDigitRunBefore(text, 2, ORDINAL_SUFFIXES) ? text.matchAll(DATE_ORDINAL) : []) {
      const d = Number(m[1]);
      if (d < 1 || d > 31) continue;
      const s = m.index + m[0].lastIndexOf(m[1]!);
      push(s, m.index + m[0].length, "medium", 0.55);
    }
  }
  if (profile === "prose") {
    // an abbreviated year in a history: "CABG '79", "CVA 74'", "prostate CA'88" (not "90's", "5'10")
    for (const m of matchesOf(QUOTED_YEAR, text)) {
      // a quoted string in code or prose ("'40 + 2'", "'entity:42'") closes or opens on the same line
      const line0 = text.lastIndexOf("\n", m.index) + 1;
      const line1 = text.indexOf("\n", m.index) < 0 ? text.length : text.indexOf("\n", m.index);
      const rest =
        m[1] !== undefined
          ? text.slice(m.index + m[0].length, Math.min(line1, m.index + 40))
          : text.slice(Math.max(line0, m.index - 40), m.index);
      if (/['’]/.test(rest.replace(/(?<![\w'’])['’]\d{2}(?![\w'’])|(?<![\w'’])\d{2}['’](?![\w'’])/g, ""))) continue;
      // feet and degrees: "ambulated 30'", "HOB 30'"
      if (
        m[2] !== undefined &&
        /\b(?:ambulat\w*|walk\w*|hob|bed|feet|ft|distance|height|ht|elevat\w*|degrees?|angle|up|x)[ \t]*$/i.test(
          text.slice(Math.max(0, m.index - 20), m.index),
        )
      )
        continue;
      push(m.index, m.index + m[0].length, "medium", 0.5);
    }
  }
  for (const m of matchesOf(ISO, text)) {
    if (profile === "code" && !contextual(m.index)) continue;
    // ISO dates in prose are mostly document and release dates unless a person-date word is near.
    push(m.index, m.index + m[0].length, contextual(m.index) ? "high" : "medium", 0.7);
  }
  if (!/[a-z]/i.test(text)) return;
  for (const re of [TEXT_MDY, TEXT_DMY, TEXT_MY]) {
    const found = matchesOf(re, text);
    for (const m of found) {
      const s = m[0];
      if (/^may\s/i.test(s) && !/\d{4}/.test(s) && /^May\s+\d{1,2}\b/.test(s) === false) continue;
      if (profile === "code" && !contextual(m.index)) continue;
      push(m.index, m.index + s.length, "high", 0.85);
    }
  }
}

export const dates: Detector = {
  name: "dates",
  profiles: ["code", "prose"],
  disabledBy: "date",
  keywords: { date: { prefixes: DATE_KEYWORDS, context: DATE_CONTEXT } },
  detect: detectDates,
};
