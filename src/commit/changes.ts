import { DiffParser } from "../git/diff.js";
import { gitLines, type GitOptions } from "../git/exec.js";

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
}

export interface ChangeSet {
  files: FileChange[];
}

/** Collect a ChangeSet from any `git diff`-like command (staged diff, `git diff A B`). */
export async function collectChanges(args: string[], options: GitOptions = {}): Promise<ChangeSet> {
  const files: FileChange[] = [];
  const byKey = new Map<string, FileChange>();
  let current: FileChange | undefined;
  const parser = new DiffParser((e) => {
    if (e.kind === "file") {
      const path = e.newPath ?? e.oldPath ?? "";
      current = { path, oldPath: e.oldPath, status: e.status, binary: e.binary, added: [], removed: [], contexts: [] };
      files.push(current);
      byKey.set(path, current);
    } else if (e.kind === "added") byKey.get(e.path)?.added.push(e.text);
    else if (e.kind === "removed") byKey.get(e.path)?.removed.push(e.text);
  });
  let pendingContext: string | undefined;
  for await (const line of gitLines(args, options)) {
    // A hunk body line never starts with "@@" (it starts with ' ', '+', '-' or '\'), so this is a header.
    if (line.startsWith("@@ -")) {
      const m = /^@@ [^@]* @@ ?(.*)$/.exec(line);
      pendingContext = m?.[1]?.trim() || undefined;
    }
    parser.push(line);
    if (pendingContext !== undefined && current) {
      if (!current.contexts.includes(pendingContext) && current.contexts.length < 20) current.contexts.push(pendingContext);
      pendingContext = undefined;
    }
  }
  parser.end();
  return { files };
}

/** The staged change (what `git commit` would record). */
export function collectStaged(cwd: string): Promise<ChangeSet> {
  return collectChanges(["diff", "--cached", "-M", "--no-ext-diff", "-U0"], { cwd });
}

/** The change a historical commit introduced (first parent; root commits against the empty tree). */
export function collectCommit(cwd: string, sha: string): Promise<ChangeSet> {
  return collectChanges(["show", "-M", "--no-ext-diff", "-U0", "--format=", "--first-parent", sha], { cwd });
}
