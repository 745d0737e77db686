import type { ChangeSet, FileChange } from "./changes.js";
import { classifyPath, isNoise } from "./classify.js";

export interface PromptDiff {
  text: string;
  /** Files not sent in full, and why. */
  omitted: { path: string; reason: string }[];
  estimatedTokens: number;
}

/** ~4 characters per token for code and English; conservative enough for budgeting. */
export const estimateTokens = (s: string): number => Math.ceil(s.length / 4);

function fileDiff(f: FileChange, maxLines = 400): string {
  const head = `--- ${f.status}${f.status === "renamed" ? ` from ${f.oldPath}` : ""}: ${f.path}`;
  const lines = [...f.removed.map((l) => `-${l}`), ...f.added.map((l) => `+${l}`)];
  const body = lines.slice(0, maxLines).join("\n");
  return `${head}\n${f.contexts.length ? `@@ in ${f.contexts.slice(0, 5).join(" | ")}\n` : ""}${body}${lines.length > maxLines ? `\n(${lines.length - maxLines} more changed lines)` : ""}`;
}

function fileSummary(f: FileChange): string {
  return `--- ${f.status}: ${f.path} (+${f.added.length} -${f.removed.length}; ${classifyPath(f.path)})${f.contexts.length ? ` in ${f.contexts.slice(0, 3).join(" | ")}` : ""}`;
}

/**
 * The staged diff as it will be shown to a model, within `budgetTokens`. Lockfiles, generated
 * and binary files are listed but not sent; when the rest is over budget, the largest files are
 * replaced by one-line summaries (then dropped, smallest kept). Every cut is reported.
 */
export function budgetDiff(change: ChangeSet, budgetTokens: number): PromptDiff {
  const omitted: PromptDiff["omitted"] = [];
  const parts: { f: FileChange; full: string; summary: string; mode: "full" | "summary" | "dropped" }[] = [];
  for (const f of change.files) {
    if (isNoise(f.path, f.binary)) {
      omitted.push({
        path: f.path,
        reason: f.binary ? "binary" : classifyPath(f.path) === "lock" ? "lockfile" : "generated",
      });
      continue;
    }
    parts.push({ f, full: fileDiff(f), summary: fileSummary(f), mode: "full" });
  }
  const size = () =>
    parts.reduce(
      (n, p) => n + (p.mode === "full" ? estimateTokens(p.full) : p.mode === "summary" ? estimateTokens(p.summary) : 0),
      0,
    );
  const bySize = [...parts].sort((a, b) => b.full.length - a.full.length);
  for (const p of bySize) {
    if (size() <= budgetTokens) break;
    p.mode = "summary";
    omitted.push({ path: p.f.path, reason: "summarized (over token budget)" });
  }
  for (const p of bySize) {
    if (size() <= budgetTokens) break;
    p.mode = "dropped";
    const o = omitted.find((x) => x.path === p.f.path);
    if (o) o.reason = "left out (over token budget)";
  }
  const noise = omitted.filter((o) => !o.reason.includes("budget"));
  const text = [
    ...parts.filter((p) => p.mode !== "dropped").map((p) => (p.mode === "full" ? p.full : p.summary)),
    ...(noise.length ? [`(not shown: ${noise.map((o) => `${o.path} [${o.reason}]`).join(", ")})`] : []),
  ].join("\n");
  return { text, omitted, estimatedTokens: estimateTokens(text) };
}
