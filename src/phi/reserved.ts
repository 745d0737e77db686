import { FAKE_FIRST, FAKE_LAST, isSyntheticName } from "./synthetic-names.js";

/**
 * The reserved ranges `sanitize --mode synthetic` writes, and the test the scanner applies to say
 * that a value it found is one of them (a known synthetic value, reported at low severity). Every
 * range is narrow on purpose: a real identifier must not pass for a synthetic one by accident
 * (documented in README.md, "Synthetic values"). The ranges:
 *
 * - names: only the fake words of `synthetic-names.ts`, at least one of them a fake surname;
 * - SSN: area 9xx (never issued) with group 01..49 (9xx numbers with other groups are ITINs);
 *   phone: 555-0100..555-0199 (reserved for fiction); e-mail: example.org (RFC 2606);
 * - dates: the year moved by exactly 2000 (five 400-year Gregorian cycles: weekday and leap
 *   days are kept), plus the document's day shift: a synthetic date has a year in 3800..4199,
 *   which no real record holds. A date without a year is written with the literal year `yyyy`;
 * - record, account, plan, licence, device and other numbers: `SYN` + 7 digits + 2 check digits
 *   (ISO 7064 MOD 97-10, as in an IBAN), e.g. `SYN123456751`; a wrong check digit, another length
 *   or a lower-case prefix is not reserved;
 * - places: the fake place words (`FAKE_PLACES`) with generic words (Lane, Hospital, Apt...),
 *   numbers and two-letter state codes; ZIP codes 000xx (no ZIP code starts with 000: it is the
 *   Safe Harbor stand-in for a sparse area);
 * - ages over 89: `90+` (the Safe Harbor aggregate);
 * - IP addresses: 192.0.2.0/24 (RFC 5737 TEST-NET-1); URLs: https://example.org/ (RFC 2606).
 *
 * A rule's class is a guess: a value reserved in one class is reserved whatever class it is read as.
 */

export const SYNTHETIC_YEAR_OFFSET = 2000;
export const SYNTHETIC_YEARS = { from: 3800, to: 4199 } as const;
export const SYNTHETIC_ID_PREFIX = "SYN";
/** Invented place words: no street, town or hospital is named so. */
export const FAKE_PLACES = ["Mockwell", "Placeholder", "Testperson"] as const;

const PLACE = new Set(FAKE_PLACES.map((w) => w.toLowerCase()));
/** US state, district and territory codes (Safe Harbor keeps the state). */
const STATES = new Set(
  (
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND " +
    "OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR GU VI AS MP"
  ).split(" "),
);
const isState = (w: string) => STATES.has(w);
/** Words of addresses and facilities that name no place on their own. */
const GENERIC_PLACE = new Set(
  (
    "street st avenue ave road rd boulevard blvd lane ln drive dr court ct way place pl terrace ter circle cir " +
    "parkway pkwy highway hwy square sq trail trl alley row crescent close grove park point ridge walk loop " +
    "apt apartment suite ste unit floor fl room rm building bldg po box no north south east west n s e w ne nw se sw " +
    "hospital medical center centre clinic memorial general regional health healthcare care community county " +
    "rehab rehabilitation nursing home hospice shore beach lake river falls heights campus station " +
    "city town village saint mount mt university campus of the and at usa us"
  ).split(" "),
);

// --- identifiers: SYN + 7 digits + 2 check digits (ISO 7064 MOD 97-10)

function mod97(digits: string): number {
  let r = 0;
  for (const c of digits) r = (r * 10 + (c.charCodeAt(0) - 48)) % 97;
  return r;
}

/** The reserved identifier for 7 digits. */
export function reservedId(body: string): string {
  const check = 98 - mod97(body + "00");
  return `${SYNTHETIC_ID_PREFIX}${body}${String(check).padStart(2, "0")}`;
}

/** `SYN` + 7 digits + the 2 check digits, exactly. */
export function isReservedId(value: string): boolean {
  return /^SYN\d{9}$/.test(value) && mod97(value.slice(3)) === 1;
}

// --- names

/** Titles, suffixes and credentials an HL7 name keeps (`^^^Dr`, `^Jr`). */
export const NAME_AFFIX = /^(?:dr|mr|mrs|ms|miss|mx|prof|jr|sr|ii|iii|iv|md|do|rn|np|pa|phd)\.?$/i;

/**
 * A name of fake words; an HL7 name (components, repetitions) may also hold reserved identifiers
 * (XCN's id number) and affixes, but at least one fake word.
 */
export function isReservedName(value: string): boolean {
  if (!/[\^~&]/.test(value)) return isSyntheticName(value);
  const parts = value.split(/[\^~&]/).filter((p) => p.trim() !== "");
  const words = parts.filter((p) => !isReservedId(p) && !NAME_AFFIX.test(p.trim()));
  return words.length > 0 && isSyntheticName(words.join(" "));
}

// --- SSNs: area 9xx is never issued as an SSN, but 9xx numbers with groups 50-65, 70-88, 90-92 and
// 94-99 are ITINs (real taxpayer numbers); groups 01-49 are neither

/** A 9xx number with group 01..49: no SSN and no ITIN. */
export function isReservedSsn(value: string): boolean {
  return /^9\d\d-(?:0[1-9]|[1-4]\d)-\d{4}$/.test(value);
}

// --- dates

const MONTH_NAMES = [
  "january",
  "february",
  "march",
  "april",
  "may",
  "june",
  "july",
  "august",
  "september",
  "october",
  "november",
  "december",
];
const MONTH_RE =
  "(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)";
const monthOf = (word: string) => MONTH_NAMES.findIndex((m) => m.startsWith(word.toLowerCase().slice(0, 3))) + 1;

interface ParsedDate {
  y?: number;
  /** a year alone: moved 2000 years, not shifted by days */
  yearOnly?: boolean;
  m: number;
  d: number;
  /** writes a date back in the form it was read */
  write: (y: number | undefined, m: number, d: number) => string;
}

const pad2 = (n: number) => String(n).padStart(2, "0");
const validDay = (y: number, m: number, d: number) =>
  m >= 1 && m <= 12 && d >= 1 && d <= new Date(Date.UTC(y, m, 0)).getUTCDate();

/** The date forms the scanner finds (ISO, HL7 TS, m/d/y, d.m.y, month names, m/d without a year). */
export function parseDate(value: string): ParsedDate | undefined {
  const v = value.trim();
  let m: RegExpExecArray | null;
  if (
    (m = /^(\d{4})-(\d{2})-(\d{2})(.*)$/.exec(v)) &&
    (m[4] === "" || /^[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?$/.test(m[4]!))
  ) {
    const rest = m[4]!;
    return { y: +m[1]!, m: +m[2]!, d: +m[3]!, write: (y, mo, d) => `${y}-${pad2(mo)}-${pad2(d)}${rest}` };
  }
  if ((m = /^(\d{4})(\d{2})(\d{2})((?:\d{2}){0,3}(?:\.\d+)?(?:[+-]\d{4})?)$/.exec(v))) {
    const rest = m[4]!;
    return { y: +m[1]!, m: +m[2]!, d: +m[3]!, write: (y, mo, d) => `${y}${pad2(mo)}${pad2(d)}${rest}` };
  }
  // an abbreviated year ('79, 79'): the year alone
  if ((m = /^['’](\d{2})$|^(\d{2})['’]$/.exec(v))) {
    const yy = +(m[1] ?? m[2])!;
    return { y: 1900 + yy + (yy < 30 ? 100 : 0), m: 7, d: 1, yearOnly: true, write: (y) => String(y) };
  }
  // month and year (5/97, 11/2004): written with four digits
  if (
    (m = /^(\d{1,2})\/(\d{2}|\d{4})$/.exec(v)) &&
    (m[2]!.length === 4 || +m[2]! > 31) &&
    +m[1]! >= 1 &&
    +m[1]! <= 12
  ) {
    const y = m[2]!.length === 4 ? +m[2]! : 1900 + +m[2]!;
    return { y, m: +m[1]!, d: 15, write: (y2, mo) => `${mo}/${y2}` };
  }
  // year and month (FHIR 1948-02)
  if ((m = /^(\d{4})-(\d{2})$/.exec(v)) && +m[2]! >= 1 && +m[2]! <= 12)
    return { y: +m[1]!, m: +m[2]!, d: 15, write: (y, mo) => `${y}-${pad2(mo)}` };
  // a year alone, as sanitize writes an abbreviated one
  if ((m = /^(\d{4})$/.exec(v))) return { y: +m[1]!, m: 7, d: 1, yearOnly: true, write: (y) => String(y) };
  if ((m = /^(\d{1,2})([/-])(\d{1,2})(?:\2(\d{4}|\d{2}))?$/.exec(v))) {
    const [, a, sep, b, yy] = m;
    const y = yy === undefined ? undefined : yy.length === 4 ? +yy : 2000 + +yy - (+yy > 50 ? 100 : 0);
    const lead = a!.length === 2 && b!.length === 2;
    const f = (n: number) => (lead ? pad2(n) : String(n));
    return {
      y,
      m: +a!,
      d: +b!,
      write: (y2, mo, d) => `${f(mo)}${sep}${f(d)}${sep}${y2 === undefined ? "yyyy" : y2}`,
    };
  }
  if ((m = /^(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})$/.exec(v))) {
    const yy = m[3]!;
    const y = yy.length === 4 ? +yy : 2000 + +yy - (+yy > 50 ? 100 : 0);
    const dmy = +m[2]! <= 12 && +m[1]! > 12;
    return {
      y,
      m: dmy ? +m[2]! : +m[1]!,
      d: dmy ? +m[1]! : +m[2]!,
      write: (y2, mo, d) => (dmy ? `${pad2(d)}.${pad2(mo)}.${y2}` : `${pad2(mo)}.${pad2(d)}.${y2}`),
    };
  }
  // March 18, 2024 / Mar. 18 2024 / March 18
  if ((m = new RegExp(`^${MONTH_RE}\\.?\\s+(\\d{1,2})(?:st|nd|rd|th)?(?:(,?\\s+)(\\d{4}))?$`, "i").exec(v))) {
    const word = m[1]!;
    const sep = m[3] ?? ", ";
    return {
      y: m[4] ? +m[4] : undefined,
      m: monthOf(word),
      d: +m[2]!,
      write: (y, mo, d) => `${monthWord(word, mo)} ${d}${sep}${y ?? "yyyy"}`,
    };
  }
  // 18 March 2024 / 18 March
  if ((m = new RegExp(`^(\\d{1,2})(?:st|nd|rd|th)?\\s+(?:of\\s+)?${MONTH_RE}\\.?(?:,?\\s+(\\d{4}))?$`, "i").exec(v))) {
    const word = m[2]!;
    return {
      y: m[3] ? +m[3] : undefined,
      m: monthOf(word),
      d: +m[1]!,
      write: (y, mo, d) => `${d} ${monthWord(word, mo)} ${y ?? "yyyy"}`,
    };
  }
  // March 2024
  if ((m = new RegExp(`^${MONTH_RE}\\.?,?\\s+(\\d{4})$`, "i").exec(v))) {
    const word = m[1]!;
    return { y: +m[2]!, m: monthOf(word), d: 15, write: (y, mo) => `${monthWord(word, mo)} ${y}` };
  }
  return undefined;
}

/** A month written like `like` (full or abbreviated, its case). */
function monthWord(like: string, month: number): string {
  const full = MONTH_NAMES[month - 1]!;
  const w = like.replace(/\.$/, "").length <= 3 || /^sept$/i.test(like) ? full.slice(0, 3) : full;
  if (like === like.toUpperCase()) return w.toUpperCase();
  return w[0]!.toUpperCase() + w.slice(1);
}

/**
 * A date moved into the reserved years: +2000 years and `days`, in the form it was read (two-digit
 * years written with four digits). A date without a year is shifted and written with the year `yyyy`.
 * Undefined when the value is no date form known here.
 */
export function syntheticDate(value: string, days: number): string | undefined {
  const p = parseDate(value);
  if (!p) return undefined;
  const y = p.y ?? 2001;
  if (!validDay(y, p.m, p.d) && !(p.m >= 1 && p.m <= 12 && p.d >= 1 && p.d <= 31)) return undefined;
  const t = new Date(Date.UTC(y, p.m - 1, p.d));
  if (!p.yearOnly) t.setUTCDate(t.getUTCDate() + days);
  const lead = value.slice(0, value.length - value.trimStart().length);
  const trail = value.slice(value.trimEnd().length);
  return (
    lead +
    p.write(
      p.y === undefined ? undefined : t.getUTCFullYear() + SYNTHETIC_YEAR_OFFSET,
      t.getUTCMonth() + 1,
      t.getUTCDate(),
    ) +
    trail
  );
}

/** A complete date whose year is in the reserved years (3800..4199). */
export function isReservedDate(value: string, after = ""): boolean {
  // a span that stops before the year (the tagger's "4/18/" of "4/18/yyyy")
  if (/\d[/-]$/.test(value) && /^yyyy\b/.test(after))
    return isReservedDate(value.slice(0, -1), value.slice(-1) + after);
  const p = parseDate(value);
  if (!p) return false;
  if (p.y === undefined) {
    // a date without a year that sanitize wrote with the year `yyyy` ("June 30, yyyy", "6/30/yyyy")
    return /^(?:,?[ \t]+|\/|-)yyyy\b/.test(after);
  }
  return p.y >= SYNTHETIC_YEARS.from && p.y <= SYNTHETIC_YEARS.to && validDay(p.y, p.m, p.d);
}

// --- places

/** The words of a place value: split at spaces, punctuation and HL7 separators. */
const placeWords = (value: string) => value.split(/[^A-Za-z0-9#]+/).filter(Boolean);

/**
 * A place made of the fake place words (at least one), generic words, house and unit numbers and
 * two-letter state codes; or a ZIP code 000xx(-xxxx). A five-digit number other than 000xx fails it.
 */
export function isReservedPlace(value: string): boolean {
  const words = placeWords(value);
  if (words.length === 0) return false;
  let reserved = false;
  for (const w of words) {
    const lw = w.toLowerCase();
    if (PLACE.has(lw)) reserved = true;
    else if (/^000\d\d$/.test(w)) reserved = true;
    else if (/^\d{5}$/.test(w) || /^\d{6,}$/.test(w)) return false;
    else if (GENERIC_PLACE.has(lw)) continue;
    else if (/^[A-Z]{2}$/.test(w))
      continue; // a state code (Safe Harbor keeps the state)
    else if (/^#?\d{1,4}[A-Za-z]?$/.test(w) || /^[A-Za-z]\d{1,4}$/.test(w))
      continue; // house, unit, suite numbers
    else return false;
  }
  return reserved;
}

/** Only generic words, state codes and short numbers: names no place alone. */
function isGenericPlace(value: string): boolean {
  const words = placeWords(value);
  return (
    words.length > 0 &&
    words.every(
      (w) =>
        GENERIC_PLACE.has(w.toLowerCase()) ||
        isState(w) ||
        /^#?\d{1,4}[A-Za-z]?$/.test(w) ||
        /^[A-Za-z]\d{1,4}$/.test(w),
    )
  );
}

/** A place value rewritten into the reserved vocabulary, word by word (its separators kept). */
export function syntheticPlace(value: string, pick: (i: number) => number): string {
  let i = 0;
  const out = value.replace(/[A-Za-z0-9#]+/g, (w) => {
    const k = i++;
    if (/^\d{5}$/.test(w)) return `000${digitsOf(pick, k, 2)}`; // ZIP
    if (/^\d+$/.test(w))
      return w.length > 4 ? `000${digitsOf(pick, k, 2)}` : digitsOf(pick, k, w.length).replace(/^0/, "1");
    if (/^#?\d{1,4}[A-Za-z]?$/.test(w) || /^[A-Za-z]\d{1,4}$/.test(w))
      return w.replace(/\d/g, (_d, j: number) => String(pick(k + j) % 10));
    const lw = w.toLowerCase();
    if (GENERIC_PLACE.has(lw) || PLACE.has(lw) || isState(w)) return w;
    const fake = FAKE_PLACES[pick(k) % FAKE_PLACES.length]!;
    return w === w.toUpperCase() ? fake.toUpperCase() : fake;
  });
  // only generic words and numbers ("Apt 3B"): a fake place word makes it recognisable
  return isReservedPlace(out) ? out : `${FAKE_PLACES[pick(0) % FAKE_PLACES.length]!} ${out}`;
}

function digitsOf(pick: (i: number) => number, seed: number, n: number): string {
  return Array.from({ length: n }, (_, j) => String(pick(seed * 7 + j) % 10)).join("");
}

// --- the scanner's test

/** Categories whose synthetic value is a reserved identifier (`SYN` + 9 digits). */
export const ID_CATEGORIES: ReadonlySet<string> = new Set([
  "mrn",
  "account",
  "health-plan-id",
  "license",
  "device-id",
  "vehicle-id",
  "other",
]);
/** A component of an HL7 identifier that names no one: an assigning authority or type code ("MGH", "MR"). */
export const CODE_PART = /^[A-Z][A-Z.-]{0,7}$/;

/**
 * Whether a value the scanner found in `category` is a reserved synthetic value. `after` is the
 * text right after it (the `+` of `90+`, the `yyyy` of a date written without its year).
 * Values of several HL7 components or repetitions must be reserved in every part that holds one.
 */
export function isReservedSynthetic(category: string, value: string, after = "", before = ""): boolean {
  if (reservedInCategory(category, value, after, before)) return true;
  // a rule's category is a guess: a reserved value of another class is still reserved (a synthetic SSN
  // read as a phone after "number is", a fake surname read as a city); the classes' own tests only
  if (!PHI_CATEGORIES.has(category)) return false;
  const v = value.trim();
  return (
    isReservedSsn(v) ||
    /^(?:\(\d{3}\) |\d{3}-)?555-01\d\d$/.test(v) ||
    isReservedId(v) ||
    (category === "name" && isFakeWords(v, false)) ||
    // a fake surname alone may be read as a city; with a street word it needs a fake place word
    // (Sample Road is a real road)
    (category === "location" && (isSyntheticName(v) || isFakeWords(v, true)))
  );
}

const FAKE_NAME_WORDS = new Set([...FAKE_FIRST, ...FAKE_LAST].map((w) => w.toLowerCase()));
/**
 * Fake name and place words (at least one; a fake place word when `needPlace`), with generic place
 * words, numbers and state codes.
 */
function isFakeWords(value: string, needPlace: boolean): boolean {
  const words = placeWords(value);
  let fake = false;
  for (const w of words) {
    const lw = w.toLowerCase();
    if (PLACE.has(lw)) fake = true;
    else if (FAKE_NAME_WORDS.has(lw)) fake ||= !needPlace;
    else if (!(GENERIC_PLACE.has(lw) || isState(w) || /^#?\d{1,4}[A-Za-z]?$/.test(w))) return false;
  }
  return fake;
}

const PHI_CATEGORIES: ReadonlySet<string> = new Set([
  "name",
  "location",
  "date",
  "phone",
  "email",
  "ssn",
  "mrn",
  "health-plan-id",
  "account",
  "license",
  "device-id",
  "vehicle-id",
  "other",
  "age",
]);

function reservedInCategory(category: string, value: string, after: string, before: string): boolean {
  switch (category) {
    case "ssn":
      return isReservedSsn(value);
    case "name":
      return isReservedName(value);
    case "date":
      return isReservedDate(value, after);
    case "location":
      // a state code, or generic words, right after a reserved place ("Placeholder, MA", "Mockwell Rehab"
      // found as "Rehab"): Safe Harbor keeps the state; the generic words name nothing alone
      return (
        isReservedPlace(value) ||
        (isGenericPlace(value) &&
          (new RegExp(`\\b(?:${FAKE_PLACES.join("|")})[ \\t]*,?[ \\t]*$`, "i").test(before) ||
            // "Unit 4731 Box 4919" on the line before a fake town: the unit words, its numbers
            new RegExp(`^[^.;]{0,40}?\\b(?:${FAKE_PLACES.join("|")})\\b`, "i").test(after)))
      );
    case "age":
      return /(?:^|\D)90$/.test(value) && after.startsWith("+");
    case "ip-address":
      return /^192\.0\.2\.(?:25[0-5]|2[0-4]\d|1?\d?\d)$/.test(value);
    case "url":
      return /^https:\/\/example\.org(?:\/[A-Za-z0-9._~/-]*)?$/.test(value);
    default: {
      if (!ID_CATEGORIES.has(category)) return false;
      // an HL7 CX value: the id, then short upper-case codes (assigning authority, identifier type)
      const parts = value.split(/[\^~&]/);
      return parts.some(isReservedId) && parts.every((p) => p === "" || isReservedId(p) || CODE_PART.test(p));
    }
  }
}

/**
 * Whether a replacement sanitize wrote is reserved (the dry run shows those, and masks the rest):
 * the scanner's test, on the replacement alone (a date written without its year ends in `yyyy`,
 * an aggregated age holds `90+`).
 */
export function isReservedReplacement(category: string, after: string): boolean {
  switch (category) {
    case "ssn":
      return isReservedSsn(after);
    case "phone":
      return /\b555-01\d\d$/.test(after);
    case "email":
      return /@example\.org$/.test(after);
    case "age":
      return /(?:^|\D)90\+/.test(after);
    case "date": {
      const parts = after.split(/[\^~&]/).filter((p) => p.trim() !== "");
      return (
        parts.length > 0 &&
        parts.every((p) => {
          const m = /^(.*?)((?:,?[ \t]+|\/|-)yyyy)$/.exec(p.trim());
          return m ? isReservedDate(m[1]!, m[2]!) : isReservedDate(p);
        })
      );
    }
    default:
      return isReservedSynthetic(category, after.trim());
  }
}
