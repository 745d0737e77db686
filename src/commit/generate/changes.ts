import { DiffParser } from "../../git/diff.js";
import { git, gitLines, type GitOptions } from "../../git/exec.js";

/** One file of a change, as the generator sees it (line texts only, no context lines). */
export interface FileChange {
  path: string;
  oldPath: string | null;
  status: "added" | "deleted" | "modified" | "renamed";
  binary: boolean;
  added: string[];
  removed: string[];
  /** Function context git printed on hunk headers (`@@ ... @@ function foo()`), de-duplicated. */
  contexts: string[];
  /** New-side line numbers of `added`. */
  addedAt: number[];
  /**
   * Old-side line ranges the hunks rewrite, `[start, count]` as in `@@ -start,count`: count 0 is an
   * insertion after line `start` (read by the rewrite evidence, which blames these lines).
   */
  oldHunks?: [number, number][];
  /** package.json only: the sections (dependencies, devDependencies...) holding the added lines. */
  manifestSections?: string[];
}

export interface ChangeSet {
  files: FileChange[];
}

/** Collect a ChangeSet from any `git diff`-like command (staged diff, `git diff A B`). */
export async function collectChanges(
  args: string[],
  options: GitOptions & { blobRev?: string } = {},
): Promise<ChangeSet> {
  const files: FileChange[] = [];
  const byKey = new Map<string, FileChange>();
  let current: FileChange | undefined;
  const parser = new DiffParser((e) => {
    if (e.kind === "file") {
      const path = e.newPath ?? e.oldPath ?? "";
      current = {
        path,
        oldPath: e.oldPath,
        status: e.status,
        binary: e.binary,
        added: [],
        removed: [],
        contexts: [],
        addedAt: [],
      };
      files.push(current);
      byKey.set(path, current);
    } else if (e.kind === "added") {
      const f = byKey.get(e.path);
      f?.added.push(e.text);
      f?.addedAt.push(e.line);
    } else if (e.kind === "removed") byKey.get(e.path)?.removed.push(e.text);
  });
  let pendingContext: string | undefined;
  for await (const line of gitLines(args, options)) {
    // A hunk body line never starts with "@@" (it starts with ' ', '+', '-' or '\'), so this is a header.
    let hunk: [number, number] | undefined;
    if (line.startsWith("@@ -")) {
      const m = /^@@ [^@]* @@ ?(.*)$/.exec(line);
      pendingContext = m?.[1]?.trim() || undefined;
      const r = /^@@ -(\d+)(?:,(\d+))? /.exec(line);
      if (r) hunk = [Number(r[1]), r[2] === undefined ? 1 : Number(r[2])];
    }
    parser.push(line);
    if (hunk && current && (current.oldHunks?.length ?? 0) < 200) (current.oldHunks ??= []).push(hunk);
    if (pendingContext !== undefined && current) {
      if (!current.contexts.includes(pendingContext) && current.contexts.length < 20)
        current.contexts.push(pendingContext);
      pendingContext = undefined;
    }
  }
  parser.end();
  if (options.blobRev !== undefined) await annotateManifests(files, options.blobRev, options);
  return { files };
}

/** For package.json files, which top-level sections the added lines fall in (one git call each). */
async function annotateManifests(files: FileChange[], rev: string, options: GitOptions): Promise<void> {
  for (const f of files) {
    if (!/(^|\/)package\.json$/.test(f.path) || f.addedAt.length === 0 || f.binary) continue;
    let text: string;
    try {
      text = await git(["show", `${rev}:${f.path}`], { cwd: options.cwd });
    } catch {
      continue;
    }
    const sectionAt = manifestSectionsByLine(text);
    f.manifestSections = [...new Set(f.addedAt.map((n) => sectionAt[n - 1] ?? ""))].filter(Boolean);
  }
}

/** Top-level key enclosing each line of a pretty-printed JSON object (index = line - 1). */
export function manifestSectionsByLine(text: string): (string | undefined)[] {
  const out: (string | undefined)[] = [];
  let current: string | undefined;
  for (const line of text.split("\n")) {
    const top = /^ {2}"([^"]+)"\s*:|^\t"([^"]+)"\s*:/.exec(line);
    if (top) current = top[1] ?? top[2];
    out.push(current);
  }
  return out;
}

/** The staged change (what `git commit` would record). */
export function collectStaged(cwd: string): Promise<ChangeSet> {
  return collectChanges(["diff", "--cached", "-M", "--no-ext-diff", "-U0"], { cwd, blobRev: "" });
}

/** The change a historical commit introduced (first parent; root commits against the empty tree). */
export function collectCommit(cwd: string, sha: string): Promise<ChangeSet> {
  return collectChanges(["show", "-M", "--no-ext-diff", "-U0", "--format=", "--first-parent", sha], {
    cwd,
    blobRev: sha,
  });
}
