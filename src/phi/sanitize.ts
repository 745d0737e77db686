import { createHmac } from "node:crypto";
import { scanText } from "./index.js";
import type { Finding } from "./types.js";
import { UserError } from "../core/errors.js";
import { FAKE_FIRST, FAKE_LAST } from "./synthetic-names.js";
import {
  CODE_PART,
  ID_CATEGORIES,
  NAME_AFFIX,
  isReservedReplacement,
  reservedId,
  syntheticDate,
  syntheticPlace,
} from "./reserved.js";

export type SanitizeMode = "redact" | "mask" | "hash" | "synthetic";

export interface Replacement {
  finding: Finding;
  /** masked original (never raw) */
  before: string;
  after: string;
  /** the replacement is a reserved synthetic value (src/phi/reserved.ts): safe to show */
  reserved?: boolean;
}

/**
 * Rewrite PHI in a text. `hash` gives keyed HMAC pseudonyms (the same value maps to the same
 * token everywhere the key is used); `synthetic` gives fakes from reserved, recognisable ranges
 * (src/phi/reserved.ts) that the scanner reports at low severity, with dates shifted by one offset
 * per document (derived from the key and document id) so intervals stay true, and moved 2000 years
 * on (weekdays kept) into years no real record holds.
 */
export function sanitize(
  text: string,
  options: { mode: SanitizeMode; key?: string; path?: string; documentId?: string },
): { text: string; replacements: Replacement[] } {
  if ((options.mode === "hash" || options.mode === "synthetic") && !options.key)
    throw new UserError(`--mode ${options.mode} needs a key (--key or GITOPS_HEALTH_SANITIZE_KEY)`);
  // a short key is guessed along with the value: the pseudonyms of SSNs and dates would be brute-forced
  if ((options.mode === "hash" || options.mode === "synthetic") && options.key!.length < 16)
    throw new UserError(`--mode ${options.mode} needs a key of at least 16 characters`);
  const findings = scanText(text, { path: options.path, kinds: ["phi"] });
  const key = options.key ?? "";
  const hmac = (v: string) => createHmac("sha256", key).update(v.trim().toLowerCase()).digest();
  const shiftDays =
    options.mode === "synthetic"
      ? (hmac(`date-shift:${options.documentId ?? options.path ?? ""}`).readUInt32BE(0) % 730) - 365 || 17
      : 0;
  let out = "";
  let pos = 0;
  const replacements: Replacement[] = [];
  for (const f of findings) {
    const value = text.slice(f.start, f.end);
    let after: string;
    switch (options.mode) {
      case "redact":
        after = `[${f.category.toUpperCase()}]`;
        break;
      case "mask":
        after = value.replace(/[A-Za-z0-9]/g, "*");
        break;
      case "hash":
        after = `[${f.category.toUpperCase()}:${hmac(value).toString("hex").slice(0, 10)}]`;
        break;
      case "synthetic":
        after = synthetic(f.category, value, hmac, shiftDays);
        break;
    }
    out += text.slice(pos, f.start) + after;
    pos = f.end;
    replacements.push({
      finding: f,
      before: f.preview,
      after,
      ...(options.mode === "synthetic" && isReservedReplacement(f.category, after) ? { reserved: true } : {}),
    });
  }
  return { text: out + text.slice(pos), replacements };
}

/**
 * A synthetic value from the reserved ranges (src/phi/reserved.ts). A value of several HL7 components
 * or repetitions is rewritten part by part (separators kept; short upper-case codes of an identifier,
 * such as its assigning authority, kept too).
 */
function synthetic(category: string, value: string, hmac: (v: string) => Buffer, shiftDays: number): string {
  if (category !== "location" && /[\^~&]/.test(value)) {
    let k = 0;
    return value
      .split(/([\^~&])/)
      .map((part, i) => {
        if (i % 2 === 1 || part.trim() === "") return part;
        if (ID_CATEGORIES.has(category) && CODE_PART.test(part)) return part;
        if (category === "name" && NAME_AFFIX.test(part.trim())) return part;
        // an HL7 name's id number (XCN.1): a reserved identifier
        if (category === "name" && /\d/.test(part)) return syntheticPart("mrn", part, hmac(part), shiftDays, 0);
        return syntheticPart(category, part, hmac(part), shiftDays, k++);
      })
      .join("");
  }
  return syntheticPart(category, value, hmac(value), shiftDays, 0);
}

function syntheticPart(category: string, value: string, h: Buffer, shiftDays: number, component: number): string {
  const digits = (n: number, seed: number) =>
    Array.from({ length: n }, (_, i) => String(h[(seed + i) % h.length]! % 10)).join("");
  if (ID_CATEGORIES.has(category)) return reservedId(digits(7, 4));
  switch (category) {
    case "ssn":
      // 9xx area numbers are never issued as SSNs; groups 01-49 are no ITIN either
      return `9${digits(2, 0)}-${String(1 + (h[3]! % 49)).padStart(2, "0")}-${digits(4, 6)}`;
    case "phone": {
      const area = value.match(/[2-9]\d{2}/)?.[0] ?? "617";
      return `(${area}) 555-01${digits(2, 1)}`;
    }
    case "email":
      return `user${digits(6, 2)}@example.org`;
    case "name": {
      const parts = value.trim().split(/\s+/);
      const first = FAKE_FIRST[h[0]! % FAKE_FIRST.length]!;
      const last = FAKE_LAST[h[1]! % FAKE_LAST.length]!;
      // one word: a fake surname, which the scanner recognises alone (src/phi/synthetic-names.ts);
      // a later HL7 name component (given, middle) a fake given name
      const out = parts.length > 1 ? `${first} ${last}` : component === 0 ? last : first;
      return value === value.toUpperCase() ? out.toUpperCase() : out;
    }
    case "date":
      return syntheticDate(value, shiftDays) ?? "[DATE]";
    case "location":
      return syntheticPlace(value, (i) => h[i % h.length]!);
    case "age":
      // the Safe Harbor aggregate: an age over 89 becomes 90+
      return /\d/.test(value) ? value.replace(/\d+/, "90+") : "90+";
    case "ip-address":
      return `192.0.2.${h[0]!}`;
    case "url":
      return `https://example.org/u${digits(6, 2)}`;
    default:
      return `[${category.toUpperCase()}]`;
  }
}

/** Shift m/d/yyyy, m/d/yy, yyyy-mm-dd and m/d dates by whole days, keeping the format. */
export function shiftDate(value: string, days: number): string {
  const iso = /^(\d{4})-(\d{2})-(\d{2})/.exec(value);
  const us = /^(\d{1,2})\/(\d{1,2})(?:\/(\d{2,4}))?$/.exec(value.trim());
  let d: Date;
  if (iso) d = new Date(Date.UTC(Number(iso[1]), Number(iso[2]) - 1, Number(iso[3])));
  else if (us) {
    const y = us[3]
      ? us[3].length === 2
        ? 2000 + Number(us[3]) - (Number(us[3]) > 50 ? 100 : 0)
        : Number(us[3])
      : 2001;
    d = new Date(Date.UTC(y, Number(us[1]) - 1, Number(us[2])));
  } else {
    const parsed = Date.parse(value);
    if (Number.isNaN(parsed)) return "[DATE]";
    d = new Date(parsed);
  }
  d.setUTCDate(d.getUTCDate() + days);
  const mm = d.getUTCMonth() + 1;
  const dd = d.getUTCDate();
  if (iso)
    return `${d.getUTCFullYear()}-${String(mm).padStart(2, "0")}-${String(dd).padStart(2, "0")}` + value.slice(10);
  if (us)
    return us[3]
      ? `${mm}/${dd}/${us[3].length === 2 ? String(d.getUTCFullYear()).slice(2) : d.getUTCFullYear()}`
      : `${mm}/${dd}`;
  return d.toISOString().slice(0, 10);
}
