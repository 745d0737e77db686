// Commit messages are a side channel too: a message reaches every clone, CI log and changelog.
// Each message is scanned as a 'file' with a stable pseudo-path, `commit:<sha>:message` (or
// `commit:message` before the commit exists: the commit-msg hook, `commit lint FILE`).
// Messages are scanned with the code profile: identifiers need validation or context (SSNs,
// cards, phone numbers, MRNs), because trailers carry contributors' names and addresses by design
// (Signed-off-by, Co-authored-by) and the prose detectors would flag every one.
import type { Finding } from "../phi/types.js";
import { gitLineBatches } from "../git/exec.js";
import type { prepareWith } from "./prepare.js";

type Prepared = ReturnType<typeof prepareWith>;

/** The pseudo-path of a commit's message in findings. */
export function messagePath(sha?: string): string {
  return sha ? `commit:${sha}:message` : "commit:message";
}

/** Findings in one commit message (suppressions applied). */
export function scanMessage(prepared: Prepared, text: string, sha?: string): Finding[] {
  return prepared.scanner
    .scan(text, { path: messagePath(sha), profile: "code", ...(sha ? { commit: sha } : {}) })
    .filter((f) => !prepared.suppressed(f, text));
}

/** Every message of `rev`'s history (no merges, oldest first), streamed from one `git log`. */
export async function scanHistoryMessages(
  prepared: Prepared,
  cwd: string,
  rev: string,
): Promise<{ findings: Finding[]; messages: number; bytes: number }> {
  const findings: Finding[] = [];
  let sha: string | undefined;
  let lines: string[] = [];
  let messages = 0;
  let bytes = 0;
  const flush = () => {
    if (!sha) return;
    const text = lines.join("\n").replace(/\s+$/, "");
    messages++;
    bytes += text.length;
    findings.push(...scanMessage(prepared, text, sha));
  };
  // \x01 cannot appear in a message git stores as text; it marks each commit's first line
  for await (const batch of gitLineBatches(["log", "--no-merges", "--reverse", "--format=%x01%H%n%B", rev, "--"], {
    cwd,
  })) {
    for (const line of batch) {
      const m = /^\x01([0-9a-f]{40,64})$/.exec(line);
      if (m) {
        flush();
        sha = m[1];
        lines = [];
      } else lines.push(line);
    }
  }
  flush();
  return { findings, messages, bytes };
}
