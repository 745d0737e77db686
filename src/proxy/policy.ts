/**
 * What the proxy does with each identifier it finds in a prompt: pass it, replace it with a
 * numbered placeholder, or refuse the call. Pure: the configuration is passed in.
 */
import type { Classification, ProxyConfig } from "../config/schema.js";
import type { Finding } from "../phi/types.js";

export type Action = "allow" | "mask" | "block";

export const CLASSIFICATION_ORDER: Classification[] = ["personal", "business", "clinical"];

export interface ProxyPolicy {
  classification: Classification;
  /** per identifier class (finding category) */
  identifiers: Record<string, Action>;
  /** lower-cased values never treated as PHI */
  allow: Set<string>;
  replyPhi: "mask" | "refuse";
}

export function policyFor(
  config: Pick<ProxyConfig, "identifiers" | "allowList" | "replyPhi">,
  classification: Classification,
): ProxyPolicy {
  return {
    classification,
    identifiers: { ...config.identifiers },
    allow: new Set(config.allowList.map((v) => v.toLowerCase())),
    replyPhi: config.replyPhi,
  };
}

/** The stricter of two classifications. */
export function stricter(a: Classification, b: Classification): Classification {
  return CLASSIFICATION_ORDER.indexOf(a) >= CLASSIFICATION_ORDER.indexOf(b) ? a : b;
}

/**
 * The action for one finding: secrets are always blocked; allow-listed values and known
 * synthetic values pass; then the per-class setting; then the classification's default
 * (personal passes, business and clinical mask).
 */
export function actionFor(p: ProxyPolicy, f: Finding, value: string): Action {
  if (f.category === "secret") return "block";
  if (f.synthetic || p.allow.has(value.toLowerCase())) return "allow";
  const set = p.identifiers[f.category];
  if (set) return set;
  return p.classification === "personal" ? "allow" : "mask";
}
