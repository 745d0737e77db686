import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { findConfigFile } from "./find.js";
import { LineCounter, parseDocument, isNode } from "yaml";
import type { ZodError } from "zod";
import { Config, CONFIG_FILE_NAME } from "./schema.js";
import { UserError } from "../core/errors.js";

export interface LoadedConfig {
  config: Config;
  /** Absolute path of the file read, or undefined when defaults were used. */
  file?: string;
}

export { findConfigFile };

/** Load and validate the config; any problem is a UserError naming file, line and field. */
export function loadConfig(options: { cwd?: string; file?: string } = {}): LoadedConfig {
  const file = options.file ? resolve(options.file) : findConfigFile(options.cwd ?? process.cwd());
  if (!file) return { config: Config.parse({}) };
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new UserError(`${file}: cannot read config (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
  return { config: parseConfigText(text, file), file };
}

export function parseConfigText(text: string, file = CONFIG_FILE_NAME): Config {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = lineCounter.linePos(e.pos[0]);
    throw new UserError(`${file}:${pos.line}:${pos.col}: invalid YAML: ${e.message.split("\n")[0]}`);
  }
  const raw: unknown = doc.toJS() ?? {};
  const result = Config.safeParse(raw);
  if (result.success) return result.data;
  throw new UserError(
    describeZodError(result.error, file, (path) => {
      const node = doc.getIn(path, true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
      // Unknown keys and missing fields: point at the parent mapping.
      const parent = doc.getIn(path.slice(0, -1), true);
      if (isNode(parent) && parent.range) return lineCounter.linePos(parent.range[0]).line;
      return undefined;
    }),
  );
}

function describeZodError(
  error: ZodError,
  file: string,
  lineOf: (path: (string | number)[]) => number | undefined,
): string {
  const issue = error.issues[0]!;
  let path = issue.path.map((p) => (typeof p === "symbol" ? String(p) : p));
  let message = issue.message;
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0]!;
    path = [...path, key];
    message = `unknown field "${key}"`;
  }
  const field = path.length > 0 ? path.join(".") : "(root)";
  const line = lineOf(path);
  return `${file}${line ? `:${line}` : ""}: ${field}: ${message}`;
}
