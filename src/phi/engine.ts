import { createHash } from "node:crypto";
import type { Finding, ScanTextOptions, Severity } from "./types.js";
import * as v from "./validators.js";
import { FIRST_NAMES, SURNAMES, NOT_NAMES } from "./data/names.js";
import { COUNTRIES, US_CITIES, US_STATES, US_STATE_CODES } from "./data/places.js";
import { COMMON_WORDS } from "./data/words.js";
import { scanDelimited, scanFhirJson, scanHl7 } from "./formats.js";
import { ANCHOR_GATE_NEEDED, DERIVED_FROM, RULE_STARTS, TextIndex, anchorsCover, genericSecretAnchors, markerStarts, regexHash, stickyEach, toSticky } from "./prefilter.js";

/**
 * The detection engine. Text is scanned with a small set of global regular expressions,
 * each guarded by a cheap prefilter, plus context-driven detectors for names, dates and
 * places. Two profiles: `code` (source files: identifiers need validation or strong
 * context, so ordinary code stays quiet) and `prose` (notes, documents, prompts, data:
 * aggressive, recall first).
 */
export type Profile = "code" | "prose";
export type Kind = "phi" | "secret";

export interface ExtraRule {
  id: string;
  regex: RegExp;
  category: string;
  severity: Severity;
  hipaaIdentifier?: number;
  kind?: Kind;
}

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

/** A raw detection before line/column, preview and fingerprint are added. */
export interface Candidate {
  ruleId: string;
  category: string;
  hipaa?: number;
  kind: Kind;
  start: number;
  end: number;
  severity: Severity;
  confidence: number;
  synthetic?: boolean;
}

export const CODE_EXTENSIONS = /\.(?:[cm]?[jt]sx?|py|rb|go|rs|java|kt|kts|scala|cs|fs|c|cc|cpp|cxx|h|hpp|m|mm|swift|php|pl|pm|sh|bash|zsh|ps1|lua|r|dart|ex|exs|erl|hs|clj|groovy|gradle|sql|vue|svelte|css|scss|less|html?|xml|xsd|ya?ml|toml|ini|cfg|conf|properties|json|lock|map|d\.ts|proto|tf|hcl|dockerfile|makefile|cmake|gemspec|podspec)$/i;

export function profileFor(path: string | undefined): Profile {
  if (!path) return "prose";
  const base = path.split(/[\\/]/).pop() ?? path;
  if (/^(?:dockerfile|makefile|jenkinsfile|vagrantfile|gemfile|rakefile)$/i.test(base)) return "code";
  // the extension alone decides (testing the whole path costs more than a short scan)
  return CODE_EXTENSIONS.test(base.slice(base.lastIndexOf("."))) ? "code" : "prose";
}

// ---------------------------------------------------------------- regex rules

type Sev = Severity | { code: Severity; prose: Severity };
interface RegexRule {
  id: string;
  category: string;
  hipaa?: number;
  kind: Kind;
  re: RegExp;
  /** capture group holding the identifier (default: whole match) */
  group?: number;
  severity: Sev;
  confidence: number;
  profiles?: Profile[];
  /** cheap test on the whole text before running `re` */
  gate?: (text: string) => boolean;
  /** false = reject; "sample" = known synthetic/test value */
  validate?: (value: string, m: RegExpExecArray, text: string) => boolean | "sample";
  /** words that must appear within `window` characters before the match */
  context?: RegExp;
  window?: number;
  /** user-supplied: run line by line, skipping lines longer than MAX_USER_RULE_LINE */
  perLine?: boolean;
  /** the match always contains this character: only look around its occurrences */
  atChar?: string;
}

/** User rules never see more than this many characters at once, bounding any backtracking. */
export const MAX_USER_RULE_LINE = 4096;

const hasDigit = (t: string) => /\d/.test(t);
const CTX_SSN = /\b(?:ssn|social\s*security|soc\.?\s*sec|ss#|tax\s*id|tin)\b/i;
const CTX_PHONE = /\b(?:phone|tel|telephone|cell|mobile|fax|call|contact|pager|beeper|page[ds]?|beep(?:ed)?|ext|extension|home|work|number|#)\b/i;
const CTX_MRN = /\b(?:mrn|mr#|mr\s*no|medical\s*record(?:\s*(?:number|no|#))?|chart\s*(?:number|no|#)|patient\s*(?:id|identifier|number|no|#)|unit\s*(?:number|no)|hospital\s*(?:number|no|#))\b/i;
const CTX_PLAN = /\b(?:member\s*(?:id|number|no|#)|subscriber\s*(?:id|number|no|#)|policy\s*(?:number|no|#|id)|group\s*(?:number|no|#)|beneficiary|insurance\s*(?:id|number|no|#)|health\s*plan|medicaid|medicare|hicn|mbi)\b/i;
const CTX_ACCOUNT = /\b(?:account|acct|a\/c|billing\s*(?:id|number|no|#)|invoice|claim\s*(?:number|no|#|id)|routing)\b/i;
const CTX_LICENSE = /\b(?:licen[cs]e|lic\.?\s*(?:no|#)|certificate|cert\.?\s*(?:no|#)|dl\s*(?:no|#)|driver'?s?\s*licen[cs]e|registration\s*(?:no|#))\b/i;
const CTX_DEVICE = /\b(?:serial|s\/n|sn#|device\s*(?:id|identifier)|udi|imei|mac\s*address|implant|pacemaker|pump)\b/i;
const CTX_SECRET = /(?:api[_-]?key|apikey|secret|token|passw(?:or)?d|pwd|client[_-]?secret|access[_-]?key|private[_-]?key|auth|credential|bearer)/i;

const RULES: RegexRule[] = [
  // --- secrets (identifier-specific formats first)
  { id: "aws-access-key-id", category: "secret", kind: "secret", re: /\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b/g, severity: "high", confidence: 0.95, gate: (t) => /A[KSBC][IC]A/.test(t), validate: (s) => (/EXAMPLE$/.test(s) ? "sample" : true) },
  { id: "aws-secret-access-key", category: "secret", kind: "secret", re: /\baws.{0,20}?(?:secret|sk).{0,20}?['"=:\s]([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])/gi, group: 1, severity: "high", confidence: 0.85, gate: (t) => /aws/i.test(t), validate: (s) => (/EXAMPLEKEY/.test(s) ? "sample" : v.shannonEntropy(s) > 4) },
  { id: "gcp-api-key", category: "secret", kind: "secret", re: /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g, severity: "high", confidence: 0.9, gate: (t) => t.includes("AIza") },
  { id: "private-key", category: "secret", kind: "secret", re: /-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY(?: BLOCK)?-----[\s\S]{32,}?-----END (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY(?: BLOCK)?-----/g, severity: "high", confidence: 0.99, gate: (t) => t.includes("PRIVATE KEY") },
  { id: "gcp-service-account-key", category: "secret", kind: "secret", re: /"private_key"\s*:\s*"-----BEGIN PRIVATE KEY-----\\n[A-Za-z0-9+/=\\n]{64,}/g, severity: "high", confidence: 0.99, gate: (t) => t.includes('"private_key"') },
  { id: "azure-storage-key", category: "secret", kind: "secret", re: /\bAccountKey=([A-Za-z0-9+/]{86}==)/g, group: 1, severity: "high", confidence: 0.95, gate: (t) => t.includes("AccountKey=") },
  { id: "azure-sas-token", category: "secret", kind: "secret", re: /[?&]sig=([A-Za-z0-9%+/]{43,}(?:%3D|=))/g, group: 1, severity: "high", confidence: 0.8, gate: (t) => t.includes("sig=") && /[?&]s[vpe]=/.test(t) },
  { id: "github-token", category: "secret", kind: "secret", re: /\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})\b/g, severity: "high", confidence: 0.97, gate: (t) => /gh[pousr]_|github_pat_/.test(t) },
  { id: "gitlab-token", category: "secret", kind: "secret", re: /\bgl(?:pat|dt|ptt|rt)-[A-Za-z0-9_-]{20,}\b/g, severity: "high", confidence: 0.95, gate: (t) => /gl(?:pat|dt|ptt|rt)-/.test(t) },
  { id: "slack-token", category: "secret", kind: "secret", re: /\bxox[baprs]-\d{8,}-[A-Za-z0-9-]{8,}\b/g, severity: "high", confidence: 0.95, gate: (t) => t.includes("xox") },
  { id: "slack-webhook", category: "secret", kind: "secret", re: /https:\/\/hooks\.slack\.com\/services\/T[A-Z0-9]{6,}\/B[A-Z0-9]{6,}\/[A-Za-z0-9]{20,}/g, severity: "high", confidence: 0.97, gate: (t) => t.includes("hooks.slack.com") },
  { id: "stripe-key", category: "secret", kind: "secret", re: /\b(?:sk|rk)_live_[A-Za-z0-9]{20,}\b/g, severity: "high", confidence: 0.97, gate: (t) => t.includes("_live_") },
  { id: "anthropic-key", category: "secret", kind: "secret", re: /\bsk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_-]{80,}/g, severity: "high", confidence: 0.98, gate: (t) => t.includes("sk-ant-") },
  { id: "openai-key", category: "secret", kind: "secret", re: /\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}|\bsk-[A-Za-z0-9]{48}\b/g, severity: "high", confidence: 0.95, gate: (t) => t.includes("sk-") },
  { id: "npm-token", category: "secret", kind: "secret", re: /\bnpm_[A-Za-z0-9]{36}\b/g, severity: "high", confidence: 0.95, gate: (t) => t.includes("npm_") },
  { id: "twilio-key", category: "secret", kind: "secret", re: /\bSK[0-9a-f]{32}\b/g, severity: "medium", confidence: 0.6, gate: (t) => t.includes("SK"), context: /twilio/i, window: 200 },
  { id: "jwt", category: "secret", kind: "secret", re: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/g, severity: "high", confidence: 0.9, gate: (t) => t.includes("eyJ"), validate: (s) => jwtHeaderValid(s) },
  { id: "connection-string-password", category: "secret", kind: "secret", re: /\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|redis|rediss|amqps?|mssql|sqlserver|jdbc:[a-z]+):\/\/[^\s:/@'"]+:([^\s@/'"]{3,})@[^\s'"]+/gi, group: 1, severity: "high", confidence: 0.9, gate: (t) => t.includes("://"), validate: (pw) => !v.looksLikePlaceholder(pw) && !/^\$|^%|^\{/.test(pw) },
  { id: "generic-secret", category: "secret", kind: "secret", re: /^[\w.-]*["']?\s*(?::|=|=>|:=)\s*["']([A-Za-z0-9_\-+/=.~!@#$%^&*]{16,})["']/g, group: 1, severity: "high", confidence: 0.7, gate: (t) => CTX_SECRET.test(t), context: /(?:api[_-]?key|apikey|secret|token|passw(?:or)?d|pwd|client[_-]?secret|access[_-]?key)/, window: 40, validate: (s) => !v.looksLikePlaceholder(s) && v.shannonEntropy(s) >= 3.5 && /\d/.test(s) && /[A-Za-z]/.test(s) },

  // --- direct identifiers with check digits or strict formats
  { id: "us-ssn", category: "ssn", hipaa: 7, kind: "phi", re: /\b(\d{3})([- ])(\d{2})\2(\d{4})\b/g, severity: "high", confidence: 0.9, gate: hasDigit, validate: (_s, m) => {
      if (!v.ssnValid(m[1]!, m[3]!, m[4]!)) return false;
      return v.ssnIsSample(m[1]! + m[3]! + m[4]!) ? "sample" : true;
    } },
  { id: "us-ssn-unformatted", category: "ssn", hipaa: 7, kind: "phi", re: /\b(\d{3})(\d{2})(\d{4})\b/g, severity: "high", confidence: 0.75, gate: hasDigit, context: CTX_SSN, window: 40, validate: (s, m) => (v.ssnValid(m[1]!, m[2]!, m[3]!) ? (v.ssnIsSample(s) ? "sample" : true) : false) },
  { id: "medicare-mbi", category: "health-plan-id", hipaa: 9, kind: "phi", re: /\b[1-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9]\d-?[AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9]\d-?[AC-HJKMNP-RT-Y]{2}\d{2}\b/g, severity: { code: "medium", prose: "high" }, confidence: 0.85, gate: hasDigit, validate: (s) => /[A-Z]/.test(s) && /\d.*\d.*\d/.test(s) && v.mbiValid(s) },
  { id: "health-plan-id", category: "health-plan-id", hipaa: 9, kind: "phi", re: /\b(?=[A-Z0-9-]*\d)[A-Z]{0,4}[0-9][A-Z0-9-]{5,17}\b/g, severity: "high", confidence: 0.7, gate: (t) => CTX_PLAN.test(t), context: CTX_PLAN, window: 40 },
  { id: "medical-record-number", category: "mrn", hipaa: 8, kind: "phi", re: /\b(?=[A-Z0-9-]*\d{3})[A-Z]{0,4}-?[0-9][A-Z0-9-]{3,15}\b/g, severity: "high", confidence: 0.8, gate: (t) => CTX_MRN.test(t), context: CTX_MRN, window: 30 },
  { id: "credit-card", category: "account", hipaa: 10, kind: "phi", re: /(?<![\d.,-])(?:4\d{3}|5[1-5]\d{2}|2[2-7]\d{2}|3[0-9]\d{2}|6\d{3})[- ]?\d{4}[- ]?\d{4}[- ]?\d{1,7}\b(?![.,]\d)/g, severity: "high", confidence: 0.9, gate: hasDigit, validate: (s) => {
      const d = s.replace(/\D/g, "");
      if (d.length < 13 || d.length > 19 || !v.luhnValid(d)) return false;
      return /^(4111111111111111|4242424242424242|5555555555554444|5105105105105100|378282246310005|371449635398431|6011111111111117|4012888888881881)$/.test(d) ? "sample" : true;
    } },
  { id: "iban", category: "account", hipaa: 10, kind: "phi", re: /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b/g, severity: "high", confidence: 0.9, gate: hasDigit, validate: (s) => v.ibanValid(s) },
  { id: "account-number", category: "account", hipaa: 10, kind: "phi", re: /\b\d[\d-]{5,18}\d\b/g, severity: "high", confidence: 0.7, gate: (t) => CTX_ACCOUNT.test(t), context: CTX_ACCOUNT, window: 30 },
  { id: "dea-number", category: "license", hipaa: 11, kind: "phi", re: /\b[A-Z][A-Z9]\d{7}\b/g, severity: "high", confidence: 0.85, gate: hasDigit, validate: (s) => v.deaValid(s) && !/^(?:AB1234563|BB1388568)$/.test(s) },
  { id: "npi", category: "license", hipaa: 11, kind: "phi", re: /\b[12]\d{9}\b/g, severity: "medium", confidence: 0.75, gate: (t) => /\bnpi\b/i.test(t), context: /\b(?:npi|national provider)\b/i, window: 30, validate: (s) => v.npiValid(s) },
  { id: "license-number", category: "license", hipaa: 11, kind: "phi", re: /\b(?=[A-Z0-9-]*\d)[A-Z]{0,3}-?\d[A-Z0-9-]{4,14}\b/g, severity: "high", confidence: 0.7, gate: (t) => CTX_LICENSE.test(t), context: CTX_LICENSE, window: 30 },
  { id: "vin", category: "vehicle-id", hipaa: 12, kind: "phi", re: /\b[A-HJ-NPR-Z0-9]{17}\b/g, severity: "high", confidence: 0.9, profiles: ["prose"], gate: hasDigit, validate: (s) => /[A-Z]/.test(s) && /\d/.test(s) && v.vinValid(s) },
  { id: "vin", category: "vehicle-id", hipaa: 12, kind: "phi", re: /\b[A-HJ-NPR-Z0-9]{17}\b/g, severity: "high", confidence: 0.9, profiles: ["code"], gate: (t) => /vin|vehicle/i.test(t), context: /\b(?:vin|vehicle)/i, window: 40, validate: (s) => /[A-Z]/.test(s) && /\d/.test(s) && v.vinValid(s) },
  { id: "udi", category: "device-id", hipaa: 13, kind: "phi", re: /\(01\)\d{14}(?:\(1[17]\)\d{6}|\(10\)[\w-]{1,20}|\(21\)[\w-]{1,20})+/g, severity: "high", confidence: 0.9, gate: (t) => t.includes("(01)") },
  { id: "device-serial", category: "device-id", hipaa: 13, kind: "phi", re: /\b(?=[A-Z0-9-]*\d)[A-Z0-9][A-Z0-9-]{5,24}\b/g, severity: "medium", confidence: 0.6, gate: (t) => CTX_DEVICE.test(t), context: CTX_DEVICE, window: 25 },

  // --- contact identifiers
  { id: "email", category: "email", hipaa: 6, kind: "phi", re: /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,24}\b/g, atChar: "@", severity: { code: "low", prose: "high" }, confidence: 0.95, gate: (t) => t.includes("@"), validate: (s) => {
      if (/\.(?:png|jpe?g|gif|svg|webp|js|css)$/i.test(s)) return false;
      return /@(?:[\w-]+\.)*(?:example\.(?:com|org|net)|test|invalid|localhost|email\.com|domain\.com)$/i.test(s) ? "sample" : true;
    } },
  { id: "us-phone", category: "phone", hipaa: 4, kind: "phi", re: /(?<![\w.+-])(?:\+?1[\s.-]?)?(?:\(([2-9]\d{2})\)\s?|\b([2-9]\d{2})[\s.-])([2-9]\d{2})[\s.-](\d{4})(?:\s*(?:x|ext\.?)\s*\d{1,5})?\b/g, severity: { code: "medium", prose: "high" }, confidence: 0.85, gate: hasDigit, validate: (_s, m) => {
      const exch = m[3]!;
      if (exch === "555" && /^01\d\d$/.test(m[4]!)) return "sample";
      return true;
    } },
  { id: "intl-phone", category: "phone", hipaa: 4, kind: "phi", re: /(?<![\w+])\+(?:[2-9]\d{0,2})[\s.-]?\(?\d{1,4}\)?(?:[\s.-]?\d{2,4}){2,4}\b/g, severity: { code: "low", prose: "high" }, confidence: 0.7, profiles: ["prose"], gate: (t) => t.includes("+"), validate: (s) => {
      const d = s.replace(/\D/g, "");
      return d.length >= 9 && d.length <= 15;
    } },
  { id: "phone-with-context", category: "phone", hipaa: 4, kind: "phi", re: /(?<![\w/.-])(?:\d{3}[\s.-]{1,2})?\d{3}[\s.-]{1,2}\d{4}\b|(?<=(?:\b(?:x|ext|pager|beeper|page|beep)\.?\s*#?|#)\s{0,2})\d{3,5}\b/gi, severity: { code: "low", prose: "medium" }, confidence: 0.6, profiles: ["prose"], gate: hasDigit, context: CTX_PHONE, window: 25 },
  { id: "phone-labelled", category: "phone", hipaa: 4, kind: "phi", re: /(?<![\w+])\+?\(?\d{1,4}\)?(?:[\s.-]?\(?\d{1,5}\)?){1,5}(?:\s*(?:x|ext\.?)\s*\d{1,5})?(?![\w-])/g, severity: "high", confidence: 0.75, profiles: ["prose"], gate: (t) => /\b(?:phone|tel|telephone|cell|mobile|fax|call|contact|office|desk|home|work)\b/i.test(t), context: /\b(?:phone|tel|telephone|cell|cellphone|mobile|fax|call(?:ed)?|contact|office|desk|reach(?:ed)?|number|whatsapp|sms|text)\b[^\n\d]{0,12}/i, window: 4, validate: (s) => {
      const d = s.replace(/\D/g, "").length;
      return d >= 7 && d <= 15;
    } },
  { id: "ipv4", category: "ip-address", hipaa: 15, kind: "phi", re: /(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.]*\d)/g, severity: { code: "low", prose: "medium" }, confidence: 0.7, gate: (t) => /\d\.\d/.test(t), validate: (s) => v.ipv4Public(s) === true },
  { id: "ipv6", category: "ip-address", hipaa: 15, kind: "phi", re: /(?<![\w:])(?:[0-9a-fA-F]{1,4}:){2,7}[0-9a-fA-F]{1,4}(?![\w:])/g, severity: { code: "low", prose: "medium" }, confidence: 0.6, profiles: ["prose"], gate: (t) => t.includes(":"), validate: (s) => v.ipv6Valid(s) && !/^(?:fe80|fc|fd|::1|2001:db8)/i.test(s) && (s.match(/:/g)?.length ?? 0) >= 4 },
  { id: "personal-url", category: "url", hipaa: 14, kind: "phi", re: /\bhttps?:\/\/(?:www\.)?(?:facebook|fb|twitter|x|instagram|linkedin|tiktok|myspace|youtube)\.com\/(?:in\/|@)?[A-Za-z0-9_.-]{3,}\b/g, severity: { code: "low", prose: "medium" }, confidence: 0.6, gate: (t) => t.includes("://") },
  { id: "patient-portal-url", category: "url", hipaa: 14, kind: "phi", re: /\bhttps?:\/\/[^\s"'<>]*(?:patient|mrn|member|chart)[_-]?(?:id)?[=/][A-Za-z0-9-]{4,}/gi, severity: "high", confidence: 0.7, gate: (t) => t.includes("://") },

  // --- ages over 89
  { id: "age-over-89", category: "age", hipaa: 3, kind: "phi", re: /\b(?:(?:9\d|1[01]\d)(?:\s*-?\s*(?:y\.?\s?o\.?|yrs?\.?\s*old|years?[\s-]*old|year-old|years? of age|yo\b|y\/o))|(?:age[d]?|aged)\s*(?:of\s*)?(?:9\d|1[01]\d)\b)/gi, severity: "high", confidence: 0.9, gate: hasDigit },
];

function jwtHeaderValid(token: string): boolean {
  try {
    const h = JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString("utf8")) as { alg?: unknown };
    return typeof h.alg === "string";
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- dates

const MONTHS = "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?";
const DATE_NUMERIC = /(?<![\w/.:-])(\d{1,2})[/-](\d{1,2})(?:[/-](\d{4}|\d{2}))?(?![\w/%]|[.-]\d)/g;
const DATE_ISO = /(?<![\w-])((?:19|20)\d{2})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(?:[T ][\d:.]+Z?)?(?![\w-])/g;
const DATE_TEXT_MDY = new RegExp(`\\b(?:${MONTHS})\\.?\\s+\\d{1,2}(?:st|nd|rd|th)?(?:,?\\s+\\d{4})?\\b`, "gi");
const DATE_TEXT_DMY = new RegExp(`\\b\\d{1,2}(?:st|nd|rd|th)?\\s+(?:of\\s+)?(?:${MONTHS})\\.?(?:,?\\s+\\d{4})?\\b`, "gi");
const DATE_TEXT_MY = new RegExp(`\\b(?:${MONTHS})\\.?,?\\s+(?:19|20)\\d{2}\\b`, "gi");
const DATE_CONTEXT = /\b(?:dob|d\.o\.b|birth|born|b-day|birthday|admi(?:t|tted|ssion)|discharg\w*|death|died|deceased|expired|date[_\s-]?of[_\s-]?(?:birth|death|service|admission|discharge|visit)|dateofbirth|birth[_\s-]?date|visit|appointment|appt|surgery|procedure|seen|encounter|dos|dod)\b/i;

const DATE_CONTEXT_STICKY = toSticky(DATE_CONTEXT);
const DATE_PREFILTER = anchorsCover("date", DATE_CONTEXT.source);

function detectDates(text: string, profile: Profile, out: Candidate[], idx?: TextIndex): void {
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
    const mdy = v.monthDayValid(a, b);
    const dmy = v.monthDayValid(b, a);
    if (!mdy && !dmy) {
      // month/two-digit year ("5/97"): a date element finer than the year
      if (!year && profile === "prose" && a >= 1 && a <= 12 && m[2]!.length === 2 && b > 31 && !m[0].includes("-")) push(m.index, m.index + m[0].length, "medium", 0.55);
      continue;
    }
    if (!year) {
      // A bare m/d: a date in notes, but also a fraction or a score; notes only, US order only.
      if (profile === "code" || m[0].includes("-") || !mdy) continue;
      if ((a < b && b <= 4) || (b === 5 && a <= 5) || (b === 10 && a <= 10 && /\bgcs|pain|scale|score\b/i.test(text.slice(Math.max(0, m.index - 20), m.index)))) continue;
      const after = text.slice(m.index + m[0].length, m.index + m[0].length + 12);
      if (/^\s*(?:mg|ml|mcg|units?|tabs?|of|dose|times|x\b|%|ns\b|normal saline|strength|nss|cc)/i.test(after)) continue;
      const before = text.slice(Math.max(0, m.index - 14), m.index);
      if (/\b(?:ps|psv|cpap|peep|bipap|ipap|epap|pap|strength|vent|settings|ivf|abp|bp|nbp|sbp|dbp|map|ratio|i:e|gcs|motor|score)\W*$/i.test(before)) continue;
      push(m.index, m.index + m[0].length, contextual(m.index) ? "high" : "medium", 0.6);
      continue;
    }
    if (profile === "code" && !contextual(m.index)) continue;
    push(m.index, m.index + m[0].length, "high", 0.85);
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

const TOKEN = /[A-Za-z][A-Za-z'’]*/g;
const TITLE = /^(?:dr|drs|doctor|mr|mrs|ms|miss|mx|prof|professor|nurse|rev)$/;
const WEAK_TITLE = /^(?:ms|miss|nurse|rev)$/;
const RELATION = /^(?:wife|husband|spouse|daughter|daughters|son|sons|mother|mom|father|dad|sister|sisters|brother|brothers|niece|nephew|aunt|uncle|cousin|grandson|granddaughter|grandmother|grandfather|grandma|grandpa|friend|partner|fiance|fiancee|boyfriend|girlfriend|neighbor|neighbour|hcp|proxy|guardian|sibling|stepson|stepdaughter|caregiver|roommate|dtr|sis|bro|niece|nephews|nieces|companion)$/;
const PERSON_VERB_BEFORE = /^(?:per|by|with|called|paged|notified|informed|spoke|discussed|seen|told|attending|resident|fellow|covering|cc|signed|dictated|cosigned|asked|contacted|contact|update|updated|consult|consulted|page|call|notify)$/;
const PERSON_VERB_AFTER = /^(?:aware|notified|paged|called|informed|updated|here|present|visited|visiting|spoke|states|stated|reports|reported|agrees|agreed|requests|requested|says|said|wants|wishes)$/;
const CREDENTIAL = /^(?:md|rn|phd|dds|lpn|cnm|crna|lcsw|msw|pharmd|rph|rrt|crt|bsn|msn|cna|aprn|fnp|otr|slp|dpt|mph|facp|facc|ccrn|np|pa)$/;
const VERBISH = /(?:ing|ed|ly|tion|sion|ment|ness|ity|ous|ive|al|ic)$/i;

interface Tok { s: string; l: string; start: number; end: number }

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

function detectNames(text: string, profile: Profile, out: Candidate[], idx?: TextIndex): void {
  if (!/[A-Za-z]/.test(text)) return;
  if (profile === "code") {
    detectCodeNames(text, out, idx);
    return;
  }
  const toks: Tok[] = [];
  for (const m of text.matchAll(TOKEN)) toks.push({ s: m[0], l: m[0].toLowerCase(), start: m.index, end: m.index + m[0].length });
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
  const known = (t: Tok) => (FIRST_NAMES.has(t.l) || SURNAMES.has(t.l)) && !NOT_NAMES.has(t.l) && !COMMON_WORDS.has(t.l) && t.s.length >= 3;
  const isInitial = (i: number) => toks[i]!.s.length === 1 && /^[A-Za-z]$/.test(toks[i]!.s) && text[toks[i]!.end] === ".";
  /** Looks like a name given the surrounding case: known, or Capitalised (mixed text), or any uncommon word (upper text, strong context only). */
  const shaped = (i: number, strong: boolean) => {
    const t = toks[i];
    if (!t || COMMON_WORDS.has(t.l) || t.s.length < 2) return false;
    if (known(t)) return true;
    if (upperAt(i)) return strong && t.s.length >= 3;
    // mixed-case text: Capitalised word, not an all-caps abbreviation, not camel case
    if (/^[A-Z][a-z'’]+$/.test(t.s)) return !NOT_NAMES.has(t.l) || strong;
    return strong && /^[a-z]+$/.test(t.s) && t.s.length >= 3 && !NOT_NAMES.has(t.l);
  };
  /** Extend a name from token i: optional middle initial, then a second name token. */
  const extend = (i: number, strong: boolean) => {
    let j = i;
    if (toks[j + 1] && isInitial(j + 1) && adjacent(toks[j]!, toks[j + 1]!) && toks[j + 2] && shaped(j + 2, true)) return j + 2;
    if (toks[j + 1] && adjacent(toks[j]!, toks[j + 1]!) && !CREDENTIAL.test(toks[j + 1]!.l) && (known(toks[j + 1]!) || (shaped(j + 1, strong) && !upperAt(j + 1)))) j++;
    return j;
  };
  for (let i = 0; i < toks.length; i++) {
    if (taken[i]) continue;
    const t = toks[i]!;
    const next = toks[i + 1];
    const prev = toks[i - 1];
    // Title + name: "Dr. Healey", "DR. WILLIAMS", "Mrs Adams"; weak titles (ms = mental status) need a clear name.
    if (TITLE.test(t.l) && next && adjacent(t, next)) {
      const strong = !WEAK_TITLE.test(t.l);
      const j0 = isInitial(i + 1) && toks[i + 2] && shaped(i + 2, true) ? i + 2 : i + 1;
      if (shaped(j0, strong) || (strong && !COMMON_WORDS.has(toks[j0]!.l) && toks[j0]!.s.length >= 2 && !/^\d/.test(toks[j0]!.s))) {
        const j = extend(j0, strong);
        push(i + 1, j, "high", 0.9, "name-title");
        i = j;
        continue;
      }
    }
    // Relation + name: "husband John", "SON ROB", "daughter, Mary Smith", "son bill"
    if (RELATION.test(t.l) && next && /^[ \t]*[,:(-]?[ \t]*(?:(?:named|is|name is)[ \t]+)?$/i.test(sep(t, next)) && sep(t, next).length >= 1 && shaped(i + 1, true) && !RELATION.test(next.l) && !CREDENTIAL.test(next.l) && (known(next) || !VERBISH.test(next.l))) {
      const j = extend(i + 1, true);
      push(i + 1, j, "high", 0.85, "name-relation");
      i = j;
      continue;
    }
    // Name, credential: "Carole Hayes, RN", "FRANCIS G. LEVINE, RRT", "barbara j. parrilli bsn/rn"
    if (shaped(i, true) && !TITLE.test(t.l)) {
      let j = extend(i, true);
      const after = toks[j + 1];
      const credEnd = after ? text.slice(after.end, after.end + 12) : "";
      if (after && CREDENTIAL.test(after.l) && /^[ \t]*,?[ \t]*$/.test(sep(toks[j]!, after)) && /^(?:[ \t]*[/,-][ \t]*[A-Za-z]{2,4})*[ \t]*(?:\r?\n|$)/.test(credEnd) && (known(t) || upperAt(i) || /^[A-Z]/.test(t.s) || known(toks[j]!)) && !VERBISH.test(toks[j]!.l)) {
        // include a preceding first name or initial: "ANTHONY C. KOZICKI"
        let s0 = i;
        if (prev && adjacent(prev, t) && (isInitial(i - 1) || known(prev)) && !taken[i - 1]) s0 = i - 1;
        push(s0, j, "high", 0.85, "name-credential");
        i = j;
        continue;
      }
      // Initial + surname: "W. MAROTTA aware", "B. CLIFFORD MD"
      // (a lower-case "s." is more often "seconds." or an abbreviation than an initial)
      if (prev && isInitial(i - 1) && !taken[i - 1] && (/^[A-Z]$/.test(prev.s) || (after && CREDENTIAL.test(after.l))) && (known(t) || (after && (PERSON_VERB_AFTER.test(after.l) || CREDENTIAL.test(after.l))))) {
        push(i - 1, j, "high", 0.75, "name-initial");
        i = j;
        continue;
      }
      // First + last from the lexicons: "Mary Souza", "GERRY MASCI" needs a known first name
      if (FIRST_NAMES.has(t.l) && !NOT_NAMES.has(t.l) && j > i && (upperAt(i) || /^[A-Z]/.test(t.s) || SURNAMES.has(toks[j]!.l))) {
        push(i, j, "high", 0.8, "name-full");
        i = j;
        continue;
      }
      // Person verbs around a name: "per healey", "spoke with Dr", "MAROTTA AWARE"
      const verbBefore = prev && PERSON_VERB_BEFORE.test(prev.l) && adjacent(prev, t);
      const verbAfter = after && PERSON_VERB_AFTER.test(after.l) && /^[ \t]+$/.test(sep(toks[j]!, after));
      const nameShape = known(t) || (!upperAt(i) && /^[A-Z][a-z'\u2019]+$/.test(t.s) && !NOT_NAMES.has(t.l)) || (upperAt(i) && verbAfter && !VERBISH.test(t.l) && t.s.length >= 4);
      if ((verbBefore || verbAfter) && nameShape && !(verbBefore && /^(?:with|by)$/.test(prev!.l) && !known(t))) {
        push(i, j, known(t) ? "high" : "medium", known(t) ? 0.75 : 0.55, "name-context");
        i = j;
        continue;
      }
      j = i;
    }
    // A lone lexicon name, Capitalised in mixed-case text and not at a sentence start.
    if (known(t) && /^[A-Z][a-z]/.test(t.s) && !upperAt(i) && FIRST_NAMES.has(t.l) && !/(?:^|[.!?:]\s*|\n\s*)$/.test(text.slice(Math.max(0, t.start - 3), t.start))) {
      push(i, i, "medium", 0.5, "name-lexicon");
    }
  }
}

const CODE_NAME = /\b(?:patient|pt|first|last|given|family|full|middle|maiden|mother'?s?|father'?s?|guardian|emergency[_\s]?contact|next[_\s]?of[_\s]?kin|nok|subscriber|insured|guarantor)[_\s-]?(?:name|nm)s?\b["']?\s*(?::|=|=>|:=)\s*["']([A-Z][a-zA-Z'’-]+(?:\s+[A-Z][a-zA-Z'’.-]+){0,3})["']/gi;
const CODE_NAME_GENERIC = /\bname["']?\s*(?::|=|=>)\s*["']([A-Z][a-z'’-]+)\s+([A-Z][a-z'’-]+)["']/g;

const CODE_NAME_STICKY = toSticky(CODE_NAME);
const CODE_NAME_GENERIC_STICKY = toSticky(CODE_NAME_GENERIC);
const CODE_NAME_PREFILTER = anchorsCover("code-name", CODE_NAME.source) && anchorsCover("code-name-generic", CODE_NAME_GENERIC.source);

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

const STREET = /\b\d{1,6}[ \t]+(?:[NSEW]\.?[ \t]+)?((?:[A-Za-z0-9'.-]+[ \t]+){1,4})(street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|terrace|ter|circle|cir|parkway|pkwy|highway|hwy|square|sq|trail|trl|row|alley)\b\.?(?:,?[ \t]*(?:apt|apartment|unit|suite|ste|#)\.?[ \t]*[\w-]+)?/gi;
const UNIT = /\b(?:apt|apartment|suite|ste|unit|flat|room|rm|p\.?o\.? box|po box|box)\.?[ \t]*#?[ \t]*\d{1,6}[A-Za-z]?\b/gi;
const INTL_STREET_BEFORE = /\b(?:via|viale|vicolo|piazza|corso|calle|avenida|av\.|rua|rue|chemin|allee|allée|plaza|paseo|ulica|ul\.|utca|strada|carrer)[ \t]+[A-ZÀ-Ž][\p{L}'.-]*(?:[ \t]+[A-ZÀ-Ž\p{Ll}][\p{L}'.-]*){0,3},?[ \t]*\d{1,5}[A-Za-z]?\b/giu;
const INTL_STREET_SUFFIX = /\b[A-ZÀ-Ž][\p{L}'-]*(?:stra(?:ss|ß)e|str\.|gasse|weg|platz|allee|gatan|gata|vägen|vagen|väg|vej|gade|stræde|straede|katu|tie|kuja|utca|ulica|laan|straat|plein|gracht|kade|dreef)[ \t]*\d{1,5}[A-Za-z]?\b/gu;
const CITY_STATE = /\b([A-Z][a-zA-Z.'-]+(?:\s[A-Z][a-zA-Z.'-]+){0,2}),\s*([A-Z]{2})(?:\s+(\d{5}(?:-\d{4})?))?\b/g;
const ZIP_CONTEXT = /\b(?:zip|zipcode|zip code|postal code|postcode)\b\W{0,5}(\d{5}(?:-\d{4})?)\b/gi;
const FACILITY = /\b((?:[A-Za-z][A-Za-z'.&-]*[ \t]+){1,4})(?:hospital|hosp|medical center|med ctr|medical ctr|health center|clinic|nursing home|rehab(?:ilitation)?(?: center| hospital| facility)?|infirmary|hospice|memorial|medical group|care center|assisted living)\b/gi;
const TRANSFER_PLACE = /\b(?:transferred|transfered|transfer|xfer|sent|admitted|arrived|came|followed|referred|discharged|returned|went|back|seen|treated|hospitalized|lives|resides|moved)[ \t]+(?:back[ \t]+)?(?:here[ \t]+)?(?:to|from|at|in|into)[ \t]+(?:the[ \t]+)?((?:[A-Za-z][A-Za-z'.-]*[ \t]*){1,3})/gi;
const AMBIGUOUS_STATE_CODES = new Set(["CO", "MD", "PA", "OR", "IN", "ME", "OK", "HI", "DE", "LA", "MA", "CT", "MS", "MT", "NE", "AL", "ID", "SC", "VA", "WA", "GA", "IA", "MO", "ND", "SD", "PR", "DC", "NP", "RN", "AK"]);
const LOCATION_CONTEXT = /\b(?:from|to|at|in|transferred|transfer|lives|lived|resides|resident of|home in|moved to|visiting|vacation|returned from|trip to|near)\b/i;
const FACILITY_STOP = new Set(["the", "a", "an", "to", "from", "at", "in", "of", "and", "or", "for", "with", "by", "on", "was", "is", "general", "this", "that", "outside", "home", "other", "same", "local", "private", "community", "transfer", "transferred"]);

const ZIP_CONTEXT_STICKY = toSticky(ZIP_CONTEXT);
const ZIP_PREFILTER = anchorsCover("zip", ZIP_CONTEXT.source);
// every STREET match starts with a number of at most six digits, blanks, then a word character
const STREET_MARKER = /\d[ \t]+[A-Za-z0-9'.-]/g;
const STREET_STICKY = toSticky(STREET);
const STREET_PREFILTER = regexHash(STREET) === "d46d5e22";

/** STREET's matches, found by running it only at the start of each marked number. */
function streetMatchesAtNumbers(text: string): RegExpExecArray[] {
  const starts: number[] = [];
  for (const q of markerStarts(text, STREET_MARKER)) {
    let s = q;
    while (s > 0 && text.charCodeAt(s - 1) >= 48 && text.charCodeAt(s - 1) <= 57) s--;
    if (q - s < 6) starts.push(s);
  }
  const out: RegExpExecArray[] = [];
  stickyEach(STREET_STICKY, text, starts, (m) => out.push(m));
  return out;
}

function detectPlaces(text: string, profile: Profile, out: Candidate[], idx?: TextIndex): void {
  const push = (start: number, end: number, severity: Severity, confidence: number, rule: string, category = "location") =>
    out.push({ ruleId: rule, category, hipaa: 2, kind: "phi", start, end, severity, confidence });
  if (hasDigit(text)) {
    for (const m of idx && STREET_PREFILTER ? streetMatchesAtNumbers(text) : text.matchAll(STREET)) {
      const words = m[1]!.trim().split(/[ \t]+/);
      if (words.every((w) => COMMON_WORDS.has(w.toLowerCase()) || /^\d/.test(w))) continue;
      if (/^(?:dr|st)$/i.test(m[2]!) && /^[ \t]+[A-Za-z]/.test(text.slice(m.index + m[0].length, m.index + m[0].length + 3))) continue;
      let end = m.index + m[0].length;
      if (m[0].endsWith(".") && m[2]!.length > 4) end--;
      if (profile === "code" && !/\b(?:address|addr|street|line1|residence)\b/i.test(text.slice(Math.max(0, m.index - 40), m.index))) continue;
      push(m.index, end, "high", 0.8, "street-address");
    }
    for (const re of [UNIT, INTL_STREET_BEFORE, INTL_STREET_SUFFIX]) {
      if (profile === "code") break;
      for (const m of text.matchAll(re)) push(m.index, m.index + m[0].length, "medium", 0.65, "street-address");
    }
    const zip = (m: RegExpExecArray) => {
      const s = m.index + m[0].lastIndexOf(m[1]!);
      push(s, s + m[1]!.length, "medium", 0.7, "zip-code");
    };
    if (idx && ZIP_PREFILTER) stickyEach(ZIP_CONTEXT_STICKY, text, idx.anchors("zip")!, zip);
    else for (const m of text.matchAll(ZIP_CONTEXT)) zip(m);
  }
  if (profile === "code") return;
  for (const m of text.matchAll(CITY_STATE)) {
    if (!US_STATE_CODES.has(m[2]!)) continue;
    const cityKnown = US_CITIES.has(m[1]!.toLowerCase());
    if (!m[3] && !cityKnown && (AMBIGUOUS_STATE_CODES.has(m[2]!) || !/^[A-Z][a-z]/.test(m[1]!))) continue;
    push(m.index, m.index + m[1]!.length, "medium", 0.7, "city");
    if (m[3]) {
      const s = m.index + m[0].lastIndexOf(m[3]);
      push(s, s + m[3].length, "medium", 0.75, "zip-code");
    }
  }
  for (const m of text.matchAll(FACILITY)) {
    const words = m[1]!.trim().split(/\s+/);
    while (words.length && FACILITY_STOP.has(words[0]!.toLowerCase())) words.shift();
    if (words.length === 0 || words.every((w) => COMMON_WORDS.has(w.toLowerCase()))) continue;
    if (!words.every((w) => /^[A-Z]/.test(w) && !/\.$/.test(w))) continue;
    const startWord = m[0].indexOf(words[0]!);
    push(m.index + startWord, m.index + m[0].length, "medium", 0.7, "facility");
  }
  for (const m of text.matchAll(TRANSFER_PLACE)) {
    const words = m[1]!.split(/[ \t]+/).filter(Boolean);
    const keep: string[] = [];
    for (const w of words) {
      if (COMMON_WORDS.has(w.toLowerCase()) || /^\d/.test(w) || !/^[A-Za-z][A-Za-z'.-]*$/.test(w)) break;
      keep.push(w);
    }
    if (keep.length === 0 || keep.join("").length < 2) continue;
    if (!isUpperText(text, m.index, m.index + m[0].length) && !/^[A-Z]/.test(keep[0]!)) continue;
    const start = m.index + m[0].length - m[1]!.length;
    push(start, start + keep.join(" ").length, "medium", 0.55, "facility");
  }
  // Gazetteer: known cities and states after a location cue ("lives in Boston", "transfer from Worcester")
  for (const m of text.matchAll(/\b[A-Za-z][A-Za-z.'-]+(?:\s[A-Za-z][A-Za-z.'-]+){0,2}\b/g)) {
    const phrase = m[0].toLowerCase();
    for (let k = phrase.split(" ").length; k >= 1; k--) {
      const sub = phrase.split(" ").slice(0, k).join(" ");
      if (US_CITIES.has(sub) || US_STATES.has(sub) || COUNTRIES.has(sub)) {
        const before = text.slice(Math.max(0, m.index - 25), m.index);
        const cap = /^[A-Z]/.test(m[0]);
        if (LOCATION_CONTEXT.test(before) || (cap && sub.includes(" "))) {
          const end = m.index + m[0].split(" ").slice(0, k).join(" ").length;
          push(m.index, end, "medium", 0.6, "city");
        }
        break;
      }
    }
  }
}

// ---------------------------------------------------------------- scanner

export function fingerprint(ruleId: string, path: string | undefined, value: string): string {
  return createHash("sha256").update(`${ruleId}\0${path ?? ""}\0${value.replace(/\s+/g, " ").trim().toLowerCase()}`).digest("hex").slice(0, 32);
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

/** Characters a scanner sees before "auto" switches to the prefiltered path. */
export const PREFILTER_AFTER = 128 * 1024;

const SEVERITY_RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2 };

export class Scanner {
  private readonly rules: RegexRule[];
  private readonly kinds: Set<Kind>;
  private readonly disabled: Set<string>;
  private readonly anchors = new Map<string, RegExp>();
  private readonly prefilter: boolean | "auto";
  private seen = 0;
  private readonly sticky = new Map<RegExp, RegExp>();

  constructor(options: ScannerOptions = {}) {
    this.disabled = new Set(options.disabledRules ?? []);
    this.prefilter = options.prefilter ?? "auto";
    this.kinds = new Set(options.kinds ?? ["phi", "secret"]);
    const extra: RegexRule[] = (options.extraRules ?? []).map((r) => ({
      id: r.id,
      category: r.category,
      hipaa: r.hipaaIdentifier,
      kind: r.kind ?? (r.category === "secret" ? "secret" : "phi"),
      re: new RegExp(r.regex.source, r.regex.flags.includes("g") ? r.regex.flags : r.regex.flags + "g"),
      severity: r.severity,
      confidence: 0.7,
      perLine: true,
    }));
    this.rules = [...RULES, ...extra].filter((r) => !this.disabled.has(r.id) && this.kinds.has(r.kind));
  }

  /** Validate a match and record it; false when the validator rejects it. */
  private accept(rule: RegexRule, value: string, m: RegExpExecArray, text: string, start: number, profile: Profile, out: Candidate[]): boolean {
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
      }
    }
    const fast = this.prefilter === true || (this.prefilter === "auto" && (this.seen += text.length) > PREFILTER_AFTER);
    const idx = fast ? new TextIndex(text) : undefined;
    for (const rule of this.rules) {
      if (rule.profiles && !rule.profiles.includes(profile)) continue;
      if (idx && !rule.perLine && this.runPrefiltered(rule, text, profile, out, idx)) continue;
      if (rule.gate && !rule.gate(text)) continue;
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
      detectPlaces(text, profile, ctx, idx);
      for (const c of ctx) if (!this.disabled.has(c.ruleId)) out.push(c);
    }
    return resolveOverlaps(out);
  }

  /**
   * Rules that need context words run only near those words: find each context match, then
   * look for the value in the following window. Context words are rare, so this is far
   * cheaper than running a generic value pattern over the whole text.
   */
  private runAnchored(rule: RegexRule, text: string, profile: Profile, out: Candidate[], positions?: number[]): void {
    const window = rule.window ?? 30;
    let lastStart = -1;
    const visit = (a: RegExpExecArray) => {
      const from = a.index + a[0].length;
      const sliceStart = Math.max(0, from - 1);
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

  private readonly coverage = new Map<RegexRule, boolean>();

  /** The rule's regex is the one its start function was derived from. */
  private derived(rule: RegexRule): boolean {
    let ok = this.coverage.get(rule);
    if (ok === undefined) this.coverage.set(rule, (ok = DERIVED_FROM[rule.id] === regexHash(rule.re)));
    return ok;
  }

  /** The keyword pass finds every start of this rule's context regex (checked once per rule). */
  private covered(rule: RegexRule): boolean {
    let ok = this.coverage.get(rule);
    if (ok === undefined) this.coverage.set(rule, (ok = anchorsCover(rule.id, rule.context!.source)));
    return ok;
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
  private runPrefiltered(rule: RegexRule, text: string, profile: Profile, out: Candidate[], idx: TextIndex): boolean {
    if (rule.context) {
      if (rule.id === "generic-secret" ? !this.derived(rule) : !this.covered(rule)) return false;
      const positions = rule.id === "generic-secret" ? genericSecretAnchors(text, rule.context) : idx.anchors(rule.id);
      if (!positions) return false;
      if (positions.length === 0 || (ANCHOR_GATE_NEEDED.has(rule.id) && rule.gate && !rule.gate(text))) return true;
      this.runAnchored(rule, text, profile, out, positions);
      return true;
    }
    const fast = rule.atChar ? undefined : RULE_STARTS[rule.id];
    if (!fast || !this.derived(rule)) return false;
    if (!fast.impliesGate && rule.gate && !rule.gate(text)) return true;
    const starts = fast.starts(text, idx);
    if (starts.length === 0) return true;
    stickyEach(this.stickyOf(rule.re), text, starts, (m) => {
      if (m[0].length === 0) return;
      const value = rule.group !== undefined ? m[rule.group] : m[0];
      if (value === undefined) return;
      const start = rule.group !== undefined ? m.index + m[0].indexOf(value) : m.index;
      this.accept(rule, value, m, text, start, profile, out);
    });
    return true;
  }

  /** Run `rule.re` only on a window around each occurrence of `rule.atChar`. */
  private runAroundChar(rule: RegexRule, text: string, profile: Profile, out: Candidate[], quick = false): void {
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

  private runPerLine(rule: RegexRule, text: string, profile: Profile, out: Candidate[]): void {
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
