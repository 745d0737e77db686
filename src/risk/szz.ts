import { git, gitLines } from "../git/exec.js";
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
 */
export async function szz(
  cwd: string,
  fixes: string[],
  known: Set<string>,
  opts: { concurrency?: number; copies?: boolean } = {},
): Promise<Map<string, string[]>> {
  const introduced = new Map<string, string[]>(); // bug-introducing sha -> fixes
  // Only revisions in this history: blame refuses to run with one it cannot find.
  const ignore = (await ignoredRevs(cwd)).filter((r) => known.has(r)).flatMap((r) => ["--ignore-rev", r]);
  // A few fixes are blamed at once: each is a separate git process, mostly waiting on pack reads.
  let next = 0;
  const worker = async () => {
    while (next < fixes.length) await blameFix(fixes[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency ?? 2, fixes.length)) }, worker));
  // Fixes in history order for each bug-introducing commit, whatever order the workers finished in.
  const order = new Map(fixes.map((f, i) => [f, i]));
  for (const list of introduced.values()) list.sort((a, b) => order.get(a)! - order.get(b)!);
  return introduced;

  async function blameFix(fix: string): Promise<void> {
    const ranges = new Map<string, number[]>();
    for await (const e of streamDiff(["diff", "-U0", "--no-renames", "--no-color", `${fix}^`, fix], { cwd })) {
      if (e.kind !== "removed" || TRIVIAL.test(e.text) || !blameable(e.path)) continue;
      const l = ranges.get(e.path) ?? [];
      l.push(e.line);
      ranges.set(e.path, l);
    }
    for (const [path, lines] of ranges) {
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
      try {
        for await (const line of gitLines(
          [
            "blame",
            "--porcelain",
            "-w",
            ...(opts.copies ? ["-C"] : []),
            "-M",
            ...ignore,
            ...spans,
            `${fix}^`,
            "--",
            path,
          ],
          { cwd },
        )) {
          const m = /^([0-9a-f]{40}) \d+ \d+/.exec(line);
          if (!m || !known.has(m[1]!) || m[1] === fix) continue;
          const list = introduced.get(m[1]!) ?? [];
          if (!list.includes(fix)) list.push(fix);
          introduced.set(m[1]!, list);
        }
      } catch {
        /* file absent at the parent (renamed or binary): nothing to blame */
      }
    }
  }
}

/** True when the repository has only part of its history. */
export async function historyDepth(cwd: string): Promise<{ shallow: boolean; commits: number }> {
  const shallow = (await git(["rev-parse", "--is-shallow-repository"], { cwd })).trim() === "true";
  // Counting walks the whole history: only a shallow clone needs the figure (for its warning).
  const commits = shallow ? Number((await git(["rev-list", "--count", "HEAD"], { cwd })).trim()) : NaN;
  return { shallow, commits };
}
