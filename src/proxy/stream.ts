/**
 * The scanner for streamed completions. Text is released only after it was scanned with at least
 * `hold` characters of right context (or at the end of the stream), and never in the middle of a
 * finding or a placeholder, so an identifier split across chunks is seen whole. Released text has
 * model-produced PHI masked and, when allowed, placeholders restored.
 */
import type { Finding } from "../phi/types.js";
import { placeholderCategory, restorePlaceholders, type Scanner } from "../llm/redaction.js";

export interface ReplyFilter {
  /** values that may appear in the reply (they were in the prompt and passed) */
  passed: Set<string>;
  /** lower-cased allow-list */
  allow: Set<string>;
  /** placeholder -> value, only when the caller may restore */
  restore?: Map<string, string>;
}

/** Findings in a reply that count as model-produced PHI. */
export function replyFindings(text: string, scan: Scanner, filter: ReplyFilter): Finding[] {
  return scan(text).filter((f) => {
    if (f.synthetic) return false;
    const v = text.slice(f.start, f.end);
    return !filter.passed.has(v) && !filter.allow.has(v.toLowerCase());
  });
}

/** Mask the given findings (overlaps merged) and restore placeholders when a map is given. */
export function applyReply(text: string, findings: Finding[], restore?: Map<string, string>): string {
  const spans = [...findings].sort((a, b) => a.start - b.start || b.end - a.end);
  let out = "";
  let at = 0;
  for (const f of spans) {
    if (f.end <= at) continue;
    const start = Math.max(f.start, at);
    out += text.slice(at, start) + (start === f.start ? `[REDACTED_${placeholderCategory(f.category)}]` : "");
    at = f.end;
  }
  out += text.slice(at);
  return restore && restore.size ? restorePlaceholders(out, restore) : out;
}

/** Scan a whole (non-streamed) reply text. */
export function filterReply(text: string, scan: Scanner, filter: ReplyFilter): { text: string; findings: Finding[] } {
  const findings = replyFindings(text, scan, filter);
  return { text: applyReply(text, findings, filter.restore), findings };
}

export class StreamGuard {
  private text = "";
  /** offset up to which text was released */
  private released = 0;
  readonly findings: Finding[] = [];
  /** findings that began in text already released (only possible when the scanner saw more context later) */
  late = 0;

  constructor(
    private readonly scan: Scanner,
    private readonly filter: ReplyFilter,
    private readonly hold = 64,
    /** left context rescanned with each window */
    private readonly context = 256,
  ) {}

  /** Add a delta; returns what may be released now (possibly ""). */
  push(delta: string): string {
    this.text += delta;
    return this.release(false);
  }

  /** End of stream: everything left, scanned. */
  flush(): string {
    return this.release(true);
  }

  /** The whole reply so far, as received (for the completion digest). */
  get received(): string {
    return this.text;
  }

  private release(final: boolean): string {
    let cut = final ? this.text.length : this.text.length - this.hold;
    if (cut <= this.released) return "";
    if (!final) {
      // cut at a whitespace so a word is never split at the release point
      const ws = this.text.slice(this.released, cut).search(/\s\S*$/);
      if (ws < 0) return "";
      cut = this.released + ws + 1;
      // never inside an unclosed placeholder
      const open = this.text.lastIndexOf("[", cut);
      if (open >= this.released && this.text.indexOf("]", open) === -1) cut = open;
      if (cut <= this.released) return "";
    }
    const from = Math.max(0, this.released - this.context);
    const window = this.text.slice(from);
    const hits = replyFindings(window, this.scan, this.filter).map((f) => ({
      ...f,
      start: f.start + from,
      end: f.end + from,
    }));
    for (const f of hits)
      if (!final && f.end > this.released && f.start < cut && f.end > cut)
        cut = Math.max(this.released, Math.min(cut, f.start));
    if (cut <= this.released) return "";
    // a finding that began in released text was seen whole only later (more context): mask the rest
    const take = hits.filter((f) => f.end > this.released && f.start < cut);
    this.late += take.filter((f) => f.start < this.released).length;
    const local = take.map((f) => ({
      ...f,
      start: Math.max(f.start, this.released) - this.released,
      end: Math.min(f.end, cut) - this.released,
    }));
    this.findings.push(...take);
    const out = applyReply(this.text.slice(this.released, cut), local, this.filter.restore);
    this.released = cut;
    return out;
  }
}
