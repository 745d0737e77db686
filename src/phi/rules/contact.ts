import * as v from "../validators.js";
import { fromRuns, isWordCode, literalStarts, shifted, sortUnique, type TextIndex } from "../prefilter.js";
import { hasDigit, type Rule } from "./rule.js";

/** Contact identifiers: e-mail, phone and fax numbers in their many layouts, reference numbers, IP addresses, personal URLs. */

const CTX_PHONE =
  /\b(?:phone|tel|telephone|cell|mobile|fax|call|contact|pager|pg|beeper|page[ds]?|beep(?:ed)?|ext|extension|home|work|number|#)\b/i;
const SEP_PHONE = /[\s.-]/;

/** phone-with-context's anchors: its context words from the keyword pass, and each `\b#\b` (a '#' between word characters). */
function phoneContextAnchors(t: string, _context: RegExp, idx: TextIndex): number[] {
  const words = idx.anchors("phone-with-context")!;
  const hashes: number[] = [];
  for (let i = t.indexOf("#"); i !== -1; i = t.indexOf("#", i + 1))
    if (isWordCode(t.charCodeAt(i - 1)) && isWordCode(t.charCodeAt(i + 1))) hashes.push(i);
  return hashes.length === 0 ? words : sortUnique([...words, ...hashes]);
}

/** The words of phone-labelled's whole-text gate (`\b(?:...)\b`, case-insensitive). */
const PHONE_LABEL_GATE_WORDS = [
  "phone",
  "tel",
  "telephone",
  "cell",
  "mobile",
  "fax",
  "call",
  "contact",
  "office",
  "desk",
  "home",
  "work",
  "reach",
  "reached",
  "answering",
  "message",
  "messages",
  "registered",
  "number",
];
const PHONE_LABEL_GATE = new RegExp(String.raw`\b(?:${PHONE_LABEL_GATE_WORDS.join("|")})\b`, "i");
const PHONE_LABEL_GATE_SET = new Set(PHONE_LABEL_GATE_WORDS);

/**
 * phone-labelled's anchors: its keyword group holds the context words and the gate words, so the
 * gate is answered from the same positions (a gate word is a whole ASCII word run starting at one
 * of them); none when the gate fails, as on the plain path.
 */
function phoneLabelAnchors(t: string, _context: RegExp, idx: TextIndex): number[] {
  const pos = idx.anchors("phone-labelled")!;
  for (const p of pos) {
    let e = p;
    while (e - p <= 10 && isWordCode(t.charCodeAt(e))) e++;
    if (e - p <= 10 && PHONE_LABEL_GATE_SET.has(t.slice(p, e).toLowerCase())) return pos;
  }
  return [];
}

/** Where a 3-digit area code or exchange can begin a match: the run itself, or a '(' right before it. */
function threeDigitStarts(t: string, idx: TextIndex, next: (c: number) => boolean): number[] {
  return fromRuns(idx, (s, e) =>
    e - s !== 3 || !next(t.charCodeAt(e)) ? -1 : t.charCodeAt(s - 1) === 40 ? [s - 1, s] : s,
  );
}

/** ipv6: a match starts with a whole word of 1 to 4 hex digits right before a ':' (no word character or ':' before it). */
function ipv6Starts(t: string): number[] {
  const out: number[] = [];
  for (let c = t.indexOf(":"); c !== -1; c = t.indexOf(":", c + 1)) {
    let s = c;
    while (s > c - 5 && s > 0 && isHexCode(t.charCodeAt(s - 1))) s--;
    if (s === c || c - s > 4) continue;
    const p = t.charCodeAt(s - 1);
    if (p === 58 || isWordCode(p)) continue;
    out.push(s);
  }
  return out;
}
const isHexCode = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);

/** Exchange and line ("555-0142") sit 4 to 9 characters after the start: [+1-](617) or 617-. */
function usPhoneStarts(t: string, idx: import("../prefilter.js").TextIndex): number[] {
  return fromRuns(idx, (s, e) => {
    const c = t.charCodeAt(s);
    if (e - s !== 3 || c < 50 || !SEP_PHONE.test(t[e] ?? "")) return -1;
    let k = e + 1;
    while (k < e + 5 && t.charCodeAt(k) >= 48 && t.charCodeAt(k) <= 57) k++;
    return k === e + 5 ? [s - 9, s - 8, s - 7, s - 6, s - 5, s - 4] : -1;
  });
}

// --- contact identifiers
export const email: Rule = {
  id: "email",
  category: "email",
  hipaa: 6,
  kind: "phi",
  re: /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,24}\b/g,
  atChar: "@",
  severity: { code: "low", prose: "high" },
  confidence: 0.95,
  gate: (t) => t.includes("@"),
  validate: (s) => {
    if (/\.(?:png|jpe?g|gif|svg|webp|js|css)$/i.test(s)) return false;
    return /@(?:[\w-]+\.)*(?:example\.(?:com|org|net)|test|invalid|localhost|email\.com|domain\.com)$/i.test(s)
      ? "sample"
      : true;
  },
  samples: { tp: ["write to jane.doe@hospital.org"], fp: ["logo@2x.png"] },
};

export const usPhone: Rule = {
  id: "us-phone",
  category: "phone",
  hipaa: 4,
  kind: "phi",
  re: /(?<![\w.+-])(?:\+?1[\s.-]?)?(?:\(([2-9]\d{2})\)\s?|\b([2-9]\d{2})[\s.-])([2-9]\d{2})[\s.-](\d{4})(?:\s*(?:x|ext\.?)\s*\d{1,5})?\b/g,
  severity: { code: "medium", prose: "high" },
  confidence: 0.85,
  gate: hasDigit,
  validate: (_s, m) => {
    const exch = m[3]!;
    if (exch === "555" && /^01\d\d$/.test(m[4]!)) return "sample";
    return true;
  },
  starts: usPhoneStarts,
  impliesGate: true,
  derivedFrom: "180189ae",
  samples: { tp: ["call 617-253-1000"], fp: ["617-053-1000"] },
};

export const intlPhone: Rule = {
  id: "intl-phone",
  category: "phone",
  hipaa: 4,
  kind: "phi",
  re: /(?<![\w+])\+(?:[2-9]\d{0,2})[\s.-]?\(?\d{1,4}\)?(?:[\s.-]?\d{2,4}){2,4}\b/g,
  severity: { code: "low", prose: "high" },
  confidence: 0.7,
  profiles: ["prose"],
  gate: (t) => t.includes("+"),
  validate: (s) => {
    const d = s.replace(/\D/g, "");
    return d.length >= 9 && d.length <= 15;
  },
  literals: ["+"],
  impliesGate: true,
  derivedFrom: "42edffeb",
  samples: { tp: ["+44 20 7946 0958"], fp: ["+1 2"] },
};

export const phoneWithContext: Rule = {
  id: "phone-with-context",
  category: "phone",
  hipaa: 4,
  kind: "phi",
  re: /(?<![\w/.-])(?:\d{3}[\s.-]{1,2})?\d{3}[\s.-]{1,2}\d{4}\b|(?<=(?:\b(?:x|ext|pager|pg|beeper|page|beep)\.?\s*#?|#)\s{0,2})\d{3,5}\b/gi,
  severity: { code: "low", prose: "medium" },
  confidence: 0.6,
  profiles: ["prose"],
  gate: hasDigit,
  context: CTX_PHONE,
  window: 25,
  keywords: [
    "phone",
    "tel",
    "cell",
    "mobile",
    "fax",
    "call",
    "contact",
    "pg",
    "page",
    "beep",
    "ext",
    "home",
    "work",
    "number",
  ],
  anchorStarts: phoneContextAnchors,
  derivedFrom: "e50bff3d",
  samples: { tp: ["pager 4567"], fp: ["room 4567"] },
};

export const phoneLabelled: Rule = {
  id: "phone-labelled",
  category: "phone",
  hipaa: 4,
  kind: "phi",
  re: /(?<![\w+])\+?\(?\d{1,4}\)?(?:[\s.-]?\(?\d{1,5}\)?){1,5}(?:\s*(?:x|ext\.?)\s*\d{1,5})?(?![\w-])/g,
  severity: "high",
  confidence: 0.75,
  profiles: ["prose"],
  gate: (t) => PHONE_LABEL_GATE.test(t),
  context:
    /\b(?:phone|tel|telephone|cell|cellphone|mobile|fax|call(?:ed)?|contact|office|desk|reach(?:ed)?|(?<!\b(?:card|account|acct|policy|member|order|invoice|tracking|reference|case|ticket|serial|model|id|record)[ \t])number|whatsapp|sms|text|answering|messages?|registered)\b[^\n\d]{0,12}/i,
  window: 4,
  // context words and gate words (phoneLabelAnchors)
  keywords: [
    "phone",
    "tel",
    "cell",
    "mobile",
    "fax",
    "call",
    "contact",
    "office",
    "desk",
    "home",
    "work",
    "reach",
    "number",
    "whatsapp",
    "sms",
    "text",
    "answering",
    "message",
    "registered",
  ],
  anchorStarts: phoneLabelAnchors,
  derivedFrom: "a444d327",
  validate: (s) => {
    const d = s.replace(/\D/g, "").length;
    return d >= 7 && d <= 15;
  },
  samples: { tp: ["Phone: 085 175 7641"], fp: ["Phone: 12"] },
};

// a number labelled after it: "085 175 7641-Office", "416 60 039 office"
export const phoneLabelledAfter: Rule = {
  id: "phone-labelled-after",
  category: "phone",
  hipaa: 4,
  kind: "phi",
  re: /(?<![\w+])\+?\(?\d{1,4}\)?(?:[\s.-]?\(?\d{1,5}\)?){1,5}(?:\s*(?:x|ext\.?)\s*\d{1,5})?(?=[ \t]*-?[ \t]*(?:office|fax|mobile|cell|home|work|tel)\b)/gi,
  severity: "high",
  confidence: 0.7,
  profiles: ["prose"],
  gate: (t) => /\d[ \t]*-?[ \t]*(?:office|fax|mobile|cell|home|work|tel)\b/i.test(t),
  validate: (s) => {
    const d = s.replace(/\D/g, "").length;
    return d >= 7 && d <= 15;
  },
  samples: { tp: ["085 175 7641-Office"], fp: ["085 175-Office"] },
};

// US layout with any exchange digit, dashes only (notes hold surrogate numbers like 648-199-1703)
// after a dash leader in a contact list: "DAUGHTER-KRISSY---301 944-5032"
export const usPhoneListed: Rule = {
  id: "us-phone-listed",
  category: "phone",
  hipaa: 4,
  kind: "phi",
  re: /(?<=--)[2-9]\d{2}[ \t.-]?[2-9]\d{2}[ \t.-]\d{4}(?![\w\/-]|[.,]\d)/g,
  severity: "medium",
  confidence: 0.6,
  profiles: ["prose"],
  gate: (t) => t.includes("--"),
  starts: (t) => literalStarts(t, ["--"]).map((i) => i + 2),
  impliesGate: true,
  derivedFrom: "4a75047f",
  samples: { tp: ["DAUGHTER---301 944-5032"], fp: ["---301 944-50321"] },
};

export const usPhoneSlashed: Rule = {
  id: "us-phone-slashed",
  category: "phone",
  hipaa: 4,
  kind: "phi",
  re: /(?<![\w./-])[2-9]\d{2}\/[2-9]\d{2}\/\d{4}(?![\w/-]|[.,]\d)/g,
  severity: "medium",
  confidence: 0.6,
  profiles: ["prose"],
  gate: (t) => t.includes("/"),
  starts: (t, idx) => fromRuns(idx, (s, e) => (e - s === 3 && t.charCodeAt(e) === 47 ? s : -1)),
  impliesGate: true,
  derivedFrom: "a4d02971",
  samples: { tp: ["617/253/1000"], fp: ["617/253/10000"] },
};

export const referenceNumber: Rule = {
  id: "reference-number",
  category: "other",
  hipaa: 18,
  kind: "phi",
  re: /\b(?:ref(?:erence)?|policy|order|confirmation|conf|requisition|req|accession|specimen|tracking|case|claim|authori[sz]ation|auth|ticket)[ \t]*(?:#|no\.|num(?:ber)?\.?)[ \t]*:?[ \t]*((?=[A-Za-z\d-]{3})[A-Za-z]{0,3}\d[A-Za-z\d-]*)\b/gi,
  group: 1,
  severity: "medium",
  confidence: 0.6,
  profiles: ["prose"],
  gate: (t) => /#|no\.|num/i.test(t),
  keywords: [
    "ref",
    "policy",
    "order",
    "conf",
    "req",
    "accession",
    "specimen",
    "tracking",
    "case",
    "claim",
    "auth",
    "ticket",
  ],
  starts: (_t, idx) => idx.anchors("reference-number")!,
  impliesGate: true,
  derivedFrom: "ae6e4fbe",
  samples: { tp: ["confirmation no. 88421"], fp: ["ref # none"] },
};

export const usPhoneDashed: Rule = {
  id: "us-phone-dashed",
  category: "phone",
  hipaa: 4,
  kind: "phi",
  re: /(?<![\w.+/-])\(?[2-9]\d{2}\)?[ \t]?-[ \t]?\d{3}[ \t]?-[ \t]?\d{4}(?![\w/-]|[.,]\d)/g,
  severity: { code: "low", prose: "medium" },
  confidence: 0.65,
  profiles: ["prose"],
  gate: hasDigit,
  // (?<![\w.+/-])\(?[2-9]\d{2}\)?[ \t]?-: a run of exactly three digits, then ')', a blank or '-'
  starts: (t, idx) => threeDigitStarts(t, idx, (c) => c === 41 || c === 32 || c === 9 || c === 45),
  impliesGate: true,
  derivedFrom: "f1ef541a",
  samples: { tp: ["648-199-1703"], fp: ["648-199-17034"] },
};

// \d\.\d{1,3}\.\d{1,3}\.\d marks the last digit of the first octet, one to three digits in
export const ipv4: Rule = {
  id: "ipv4",
  category: "ip-address",
  hipaa: 15,
  kind: "phi",
  re: /(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.]*\d)/g,
  severity: { code: "low", prose: "medium" },
  confidence: 0.7,
  gate: (t) => /\d\.\d/.test(t),
  validate: (s) => v.ipv4Public(s) === true,
  starts: (t, idx) => shifted(idx.dottedQuads(), [0, 1, 2]),
  impliesGate: true,
  derivedFrom: "9329795c",
  samples: { tp: ["server 8.8.4.4"], fp: ["10.0.0.1"] },
};

export const ipv6: Rule = {
  id: "ipv6",
  category: "ip-address",
  hipaa: 15,
  kind: "phi",
  re: /(?<![\w:])(?:[0-9a-fA-F]{1,4}:){2,7}[0-9a-fA-F]{1,4}(?![\w:])/g,
  severity: { code: "low", prose: "medium" },
  confidence: 0.6,
  profiles: ["prose"],
  gate: (t) => t.includes(":"),
  starts: ipv6Starts,
  impliesGate: true,
  derivedFrom: "c9154a78",
  validate: (s) => v.ipv6Valid(s) && !/^(?:fe80|fc|fd|::1|2001:db8)/i.test(s) && (s.match(/:/g)?.length ?? 0) >= 4,
  samples: { tp: ["2001:4860:4860:0:0:0:0:8888"], fp: ["fe80:0:0:0:0:0:0:1"] },
};

export const personalUrl: Rule = {
  id: "personal-url",
  category: "url",
  hipaa: 14,
  kind: "phi",
  re: /\bhttps?:\/\/(?:www\.)?(?:facebook|fb|twitter|x|instagram|linkedin|tiktok|myspace|youtube)\.com\/(?:in\/|@)?[A-Za-z0-9_.-]{3,}\b/g,
  severity: { code: "low", prose: "medium" },
  confidence: 0.6,
  gate: (t) => t.includes("://"),
  starts: (t, idx) => shifted(idx.schemeSeparators(), [4, 5]),
  impliesGate: true,
  derivedFrom: "97069fe3",
  samples: { tp: ["https://facebook.com/jane.doe.77"], fp: ["https://example.com/jane"] },
};

// only a URL that carries a patient's id: a path segment after /patient(s)/ (FHIR Patient/<id>) or a
// patient/mrn/member/chart id parameter, the id holding a digit (not "Patient/example", repository
// links, issue trackers or StructureDefinition/extension URLs that merely contain "patient")
export const patientPortalUrl: Rule = {
  id: "patient-portal-url",
  category: "url",
  hipaa: 14,
  kind: "phi",
  re: /\bhttps?:\/\/[^\s"'<>]*?(?:\/patients?\/(?:id[=/])?|[?&;](?:patient|mrn|member|chart)(?:[_-]?(?:id|no|number))?=)(?=[A-Za-z0-9-]*\d)[A-Za-z0-9-]{4,}(?![A-Za-z0-9-])/gi,
  severity: "high",
  confidence: 0.7,
  gate: (t) => t.includes("://"),
  starts: (t, idx) => shifted(idx.schemeSeparators(), [4, 5]),
  impliesGate: true,
  derivedFrom: "d3eca565",
  samples: { tp: ["https://portal.example.org/patients/12345"], fp: ["https://github.com/org/patient-portal/issues"] },
};
