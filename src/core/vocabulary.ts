// Shared vocabulary of every domain, defined once: finding and rule severities, and the data
// classifications that choose a policy pack. Zod schemas (src/config/schema.ts) and HTTP schemas
// are built from these lists.
import { UserError } from "./errors.js";

export const SEVERITIES = ["low", "medium", "high"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Order of severities: low < medium < high. */
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { low: 0, medium: 1, high: 2 };

/** True when `s` is `min` or more severe. */
export const severityAtLeast = (s: Severity, min: Severity): boolean => SEVERITY_RANK[s] >= SEVERITY_RANK[min];

/** A severity from user input (flag, request), or a UserError naming `what`. */
export function parseSeverity(s: string, what = "severity"): Severity {
  if (!(SEVERITIES as readonly string[]).includes(s))
    throw new UserError(`${what} must be low, medium or high, got "${s}"`);
  return s as Severity;
}

export const CLASSIFICATIONS = ["personal", "business", "clinical"] as const;
export type Classification = (typeof CLASSIFICATIONS)[number];

/** A classification from user input, or a UserError listing the valid ones. */
export function parseClassification(c: string): Classification {
  if (!(CLASSIFICATIONS as readonly string[]).includes(c))
    throw new UserError(`unknown classification "${c}" (valid: ${CLASSIFICATIONS.join(", ")})`);
  return c as Classification;
}
