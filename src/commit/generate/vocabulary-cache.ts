import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { git, startGitLines } from "../../git/exec.js";
import { branchOfMergeSubject } from "../convention.js";
import { writeFileAtomic } from "../../core/fs.js";
import { Vocabulary, type VocabularyState } from "./vocabulary.js";

export interface HistoryCommit {
  sha: string;
  header: string;
  paths: string[];
  /** git name-status letter per path (A, M, D...). */
  statuses: string[];
  /** The branch the commit was made on, from the merge that brought it in (see branchesFromGraph). */
  branch?: string;
}

interface GraphCommit {
  sha: string;
  parents: string[];
  header: string;
}

/**
 * The branch each commit was made on, from merge commits (newest first, in topological order): a
 * commit on the first-parent line of a merge's second parent, down to the main line (the first-parent
 * line of the newest commit) or to another branch, belongs to the source branch the merge names
 * (`Merge pull request #1 from owner/fix/x` → `fix/x`, `Merge branch 'fix/x'`). Commits made on the
 * main line, and squash-merged ones, have none.
 */
export function branchesFromGraph(commits: GraphCommit[]): Map<string, string> {
  const bySha = new Map(commits.map((c) => [c.sha, c] as const));
  const mainline = new Set<string>();
  for (let c = commits[0]; c && !mainline.has(c.sha); c = bySha.get(c.parents[0] ?? "")) mainline.add(c.sha);
  const out = new Map<string, string>();
  const seen = new Set<string>();
  for (const m of commits) {
    if (m.parents.length < 2) continue;
    const branch = branchOfMergeSubject(m.header);
    for (let c = bySha.get(m.parents[1]!); c && !mainline.has(c.sha) && !seen.has(c.sha);) {
      seen.add(c.sha);
      if (branch && c.parents.length < 2) out.set(c.sha, branch);
      c = bySha.get(c.parents[0] ?? "");
    }
  }
  return out;
}

/**
 * Non-merge commits newest first, each with its header, changed paths and (from the merges read along
 * with them) the branch it was made on. One streaming git call; stops after `limit` non-merge commits.
 */
export async function* readHistory(cwd: string, rev = "HEAD", limit = 500): AsyncGenerator<HistoryCommit> {
  const graph: GraphCommit[] = [];
  const commits: HistoryCommit[] = [];
  let cur: HistoryCommit | undefined;
  const git = startGitLines(["log", "--no-renames", "--format=%x1e%H %P%x1f%s", "--name-status", rev, "--"], { cwd });
  try {
    for await (const line of git.lines) {
      if (line.startsWith("\x1e")) {
        const us = line.indexOf("\x1f");
        const [sha, ...parents] = line.slice(1, us).split(" ");
        const header = line.slice(us + 1);
        graph.push({ sha: sha!, parents, header });
        if (parents.length > 1) {
          cur = undefined;
          continue;
        }
        if (commits.length >= limit) break;
        cur = { sha: sha!, header, paths: [], statuses: [] };
        commits.push(cur);
      } else if (line && cur) {
        const tab = line.indexOf("\t");
        if (tab < 0) continue;
        cur.statuses.push(line.slice(0, 1));
        cur.paths.push(line.slice(line.lastIndexOf("\t") + 1));
      }
    }
  } finally {
    git.cancel();
  }
  const branches = branchesFromGraph(graph);
  for (const c of commits) {
    const branch = branches.get(c.sha);
    yield branch ? { ...c, branch } : c;
  }
}

const CACHE_VERSION = 5; // 5: branch and tracker-project type habits

/**
 * The repository's vocabulary learnt from its last `limit` non-merge commits, cached under the
 * git directory keyed by HEAD so hooks pay the history walk once per new commit.
 */
export async function loadVocabulary(cwd: string, limit = 500): Promise<Vocabulary> {
  let head: string;
  let gitDir: string;
  try {
    const out = (await git(["rev-parse", "--git-dir", "HEAD"], { cwd })).trim().split("\n");
    gitDir = resolve(cwd, out[0]!);
    head = out[1]!;
  } catch {
    return new Vocabulary(); // unborn branch: no history yet
  }
  const cacheFile = join(gitDir, "gitops-health", "commit-vocabulary.json");
  if (existsSync(cacheFile)) {
    try {
      const cached = JSON.parse(readFileSync(cacheFile, "utf8")) as {
        version: number;
        head: string;
        limit: number;
        state: VocabularyState;
      };
      if (cached.version === CACHE_VERSION && cached.head === head && cached.limit === limit)
        return new Vocabulary(cached.state);
    } catch {
      /* rebuild a corrupt cache */
    }
  }
  // Learnt oldest first, as the type model was fitted: its recent-habit term decays older commits.
  const history: HistoryCommit[] = [];
  for await (const c of readHistory(cwd, head, limit)) history.push(c);
  const vocab = new Vocabulary();
  for (const c of history.reverse()) vocab.add(c.header, c.paths, c.statuses, c.branch);
  try {
    mkdirSync(join(gitDir, "gitops-health"), { recursive: true });
    writeFileAtomic(cacheFile, JSON.stringify({ version: CACHE_VERSION, head, limit, state: vocab.state }));
  } catch {
    /* read-only git dir: work without the cache */
  }
  return vocab;
}
