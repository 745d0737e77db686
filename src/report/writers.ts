// Output writers as a registry: format name → writer. The CLI and any other front pick a writer by
// the --format they were given; a new format is one entry here, not another branch in each front.
import { UserError } from "../core/errors.js";
import type { Severity } from "../core/vocabulary.js";
import { formatJson, formatMarkdown, formatSarif, formatText, type ScanReport } from "./findings.js";

export interface Colors {
  red(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

export interface WriteContext {
  /** Terminal colours for human formats (identity functions when there is no TTY). */
  color: Colors;
  /** Gate shown by the text format: findings at or above it fail. */
  failOn?: Severity;
  /** Tool version, for formats that record it (SARIF); read only when such a format is written. */
  version: () => string;
  /** SARIF: include the keyed `gitopsHealth/v2` fingerprint (false when the key is ephemeral, e.g. on forks). */
  keyed?: boolean;
}

export interface Writer<R, C = WriteContext> {
  /** Where the text goes: machine formats to stdout, human text to stderr. */
  stream: "stdout" | "stderr";
  mediaType: string;
  write(report: R, ctx: C): string;
}

/** A format → writer registry with one error message for unknown formats. */
export class WriterRegistry<R, C = WriteContext> {
  private readonly writers = new Map<string, Writer<R, C>>();

  constructor(
    readonly what: string,
    entries: Record<string, Writer<R, C>>,
  ) {
    for (const [name, w] of Object.entries(entries)) this.writers.set(name, w);
  }

  get formats(): string[] {
    return [...this.writers.keys()];
  }

  has(format: string): boolean {
    return this.writers.has(format);
  }

  get(format: string): Writer<R, C> {
    const w = this.writers.get(format);
    if (!w) throw new UserError(`unknown ${this.what} format "${format}" (valid: ${this.formats.join(", ")})`);
    return w;
  }

  /** Add or replace a format (library users can plug in their own). */
  register(format: string, writer: Writer<R, C>): this {
    this.writers.set(format, writer);
    return this;
  }
}

/** Writers of scan findings: text, json, markdown, sarif. */
export const findingWriters = new WriterRegistry<ScanReport>("report", {
  text: {
    stream: "stderr",
    mediaType: "text/plain",
    write: (r, c) => formatText(r, c.color, c.failOn ? { failOn: c.failOn } : undefined),
  },
  json: { stream: "stdout", mediaType: "application/json", write: (r) => formatJson(r) },
  markdown: { stream: "stdout", mediaType: "text/markdown", write: (r) => formatMarkdown(r) },
  sarif: {
    stream: "stdout",
    mediaType: "application/sarif+json",
    write: (r, c) => formatSarif(r, c.version(), { keyed: c.keyed ?? true }),
  },
});
