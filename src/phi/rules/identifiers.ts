import * as v from "../validators.js";
import { fromRuns, isUpperCode as isUpper, isWordCode, literalStarts } from "../prefilter.js";
import { hasDigit, type Rule } from "./rule.js";

/** Direct identifiers with check digits, strict formats or a context word: SSN, MBI, plan, MRN, DEA, NPI, licence, VIN, UDI, device. */

const CTX_SSN = /\b(?:ssn|social\s*security|soc\.?\s*sec|ss#|tax\s*id|tin)\b/i;
const CTX_MRN =
  /\b(?:mrn|mr#|mr\s*no|medical\s*record(?:\s*(?:number|no|#))?|chart\s*(?:number|no|#)|patient\s*(?:id|identifier|number|no|#)|unit\s*(?:number|no)|hospital\s*(?:number|no|#))\b/i;
const CTX_PLAN =
  /\b(?:member\s*(?:id|number|no|#)|subscriber\s*(?:id|number|no|#)|policy\s*(?:number|no|#|id)|group\s*(?:number|no|#)|beneficiary|insurance\s*(?:id|number|no|#)|health\s*plan|medicaid|medicare|hicn|mbi)\b/i;
const CTX_LICENSE =
  /\b(?:licen[cs]e|lic\.?\s*(?:no|#)|certificate|cert\.?\s*(?:no|#)|dl\s*(?:no|#)|driver'?s?\s*licen[cs]e|registration\s*(?:no|#))\b/i;
const CTX_DEVICE = /\b(?:serial|s\/n|sn#|device\s*(?:id|identifier)|udi|imei|mac\s*address|implant|pacemaker|pump)\b/i;
const SEP_SSN = /[- ]/;

const isVinCode = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90 && c !== 73 && c !== 79 && c !== 81);
/**
 * `\b[A-HJ-NPR-Z0-9]{17}\b` matches exactly the whole ASCII words of 17 VIN characters. Found by
 * probing every 17th character: a run of 17 must hold the probed one, and most probes (lower-case
 * prose) are not VIN characters at all.
 */
function vinStarts(t: string): number[] {
  const out: number[] = [];
  const n = t.length;
  let i = 0; // no run of 17 VIN characters starts before i
  while (i + 17 <= n) {
    const j = i + 16;
    if (!isVinCode(t.charCodeAt(j))) {
      i = j + 1;
      continue;
    }
    let a = j;
    while (a > i && isVinCode(t.charCodeAt(a - 1))) a--;
    if (a > i) {
      // a VIN character run starts at a (its left end may be before i only if i was a run end)
      i = a;
      continue;
    }
    // [a, j] are VIN characters; extend to the whole run
    while (a > 0 && isVinCode(t.charCodeAt(a - 1))) a--;
    let b = j + 1;
    while (b < n && isVinCode(t.charCodeAt(b))) b++;
    if (b - a === 17 && !isWordCode(t.charCodeAt(a - 1)) && !isWordCode(t.charCodeAt(b))) out.push(a);
    i = b + 1;
  }
  return out;
}

// --- direct identifiers with check digits or strict formats
// \b(\d{3})[- ]: a run of exactly three digits, then the separator
export const usSsn: Rule = {
  id: "us-ssn",
  category: "ssn",
  hipaa: 7,
  kind: "phi",
  re: /\b(\d{3})([- ])(\d{2})\2(\d{4})\b/g,
  severity: "high",
  confidence: 0.9,
  gate: hasDigit,
  validate: (_s, m) => {
    if (!v.ssnValid(m[1]!, m[3]!, m[4]!)) return false;
    return v.ssnIsSample(m[1]! + m[3]! + m[4]!) ? "sample" : true;
  },
  starts: (t, idx) => fromRuns(idx, (s, e) => (e - s === 3 && SEP_SSN.test(t[e] ?? "") ? s : -1)),
  impliesGate: true,
  derivedFrom: "265d3c99",
  samples: { tp: ["SSN 512-84-3921"], fp: ["000-12-3456"] },
};

export const usSsnUnformatted: Rule = {
  id: "us-ssn-unformatted",
  category: "ssn",
  hipaa: 7,
  kind: "phi",
  re: /\b(\d{3})(\d{2})(\d{4})\b/g,
  severity: "high",
  confidence: 0.75,
  gate: hasDigit,
  context: CTX_SSN,
  window: 40,
  validate: (s, m) => (v.ssnValid(m[1]!, m[2]!, m[3]!) ? (v.ssnIsSample(s) ? "sample" : true) : false),
  keywords: ["ssn", "soc", "ss", "tax", "tin"],
  samples: { tp: ["ssn 512843921"], fp: ["order 512843921"] },
};

// an MBI ends in two letters and a two-digit run, 9 to 11 characters after its start (0 to 2 dashes)
export const medicareMbi: Rule = {
  id: "medicare-mbi",
  category: "health-plan-id",
  hipaa: 9,
  kind: "phi",
  re: /\b[1-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9]\d-?[AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9]\d-?[AC-HJKMNP-RT-Y]{2}\d{2}\b/g,
  severity: { code: "medium", prose: "high" },
  confidence: 0.85,
  gate: hasDigit,
  validate: (s) => /[A-Z]/.test(s) && /\d.*\d.*\d/.test(s) && v.mbiValid(s),
  starts: (t, idx) =>
    fromRuns(idx, (s, e) =>
      e - s === 2 && isUpper(t.charCodeAt(s - 1)) && isUpper(t.charCodeAt(s - 2)) ? [s - 11, s - 10, s - 9] : -1,
    ),
  impliesGate: true,
  derivedFrom: "157a4f3a",
  samples: { tp: ["MBI 1EG4-TE5-MK73"], fp: ["1EG4-TE5-MK7"] },
};

export const healthPlanId: Rule = {
  id: "health-plan-id",
  category: "health-plan-id",
  hipaa: 9,
  kind: "phi",
  re: /\b(?=[A-Z0-9-]*\d)[A-Z]{0,4}[0-9][A-Z0-9-]{5,17}\b/g,
  severity: "high",
  confidence: 0.7,
  gate: (t) => CTX_PLAN.test(t),
  context: CTX_PLAN,
  window: 40,
  keywords: ["member", "subscriber", "policy", "group", "beneficiary", "insurance", "health", "medica", "hicn", "mbi"],
  samples: { tp: ["member id XJH123456789"], fp: ["member of the care team"] },
};

export const medicalRecordNumber: Rule = {
  id: "medical-record-number",
  category: "mrn",
  hipaa: 8,
  kind: "phi",
  re: /\b(?=[A-Z0-9-]*\d{3})[A-Z]{0,4}-?[0-9][A-Z0-9-]{3,15}\b/g,
  severity: "high",
  confidence: 0.8,
  gate: (t) => CTX_MRN.test(t),
  context: CTX_MRN,
  window: 30,
  keywords: ["mr", "medical", "chart", "patient", "unit", "hospital"],
  // a date near "MRN" (2021-04-03, 04-03-2021) is a date: the date rule reports it, and
  // `sanitize --mode synthetic` must shift it as a date, not scramble its digits into a non-date
  validate: (s) => !/^(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}-\d{1,2}-\d{2,4})$/.test(s),
  samples: { tp: ["MRN: 00482913"], fp: ["MRN pending", "MRN pending, admitted 2021-04-03"] },
};

// [A-Z][A-Z9]\d{7}\b: the seven digits end a run, nine characters after the start
export const deaNumber: Rule = {
  id: "dea-number",
  category: "license",
  hipaa: 11,
  kind: "phi",
  re: /\b[A-Z][A-Z9]\d{7}\b/g,
  severity: "high",
  confidence: 0.85,
  gate: hasDigit,
  validate: (s) => v.deaValid(s) && !/^(?:AB1234563|BB1388568)$/.test(s),
  starts: (t, idx) => fromRuns(idx, (s, e) => (e - s >= 7 ? e - 9 : -1)),
  impliesGate: true,
  derivedFrom: "2836a4af",
  samples: { tp: ["DEA FM1234563"], fp: ["DEA FM1234564"] },
};

export const npi: Rule = {
  id: "npi",
  category: "license",
  hipaa: 11,
  kind: "phi",
  re: /\b[12]\d{9}\b/g,
  severity: "medium",
  confidence: 0.75,
  gate: (t) => /\bnpi\b/i.test(t),
  context: /\b(?:npi|national provider)\b/i,
  window: 30,
  validate: (s) => v.npiValid(s),
  keywords: ["npi", "national"],
  anchorGate: true,
  samples: { tp: ["NPI 1234567893"], fp: ["NPI 1234567890"] },
};

export const licenseNumber: Rule = {
  id: "license-number",
  category: "license",
  hipaa: 11,
  kind: "phi",
  re: /\b(?=[A-Z0-9-]*\d)[A-Z]{0,3}-?\d[A-Z0-9-]{4,14}\b/g,
  severity: "high",
  confidence: 0.7,
  gate: (t) => CTX_LICENSE.test(t),
  context: CTX_LICENSE,
  window: 30,
  keywords: ["lic", "cert", "dl", "driver", "registration"],
  samples: { tp: ["license LIC-99-123456"], fp: ["license MIT"] },
};

export const vinProse: Rule = {
  id: "vin",
  category: "vehicle-id",
  hipaa: 12,
  kind: "phi",
  re: /\b[A-HJ-NPR-Z0-9]{17}\b/g,
  severity: "high",
  confidence: 0.9,
  profiles: ["prose"],
  gate: hasDigit,
  validate: (s) => /[A-Z]/.test(s) && /\d/.test(s) && v.vinValid(s),
  starts: vinStarts,
  derivedFrom: "7468c073",
  samples: { tp: ["VIN 1M8GDM9AXKP042788"], fp: ["1M8GDM9AXKP042789"] },
};

export const vinCode: Rule = {
  id: "vin",
  category: "vehicle-id",
  hipaa: 12,
  kind: "phi",
  re: /\b[A-HJ-NPR-Z0-9]{17}\b/g,
  severity: "high",
  confidence: 0.9,
  profiles: ["code"],
  gate: (t) => /vin|vehicle/i.test(t),
  context: /\b(?:vin|vehicle)/i,
  window: 40,
  validate: (s) => /[A-Z]/.test(s) && /\d/.test(s) && v.vinValid(s),
  keywords: ["vin", "vehicle"],
  samples: { tp: ["const vin = '1M8GDM9AXKP042788';"], fp: ["const id = '1M8GDM9AXKP042788';"] },
};

// "(01)": '(' is frequent in code, "01)" less so
export const udi: Rule = {
  id: "udi",
  category: "device-id",
  hipaa: 13,
  kind: "phi",
  re: /\(01\)\d{14}(?:\(1[17]\)\d{6}|\(10\)[\w-]{1,20}|\(21\)[\w-]{1,20})+/g,
  severity: "high",
  confidence: 0.9,
  gate: (t) => t.includes("(01)"),
  starts: (t) => literalStarts(t, ["01)"], 1),
  impliesGate: true,
  derivedFrom: "5d8dd491",
  samples: { tp: ["UDI (01)00643169007222(17)141120(10)7654321D"], fp: ["(01)123"] },
};

export const deviceSerial: Rule = {
  id: "device-serial",
  category: "device-id",
  hipaa: 13,
  kind: "phi",
  re: /\b(?=[A-Z0-9-]*\d)[A-Z0-9][A-Z0-9-]{5,24}\b/g,
  severity: "medium",
  confidence: 0.6,
  gate: (t) => CTX_DEVICE.test(t),
  context: CTX_DEVICE,
  window: 25,
  keywords: ["serial", "s/", "sn", "device", "udi", "imei", "mac", "implant", "pacemaker", "pump"],
  samples: { tp: ["serial SN-0042-77831"], fp: ["serial killer"] },
};
