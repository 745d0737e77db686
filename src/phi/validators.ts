import { isIP } from "node:net";

/** Check digits and structural rules for identifiers that carry them. */

export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 1 && sum % 10 === 0;
}

/** SSA rules: area not 000, 666 or 900-999; group not 00; serial not 0000. */
export function ssnValid(area: string, group: string, serial: string): boolean {
  const a = Number(area);
  return a !== 0 && a !== 666 && a < 900 && group !== "00" && serial !== "0000";
}

/** Published sample SSNs (advertising, SSA examples) and obvious test sequences. */
const SAMPLE_SSNS = new Set([
  "078051120",
  "219099999",
  "123456789",
  "111111111",
  "222222222",
  "333333333",
  "444444444",
  "555555555",
  "777777777",
  "888888888",
  "987654320",
  "987654321",
]);
export function ssnIsSample(digits: string): boolean {
  return SAMPLE_SSNS.has(digits) || (digits >= "987654320" && digits <= "987654329");
}

/** NPI: Luhn over "80840" + the 10 digits (CMS NPI standard). */
export function npiValid(npi: string): boolean {
  return /^[12]\d{9}$/.test(npi) && luhnValid("80840" + npi);
}

/** DEA registration: 2 letters + 7 digits, check = (d1+d3+d5 + 2*(d2+d4+d6)) mod 10 = d7. */
export function deaValid(dea: string): boolean {
  const m = /^[A-Z][A-Z9](\d)(\d)(\d)(\d)(\d)(\d)(\d)$/.exec(dea.toUpperCase());
  if (!m) return false;
  const d = m.slice(1).map(Number);
  return (d[0]! + d[2]! + d[4]! + 2 * (d[1]! + d[3]! + d[5]!)) % 10 === d[6]!;
}

const VIN_VALUES: Record<string, number> = {
  A: 1,
  B: 2,
  C: 3,
  D: 4,
  E: 5,
  F: 6,
  G: 7,
  H: 8,
  J: 1,
  K: 2,
  L: 3,
  M: 4,
  N: 5,
  P: 7,
  R: 9,
  S: 2,
  T: 3,
  U: 4,
  V: 5,
  W: 6,
  X: 7,
  Y: 8,
  Z: 9,
};
const VIN_WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];
/** ISO 3779 / 49 CFR 565 check digit in position 9. */
export function vinValid(vin: string): boolean {
  const v = vin.toUpperCase();
  if (!/^[A-HJ-NPR-Z0-9]{17}$/.test(v)) return false;
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const c = v[i]!;
    const val = c >= "0" && c <= "9" ? Number(c) : VIN_VALUES[c]!;
    sum += val * VIN_WEIGHTS[i]!;
  }
  const check = sum % 11;
  return v[8] === (check === 10 ? "X" : String(check));
}

/** CMS Medicare Beneficiary Identifier format (11 characters, letters exclude S L O I B Z). */
export const MBI_PATTERN =
  /^[1-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9]\d[AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9]\d[AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y]\d\d$/;
export function mbiValid(mbi: string): boolean {
  return MBI_PATTERN.test(mbi.replace(/-/g, "").toUpperCase());
}

/** IBAN ISO 13616 mod-97. */
export function ibanValid(iban: string): boolean {
  const s = iban.replace(/\s+/g, "").toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(s)) return false;
  const r = s.slice(4) + s.slice(0, 4);
  let rem = 0;
  for (const ch of r) {
    const v = ch >= "A" ? String(ch.charCodeAt(0) - 55) : ch;
    for (const digit of v) rem = (rem * 10 + Number(digit)) % 97;
  }
  return rem === 1;
}

/** Public, routable IPv4 (private, loopback, link-local, CGNAT, documentation and reserved ranges excluded). */
export function ipv4Public(ip: string): boolean | undefined {
  const parts = ip.split(".").map(Number);
  if (
    parts.length !== 4 ||
    parts.some(
      (p, i) => !Number.isInteger(p) || p > 255 || (ip.split(".")[i]!.length > 1 && ip.split(".")[i]![0] === "0"),
    )
  )
    return undefined;
  const [a, b, c] = parts as [number, number, number, number];
  if (a === 0 || a === 10 || a === 127 || a >= 224) return false;
  if (a === 169 && b === 254) return false;
  if (a === 172 && b >= 16 && b <= 31) return false;
  if (a === 192 && b === 168) return false;
  if (a === 100 && b >= 64 && b <= 127) return false;
  if ((a === 192 && b === 0 && c === 2) || (a === 198 && b === 51 && c === 100) || (a === 203 && b === 0 && c === 113))
    return false;
  if (a === 198 && (b === 18 || b === 19)) return false;
  return true;
}

export function ipv6Valid(ip: string): boolean {
  return isIP(ip) === 6;
}

/** Shannon entropy in bits per character. */
export function shannonEntropy(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** Placeholder values that are not real secrets. */
export function looksLikePlaceholder(v: string): boolean {
  return (
    /^(x+|\*+|\.+|-+|_+|0+|1234.*|changeme|change_me|password|passw0rd|secret|example|test|dummy|sample|your[_-]?.*|<.*>|\$\{.*\}|\{\{.*\}\}|%.*%|\$[A-Z_]+|null|none|undefined|redacted)$/i.test(
      v,
    ) || /(example|placeholder|dummy|fake|xxxx|your_|insert|replace)/i.test(v)
  );
}

export function monthDayValid(m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  return d <= [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!;
}
