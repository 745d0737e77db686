import { readFileSync } from "node:fs";
import { writeFileAtomic } from "../../src/core/fs.js";
import { cpus } from "node:os";

const FILE = new URL("../../docs/BENCHMARKS.md", import.meta.url).pathname;

/**
 * Replace the section between `<!-- bench:NAME:start -->` and `<!-- bench:NAME:end -->`
 * in docs/BENCHMARKS.md, stamping the command, date and machine.
 */
export function writeBenchSection(name: string, command: string, markdown: string): void {
  const text = readFileSync(FILE, "utf8");
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  const body = `\n_Command: \`${command}\` · ${new Date().toISOString().slice(0, 10)} · ${cpus().length} × ${cpu} · Node ${process.version}_\n\n${markdown.trim()}\n`;
  const next =
    i >= 0 && j > i
      ? text.slice(0, i + start.length) + body + text.slice(j)
      : `${text.trimEnd()}\n\n## ${name}\n${start}${body}${end}\n`;
  writeFileAtomic(FILE, next);
}

/** Median of a numeric sample. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
