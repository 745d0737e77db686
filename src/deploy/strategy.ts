/**
 * Deployment strategy from likelihood and impact (pure).
 *
 * Likelihood is the learnt model's level (`scoreChange` in src/risk). Impact is what the team
 * declared critical: the most critical configured tier among the changed files (picomatch), raised
 * to tier 2 when the change is sensitive (authentication, cryptography, migrations). The table:
 *
 * | impact   | likelihood                 | classification | strategy    | approval gate |
 * | -------- | -------------------------- | -------------- | ----------- | ------------- |
 * | tier 1   | HIGH or CRITICAL           | any            | blue-green  | yes (manual promotion) |
 * | tier 1   | any                        | clinical       | blue-green  | yes (manual promotion) |
 * | tier 1   | LOW or MEDIUM              | not clinical   | canary      | yes |
 * | tier 2   | MEDIUM                     | any            | canary      | from risk approvals |
 * | tier 2   | HIGH or CRITICAL           | any            | blue-green  | yes (manual promotion) |
 * | other    | LOW / MEDIUM / HIGH+       | any            | standard / canary / blue-green (manual) | from risk approvals |
 *
 * A tier-1 change never yields `standard`, whatever the model says; an explicitly requested
 * strategy may be stronger than the decided one, never weaker.
 */
import picomatch from "picomatch";
import type { Classification, CriticalPath } from "../config/schema.js";

export type Likelihood = "LOW" | "MEDIUM" | "HIGH" | "CRITICAL";
export type Strategy = "standard" | "canary" | "blue-green";
export const STRATEGIES: readonly Strategy[] = ["standard", "canary", "blue-green"];
const LEVELS: Likelihood[] = ["LOW", "MEDIUM", "HIGH", "CRITICAL"];

export interface Impact {
  /** most critical tier touched (1 = most critical), or null when no declared path and nothing sensitive */
  tier: 1 | 2 | 3 | null;
  /** declared critical paths the change touches, with how many changed files each matched */
  matched: { pattern: string; tier: number; files: number }[];
  /** sensitive areas the change touches (from the risk features: AUTH, CRYPTO, MIGRATION) */
  sensitive: string[];
}

/** Impact of a change: declared critical-path tiers matched against the changed files, and sensitivity. */
export function impactOf(files: string[], criticalPaths: CriticalPath[], sensitive: string[] = []): Impact {
  const matched: Impact["matched"] = [];
  let tier: number | null = null;
  for (const cp of criticalPaths) {
    const isMatch = picomatch(cp.pattern, { dot: true });
    const n = files.filter((f) => isMatch(f)).length;
    if (!n) continue;
    matched.push({ pattern: cp.pattern, tier: cp.tier, files: n });
    tier = tier === null ? cp.tier : Math.min(tier, cp.tier);
  }
  if (sensitive.length) tier = tier === null ? 2 : Math.min(tier, 2);
  return { tier: tier as Impact["tier"], matched, sensitive };
}

export interface Decision {
  strategy: Strategy;
  /** the Rollout pauses for signed approvals (blue-green: autoPromotionEnabled false) */
  approvalGate: boolean;
  /** distinct approvers required (at least the risk model's, at least 1 with a gate) */
  approvals: number;
  /** why, one line per rule applied */
  reasons: string[];
}

const atLeast = (l: Likelihood, m: Likelihood) => LEVELS.indexOf(l) >= LEVELS.indexOf(m);

/** The decision table above. `riskApprovals` is what src/risk requires for the level and classification. */
export function decideStrategy(input: {
  likelihood: Likelihood;
  impact: Impact;
  classification: Classification;
  riskApprovals?: number;
}): Decision {
  const { likelihood, impact, classification } = input;
  const reasons: string[] = [];
  let strategy: Strategy = likelihood === "LOW" ? "standard" : likelihood === "MEDIUM" ? "canary" : "blue-green";
  reasons.push(`likelihood ${likelihood} → ${strategy}`);
  let gate = strategy === "blue-green";
  if (impact.tier === 1) {
    if (atLeast(likelihood, "HIGH") || classification === "clinical") {
      strategy = "blue-green";
      reasons.push(
        `tier-1 impact with ${classification === "clinical" ? "clinical classification" : `likelihood ${likelihood}`} → blue-green with manual promotion`,
      );
    } else {
      strategy = "canary";
      reasons.push("tier-1 impact → canary at least, with an approval gate");
    }
    gate = true;
  } else if (impact.tier === 2 && atLeast(likelihood, "MEDIUM") && strategy === "standard") {
    strategy = "canary";
    reasons.push("tier-2 impact with likelihood MEDIUM or above → canary at least");
  }
  const approvals = Math.max(input.riskApprovals ?? 0, gate ? 1 : 0);
  if (approvals > 0) gate = true;
  return { strategy, approvalGate: gate, approvals, reasons };
}

/** Apply an explicitly requested strategy: stronger than decided is fine, weaker is refused (returns the reason). */
export function applyRequested(d: Decision, requested: Strategy): { decision: Decision } | { refused: string } {
  if (STRATEGIES.indexOf(requested) < STRATEGIES.indexOf(d.strategy))
    return {
      refused: `--strategy ${requested} is weaker than the decided ${d.strategy} (${d.reasons[d.reasons.length - 1]})`,
    };
  if (requested === d.strategy) return { decision: d };
  return {
    decision: {
      ...d,
      strategy: requested,
      approvalGate: d.approvalGate || requested === "blue-green",
      approvals: Math.max(d.approvals, requested === "blue-green" ? 1 : 0),
      reasons: [...d.reasons, `requested ${requested}`],
    },
  };
}

/** Canary weights must strictly increase and reach 100; returns what is wrong, or null. */
export function checkWeights(weights: number[]): string | null {
  if (!weights.length) return "no canary weights";
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!;
    if (!Number.isInteger(w) || w < 1 || w > 100) return `weight ${w} is not an integer from 1 to 100`;
    if (i > 0 && w <= weights[i - 1]!) return `weights must strictly increase (${weights[i - 1]} then ${w})`;
  }
  if (weights[weights.length - 1] !== 100) return `weights never reach 100 (last is ${weights[weights.length - 1]})`;
  return null;
}
