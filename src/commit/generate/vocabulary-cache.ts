import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { git, gitLines } from "../../git/exec.js";
import { writeFileAtomic } from "../../core/fs.js";
import { Vocabulary, type VocabularyState } from "./vocabulary.js";

export interface HistoryCommit {
  sha: string;
  header: string;
  paths: string[];
  /** git name-status letter per path (A, M, D...). */
  statuses: string[];
}

/** Non-merge commits newest first, each with its header and changed paths (one streaming git call). */
export async function* readHistory(cwd: string, rev = "HEAD", limit = 500): AsyncGenerator<HistoryCommit> {
  let cur: HistoryCommit | undefined;
  for await (const line of gitLines(
    ["log", "--no-merges", "--no-renames", `-n${limit}`, "--format=%x1e%H %s", "--name-status", rev, "--"],
    { cwd },
  )) {
    if (line.startsWith("\x1e")) {
      if (cur) yield cur;
      const sp = line.indexOf(" ");
      cur = { sha: line.slice(1, sp), header: line.slice(sp + 1), paths: [], statuses: [] };
    } else if (line && cur) {
      const tab = line.indexOf("\t");
      if (tab < 0) continue;
      cur.statuses.push(line.slice(0, 1));
      cur.paths.push(line.slice(line.lastIndexOf("\t") + 1));
    }
  }
  if (cur) yield cur;
}

const CACHE_VERSION = 4; // 4: types learnt from every typed header family (convention.ts)

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
  const vocab = new Vocabulary();
  for await (const c of readHistory(cwd, head, limit)) vocab.add(c.header, c.paths, c.statuses);
  try {
    mkdirSync(join(gitDir, "gitops-health"), { recursive: true });
    writeFileAtomic(cacheFile, JSON.stringify({ version: CACHE_VERSION, head, limit, state: vocab.state }));
  } catch {
    /* read-only git dir: work without the cache */
  }
  return vocab;
}
