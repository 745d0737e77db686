import { UserError } from "../core/errors.js";

/** Machine formats every reporting command accepts (a command may accept a subset). */
export type OutputFormat = "text" | "json" | "sarif" | "markdown" | "junit" | "csv";

export function parseFormat<T extends OutputFormat>(value: string | undefined, allowed: readonly T[], fallback: T): T {
  const v = (value ?? fallback) as T;
  if (!allowed.includes(v)) throw new UserError(`unknown --format "${value}" (valid: ${allowed.join(", ")})`);
  return v;
}

/** Machine output: stdout only. */
export function writeOut(text: string): void {
  process.stdout.write(text.endsWith("\n") ? text : text + "\n");
}

export function writeJson(value: unknown): void {
  writeOut(JSON.stringify(value, null, 2));
}

/** Human output: stderr, so stdout stays parseable. */
export function say(text: string): void {
  process.stderr.write(text.endsWith("\n") ? text : text + "\n");
}

const useColor = (): boolean => Boolean(process.stderr.isTTY) && !process.env.NO_COLOR;
export const color = {
  red: (s: string) => (useColor() ? `\x1b[31m${s}\x1b[0m` : s),
  yellow: (s: string) => (useColor() ? `\x1b[33m${s}\x1b[0m` : s),
  green: (s: string) => (useColor() ? `\x1b[32m${s}\x1b[0m` : s),
  dim: (s: string) => (useColor() ? `\x1b[2m${s}\x1b[0m` : s),
  bold: (s: string) => (useColor() ? `\x1b[1m${s}\x1b[0m` : s),
};

/**
 * Progress on long work: a spinner with a counter on a TTY, silent otherwise (CI logs, pipes).
 * Call update() as often as you like; it repaints at most every 80 ms.
 */
export function progress(label: string): { update(detail: string): void; done(final?: string): void } {
  if (!process.stderr.isTTY || process.env.CI) return { update() {}, done() {} };
  const frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
  let i = 0;
  let last = 0;
  let detail = "";
  const paint = () => process.stderr.write(`\r\x1b[2K${frames[i++ % frames.length]} ${label} ${detail}`);
  const timer = setInterval(paint, 80);
  timer.unref();
  return {
    update(d: string) {
      detail = d;
      const now = Date.now();
      if (now - last > 80) {
        last = now;
        paint();
      }
    },
    done(final?: string) {
      clearInterval(timer);
      process.stderr.write("\r\x1b[2K");
      if (final) say(final);
    },
  };
}

/** Read all of stdin as a string (for `-` targets). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
