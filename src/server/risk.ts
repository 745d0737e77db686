/**
 * Risk of a change sent as a unified diff plus metadata (no repository): the diff's files and
 * line counts become the change, `FeatureState.compute` gives its features with no history
 * (history features are 0, as for a first commit), and the shipped model scores it.
 */
import { readFileSync } from "node:fs";
import { packagePath } from "../core/paths.js";
import { parseDiff } from "../git/diff.js";
import { FeatureState, type RawCommit } from "../risk/features.js";
import { predict, type RiskModel } from "../risk/model.js";
import { levelOf, type RiskLevel } from "../risk/index.js";
import type { CriticalPath } from "../config/schema.js";

let model: RiskModel | undefined;

export interface DiffRisk {
  score: number;
  level: RiskLevel;
  strategy: "standard" | "canary" | "blue-green";
  approvals: number;
  files: number;
  factors: { name: string; value: number; contribution: number }[];
  model: string;
  warnings: string[];
}

export function scoreDiff(o: {
  diff: string;
  author?: string;
  message?: string;
  time?: number;
  classification?: string;
  criticalPaths?: CriticalPath[];
}): DiffRisk {
  model ??= JSON.parse(readFileSync(packagePath("src", "risk", "default-model.json"), "utf8")) as RiskModel;
  const files = new Map<string, { path: string; added: number; deleted: number }>();
  for (const e of parseDiff(o.diff)) {
    if (e.kind !== "added" && e.kind !== "removed") continue;
    const f = files.get(e.path) ?? { path: e.path, added: 0, deleted: 0 };
    if (e.kind === "added") f.added++;
    else f.deleted++;
    files.set(e.path, f);
  }
  const change: RawCommit = {
    sha: "0".repeat(40),
    author: (o.author ?? "").toLowerCase(),
    time: o.time ?? Math.floor(Date.now() / 1000),
    subject: o.message?.split("\n")[0] ?? "",
    trailers: "",
    files: [...files.values()],
  };
  const features = new FeatureState(o.criticalPaths).compute(change);
  const { p, contributions } = predict(model, features.values);
  const score = Math.round(100 * p);
  const level = levelOf(score);
  // As scoreChange: the classification's floor, HIGH needs one approval, CRITICAL two.
  const base = o.classification === "clinical" ? 2 : o.classification === "business" ? 1 : 0;
  return {
    score,
    level,
    strategy: level === "LOW" ? "standard" : level === "MEDIUM" ? "canary" : "blue-green",
    approvals: Math.max(base, level === "HIGH" ? 1 : level === "CRITICAL" ? 2 : 0),
    files: files.size,
    factors: contributions.map((c) => ({ name: c.name, value: round(c.value), contribution: round(c.contribution) })),
    model: "default model (shipped)",
    warnings:
      files.size === 0
        ? ["the diff has no added or removed lines"]
        : ["scored without repository history: history and experience features are 0"],
  };
}

const round = (x: number) => Math.round(x * 1000) / 1000;
