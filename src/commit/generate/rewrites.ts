import { git } from "../../git/exec.js";
import { canonicalType, parseAnyHeader } from "../convention.js";
import type { ChangeSet, FileChange } from "./changes.js";
import { classifyPath } from "./classify.js";

/**
 * What a change does to existing code, from history: `git blame` of the lines its hunks rewrite (the
 * removed lines, and for a pure insertion the line it is inserted after) against the revision the
 * change applies to. A fix usually edits lines written days or weeks earlier, often by the feature it
 * repairs; a feature mostly adds; a refactor rewrites old code of every kind. The blamed commits'
 * types come from their headers in any typed family (`fix: s`, `(fix) s`, `[FIX] s`, gitmoji), so no
 * history needs to be read besides the blame itself.
 *
 * Cost is bounded: one `git blame --porcelain` per source file (all its ranges in one call, `-L` per
 * range), at most MAX_FILES files and MAX_LINES blamed lines.
 */
export interface RewriteEvidence {
  /** Lines blamed (0 when the change only adds files or nothing could be blamed). */
  lines: number;
  /** Share of blamed lines last written by a commit typed fix / feat / refactor. */
  fix: number;
  feat: number;
  refactor: number;
  /** Share of blamed lines written at most RECENT_DAYS before the change. */
  recent: number;
  /** Share written more than a year before the change. */
  old: number;
  /** Share written at most 7 days before the change. */
  week: number;
  /** Share written by the change's own author (by e-mail; 0 when the author is not known). */
  self: number;
  /** Share written by the change's own author at most RECENT_DAYS before it. */
  selfRecent: number;
}

export const MAX_FILES = 8;
export const MAX_LINES = 400;
const RECENT_DAYS = 30;

/** The old-side lines of a file that a change rewrites, as blame `-L` ranges (insertions: the line before). */
export function rewrittenRanges(file: FileChange, budget = MAX_LINES): [number, number][] {
  const out: [number, number][] = [];
  for (const [start, count] of file.oldHunks ?? []) {
    if (budget <= 0) break;
    const from = Math.max(1, start);
    const n = Math.min(budget, Math.max(1, count));
    out.push([from, from + n - 1]);
    budget -= n;
  }
  return out;
}

interface BlamedLine {
  sha: string;
  time: number;
  summary: string;
  mail: string;
}

/** Parse `git blame --porcelain` output: one entry per blamed line. */
export function parseBlamePorcelain(text: string): BlamedLine[] {
  const commits = new Map<string, { time: number; summary: string; mail: string }>();
  const lines: BlamedLine[] = [];
  let sha = "";
  for (const l of text.split("\n")) {
    if (l.startsWith("\t")) {
      const c = commits.get(sha);
      lines.push({ sha, time: c?.time ?? 0, summary: c?.summary ?? "", mail: c?.mail ?? "" });
      continue;
    }
    const head = /^([0-9a-f]{40,64}) \d+ \d+/.exec(l);
    if (head) {
      sha = head[1]!;
      if (!commits.has(sha)) commits.set(sha, { time: 0, summary: "", mail: "" });
      continue;
    }
    const c = commits.get(sha);
    if (!c) continue;
    if (l.startsWith("author-time ")) c.time = Number(l.slice(12));
    else if (l.startsWith("summary ")) c.summary = l.slice(8);
    else if (l.startsWith("author-mail ")) c.mail = l.slice(12).replace(/^<|>$/g, "").toLowerCase();
  }
  return lines;
}

/** Summarise blamed lines into the evidence the type term reads. */
export function summariseBlame(lines: BlamedLine[], at: number, author = ""): RewriteEvidence {
  const n = lines.length;
  const me = author.toLowerCase();
  if (n === 0) return { lines: 0, fix: 0, feat: 0, refactor: 0, recent: 0, old: 0, week: 0, self: 0, selfRecent: 0 };
  const count = { fix: 0, feat: 0, refactor: 0, recent: 0, old: 0, week: 0, self: 0, selfRecent: 0 };
  const typeOf = new Map<string, string>();
  for (const b of lines) {
    let t = typeOf.get(b.sha);
    if (t === undefined) {
      // The all-zero sha is git's "not committed yet": lines the index or work tree added.
      const raw = /^0+$/.test(b.sha) ? undefined : parseAnyHeader(b.summary).type;
      t = raw ? canonicalType(raw) : "";
      typeOf.set(b.sha, t);
    }
    if (t === "fix" || t === "feat" || t === "refactor") count[t]++;
    const days = (at - b.time) / 86400;
    if (b.time > 0 && days <= RECENT_DAYS) count.recent++;
    if (b.time > 0 && days > 365) count.old++;
    if (b.time > 0 && days <= 7) count.week++;
    if (me && b.mail === me) {
      count.self++;
      if (b.time > 0 && days <= RECENT_DAYS) count.selfRecent++;
    }
  }
  return {
    lines: n,
    fix: count.fix / n,
    feat: count.feat / n,
    refactor: count.refactor / n,
    recent: count.recent / n,
    old: count.old / n,
    week: count.week / n,
    self: count.self / n,
    selfRecent: count.selfRecent / n,
  };
}

/**
 * Blame what `change` rewrites in `rev` (HEAD for a staged change, the parent for a historical
 * commit). `at` is the change's time in seconds (now for a staged change), `author` its author's
 * e-mail when known. Files git cannot blame
 * (new in the change, outside `rev`, binary) are skipped.
 */
export async function blameRewrites(
  cwd: string,
  rev: string,
  change: ChangeSet,
  at = Math.floor(Date.now() / 1000),
  author = "",
): Promise<RewriteEvidence> {
  const files = change.files
    .filter((f) => !f.binary && f.status !== "added" && classifyPath(f.path) === "source" && f.oldHunks?.length)
    .slice(0, MAX_FILES);
  let budget = MAX_LINES;
  const jobs: Promise<BlamedLine[]>[] = [];
  for (const f of files) {
    const ranges = rewrittenRanges(f, budget);
    if (ranges.length === 0) break;
    budget -= ranges.reduce((a, [s, e]) => a + e - s + 1, 0);
    const args = [
      "blame",
      "--porcelain",
      ...ranges.flatMap(([s, e]) => ["-L", `${s},${e}`]),
      rev,
      "--",
      f.oldPath ?? f.path,
    ];
    jobs.push(
      git(args, { cwd }).then(parseBlamePorcelain, () => []), // a range past the end, a path git cannot blame
    );
  }
  return summariseBlame((await Promise.all(jobs)).flat(), at, author);
}

/** Hunks of a file that add lines (contiguous runs of new-side line numbers). */
function hunkCountNew(f: FileChange): number {
  let n = 0;
  for (let i = 0; i < f.addedAt.length; i++) if (i === 0 || f.addedAt[i]! !== f.addedAt[i - 1]! + 1) n++;
  return n;
}

/** i18n resource files (`translations/en.json`, `locales/fr.json`, `i18n/de.json`). */
const I18N = /(^|\/)(translations?|locales?|i18n|lang)\/[\w-]+\.json$/i;
const COND = /\bif\s*\(|\?[^.?:]*:|&&|\|\||\bcase\b|\bwhile\s*\(/;
const NULL_CHECK =
  /\?\.|\?\?|[!=]==?\s*(null|undefined)\b|\b(null|undefined)\s*[!=]==?|typeof\s+\S+\s*[!=]==?\s*['"]undefined/;
const ROUTE = /<Route\b|\bpath:\s*['"`]\/|\bregisterRoute|\b(router|app)\.(get|post|put|patch|delete)\(/;

/**
 * The per-type term the rewrite evidence adds to the type model's logits, with coefficients fitted on
 * development histories (bench/commit-rewrites.ts). Besides blame: new i18n keys and new routes
 * (user-visible additions) from the diff.
 */
export function rewriteFeatures(change: ChangeSet, e: RewriteEvidence): Record<string, number> {
  let keys = 0;
  let routes = 0;
  for (const f of change.files) {
    if (I18N.test(f.path)) {
      const removed = new Set(f.removed.map((l) => /^\s*"([^"]+)"\s*:/.exec(l)?.[1]).filter(Boolean));
      keys += f.added.filter((l) => {
        const k = /^\s*"([^"]+)"\s*:/.exec(l)?.[1];
        return k !== undefined && !removed.has(k);
      }).length;
    } else if (classifyPath(f.path) === "source") routes += f.added.filter((l) => ROUTE.test(l)).length;
  }
  // Hunk structure of the source files: pure insertions (new code among old), replacements (old code
  // edited in place), pure deletions.
  let hunks = 0,
    inserts = 0,
    deletes = 0;
  for (const f of change.files) {
    if (f.binary || f.status !== "modified" || classifyPath(f.path) !== "source") continue;
    for (const [, count] of f.oldHunks ?? []) {
      hunks++;
      if (count === 0) inserts++;
    }
    deletes += Math.max(0, (f.oldHunks?.length ?? 0) - hunkCountNew(f));
  }
  // Conditions edited in place (a removed `if (...)` / ternary / `&&` line replaced by a different one)
  // and null checks added (`?.`, `??`, `!= null`, `=== undefined`) that the removed lines did not have.
  let condEdits = 0,
    nullChecks = 0,
    srcLines = 0;
  for (const f of change.files) {
    if (f.binary || classifyPath(f.path) !== "source") continue;
    srcLines += f.added.length + f.removed.length;
    const removedConds = f.removed.filter((l) => COND.test(l)).length;
    const addedConds = f.added.filter((l) => COND.test(l)).length;
    condEdits += Math.min(removedConds, addedConds);
    const had = f.removed.filter((l) => NULL_CHECK.test(l)).length;
    nullChecks += Math.max(0, f.added.filter((l) => NULL_CHECK.test(l)).length - had);
  }
  const blamed = e.lines > 0 ? 1 : 0;
  return {
    blamed,
    rwFix: e.fix,
    rwFeat: e.feat,
    rwRefactor: e.refactor,
    rwRecent: e.recent,
    rwOld: e.old,
    rwWeek: e.week,
    rwSelf: e.self,
    rwSelfRecent: e.selfRecent,
    rwLines: Math.log1p(e.lines) / 4,
    insertHunks: hunks ? inserts / hunks : 0,
    deleteHunks: hunks ? Math.min(1, deletes / hunks) : 0,
    hunks: Math.log1p(hunks) / 3,
    condEdits: Math.min(3, condEdits) / 3,
    condEditShare: srcLines ? Math.min(1, (2 * condEdits) / srcLines) : 0,
    nullChecks: Math.min(3, nullChecks) / 3,
    i18nKeys: Math.min(5, keys) / 5,
    routes: Math.min(2, routes) / 2,
  };
}

/** Coefficients of the rewrite term: per type, per feature of rewriteFeatures. */
export interface RewriteModel {
  features: string[];
  weights: Record<string, number[]>;
}

/** Add the rewrite term to probabilities over types (a log-linear update, renormalised). */
export function applyRewrites(
  p: Record<string, number>,
  x: Record<string, number>,
  model: RewriteModel,
): Record<string, number> {
  const out: Record<string, number> = {};
  let z = 0;
  for (const [t, v] of Object.entries(p)) {
    const w = model.weights[t];
    let s = 0;
    if (w) for (let j = 0; j < model.features.length; j++) s += w[j]! * (x[model.features[j]!] ?? 0);
    out[t] = v * Math.exp(s);
    z += out[t]!;
  }
  for (const t of Object.keys(out)) out[t]! /= z;
  return out;
}

/** Rewrite features of a historical commit (blamed against its first parent, at its author time). */
export async function rewritesOfCommit(cwd: string, sha: string, change: ChangeSet): Promise<Record<string, number>> {
  const [at, mail] = (await git(["log", "-1", "--format=%at %ae", sha], { cwd })).trim().split(" ");
  return rewriteFeatures(change, await blameRewrites(cwd, `${sha}^`, change, Number(at), mail ?? ""));
}
