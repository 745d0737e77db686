import { gitLines, type GitOptions } from "./exec.js";

/** Events produced by the streaming unified-diff parser. */
export type DiffEvent =
  | { kind: "commit"; sha: string; headers: Record<string, string> }
  | {
      kind: "file";
      commit?: string;
      oldPath: string | null;
      newPath: string | null;
      binary: boolean;
      status: "added" | "deleted" | "modified" | "renamed";
    }
  | { kind: "added"; commit?: string; path: string; line: number; text: string }
  | { kind: "removed"; commit?: string; path: string; line: number; text: string };

/**
 * Incremental parser for `git diff` / `git log -p` output (any -U context).
 * Feed it one line at a time; it never holds more than the current file header.
 * Commit headers are recognised only outside hunks, so a `+commit ...` line is never mistaken for one.
 * `log` output must use a format whose first line is `commit <sha>` and whose other header
 * lines are `key value` (see LOG_PATCH_FORMAT).
 */
export class DiffParser {
  private commit: string | undefined;
  private commitHeaders: Record<string, string> | undefined;
  private file:
    | {
        oldPath: string | null;
        newPath: string | null;
        binary: boolean;
        status: "added" | "deleted" | "modified" | "renamed";
      }
    | undefined;
  private fileEmitted = false;
  private oldLeft = 0;
  private newLeft = 0;
  private oldLine = 0;
  private newLine = 0;
  private inHeader = false;

  constructor(private readonly emit: (event: DiffEvent) => void) {}

  push(line: string): void {
    if (this.oldLeft > 0 || this.newLeft > 0) {
      this.hunkLine(line);
      return;
    }
    if (line.startsWith("commit ") && /^commit [0-9a-f]{7,64}\b/.test(line)) {
      this.flushFile();
      this.commit = line.slice(7, line.indexOf(" ", 7) === -1 ? undefined : line.indexOf(" ", 7)).trim();
      this.commitHeaders = {};
      this.inHeader = true;
      return;
    }
    if (this.inHeader && this.commitHeaders) {
      if (line.startsWith("diff --git ")) {
        this.inHeader = false;
        this.emit({ kind: "commit", sha: this.commit!, headers: this.commitHeaders });
      } else {
        const sp = line.indexOf(" ");
        if (sp > 0) this.commitHeaders[line.slice(0, sp)] = line.slice(sp + 1);
        return;
      }
    }
    if (line.startsWith("diff --git ")) {
      this.flushFile();
      const [a, b] = splitDiffGitPaths(line.slice("diff --git ".length));
      this.file = { oldPath: a, newPath: b, binary: false, status: "modified" };
      this.fileEmitted = false;
      return;
    }
    if (!this.file) return;
    if (line.startsWith("new file mode")) this.file.status = "added";
    else if (line.startsWith("deleted file mode")) this.file.status = "deleted";
    else if (line.startsWith("rename from ")) {
      this.file.status = "renamed";
      this.file.oldPath = unquote(line.slice(12));
    } else if (line.startsWith("rename to ")) {
      this.file.status = "renamed";
      this.file.newPath = unquote(line.slice(10));
    } else if (line.startsWith("Binary files ") || line === "GIT binary patch") this.file.binary = true;
    else if (line.startsWith("--- ")) {
      const p = trimTab(line.slice(4));
      this.file.oldPath = p === "/dev/null" ? null : stripPrefix(unquote(p));
    } else if (line.startsWith("+++ ")) {
      const p = trimTab(line.slice(4));
      this.file.newPath = p === "/dev/null" ? null : stripPrefix(unquote(p));
    } else if (line.startsWith("@@")) {
      const m = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(line);
      if (!m) return;
      this.emitFile();
      this.oldLine = Number(m[1]);
      this.oldLeft = m[2] === undefined ? 1 : Number(m[2]);
      this.newLine = Number(m[3]);
      this.newLeft = m[4] === undefined ? 1 : Number(m[4]);
    }
  }

  /** Call after the last line. */
  end(): void {
    if (this.inHeader && this.commitHeaders && this.commit) {
      this.inHeader = false;
      this.emit({ kind: "commit", sha: this.commit, headers: this.commitHeaders });
    }
    this.flushFile();
  }

  private hunkLine(line: string): void {
    const c = line.charCodeAt(0);
    const path = this.file?.newPath ?? this.file?.oldPath ?? "";
    if (c === 43 /* + */) {
      this.emit({ kind: "added", commit: this.commit, path, line: this.newLine, text: line.slice(1) });
      this.newLine++;
      this.newLeft--;
    } else if (c === 45 /* - */) {
      this.emit({ kind: "removed", commit: this.commit, path, line: this.oldLine, text: line.slice(1) });
      this.oldLine++;
      this.oldLeft--;
    } else if (c === 92 /* \ No newline */) {
      // not a content line
    } else {
      this.oldLine++;
      this.newLine++;
      this.oldLeft--;
      this.newLeft--;
    }
    if (this.oldLeft < 0) this.oldLeft = 0;
    if (this.newLeft < 0) this.newLeft = 0;
  }

  private emitFile(): void {
    if (this.file && !this.fileEmitted) {
      this.fileEmitted = true;
      this.emit({ kind: "file", commit: this.commit, ...this.file });
    }
  }

  private flushFile(): void {
    this.emitFile();
    this.file = undefined;
    this.oldLeft = this.newLeft = 0;
  }
}

/** Format for `git log -p` that DiffParser understands. */
export const LOG_PATCH_FORMAT = "--format=commit %H%nauthor %an <%ae>%nauthor-date %aI%nparents %P%n";

/** Stream diff events from a git command (e.g. `["diff", "--cached", "-U0"]`). */
export async function* streamDiff(args: string[], options: GitOptions = {}): AsyncGenerator<DiffEvent> {
  const queue: DiffEvent[] = [];
  const parser = new DiffParser((e) => queue.push(e));
  for await (const line of gitLines(args, options)) {
    parser.push(line);
    while (queue.length > 0) yield queue.shift()!;
  }
  parser.end();
  while (queue.length > 0) yield queue.shift()!;
}

/** Parse a complete diff text (tests, stdin). */
export function parseDiff(text: string): DiffEvent[] {
  const events: DiffEvent[] = [];
  const parser = new DiffParser((e) => events.push(e));
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  for (const l of lines) parser.push(l);
  parser.end();
  return events;
}

// git appends a TAB to ---/+++ paths that contain spaces.
function trimTab(p: string): string {
  return p.endsWith("\t") ? p.slice(0, -1) : p;
}

function stripPrefix(p: string): string {
  return p.startsWith("a/") || p.startsWith("b/") ? p.slice(2) : p;
}

/** Undo git's C-style quoting of unusual paths ("a/t\303\251st"). */
export function unquote(p: string): string {
  if (!p.startsWith('"') || !p.endsWith('"')) return p;
  const body = p.slice(1, -1);
  const bytes: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch !== "\\") {
      bytes.push(...Buffer.from(ch, "utf8"));
      continue;
    }
    const next = body[++i]!;
    if (/[0-7]/.test(next)) {
      bytes.push(parseInt(body.slice(i, i + 3), 8));
      i += 2;
    } else {
      bytes.push(
        { n: 10, t: 9, r: 13, '"': 34, "\\": 92, a: 7, b: 8, f: 12, v: 11 }[next]?.valueOf() ?? next.charCodeAt(0),
      );
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

function splitDiffGitPaths(rest: string): [string | null, string | null] {
  if (rest.startsWith('"')) {
    const end = rest.indexOf('" ', 1);
    const a = rest.slice(0, end + 1);
    const b = rest.slice(end + 2);
    return [stripPrefix(unquote(a)), stripPrefix(unquote(b))];
  }
  // "a/x b/x": same path both sides unless renamed (then rename headers override).
  const half = (rest.length - 1) / 2;
  if (Number.isInteger(half) && rest.slice(2, half) === rest.slice(half + 3)) {
    return [rest.slice(2, half), rest.slice(half + 3)];
  }
  const idx = rest.indexOf(" b/");
  return [stripPrefix(rest.slice(0, idx)), stripPrefix(rest.slice(idx + 1))];
}
