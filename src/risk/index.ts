// PLACEHOLDER risk API so other domains (commit generation, bisect priors) can code against it.
// The risk-scoring issue replaces the implementation; keep the signatures.
import { git } from "../git/exec.js";

export type RiskLevel = "LOW" | "MEDIUM" | "HIGH" | "CRITICAL";

export interface RiskFactor {
  name: string;
  value: number;
  /** Contribution to the logit (or score points); sorted largest first. */
  contribution: number;
  explanation?: string;
}

export interface RiskResult {
  score: number; // 0-100
  level: RiskLevel;
  factors: RiskFactor[];
  strategy: "standard" | "canary" | "blue-green";
  approvals: number;
  model: string;
}

export interface RiskTarget {
  cwd?: string;
  /** A commit to score (default HEAD) */
  rev?: string;
  staged?: boolean;
  range?: string;
}

/** Score one change. Placeholder: lines added only. */
export async function scoreChange(target: RiskTarget = {}): Promise<RiskResult> {
  const args = target.staged ? ["diff", "--cached", "--numstat"] : target.range ? ["diff", "--numstat", target.range] : ["show", "--numstat", "--format=", target.rev ?? "HEAD"];
  const out = await git(args, { cwd: target.cwd });
  let la = 0;
  for (const line of out.split("\n")) {
    const n = Number(line.split("\t")[0]);
    if (Number.isFinite(n)) la += n;
  }
  const score = Math.min(100, Math.round(100 * (1 - Math.exp(-la / 400))));
  const level: RiskLevel = score >= 85 ? "CRITICAL" : score >= 60 ? "HIGH" : score >= 30 ? "MEDIUM" : "LOW";
  return {
    score,
    level,
    factors: [{ name: "LA", value: la, contribution: score }],
    strategy: level === "LOW" ? "standard" : level === "MEDIUM" ? "canary" : "blue-green",
    approvals: 0,
    model: "placeholder-lines-added",
  };
}
