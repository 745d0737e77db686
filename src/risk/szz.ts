import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { git, gitLines, GitShell } from "../git/exec.js";
import { streamDiff } from "../git/diff.js";
import { isNonSource } from "./features.js";

/**
 * Lines that change nothing a compiler or reader cares about are not evidence of a bug: blank,
 * comment-only, and punctuation-only lines (a lone brace or bracket is blamed on whichever
 * reformatting last moved it, not on the change that introduced the logic).
 */
const TRIVIAL = /^\s*(?:$|\/\/|#(?!include)|\/\*|\*|\*\/|<!--|--\s|(?:[{}()[\];,]\s*)+$)/;

/**
 * Dependency manifests: a fix that bumps a dependency rewrites version lines, and blaming them
 * labels the previous bump or release as bug-introducing (meta-changes in the sense of MA-SZZ).
 */
const MANIFEST =
  /(?:^|\/)(?:package\.json|[\w.-]*manifest\.json|Cargo\.toml|go\.mod|pyproject\.toml|setup\.cfg|requirements[\w.-]*\.txt|Gemfile|composer\.json|pom\.xml|build\.gradle(?:\.kts)?)$/i;

/** Files whose deleted lines SZZ blames: source, not docs, changelogs, lockfiles, generated output or manifests. */
export function blameable(path: string): boolean {
  return !isNonSource(path) && !MANIFEST.test(path);
}

/** Commits the repository declares behaviour-free for blame (`.git-blame-ignore-revs` at HEAD). */
async function ignoredRevs(cwd: string): Promise<string[]> {
  const text = await git(["show", "HEAD:.git-blame-ignore-revs"], { cwd }).catch(() => "");
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => /^[0-9a-f]{40}$/.test(l));
}

/**
 * SZZ: the lines a fix deleted or changed are blamed at the fix's parent (`git blame -w -M`, as
 * PyDriller does; `copies` adds `-C`, which follows lines moved from other files of the same
 * commit at about three times the cost);
 * the commits that last touched them are labelled bug-introducing. Whitespace and comment-only
 * lines, non-source files and dependency manifests are ignored (Fan et al. 2019 show such
 * mislabelled changes hurt JIT models), as are the revisions listed in `.git-blame-ignore-revs`;
 * merges and commits newer than the fix cannot be blamed at its parent.
 *
 * Cost (see docs/BENCHMARKS.md, "Time of `risk eval`"): one git process per blamed file is
 * unavoidable, so everything else is batched or made cheaper. The lines every fix removed come
 * from one `git log --no-walk -p -U0` stream over all fixes (not one `git diff` per fix), read
 * while the first blames already run; blame reports line groups (`--incremental`) rather than
 * every line with its text; and a repository without a commit-graph gets a temporary one with
 * changed-path Bloom filters, outside the repository (see withCommitGraph), which lets blame skip
 * the commits that did not touch the file. `method: "per-fix"` is the method before, kept for
 * the benchmark's same-run comparison; both label the same commits.
 */
export async function szz(
  cwd: string,
  fixes: string[],
  known: Set<string>,
  opts: { concurrency?: number; copies?: boolean; method?: "batched" | "per-fix" } = {},
): Promise<Map<string, string[]>> {
  const introduced = new Map<string, string[]>(); // bug-introducing sha -> fixes
  if (!fixes.length) return introduced;
  const perFix = opts.method === "per-fix";
  // Only revisions in this history: blame refuses to run with one it cannot find.
  const ignore = (await ignoredRevs(cwd)).filter((r) => known.has(r)).flatMap((r) => ["--ignore-rev", r]);
  const graph = perFix ? undefined : await withCommitGraph(cwd);
  try {
    const tasks = perFix ? perFixTasks(fixes) : removedLines(cwd, fixes);
    // A few files are blamed at once: each is a separate git process, mostly waiting on pack reads.
    const workers = Math.max(1, opts.concurrency ?? 2);
    const worker = async () => {
      // One shell per worker runs its blames (one spawn from node instead of one per blame).
      const shell = perFix ? undefined : GitShell.open({ cwd, env: graph?.env });
      try {
        for (let t = await tasks.next(); !t.done; t = await tasks.next()) await blame(t.value, shell);
      } finally {
        shell?.close();
      }
    };
    await Promise.all(Array.from({ length: workers }, worker));
  } finally {
    graph?.dispose();
  }
  // Fixes in history order for each bug-introducing commit, whatever order the workers finished in.
  const order = new Map(fixes.map((f, i) => [f, i]));
  for (const list of introduced.values()) list.sort((a, b) => order.get(a)! - order.get(b)!);
  return introduced;

  /** The method before: one `git diff` per fix, each file blamed as the fix's diff is read. */
  async function* perFixTasks(list: string[]): AsyncGenerator<BlameTask> {
    for (const fix of list) {
      const ranges = new Map<string, number[]>();
      for await (const e of streamDiff(["diff", "-U0", "--no-renames", "--no-color", `${fix}^`, fix], { cwd })) {
        if (e.kind !== "removed" || TRIVIAL.test(e.text) || !blameable(e.path)) continue;
        const l = ranges.get(e.path) ?? [];
        l.push(e.line);
        ranges.set(e.path, l);
      }
      for (const [path, lines] of ranges) yield { fix, path, lines };
    }
  }

  async function blame({ fix, path, lines }: BlameTask, shell?: GitShell): Promise<void> {
    const spans: string[] = [];
    let s = lines[0]!;
    let p = s;
    for (const l of lines.slice(1).concat([Infinity])) {
      if (l === p + 1) {
        p = l;
        continue;
      }
      spans.push("-L", `${s},${p}`);
      s = p = l;
    }
    const args = [
      "blame",
      perFix ? "--porcelain" : "--incremental",
      "-w",
      ...(opts.copies ? ["-C"] : []),
      "-M",
      ...ignore,
      ...spans,
      `${fix}^`,
      "--",
      path,
    ];
    const record = (line: string) => {
      const m = /^([0-9a-f]{40}) \d+ \d+/.exec(line);
      if (!m || !known.has(m[1]!) || m[1] === fix) return;
      const list = introduced.get(m[1]!) ?? [];
      if (!list.includes(fix)) list.push(fix);
      introduced.set(m[1]!, list);
    };
    // A failing blame (file absent at the parent: renamed or binary) has nothing to blame.
    if (shell) {
      const r = await shell.run(args);
      if (r.status === 0) r.lines.forEach(record);
      return;
    }
    try {
      for await (const line of gitLines(args, { cwd, env: graph?.env })) record(line);
    } catch {
      /* nothing to blame */
    }
  }
}

interface BlameTask {
  fix: string;
  path: string;
  /** old-side line numbers the fix removed or changed, ascending */
  lines: number[];
}

/** Shas per `git log` process: keeps the argument list far below the system limit. */
const LOG_BATCH = 500;

/**
 * The blameable lines each fix removed, as blame tasks (one per file), from `git log --no-walk -p
 * -U0` over the fixes: one git process for every 500 fixes instead of one each. A root commit has no
 * parent and removed nothing. Tasks are yielded as soon as a fix's diff has been read.
 */
async function* removedLines(cwd: string, fixes: string[]): AsyncGenerator<BlameTask> {
  for (let i = 0; i < fixes.length; i += LOG_BATCH) {
    let fix: string | undefined;
    let ranges = new Map<string, number[]>();
    const flush = function* (): Generator<BlameTask> {
      if (fix) for (const [path, lines] of ranges) yield { fix, path, lines };
      ranges = new Map();
    };
    for await (const e of streamDiff(
      [
        "log",
        "--no-walk=unsorted",
        "-p",
        "-U0",
        "--no-renames",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "--format=commit %H",
        ...fixes.slice(i, i + LOG_BATCH),
        "--",
      ],
      { cwd },
    )) {
      if (e.kind === "commit" || e.kind === "file") {
        const sha = e.kind === "commit" ? e.sha : e.commit;
        if (sha !== fix) {
          yield* flush();
          fix = sha;
        }
        continue;
      }
      if (e.kind !== "removed" || TRIVIAL.test(e.text) || !blameable(e.path)) continue;
      if (e.commit !== fix) {
        yield* flush();
        fix = e.commit;
      }
      const l = ranges.get(e.path) ?? [];
      l.push(e.line);
      ranges.set(e.path, l);
    }
    yield* flush();
  }
}

/**
 * Blame walks history file by file; a commit-graph with changed-path Bloom filters lets it skip the
 * commits that did not touch the file instead of diffing their trees. A repository that has no
 * commit-graph gets one for this run only, in a temporary object directory that borrows the
 * repository's objects (alternates): nothing is written to the repository. Undefined when the
 * repository has one already, or when git cannot write one (shallow clones): blame then runs as is.
 */
async function withCommitGraph(cwd: string): Promise<{ env: Record<string, string>; dispose(): void } | undefined> {
  try {
    const objects = (await git(["rev-parse", "--path-format=absolute", "--git-path", "objects"], { cwd })).trim();
    if (existsSync(join(objects, "info", "commit-graph")) || existsSync(join(objects, "info", "commit-graphs")))
      return undefined;
    if ((await git(["rev-parse", "--is-shallow-repository"], { cwd })).trim() === "true") return undefined;
    const dir = mkdtempSync(join(tmpdir(), "gitops-health-graph-"));
    const dispose = () => rmSync(dir, { recursive: true, force: true });
    try {
      mkdirSync(join(dir, "info"), { recursive: true });
      mkdirSync(join(dir, "pack"));
      writeFileSync(join(dir, "info", "alternates"), objects + "\n");
      const env = { GIT_OBJECT_DIRECTORY: dir };
      await git(["commit-graph", "write", "--reachable", "--changed-paths", "--no-progress"], { cwd, env });
      return { env, dispose };
    } catch {
      dispose();
      return undefined;
    }
  } catch {
    return undefined;
  }
}

/** True when the repository has only part of its history. */
export async function historyDepth(cwd: string): Promise<{ shallow: boolean; commits: number }> {
  const shallow = (await git(["rev-parse", "--is-shallow-repository"], { cwd })).trim() === "true";
  // Counting walks the whole history: only a shallow clone needs the figure (for its warning).
  const commits = shallow ? Number((await git(["rev-list", "--count", "HEAD"], { cwd })).trim()) : NaN;
  return { shallow, commits };
}
