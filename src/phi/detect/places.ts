import type { Severity } from "../types.js";
import type { Candidate, Profile } from "../candidate.js";
import { FIRST_NAMES, NOT_NAMES } from "../data/names.js";
import { COUNTRIES, US_CITIES, US_STATES, US_STATE_CODES } from "../data/places.js";
import { COMMON_WORDS, CLINICAL_WORDS, NATIONALITIES } from "../data/words.js";
import { hasDigit } from "../rules/rule.js";
import { anchorsCover, regexHash, stickyEach, toSticky, type TextIndex } from "../prefilter.js";
import {
  CREDENTIAL,
  ENGLISH,
  FUNCTION_WORD,
  TITLE,
  VERBISH,
  LEXICON_CLASSES,
  W_CLINICAL,
  W_COMMON,
  cityLookup,
  isUpperText,
  multiWordPlaceStart,
} from "./lexicon.js";
import { WORDS, WordClasses, tokenize } from "./tokens.js";
import { anchorGroup, anchorsOf, cueGroup, cuesOf, isAsciiText } from "./cues.js";
import { anchored, anchoredWords, digitRunsBefore, matchesOf } from "./anchored.js";
import type { Detector } from "./detector.js";

/**
 * Places (HIPAA identifier 2): street addresses (US, international, military), cities and zip
 * codes, facilities (hospital names and acronyms, wards), gazetteer places after cues.
 */

const STREET_SUFFIX =
  "street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|terrace|ter|circle|cir|parkway|pkwy|highway|hwy|square|trail|trl|row|alley|crescent|cres|close|grove|gardens|heights|hill|hills|park|point|ridge|walk|view|village|mews|green|loop|pike|turnpike|crossing|plaza|route|rte|path|pass|glen|creek|landing|estates|commons|harbor|harbour|junction|knoll|meadows?|orchard|shores?|springs|station|summit|valley|vista|wharf|woods?|expressway|freeway|causeway|esplanade|promenade|quay|rise|broadway|manor|oval|parade";
const STREET = new RegExp(
  `\\b\\d{1,6}[ \\t]+(?:[NSEW]\\.?[ \\t]+)?((?:[\\p{L}0-9'’.-]+[ \\t]+){1,4}?)(${STREET_SUFFIX})\\b\\.?(?:,?[ \\t]*(?:apt|apartment|unit|suite|ste|#)\\.?[ \\t]*[\\w-]+)?`,
  "giu",
);
/** Source code: the original ASCII street pattern, cheaper than the Unicode one. */
const STREET_CODE =
  /\b\d{1,6}[ \t]+(?:[NSEW]\.?[ \t]+)?((?:[A-Za-z0-9'.-]+[ \t]+){1,4})(street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|terrace|ter|circle|cir|parkway|pkwy|highway|hwy|square|sq|trail|trl|row|alley)\b\.?(?:,?[ \t]*(?:apt|apartment|unit|suite|ste|#)\.?[ \t]*[\w-]+)?/gi;
const UNIT =
  /\b(?:apt|apartment|suite|ste|unit|flat|p\.?o\.? box|po box)\.?[ \t]*#?[ \t]*\d{1,6}[A-Za-z]?\b(?![%.,]?\d|[ \t]*(?:%|mg|mcg|ml|cc|units?|u\b|prbc|ffp))/gi;
const INTL_STREET_BEFORE =
  /\b(?:via|viale|vicolo|piazza|corso|calle|avenida|av\.|rua|rue|chemin|allee|allée|plaza|paseo|ulica|ul\.|utca|strada|carrer|avinguda|rambla|praça|largo|travessa|camino|carretera|boulevard)[ \t]+(\p{Lu}\p{Ll}[\p{L}'’-]*)(?:[ \t]+[\p{L}][\p{L}'’-]*){0,3},?[ \t]*\d{1,5}[A-Za-z]?\b/giu;
const INTL_STREET_SUFFIX =
  /(?<![\p{L}\d])\p{Lu}[\p{L}'’-]*(?:stra(?:ss|ß)e|str\.|gasse|weg|platz|allee|gatan|gata|vägen|vagen|väg|vej|gade|stræde|straede|katu|tie|kuja|polku|utca|ulica|laan|straat|plein|gracht|kade|dreef|veien|vegen|gränd|stien|vænget|gata|sokak|sokağı|caddesi|utja|tee)(?:[ \t]+\p{Lu}[\p{L}'’-]*)?[ \t]*\d{1,5}[A-Za-z]?\b/gu;
/** US military mail: "PSC 1437, Box 3833, APO AA 66791", "Unit 1009 Box 0219 DPO AP 51065". */
const MILITARY_ADDRESS =
  /\b(?:PSC|Unit|CMR)[ \t]+\d{1,5},?[ \t]+Box[ \t]+\d{1,5},?\s+(?:APO|FPO|DPO)[ \t]+(?:AA|AE|AP)[ \t]+\d{5}\b/gi;
/** French, Italian, Iberian order: "137 Avenue Teboulbi", "20 Rue Hsine Eloued". */
const NUM_KEYWORD_STREET =
  /\b\d{1,5},?[ \t]+(?:rue|avenue|av\.|boulevard|bd|chemin|allée|allee|impasse|place|via|viale|piazza|calle|rua|avenida|travessa|largo)[ \t]+(?:(?:de|du|des|la|le|les|del|della|do|da|dos|das|al)[ \t]+)*\p{Lu}[\p{L}'’-]*(?:[ \t]+(?:\p{Lu}[\p{L}'’-]*|de|du|des|la|le|del|do|da|al)){0,3}/gu;
/** A street type written as a separate word before the house number: "Villacher Strasse 89", "Trenerys gate 232", "Erzsébet tér 19". */
const STREET_WORD_NUM =
  /(?<![\p{L}\d])\p{Lu}[\p{L}'’-]*(?:[ \t]+\p{Lu}[\p{L}'’-]*)?[ \t]+(?:[Ss]tra(?:ss|ß)e|STRASSE|[Ss]tr\.|[Gg]asse|[Ww]eg|[Aa]llee|[Pp]latz|[Gg]ate|[Gg]ata|[Gg]atan|[Vv]ei|[Vv]eien|[Vv]egen|[Vv]ej|[Gg]ade|tér|utca|út|ulica|ul\.|katu|tie|tee|laan|straat|kade|sokak|caddesi)[ \t]+\d{1,5}[A-Za-z]?\b/gu;
/** A named street without a number after "on/at/in": "shows on Marina Fort Street". */
const NAMED_STREET =
  /\b(?:on|at|in|off|along|near)[ \t]+((?:\p{Lu}[\p{L}'’-]*[ \t]+){1,3}(?:Street|Avenue|Road|Boulevard|Lane|Drive|Court|Terrace|Crescent|Parkway|Highway|Way|Place|Square))\b/gu;
/** "83393 Pärna 33": building number, street name, house number (mixed-case text only). */
const NUM_STREET_NUM =
  /(?<![\w.,/-])\d{1,6}[ \t]+(\p{Lu}\p{L}*\p{Ll}[\p{L}'’-]*(?:[ \t]+[\p{L}][\p{L}'’-]*){0,3})[ \t]+\d{1,5}[A-Za-z]?(?![\w.,/%-]|[.,]\d)/gu;
const ADDRESS_CUE =
  /\b(?:address(?:\s+is)?|lives?\s+at|living\s+at|located\s+at|resides?\s+at|mail(?:ed)?\s+to|ship(?:ped)?\s+to|send\s+(?:it\s+)?to|return(?:ed)?\s+to|corner\s+of|office\s+is\s+at)\s*:?\s*$/i;
const STREET_PARTICLE =
  /^(?:de|del|della|dei|di|da|do|dos|das|du|la|le|les|van|von|der|den|het|am|an|im|auf|y|e|i|tee|u|utca|ulica|sur|sous)$/i;
const CITY_STATE = /\b([A-Z][a-zA-Z.'-]+(?:\s[A-Z][a-zA-Z.'-]+){0,2}),\s*([A-Z]{2})(?:\s+(\d{5}(?:-\d{4})?))?\b/g;
const ZIP_CONTEXT =
  /\b(?:zip|zipcode|zip code|postal code|postcode)\b(?:[ \t]+(?:is|was|number))?\W{0,5}(\d{5}(?:-\d{3,4})?|\d{3} ?\d{2}|\d{3,6}|\d{2}-\d{3}|\d{4}-\d{3}|[A-Z]\d[A-Z] ?\d[A-Z]\d|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2})(?![\w-])/gi;
const FACILITY =
  /(?:hospital|hosp|medical center|med ctr|medical ctr|med center|health center|health centre|clinic|nursing home|rehab(?:ilitation)? (?:center|hospital|facility)|infirmary|hospice|medical group|care center|assisted living|heart center|cancer center|rehabilitation)\b/gi;
const TRANSFER_PLACE =
  /\b(?:transferred|transfered|transfer|xfer|sent|admitted|arrived|came|followed|referred|discharged|returned|went|back|seen|treated|hospitalized|lives|resides|moved|medflight|medflighted|flown|taken|brought|presented|trans|enroute|leave|go|going|come|coming)[ \t]+(?:back[ \t]+)?(?:here[ \t]+)?(?:over[ \t]+)?(?:to|from|at|in|into)[ \t]+(?:the[ \t]+)?(?:\d{1,4}[ \t]+)?((?:\p{L}[\p{L}'’.-]*[ \t]*){1,3})/giu;
const AMBIGUOUS_STATE_CODES = new Set([
  "CO",
  "MD",
  "PA",
  "OR",
  "IN",
  "ME",
  "OK",
  "HI",
  "DE",
  "LA",
  "MA",
  "CT",
  "MS",
  "MT",
  "NE",
  "AL",
  "ID",
  "SC",
  "VA",
  "WA",
  "GA",
  "IA",
  "MO",
  "ND",
  "SD",
  "PR",
  "DC",
  "NP",
  "RN",
  "AK",
]);
/** A preposition right before a place. */
const PLACE_PREP = /\b(?:in|from|to|at|near|of|outside|around|towards?|via)[ \t]+(?:the[ \t]+)?$/i;
/** Phrases that announce where someone lives, comes from or goes: strong enough for an unknown place. */
const FROM_CUE = /\b(?:i'?m|i am|is|are|was|were|be|been)[ \t]+(?:originally[ \t]+)?from[ \t]+$/i;
const PLACE_CUE =
  /\b(?:live[sd]?|living|resides?|residing|resident|grew[ \t]+up|born|raised|based|located|headquartered|moved|moving|relocated|relocating|travel(?:l)?(?:ing|ed|s)?|trip|flew|flying|fly|vacation(?:ing)?|holiday|visiting|visited|stay(?:ing|ed|s)?|hometown|native|originally|comes?|came|hails?|home|house|farm|bakery|shop|store|business|works?|worked|working|school|college|church|shelter|street|road|avenue|district|neighbou?rhood|suburb|county|province|region|village|town|city)[ \t]+(?:(?:back|here|there|now|currently|nearby|up|out|down)[ \t]+)?(?:in|from|to|at|near|outside|of)[ \t]+(?:the[ \t]+)?(?:(?:city|town|village|county|state|province|region|area|suburbs?)[ \t]+of[ \t]+)?$/i;
const PREP_WORDS = new Set([
  "in",
  "from",
  "to",
  "at",
  "near",
  "of",
  "outside",
  "around",
  "toward",
  "towards",
  "via",
  "the",
]);
const P_MULTI = 1;
const P_CITY = 2;
const P_CITY_STAR = 4;
const P_US_CITY = 8;
const P_COUNTRY = 16;
const P_STATE = 32;
/** Gazetteer classes of a lower-case word (the gazetteer loop's one-word lookups), once per word id. */
const PLACE_CLASSES = new WordClasses((l) => {
  const city = cityLookup(l);
  return (
    (multiWordPlaceStart(l) ? P_MULTI : 0) |
    (city !== undefined ? P_CITY : 0) |
    (city === true ? P_CITY_STAR : 0) |
    (US_CITIES.has(l) ? P_US_CITY : 0) |
    (COUNTRIES.has(l) ? P_COUNTRY : 0) |
    (US_STATES.has(l) ? P_STATE : 0)
  );
});
/** The first two letters of each of PREP_WORDS (char codes, `(a << 8) | b`). */
const PREP_PAIRS = new Set([...PREP_WORDS].map((w) => (w.charCodeAt(0) << 8) | w.charCodeAt(1)));
const PLACE_PREFIX = new Set([
  "new",
  "san",
  "saint",
  "st",
  "los",
  "las",
  "el",
  "la",
  "le",
  "fort",
  "port",
  "mount",
  "north",
  "south",
  "east",
  "west",
  "united",
  "great",
  "santa",
  "upper",
  "lower",
  "central",
]);
/** First-person presence and labels that announce a place: "I am in Sutri", "Where: Upton". */
const HERE_CUE =
  /(?:\b(?:i'?m|i am|we'?re|we are)[ \t]+(?:currently[ \t]+|now[ \t]+)?in|\b(?:where|location|city|town|place of birth|birthplace|hometown)[ \t]*:|\bhome city)[ \t]+$/i;
const FACILITY_OK = new Set(
  "u of st saint general university county community regional medical children's childrens mount mt sacred heart holy cross good samaritan valley lake north south east west new city state memorial mercy union baptist methodist presbyterian lutheran jewish christian veterans shriners women's center centre and & health".split(
    " ",
  ),
);
/** Words that make a hospital's name though each is an ordinary word: "Holy Cross", "Union Memorial", "Good Sam". */
const FACILITY_NAME_WORDS = new Set(
  "good memorial general holy cross mercy union sacred heart samaritan sam sinai baptist methodist presbyterian lutheran jewish christian veterans shriners deaconess episcopal adventist providence covenant trinity".split(
    " ",
  ),
);
/** Clinical acronyms that follow "to", "at", "from" or "in" without naming a place: "to ICU", "in NSR", "at HS". */
const CLINICAL_ACRONYMS = new Set(
  `ABG ABX ACE ACS ADL AFIB AKI ALS AMA AML ARDS ASA ASAP AVR BKA BMP BNP BPH BRBPR CABG CAD CBC CBI CCB CHF CKD CLL CMO CMV CNS COPD CPR CRF CRI CRP CSF CTA CVA CVL CXR DKA DM DNR DNI DOE DVT EBL EEG EGD EKG ECG EMS ENT ERCP ESRD ETOH EVD FFP FSBS GCS GERD GIB GTT HCP HCT HEENT HHN HOB HPI HTN IABP ICD IDDM ILD INR IVC IVF JP JVD KVO LAD LBBB RBBB LCX LFT LLE LLL LLQ LOC LP LUE LUL LUQ LVH MAE MAP MRSA MSO MVR NGT NIDDM NKA NKDA NPO NSR NSTEMI OOB ORIF OSH PCA PCI PCP PCWP PDA PEA PEEP PERL PICC PMH PNA PNX PRBC PRN PSV PTT PVD RBC RCA RLE RLL RLQ RML ROS RSV RUE RUL RUQ SBP SBT SCD SSI STEMI SVT TBI TEE TF TFS TIA TKR TLC TPN TTE UA UOP URI UTI VAP VRE VSS WBC NSB SB SR AF VT VF VS HR RR BP IV PO PR SQ IM OR ER ED EW PACU CCU CSRU CT MRI MRA KUB US EP IR GI GU RT PT OT SW CM HO AM PM HS QD BID TID QID QHS QOD NS LR DSD DSG BS BM BRP WNL NAD AAO AOX VAD MVA MVC GSW EMT BLS ACLS TX DX HX RX SX FX CX ABD EXT DC VA VNA PMD NH SNF LTAC ALF ADHC HD CVVH CVVHD CRRT PD HDU OBS CDU TICU STICU NICU PICU CVICU MICU SICU ICU CCU PCU ECU RICU NCCU NSICU OPD IOP ICP CPP EVD VPS LOS SAT SATS PFT PFTS DOA DOS AMS LOA CP ROM AVSS PPD TB HIV HCV HBV HSV VZV EBV CDIFF CMV UGIB LGIB SBO NEC AAA PE MI HF AS AR MR TR PS DCM HCM HOCM EF LVEF RVH RVEF CHB AVB MAT AVNRT WPW PSVT NSVT VTACH VFIB SIRS MODS ARF ATN AIN HHS DIC PAT USOH YEST TOD TMRW
  LTC ECF BSC BR FM TM SM HFNC CAM TKO SC LIS LCS LWS LCWS LIWS GD SD HHNK HONK JR VP AP DDD VVI DDI AAI VOO DOO AOO PVCS TPA ABGS CBCS LFTS`.split(
    /\s+/,
  ),
);
const FACILITY_STOP = new Set([
  "the",
  "a",
  "an",
  "to",
  "from",
  "at",
  "in",
  "and",
  "or",
  "for",
  "with",
  "by",
  "on",
  "was",
  "is",
  "this",
  "that",
  "outside",
  "home",
  "other",
  "same",
  "local",
  "private",
  "transfer",
  "transferred",
  "osh",
  "another",
  "any",
  "nearest",
  "previous",
  "prior",
  "current",
]);

const ZIP_CONTEXT_STICKY = toSticky(ZIP_CONTEXT);
const ZIP_KEYWORDS = ["zip", "postal", "postcode"];
const ZIP_PREFILTER = anchorsCover(ZIP_KEYWORDS, ZIP_CONTEXT.source);
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

// Cue gates (src/phi/detect/cues.ts): the whole-text regexes below that need one of these words
// as a whole ASCII letter run skip a text without any (same candidates, one shared pass).
const CUE_UNIT = cueGroup(["apt", "apartment", "suite", "ste", "unit", "flat", "p", "po"]);
const CUE_INTL_BEFORE = cueGroup(
  "via viale vicolo piazza corso calle avenida av rua rue chemin allee plaza paseo ulica ul utca strada carrer avinguda rambla largo travessa camino carretera boulevard".split(
    " ",
  ),
);
const CUE_MILITARY = cueGroup(["apo", "fpo", "dpo"]);
const CUE_NUM_KEYWORD = cueGroup(
  "rue avenue av boulevard bd chemin allee impasse place via viale piazza calle rua avenida travessa largo".split(" "),
);
const CUE_WORD_NUM = cueGroup(
  "strasse str gasse weg allee platz gate gata gatan vei veien vegen vej gade utca ulica ul katu tie tee laan straat kade sokak caddesi".split(
    " ",
  ),
);
const CUE_NAMED_STREET = cueGroup(
  "street avenue road boulevard lane drive court terrace crescent parkway highway way place square".split(" "),
);
const CUE_FACILITY_NOUN = cueGroup(["rehab", "campus", "ew", "er", "e", "emergency", "building", "bldg", "memorial"]);
const CUE_UNIVERSITY = cueGroup(["university", "college", "institute", "univ", "u"]);
const CUE_SAINT = cueGroup(["st", "saint"]);
const CUE_U = cueGroup(["u"]);
const CUE_STATE = cueGroup([...new Set([...US_STATES].map((st) => st.split(" ")[0]!))]);
const CUE_FACILITY_NAME = cueGroup([...FACILITY_NAME_WORDS]);
/**
 * INTL_STREET_SUFFIX anchored at the digit runs of an ASCII text: a match is a capital (no letter
 * or digit before it), letters, "'", "-" (and the "." of "str."), then at most one blank run and a
 * second word, blanks, and a run of at most five digits (a longer run cannot end at `\b`). So from
 * each run of 1-5 digits the characters before it are read back over letters, "'", "-", "." and at
 * most two blank runs, and every capital there with no letter or digit before it is a possible
 * start. A text with a character ≥ 128 runs the regex over the whole text (non-ASCII letters).
 */
const INTL_SUFFIX_A = anchored("intl-street-suffix", INTL_STREET_SUFFIX, (text) => {
  if (!isAsciiText(text)) return undefined;
  const out: number[] = [];
  for (const d of digitRunsBefore(text, 1, 5, () => true)) {
    const from = out.length;
    let blanks = 0;
    let k = d - 1;
    for (; k >= 0; k--) {
      const c = text.charCodeAt(k);
      if (c === 32 || c === 9) {
        // a blank run begins here (read backwards: its first blank after a non-blank)
        if (k === d - 1 || !(text.charCodeAt(k + 1) === 32 || text.charCodeAt(k + 1) === 9)) {
          if (++blanks > 2) break;
        }
        continue;
      }
      const l = c | 32;
      if (!((l >= 97 && l <= 122) || c === 39 || c === 45 || c === 46)) break;
      if (c >= 65 && c <= 90) {
        const b = text.charCodeAt(k - 1);
        const bl = b | 32;
        if (!((bl >= 97 && bl <= 122) || (b >= 48 && b <= 57))) out.push(k);
      }
    }
    // found backwards: put this run's starts in order
    if (out.length - from > 1) {
      const run = out.splice(from).reverse();
      for (const p of run) out.push(p);
    }
  }
  return out;
});
/** Per whole-text regex of the prose loop over street patterns: its cue group (INTL_STREET_SUFFIX has none). */
const STREET_CUES = new Map<RegExp, number>([
  [UNIT, CUE_UNIT],
  [INTL_STREET_BEFORE, CUE_INTL_BEFORE],
  [MILITARY_ADDRESS, CUE_MILITARY],
  [NUM_KEYWORD_STREET, CUE_NUM_KEYWORD],
  [STREET_WORD_NUM, CUE_WORD_NUM],
]);

/**
 * The gazetteer loop's per-word class bits (lexicon, place), in buffers kept between texts (a
 * typed array of more than 64 bytes is a separately allocated backing store); an entry is written
 * when its word is looked up, before it is read, so stale entries are never seen.
 */
let CLASS_BUFFERS: [Int32Array, Int32Array] = [new Int32Array(1024), new Int32Array(1024)];
function classBuffers(n: number): [Int32Array, Int32Array] {
  if (n <= CLASS_BUFFERS[0].length) return CLASS_BUFFERS;
  const b: [Int32Array, Int32Array] = [new Int32Array(n), new Int32Array(n)];
  if (n <= 1 << 16) CLASS_BUFFERS = b;
  return b;
}

function detectPlaces(text: string, profile: Profile, out: Candidate[], idx?: TextIndex): void {
  const push = (
    start: number,
    end: number,
    severity: Severity,
    confidence: number,
    rule: string,
    category = "location",
  ) => {
    // a house or building number right before a street name belongs to the address: "4844 Søndergade 52"
    if (rule === "street-address" && profile === "prose") {
      const lead = /(?:^|[\s>,:])(\d{1,6})[ \t]+$/.exec(text.slice(Math.max(0, start - 10), start));
      if (lead && /^\p{L}/u.test(text.slice(start, start + 1))) start -= lead[0].length - lead[0].indexOf(lead[1]!);
    }
    out.push({ ruleId: rule, category, hipaa: 2, kind: "phi", start, end, severity, confidence });
  };
  // per block of 128 characters, asked at the first position asked about in it (0: not yet, 1: no,
  // 2: yes): the answer depends on the order of the questions, which must stay as it is
  const upperCache = new Int8Array((text.length >> 7) + 1);
  const upper = (at: number) => {
    const key = at >> 7;
    let u = upperCache[key]!;
    if (u === 0) upperCache[key] = u = isUpperText(text, at, at + 1) ? 2 : 1;
    return u === 2;
  };
  const plainWord = (w: string) => COMMON_WORDS.has(w.toLowerCase()) || CLINICAL_WORDS.has(w.toLowerCase());
  /** An ordinary word unless Capitalised in mixed-case text ("Harbor Hospital" is a name, "HARBOR" alone is not). */
  const ordinary = (w: string, at: number) =>
    plainWord(w) || ((upper(at) || !/^\p{Lu}/u.test(w)) && ENGLISH.has(w.toLowerCase()));
  /** Address lines after a street: unit, city, region, postcode, country ("Apt. 026 Zoetermeer Netherlands 91196"). */
  const tail = (from: number, maxParts: number, onlyCodes = false) => {
    let pos = from;
    for (let parts = 0; parts < maxParts; parts++) {
      const rest = text.slice(pos, pos + 90);
      const m =
        /^((?:[ \t]*(?:,|>|\?{3}|\r?\n|-)){0,3}[ \t]*)(?:((?:apt|apartment|suite|ste|unit|flat)\.?[ \t]*#?[ \t]*[\w-]+)|(\d{4,6}(?:-\d{3,4})?|\d{2}[ -]\d{3}|[A-Z]\d[A-Z][ ]?\d[A-Z]\d|[A-Z]{1,2}\d[A-Z\d]?[ ]\d[A-Z]{2})(?![\w-])|([A-Z]{2})(?=[ \t]+\d{5}\b)|(\p{Lu}[\p{L}'’-]*(?:[ \t]+(?:\p{Lu}[\p{L}'’-]*|de|la|del|di|da|do|du|le|les|sur|am|an|der|den|upon|on|im|y)){0,3}(?:[ \t]*\([\p{L} ]+\))?))/u.exec(
          rest,
        );
      if (!m || m[0].length === m[1]!.length) return;
      const s = pos + m[1]!.length;
      const e = pos + m[0].length;
      if (m[5] !== undefined) {
        if (onlyCodes && !(COUNTRIES.has(m[5].toLowerCase()) || US_STATES.has(m[5].toLowerCase()))) return;
        const words = m[5].split(/[ \t]+/);
        if (
          plainWord(words[0]!) ||
          NATIONALITIES.has(words[0]!.toLowerCase()) ||
          text[e] === ":" ||
          (/\r?\n/.test(m[1]!) &&
            parts > 0 &&
            !cityLookup(m[5].toLowerCase()) &&
            !COUNTRIES.has(m[5].toLowerCase()) &&
            !/^[ \t]*(?:,?[ \t]*[A-Z]{2})?[ \t]*(?:\d{4,6})?[ \t]*(?:\r?\n|$)/.test(text.slice(e, e + 20)))
        )
          return;
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
    for (const m of profile === "code"
      ? idx && STREET_PREFILTER
        ? streetMatchesAtNumbers(text, idx)
        : text.matchAll(STREET_CODE)
      : matchesOf(STREET_PROSE, text)) {
      const words = m[1]!.trim().split(/[ \t]+/);
      if (words.every((w) => plainWord(w) || /^\d/.test(w))) continue;
      // a street name holds no sentence break and no function word: "28 on repeat. ct", "5 lpc in place"
      if (
        words.some(
          (w) =>
            (/\.$/.test(w) && !/^\p{Lu}\p{Ll}?\.$/u.test(w)) ||
            /^(?:in|on|at|to|of|for|with|via|per|from|by|is|was|and|or|the|a|an|x|q|hrs?|mins?|ml|cc|mg)$/i.test(w),
        )
      )
        continue;
      const isUpper = upper(m.index);
      if (!isUpper && !/^[\p{Lu}\d]/u.test(words[0]!) && !/^\p{Lu}/u.test(m[2]!)) continue;
      if (words.some((w) => CLINICAL_WORDS.has(w.toLowerCase()))) continue;
      if (
        /^(?:dr|st)$/i.test(m[2]!) &&
        /^[ \t]+[A-Za-z]/.test(text.slice(m.index + m[0].length, m.index + m[0].length + 3))
      )
        continue;
      // "2 MEDIASTINAL CT", "3 PERSANTINE THALLIUM ST": a suffix that is also a clinical abbreviation (chest tube,
      // ST segment) makes a street only in Capitalised words or with an address tail after it
      if (
        profile === "prose" &&
        /^(?:ct|st|dr|pl|ln|ter|cir)$/i.test(m[2]!) &&
        (isUpper || !words.every((w) => /^[\p{Lu}\d]/u.test(w))) &&
        !/^\.?[ \t]*(?:,[ \t]*\p{Lu}|(?:apt|apartment|unit|suite|ste|#)\b|\d{5}\b)/iu.test(
          text.slice(m.index + m[0].length, m.index + m[0].length + 14),
        )
      )
        continue;
      let end = m.index + m[0].length;
      if (m[0].endsWith(".") && m[2]!.length > 4) end--;
      if (
        profile === "code" &&
        !/\b(?:address|addr|street|line1|residence)\b/i.test(text.slice(Math.max(0, m.index - 40), m.index))
      )
        continue;
      push(m.index, end, "high", 0.8, "street-address");
      if (profile === "prose") tail(end, 5);
    }
    if (profile === "prose") {
      for (const re of [UNIT_A, INTL_BEFORE_A, INTL_SUFFIX_A, MILITARY_A, NUM_KEYWORD_A, STREET_WORD_NUM]) {
        const cue = STREET_CUES.get(re instanceof RegExp ? re : re.re);
        if (cue !== undefined && (cuesOf(text) & cue) === 0) continue;
        // "20 Rue ...", "20, Rue ...": a run of at most five digits before a comma or a blank
        for (const m of re instanceof RegExp ? text.matchAll(re) : matchesOf(re, text)) {
          if (re === INTL_BEFORE_A && (upper(m.index) || !/^\p{Lu}\p{Ll}/u.test(m[1]!) || plainWord(m[1]!))) continue;
          if (
            (re === NUM_KEYWORD_A || re === STREET_WORD_NUM) &&
            (upper(m.index) ||
              !/\p{Ll}/u.test(m[0]) ||
              plainWord(m[0].replace(/^[\d, \t]+/, "").split(/[ \t]/)[re === STREET_WORD_NUM ? 0 : 1] ?? ""))
          )
            continue;
          push(m.index, m.index + m[0].length, "medium", 0.65, "street-address");
          tail(m.index + m[0].length, 5);
        }
      }
      for (const m of matchesOf(NUM_STREET_NUM_A, text)) {
        if (upper(m.index)) continue;
        const words = m[1]!.split(/[ \t]+/);
        if (words.some((w) => (plainWord(w) && !STREET_PARTICLE.test(w)) || NATIONALITIES.has(w.toLowerCase())))
          continue;
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
    else for (const m of matchesOf(ZIP_A, text)) zip(m);
  }
  if (profile === "code") return;
  const cues = cuesOf(text);
  if (cues & CUE_NAMED_STREET)
    for (const m of matchesOf(NAMED_STREET_A, text)) {
      const words = m[1]!.trim().split(/[ \t]+/);
      if (upper(m.index) || words.slice(0, -1).some((w) => plainWord(w) || NATIONALITIES.has(w.toLowerCase())))
        continue;
      const s = m.index + m[0].length - m[1]!.length;
      push(s, m.index + m[0].length, "medium", 0.6, "street-address");
    }
  // A hospital acronym before one of its units: "GH ER", "FROM GH CATH LAB", "dc'd from GH TCU"
  for (const m of matchesOf(ACRONYM_UNIT_A, text)) {
    const w = m[1]!;
    const l = w.toLowerCase();
    if (CLINICAL_WORDS.has(l) || COMMON_WORDS.has(l) || ENGLISH.has(l) || US_STATE_CODES.has(w) || CREDENTIAL.test(l))
      continue;
    push(m.index, m.index + w.length, "medium", 0.55, "facility");
  }
  // A proper word before a facility or unit noun names the facility: "Kimbrough rehab", "from kernan ew",
  // "on mackerer campus". Out-of-vocabulary only (no English, clinical, nationality or name-lexicon word).
  if (cues & CUE_FACILITY_NOUN)
    for (const m of matchesOf(FACILITY_NOUN_A, text)) {
      const w = m[1]!;
      const l = w.toLowerCase();
      // "on North Campus": a Capitalised word before a Capitalised facility noun in mixed-case text
      const named =
        !upper(m.index) &&
        /^\p{Lu}\p{Ll}/u.test(w) &&
        /^\p{Lu}/u.test(m[0].slice(w.length).trim()) &&
        !FACILITY_STOP.has(l) &&
        !FUNCTION_WORD.test(l);
      if (named) {
        push(m.index, m.index + m[0].length, "medium", 0.55, "facility");
        continue;
      }
      if (
        plainWord(w) ||
        ENGLISH.has(l) ||
        NATIONALITIES.has(l) ||
        VERBISH.test(l) ||
        FACILITY_STOP.has(l) ||
        FIRST_NAMES.has(l)
      )
        continue;
      if (/^\p{Ll}/u.test(w) && /^\p{Lu}/u.test(m[0].slice(w.length).trim())) continue;
      push(m.index, m.index + w.length, "medium", 0.55, "facility");
    }
  // Mid-sentence capitals after a place preposition in mixed-case notes name a place even when made
  // of English words: "a transplant at Holy Cross", "on vacation on the Eastern Shore", "Surgeon from Harbor"
  for (const m of matchesOf(MID_SENTENCE_PLACE_A, text)) {
    const s = m.index + m[0].length - m[1]!.length;
    if (upper(s)) continue;
    const ws = m[1]!.split(/[ \t]+/);
    if (
      ws.some(
        (w) =>
          plainWord(w) ||
          NATIONALITIES.has(w.toLowerCase()) ||
          FACILITY_STOP.has(w.toLowerCase()) ||
          FIRST_NAMES.has(w.toLowerCase()) ||
          CREDENTIAL.test(w.toLowerCase()) ||
          TITLE.test(w.toLowerCase()) ||
          /^(?:god|lord|jesus|allah)$/i.test(w),
      )
    )
      continue;
    if (!ws.some((w) => ENGLISH.has(w.toLowerCase()))) continue; // unknown words are the other rules' business
    push(s, s + m[1]!.length, "medium", 0.5, "facility");
  }
  // Institutions named after a place: "University of Maryland", "UNIVERSITY OF MD"
  if (cues & CUE_UNIVERSITY)
    for (const m of matchesOf(UNIVERSITY_OF_A, text)) {
      let place = m[1]!.toLowerCase().replace(/\.$/, "");
      // "UNIVERSITY OF MARYLAND MEDICAL": the place is the first word
      if (!US_STATES.has(place) && US_STATES.has(place.split(/[ \t]+/)[0]!)) place = place.split(/[ \t]+/)[0]!;
      const isPlace =
        US_STATES.has(place) ||
        (US_STATE_CODES.has(m[1]!.toUpperCase().replace(/\.$/, "")) && /^\p{Lu}{2}$/u.test(m[1]!)) ||
        cityLookup(place) !== undefined ||
        US_CITIES.has(place) ||
        (/^\p{Lu}/u.test(m[1]!) && !upper(m.index) && !plainWord(m[1]!.split(/[ \t]/)[0]!));
      if (!isPlace || (/^u$/i.test(m[0].split(/[ \t]/)[0]!) && !/^\p{Lu}/u.test(m[0]))) continue;
      push(m.index, m.index + m[0].length, "medium", 0.65, "facility");
    }
  // An address announced by a cue but without a street word: "lives at Růžena 15", "address: Skogstien 106"
  // ("ip-address P 0.000" is no address: the cue is a whole word, the value has a name of 3+ letters)
  for (const m of matchesOf(ADDRESS_CUE_A, text)) {
    const s = m.index + m[0].length;
    if (!ADDRESS_CUE.test(text.slice(Math.max(0, s - 40), s))) continue;
    const r =
      /^(?:\d{1,6}[ \t]+)?\p{Lu}[\p{L}'’.-]*(?:[ \t]+(?:\p{Lu}[\p{L}'’.-]*|\d{1,5}[A-Za-z]?|de|la|do|da|di|del|van|von|and)){0,5}/u.exec(
        text.slice(s, s + 80),
      );
    if (!r || plainWord(r[0].split(/[ \t]/)[0]!) || !/\d/.test(r[0]) || !/\p{L}{3}/u.test(r[0]) || upper(s)) continue;
    if (!/^\d/.test(r[0]) && !/address|lives?|living|resides?/i.test(m[0])) continue;
    push(s, s + r[0].length, "medium", 0.6, "street-address");
    tail(s + r[0].length, 5);
  }
  for (const m of matchesOf(CITY_STATE_A, text)) {
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
  for (const m of /hosp|medical|med c|health|clinic|nursing|rehab|infirmary|hospice|care cent|assisted|heart cent|cancer cent/i.test(
    text,
  )
    ? text.matchAll(FACILITY)
    : []) {
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
      if (US_STATES.has(l) || (isUpper && US_STATE_CODES.has(w[0]) && k >= 2 && /^of$/i.test(words[k - 2]![0]))) {
        sawProper = true;
        k--;
        continue;
      }
      if (FACILITY_STOP.has(l) || CLINICAL_WORDS.has(l) || (/\.$/.test(w[0]) && w[0].length > 3)) break;
      if (FACILITY_OK.has(l) || FACILITY_NAME_WORDS.has(l)) {
        // "Memorial Hospital", "HOLY CROSS HOSPITAL": name words, Capitalised (or in an upper-case note)
        if (
          FACILITY_NAME_WORDS.has(l) &&
          (isUpper || /^\p{Lu}/u.test(w[0]) || (k >= 2 && FACILITY_NAME_WORDS.has(words[k - 2]![0].toLowerCase())))
        )
          sawProper = true;
        k--;
        continue;
      }
      const proper = isUpper
        ? !COMMON_WORDS.has(l) && !ENGLISH.has(l) && !VERBISH.test(l) && l.length >= 2
        : /^\p{Lu}/u.test(w[0])
          ? !NATIONALITIES.has(l)
          : !COMMON_WORDS.has(l) && !ENGLISH.has(l) && !VERBISH.test(l) && l.length >= 3;
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
  for (const m of matchesOf(TRANSFER_PLACE_A, text)) {
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
      if (
        ordinary(w, m.index) ||
        /^\d/.test(w) ||
        !/^\p{L}[\p{L}'’-]*$/u.test(w) ||
        NATIONALITIES.has(w.toLowerCase()) ||
        FACILITY_STOP.has(w.toLowerCase())
      )
        break;
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
    const lowerProper =
      /^\p{Ll}+$/u.test(keep[0]!) &&
      keep.length === 1 &&
      !ENGLISH.has(keep[0]!) &&
      /^(?:transferred|transfered|transfer|sent|admitted|referred|medflight|medflighted|arrived|taken|brought|enroute|followed|come|came)\b/i.test(
        m[0],
      ) &&
      (!/^[ \t]+\p{L}/u.test(after) ||
        /^[ \t]+(?:for|w|with|by|on|at|in|and|via|where|when|after|from|to|er|ed|ew)\b/i.test(
          text.slice(start + keep[0]!.length, start + keep[0]!.length + 10),
        ));
    if (
      isUpper
        ? VERBISH.test(keep[0]!) && !/^[ \t]+(?:er|ed|cath|icu|ccu|tcu|ew)\b/i.test(after)
        : !(cap || acronym || gaz || lowerProper || (keep[0]!.length >= 4 && /^[ \t]+\d/.test(after)))
    )
      continue;
    push(start, start + keep.join(" ").length, "medium", 0.55, "facility");
  }
  // Gazetteer and cues: "lives in Catonsville", "grew up in Remniku", "travelling to Hungary".
  // the tokens of /\p{L}[\p{L}.'’-]*/gu (tokens.ts); a word's lower-case form without its final "."
  // is interned, with its word classes (one table lookup per word)
  const tk = tokenize(text, ".'’-");
  const nWords = tk.n;
  const wStart = tk.starts;
  const wEnd = tk.ends;
  // looked up on first use (most words are skipped by their first letter); the word and its classes
  // are kept, not the id: the table may start over during a long text
  const lw = new Array<string | undefined>(nWords);
  // written by `lookup` before they are read (buffers kept between texts, see classBuffers)
  const [lf, pf] = classBuffers(nWords);
  const lookup = (q: number) => {
    const e = wEnd[q]!;
    const id = WORDS.id(text, wStart[q]!, text.charCodeAt(e - 1) === 46 ? e - 1 : e);
    lf[q] = LEXICON_CLASSES.of(id);
    pf[q] = PLACE_CLASSES.of(id);
    return (lw[q] = WORDS.word(id));
  };
  const lowerOf = (q: number) => lw[q] ?? lookup(q);
  const wordAt = (q: number) => text.slice(wStart[q]!, wEnd[q]!);
  /** Whether token q may be one of PREP_WORDS (its length, its first two letters), before it is looked up. */
  const maybePrep = (q: number) => {
    const s = wStart[q]!;
    const n = wEnd[q]! - s;
    return n >= 2 && n <= 8 && PREP_PAIRS.has(((text.charCodeAt(s) | 32) << 8) | (text.charCodeAt(s + 1) | 32));
  };
  const spaced = (q: number) => q < nWords && text.charCodeAt(wStart[q]! - 1) === 32 && wStart[q]! - 1 === wEnd[q - 1]!;
  /** Whether words wi+1 .. wi+k-1 each follow the one before after a single space. */
  const allSpaced = (wi: number, k: number) => {
    for (let q = 1; q < k; q++) if (!spaced(wi + q)) return false;
    return true;
  };
  /** The lower-case forms of words wi .. wi+k-1 joined by spaces (looked up in that order). */
  const joinLower = (wi: number, k: number) => {
    let sub = lowerOf(wi);
    for (let q = 1; q < k; q++) sub += " " + lowerOf(wi + q);
    return sub;
  };
  for (let wi = 0; wi < nWords; wi++) {
    const c0 = text.charCodeAt(wStart[wi]!);
    const afterPrep = wi > 0 && maybePrep(wi - 1) && PREP_WORDS.has(lowerOf(wi - 1));
    // cheap exit: a lower-case word that does not follow a preposition is no place
    if (c0 >= 97 && c0 <= 122 && !afterPrep) continue;
    // the upper-case test below, before the word is looked up, when its block is answered already
    // (reading the cache does not change it: `upper` is asked in the same order as before)
    if (!afterPrep && upperCache[wStart[wi]! >> 7] === 2 && !hereCue(text, Math.max(0, wStart[wi]! - 30), wStart[wi]!))
      continue;
    const l0 = lowerOf(wi);
    const f0 = lf[wi]!;
    if (((f0 & W_COMMON) !== 0 && !PLACE_PREFIX.has(l0)) || (f0 & W_CLINICAL) !== 0) continue;
    const first = wordAt(wi);
    const capFirst = c0 < 128 ? c0 >= 65 && c0 <= 90 : /^\p{Lu}/u.test(first);
    if (!capFirst && !afterPrep && !/[:]$|city$/i.test((wi > 0 ? lowerOf(wi - 1) : "") + (text[wStart[wi]! - 2] ?? "")))
      continue;
    // upper-case notes: capitals say nothing, so only a preposition or a label can introduce a place
    if (!afterPrep && upper(wStart[wi]!) && !hereCue(text, Math.max(0, wStart[wi]! - 30), wStart[wi]!)) continue;
    const p0 = pf[wi]!;
    // longest gazetteer match of up to three words
    let matched = 0;
    let city: boolean | undefined;
    let country = false;
    let state = false;
    const maxK = (p0 & P_MULTI) !== 0 ? 3 : 1;
    for (let k = maxK; k >= 1; k--) {
      if (k > 1 && !allSpaced(wi, k)) continue;
      let isState: boolean;
      if (k === 1) {
        // one word: its place classes, answered once per distinct word
        city = (p0 & P_US_CITY) !== 0 ? false : (p0 & P_CITY) !== 0 ? (p0 & P_CITY_STAR) !== 0 : undefined;
        country = (p0 & P_COUNTRY) !== 0;
        isState = (p0 & P_STATE) !== 0;
      } else {
        const sub = joinLower(wi, k);
        city = US_CITIES.has(sub) ? false : cityLookup(sub);
        country = COUNTRIES.has(sub);
        isState = US_STATES.has(sub);
      }
      // a US state alone is not PHI under Safe Harbor; it is part of an address (see tail)
      if (isState && !country) {
        state = true;
        break;
      }
      if (city === undefined && !country) continue;
      matched = k;
      break;
    }
    if (!matched && !capFirst) continue;
    const before = text.slice(Math.max(0, wStart[wi]! - 45), wStart[wi]!);
    const prep = afterPrep && PLACE_PREP.test(before);
    const cue =
      (prep && (PLACE_CUE.test(before) || FROM_CUE.test(before))) ||
      hereCue(text, Math.max(0, wStart[wi]! - 45), wStart[wi]!);
    const isUpper = upper(wStart[wi]!);
    const cap = capFirst && !isUpper;
    let strong = false;
    if (matched) {
      const sub = joinLower(wi, matched);
      // a place that is also an English word ("Reading", "Mobile") or a name, or a country, needs a cue
      // countries: not a Safe Harbor element but personal data elsewhere (GDPR): flagged when written as a name
      strong = country
        ? cue || cap
        : city === false && !FIRST_NAMES.has(sub) && !NOT_NAMES.has(sub)
          ? prep || cue || (cap && matched > 1)
          : (cue || (prep && matched > 1)) && (cap || !isUpper);
    } else if (
      !state &&
      cue &&
      (cap || (/^\p{Lu}+$/u.test(first) && !isUpper)) &&
      !plainWord(first) &&
      !NATIONALITIES.has(l0) &&
      first.length >= 3
    ) {
      // unknown place after a strong cue, Capitalised in mixed-case text
      matched = 1;
      while (
        matched < 3 &&
        spaced(wi + matched) &&
        /^\p{Lu}/u.test(wordAt(wi + matched)) &&
        !plainWord(wordAt(wi + matched))
      )
        matched++;
      strong = true;
    }
    if (!matched || !strong) continue;
    const lastEnd = wEnd[wi + matched - 1]!;
    const end = text.charCodeAt(lastEnd - 1) === 46 ? lastEnd - 1 : lastEnd;
    push(wStart[wi]!, end, "medium", 0.6, "city");
    tail(end, 2, true);
    wi += matched - 1;
  }
  // Saints name hospitals: "transfer to St. Mary's", "ST. MARY", "St Agnes Hospital" (not "ST CHANGES")
  if (cuesOf(text) & CUE_SAINT)
    for (const m of matchesOf(SAINT_A, text)) {
      const w = m[1]!.toLowerCase();
      if (!FIRST_NAMES.has(w) || ENGLISH.has(w) || COMMON_WORDS.has(w) || CLINICAL_WORDS.has(w)) continue;
      if (!upper(m.index) && !/^\p{Lu}/u.test(m[0]) && !m[2]) continue;
      // "123 Main St. Mary ..." is a street followed by a name
      if (/\d[ \t]+(?:\p{L}+[ \t]+){0,3}$/u.test(text.slice(Math.max(0, m.index - 30), m.index))) continue;
      push(m.index, m.index + m[0].length, "medium", 0.6, "facility");
    }
  // Two hospital-name words after a place preposition, with no facility noun: "went to Holy Cross", "at Union Memorial"
  // (both words are hospital-name words, each a whole run: none in the text, no match)
  for (const m of cuesOf(text) & CUE_FACILITY_NAME ? matchesOf(TWO_NAME_WORDS_A, text) : []) {
    const a = m[1]!.toLowerCase();
    const b = m[2]!.toLowerCase();
    if (!FACILITY_NAME_WORDS.has(a) || !FACILITY_NAME_WORDS.has(b) || a === b) continue;
    push(m.indices![1]![0], m.indices![2]![1], "medium", 0.55, "facility");
  }
  // A hospital's acronym where a place is expected: "admitted to GH w/", "at GBMC", "retired from GH",
  // after a verb of going, staying or working there (a bare acronym after "to" is mostly a clinical
  // one), or with an article: "a consult from the GBMC". Only in clinical notes: elsewhere "converted
  // to URL", "from the CLI" are technical acronyms.
  for (const re of clinical ? [ACRONYM_AFTER_VERB_A, ACRONYM_AFTER_ARTICLE_A] : []) {
    for (const m of matchesOf(re, text)) {
      const w = m[1]!;
      const l = w.toLowerCase();
      if (
        w !== w.toUpperCase() ||
        CLINICAL_WORDS.has(l) ||
        COMMON_WORDS.has(l) ||
        ENGLISH.has(l) ||
        US_STATE_CODES.has(w) ||
        CREDENTIAL.test(l) ||
        CLINICAL_ACRONYMS.has(w)
      )
        continue;
      const s = m.index + m[0].length - w.length;
      push(s, s + w.length, "medium", 0.5, "facility");
    }
  }
  // "U Maryland", "U. of Md" is handled above; a city before its state: "Towson, Maryland", "BALTIMORE MD"
  if (cuesOf(text) & CUE_U)
    for (const m of matchesOf(U_STATE_A, text))
      if (US_STATES.has(m[1]!.toLowerCase()) && /^\p{Lu}/u.test(m[1]!))
        push(m.index, m.index + m[0].length, "medium", 0.6, "facility");
  // (found from the state: US_STATE_NAMES, then the word before it)
  if (cuesOf(text) & CUE_STATE)
    for (const st of matchesOf(US_STATE_NAMES_A, text)) {
      const base = Math.max(0, st.index - 40);
      const m = /(\p{L}[\p{L}'’-]+)[ \t]*,?[ \t]+$/u.exec(text.slice(base, st.index));
      if (!m) continue;
      const city = m[1]!.toLowerCase();
      if (plainWord(m[1]!) || US_STATES.has(city) || !(cityLookup(city) === false || US_CITIES.has(city))) continue;
      push(base + m.index, base + m.index + m[1]!.length, "medium", 0.6, "city");
    }
  // Wards and buildings named after people or places: "transfer to Quartermain 2", "FROM QUARTERMAIN 3"
  for (const m of matchesOf(WARD_NUMBER_A, text)) {
    const w = m[1]!;
    if (
      ordinary(w, m.index) ||
      NATIONALITIES.has(w.toLowerCase()) ||
      VERBISH.test(w) ||
      FACILITY_STOP.has(w.toLowerCase())
    )
      continue;
    const s = m.index + m[0].indexOf(w, m[0].length - m[1]!.length - m[2]!.length - 2);
    push(s, s + w.length, "medium", 0.55, "facility");
  }
}

/**
 * Whether HERE_CUE matches text[lo, end): only when the text ends in blanks after "in", ":" or
 * "city" (its three endings), checked before the regex runs.
 */
function hereCue(text: string, lo: number, end: number): boolean {
  let k = end - 1;
  if (k < lo) return false;
  let c = text.charCodeAt(k);
  if (c !== 32 && c !== 9) return false;
  while (k > lo && (c === 32 || c === 9)) c = text.charCodeAt(--k);
  if (c !== 58 && (c | 32) !== 110 && (c | 32) !== 121) return false;
  return HERE_CUE.test(text.slice(lo, end));
}

/** `\s` of a regex without the u flag, by character code. */
function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || (c >= 128 && /\s/.test(String.fromCharCode(c)));
}
const isCapital = (c: number) => c >= 65 && c <= 90;
/** [a-zA-Z.'-] */
const isCityChar = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 46 || c === 39 || c === 45;
const isWordChar = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95;

/**
 * Where CITY_STATE can start: each of its matches holds a comma followed by blanks and two
 * capitals that end a word; it starts at a capital of the (at most three) words right before that
 * comma. Lists those capitals, comma by comma (in order: no word runs over a comma).
 */
function cityStateStarts(text: string): number[] {
  const out: number[] = [];
  const len = text.length;
  for (let i = text.indexOf(","); i >= 0; i = text.indexOf(",", i + 1)) {
    let k = i + 1;
    while (k < len && isSpace(text.charCodeAt(k))) k++;
    if (!(k + 1 < len && isCapital(text.charCodeAt(k)) && isCapital(text.charCodeAt(k + 1)))) continue;
    if (k + 2 < len && isWordChar(text.charCodeAt(k + 2))) continue;
    // back over the words: [a-zA-Z.'-] runs joined by single spaces (two at most)
    let s = i;
    let seps = 0;
    while (s > 0) {
      const c = text.charCodeAt(s - 1);
      if (isCityChar(c)) s--;
      else if (seps < 2 && s >= 2 && isSpace(c) && isCityChar(text.charCodeAt(s - 2))) {
        s--;
        seps++;
      } else break;
    }
    for (let p = s; p < i; p++) if (isCapital(text.charCodeAt(p))) out.push(p);
  }
  return out;
}

/** Mid-sentence capitals after a place preposition: "a transplant at Holy Cross". */
const MID_SENTENCE_PLACE =
  /(?<=\p{Ll}[ \t]{1,16})(?:(?:at|from|to)[ \t]+(?:the[ \t]+)?|on[ \t]+the[ \t]+)((?:\p{Lu}\p{Ll}+)(?:[ \t]+\p{Lu}\p{Ll}+){0,2})\b(?![ \t]*\d|[ \t]+\p{Lu})/gu;
const UNIVERSITY_OF =
  /\b(?:university|college|institute|univ\.?|u)[ \t]+of[ \t]+(\p{L}[\p{L}'’.-]*(?:[ \t]+\p{Lu}[\p{L}'’.-]*)?)/giu;
const SAINT = /\b(?:st\.?|saint)[ \t]+(\p{L}+)(['’]s)?/giu;
const TWO_NAME_WORDS = /\b(?:to|from|at|in)[ \t]+(?:the[ \t]+)?(\p{L}+)[ \t]+(\p{L}+)\b/dgiu;
const U_STATE = /\bU\.?[ \t]+(\p{L}+)\b/gu;
/** A ward or building and its number: "transfer to Quartermain 2". */
const WARD_NUMBER =
  /\b(?:to|from|plan:)[ \t]+(?:the[ \t]+)?(\p{L}[\p{L}'’-]{3,})[ \t]+(\d{1,2})(?![\d,:/%-]|\.\d|[ \t]*(?:mg|mcg|ml|cc|l|units?|u|meq|gm?|%|hrs?|hours?|min|mins|minutes|days?|x|times|am|pm|liters?|lpm|kg|mmhg|cm|mm)\b)/giu;
/** Where a hospital acronym stands: after a verb of going or staying there, or after "the" (clinical notes only). */
const ACRONYM_AFTER_VERB =
  /\b(?:admitted|admission|transferred|transfered|transfer|xfer|sent|taken|went|go|going|came|come|coming|arrived|arrival|retired|works?|worked|working|employed|seen|treated|flighted|flown|flew|transported|brought|discharged|returned|back|tx|tx'd|presented|referred|hospitalized|stay|stayed|died|born|(?:is|i'm|he's|she's|was|were|be)(?:[ \t]+still)?|far|had|done)[ \t]+(?:here[ \t]+)?(?:to|at|from|in|into)[ \t]+(?:the[ \t]+)?([A-Z]{2,4})(?![\w'’/&-]|\.\w)/gi;
const ACRONYM_AFTER_ARTICLE = /\b(?:to|from|at|in)[ \t]+(?:the|THE)[ \t]+([A-Z]{2,4})(?![\w'’/&-]|\.\w)/gi;
/**
 * US state names with a word before them. The lookbehind's blanks are bounded and unambiguous:
 * the word must sit within the 40 characters read after a match anyway, and an unbounded
 * `[ \t]*,?[ \t]+` made a line padded with spaces cost cubic time.
 */
const US_STATE_NAMES = new RegExp(
  `(?<=\\p{L}[\\p{L}'’-]*(?:[ \\t]{0,38},)?[ \\t]{1,38})(?:${[...US_STATES].sort((a, b) => b.length - a.length).join("|")})(?=['’]s\\b|[^\\p{L}'’]|$)`,
  "giu",
);
const CLINICAL_CUE =
  /\b(?:pt|patient|admit\w*|icu|ccu|micu|sicu|csru|ed|er|hospital|nurse|rn|md|dr|iv|po|prn|bid|bp|hr|rr|sats?|o2|meds?|dx|hx|s\/p|c\/o|w\/|transferred|discharged?|intubated|extubated|vent|foley|lasix|npo|pmh|hpi|cath|labs?|neuro|resp|cv|gi|gu)(?!\w)/gi;
/** A clinical note: clinical abbreviations at least once every 300 characters (two at least). */
export function clinicalNote(text: string): boolean {
  let n = 0;
  for (const _ of text.matchAll(CLINICAL_CUE)) if (++n >= 2 && n * 300 >= text.length) return true;
  return false;
}

// Anchored matching (src/phi/detect/anchored.ts): where each whole-text regex can start. Word
// anchors: every match starts with one of the words as a whole ASCII letter run (a keyword followed
// by a blank, a dot, a colon or an apostrophe: "tx'd", "i'm", "he's", "plan:", "av."); numbers: a
// match starts at a digit run (a `\b` or a lookbehind excludes a digit before it).
const BLANK = (c: number) => c === 32 || c === 9;
/** A street number: a run of at most six digits before a blank. */
const STREET_PROSE = anchored("street", STREET, (t) => digitRunsBefore(t, 1, 6, BLANK));
const NUM_STREET_NUM_A = anchored("num-street-num", NUM_STREET_NUM, (t) => digitRunsBefore(t, 1, 6, BLANK));
/** "20 Rue ...", "20, Rue ...": a run of at most five digits before a comma or a blank. */
const NUM_KEYWORD_A = anchored("num-keyword-street", NUM_KEYWORD_STREET, (t) =>
  digitRunsBefore(t, 1, 5, (c) => c === 32 || c === 9 || c === 44),
);
const CITY_STATE_A = anchored("city-state", CITY_STATE, cityStateStarts);
/** "Apt 4", "P.O. Box 7" ("p"), "PO Box 7". */
const UNIT_A = anchoredWords("unit", UNIT, ["apt", "apartment", "suite", "ste", "unit", "flat", "p", "po"]);
const INTL_BEFORE_A = anchoredWords(
  "intl-street-before",
  INTL_STREET_BEFORE,
  "via viale vicolo piazza corso calle avenida av rua rue chemin allee plaza paseo ulica ul utca strada carrer avinguda rambla largo travessa camino carretera boulevard".split(
    " ",
  ),
);
const MILITARY_A = anchoredWords("military-address", MILITARY_ADDRESS, ["psc", "unit", "cmr"]);
/**
 * Where a word before blanks and a keyword can start: for each whole run of a keyword (the cue
 * pass's anchors, in order), the letter run that ends right before the blanks before it, when its
 * length is within [min, max] (its start, in order: each is after the previous keyword).
 */
function wordBeforeKeyword(text: string, group: number, min: number, max: number): number[] | undefined {
  const at = anchorsOf(text, group);
  if (at === undefined) return undefined;
  const out: number[] = [];
  for (const u of at) {
    let e = u;
    while (e > 0 && (text.charCodeAt(e - 1) === 32 || text.charCodeAt(e - 1) === 9)) e--;
    if (e === u) continue;
    let p = e;
    for (let c = text.charCodeAt(p - 1); (c >= 97 && c <= 122) || (c >= 65 && c <= 90); c = text.charCodeAt(p - 1)) p--;
    if (e - p >= min && e - p <= max) out.push(p);
  }
  return out;
}
/** An address cue ("lives at", "address:"): whole keyword runs, or a run starting with "address" ("addresses"). */
const ADDRESS_CUE_WORDS = [
  "live",
  "lives",
  "living",
  "located",
  "reside",
  "resides",
  "return",
  "returned",
  "corner",
  "office",
];
const ADDRESS_CUE_GROUP = anchorGroup(ADDRESS_CUE_WORDS);
const ADDRESS_WORD = /address/gi;
const ADDRESS_CUE_A = anchored(
  "address-cue",
  /(?<![\w-])(?:address(?:\s+is)?|lives?\s+at|living\s+at|located\s+at|resides?\s+at|return(?:ed)?\s+to|corner\s+of|office\s+is\s+at)\s*:?[ \t]*/gi,
  (text) => {
    const words = anchorsOf(text, ADDRESS_CUE_GROUP);
    if (words === undefined) return undefined;
    // the runs starting with "address", merged in order with the keyword runs
    const out: number[] = [];
    let k = 0;
    ADDRESS_WORD.lastIndex = 0;
    for (let m = ADDRESS_WORD.exec(text); m !== null; m = ADDRESS_WORD.exec(text)) {
      const c = text.charCodeAt(m.index - 1);
      if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90)) continue;
      while (k < words.length && words[k]! < m.index) out.push(words[k++]!);
      out.push(m.index);
    }
    while (k < words.length) out.push(words[k++]!);
    return out;
  },
  [...ADDRESS_CUE_WORDS, "address", "addresses", "is", "at", "to", "of"],
);
/** A hospital acronym before one of its units: the regex is case-sensitive, the anchors are not (a superset). */
const ACRONYM_UNIT_WORDS = [
  "er",
  "ed",
  "ew",
  "e",
  "cath",
  "tcu",
  "icu",
  "ccu",
  "micu",
  "sicu",
  "csru",
  "nicu",
  "pacu",
  "clinic",
  "campus",
];
const ACRONYM_UNIT_GROUP = anchorGroup(ACRONYM_UNIT_WORDS);
const ACRONYM_UNIT_A = anchored(
  "acronym-unit",
  /\b([A-Z]{2,5})[ \t]+(?:ER|ED|EW|E\.R\.|CATH LAB|cath lab|TCU|ICU|CCU|MICU|SICU|CSRU|NICU|PACU|clinic|CLINIC|campus|CAMPUS)\b/g,
  (text) => wordBeforeKeyword(text, ACRONYM_UNIT_GROUP, 2, 5),
  ACRONYM_UNIT_WORDS,
);
/** A proper word before a facility or unit noun ("Kimbrough rehab", "from kernan ew"). */
const FACILITY_NOUN_WORDS = ["rehab", "campus", "ew", "er", "e", "emergency", "building", "bldg", "memorial"];
const FACILITY_NOUN_GROUP = anchorGroup(FACILITY_NOUN_WORDS);
const FACILITY_NOUN_A = anchored(
  "facility-noun",
  /\b(\p{L}{4,})[ \t]+(?:rehab|campus|ew|er|e\.r\.|emergency[ \t]+room|building|bldg|memorial)\b/giu,
  (text) => wordBeforeKeyword(text, FACILITY_NOUN_GROUP, 4, Infinity),
  FACILITY_NOUN_WORDS,
);
const ZIP_A = anchoredWords("zip-context", ZIP_CONTEXT, ["zip", "zipcode", "postal", "postcode"]);
const NAMED_STREET_A = anchoredWords("named-street", NAMED_STREET, ["on", "at", "in", "off", "along", "near"]);
const MID_SENTENCE_PLACE_A = anchoredWords("mid-sentence-place", MID_SENTENCE_PLACE, ["at", "from", "to", "on"]);
const UNIVERSITY_OF_A = anchoredWords("university-of", UNIVERSITY_OF, [
  "university",
  "college",
  "institute",
  "univ",
  "u",
]);
const TRANSFER_PLACE_A = anchoredWords(
  "transfer-place",
  TRANSFER_PLACE,
  "transferred transfered transfer xfer sent admitted arrived came followed referred discharged returned went back seen treated hospitalized lives resides moved medflight medflighted flown taken brought presented trans enroute leave go going come coming".split(
    " ",
  ),
);
const SAINT_A = anchoredWords("saint", SAINT, ["st", "saint"]);
const TWO_NAME_WORDS_A = anchoredWords("two-name-words", TWO_NAME_WORDS, ["to", "from", "at", "in"]);
const ACRONYM_AFTER_VERB_A = anchoredWords(
  "acronym-after-verb",
  ACRONYM_AFTER_VERB,
  "admitted admission transferred transfered transfer xfer sent taken went go going came come coming arrived arrival retired work works worked working employed seen treated flighted flown flew transported brought discharged returned back tx presented referred hospitalized stay stayed died born is i he she was were be far had done".split(
    " ",
  ),
);
const ACRONYM_AFTER_ARTICLE_A = anchoredWords("acronym-after-article", ACRONYM_AFTER_ARTICLE, [
  "to",
  "from",
  "at",
  "in",
]);
const U_STATE_A = anchoredWords("u-state", U_STATE, ["u"]);
const US_STATE_NAMES_A = anchoredWords("us-state-names", US_STATE_NAMES, [
  ...new Set([...US_STATES].map((st) => st.split(" ")[0]!)),
]);
const WARD_NUMBER_A = anchoredWords("ward-number", WARD_NUMBER, ["to", "from", "plan"]);

export const places: Detector = {
  name: "places",
  profiles: ["code", "prose"],
  keywords: { zip: { prefixes: ZIP_KEYWORDS, context: ZIP_CONTEXT } },
  detect: detectPlaces,
};
