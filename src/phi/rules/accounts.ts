import * as v from "../validators.js";
import { fromRuns, isUpperCode as isUpper } from "../prefilter.js";
import { hasDigit, type Rule } from "./rule.js";

/** Payment cards and bank accounts (HIPAA identifier 10). */

const CTX_ACCOUNT =
  /\b(?:account|acct|a\/c|billing\s*(?:id|number|no|#)|invoice|claim\s*(?:number|no|#|id)|routing)\b/i;

// (?<![\d.,-]) then four digits starting 2-6: the start of a run of four or more
export const creditCard: Rule = {
  id: "credit-card",
  category: "account",
  hipaa: 10,
  kind: "phi",
  re: /(?<![\d.,-])(?:4\d{3}|5[1-5]\d{2}|2[2-7]\d{2}|3[0-9]\d{2}|6\d{3})[- ]?\d{4}[- ]?\d{4}[- ]?\d{1,7}\b(?![.,]\d)/g,
  severity: "high",
  confidence: 0.9,
  gate: hasDigit,
  validate: (s) => {
    const d = s.replace(/\D/g, "");
    if (d.length < 13 || d.length > 19 || !v.luhnValid(d)) return false;
    return /^(4111111111111111|4242424242424242|5555555555554444|5105105105105100|378282246310005|371449635398431|6011111111111117|4012888888881881)$/.test(
      d,
    )
      ? "sample"
      : true;
  },
  starts: (t, idx) => fromRuns(idx, (s, e) => (e - s >= 4 && t.charCodeAt(s) >= 50 && t.charCodeAt(s) <= 54 ? s : -1)),
  impliesGate: true,
  derivedFrom: "ed807515",
  samples: { tp: ["card 4539 5787 6362 1486"], fp: ["4539 5787 6362 1487"] },
};

// \b[A-Z]{2}\d{2}: a digit run of two or more right after two capitals
export const iban: Rule = {
  id: "iban",
  category: "account",
  hipaa: 10,
  kind: "phi",
  re: /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b/g,
  severity: "high",
  confidence: 0.9,
  gate: hasDigit,
  validate: (s) => v.ibanValid(s),
  starts: (t, idx) => fromRuns(idx, (s) => (isUpper(t.charCodeAt(s - 1)) && isUpper(t.charCodeAt(s - 2)) ? s - 2 : -1)),
  impliesGate: true,
  derivedFrom: "f1a927fc",
  samples: { tp: ["IBAN DE89370400440532013000"], fp: ["DE89370400440532013001"] },
};

export const accountNumber: Rule = {
  id: "account-number",
  category: "account",
  hipaa: 10,
  kind: "phi",
  re: /\b\d[\d-]{5,18}\d\b/g,
  severity: "high",
  confidence: 0.7,
  gate: (t) => CTX_ACCOUNT.test(t),
  context: CTX_ACCOUNT,
  window: 30,
  keywords: ["account", "acct", "a/", "billing", "invoice", "claim", "routing"],
  samples: { tp: ["account 123-456-7890"], fp: ["account settings"] },
};

// card numbers of any issuer: Luhn-valid and near the word card
export const cardWithContext: Rule = {
  id: "card-with-context",
  category: "account",
  hipaa: 10,
  kind: "phi",
  re: /(?<![\d.,-])\d(?:[ -]?\d){11,18}(?![\d]|[.,]\d)/g,
  severity: "high",
  confidence: 0.8,
  profiles: ["prose"],
  gate: (t) => /card|credit|debit|visa|mastercard|amex/i.test(t),
  context: /\b(?:card|credit|debit|visa|mastercard|amex|maestro|jcb|diners)\b/i,
  window: 30,
  keywords: ["card", "credit", "debit", "visa", "mastercard", "amex", "maestro", "jcb", "diners"],
  // maestro, jcb and diners are not in the gate: a context match does not imply it
  anchorGate: true,
  validate: (s) => v.luhnValid(s.replace(/\D/g, "")),
  samples: { tp: ["card 7000 0000 0000 0005"], fp: ["card 7000 0000 0000 0002"] },
};
