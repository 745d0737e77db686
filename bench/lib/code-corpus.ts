import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

export interface CorpusFile {
  path: string;
  text: string;
}

const SKIP_DIRS = /^(?:test|tests|__tests__|spec|specs|fixtures?|example|examples|\.bin)$/;
const SKIP_FILES = /\.(?:test|spec|min)\.|\.d\.ts$/;

/**
 * Source files of this checkout's node_modules, in path order, test and spec files and fixture folders
 * excluded: the code corpus of the scanner benchmarks. `every` keeps every Nth file (a sample); files
 * larger than `maxFileSize` are skipped; stops once `maxBytes` of text are read.
 */
export function codeCorpus(
  root: string,
  o: { ext?: RegExp; maxBytes: number; every?: number; maxFileSize?: number },
): CorpusFile[] {
  const ext = o.ext ?? /\.(?:[cm]?js|ts)$/;
  const every = o.every ?? 1;
  const maxFileSize = o.maxFileSize ?? 2e6;
  const files: CorpusFile[] = [];
  let total = 0;
  let seen = 0;
  const walk = (dir: string) => {
    if (total >= o.maxBytes) return;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
    } catch {
      return;
    }
    for (const e of entries) {
      if (total >= o.maxBytes) return;
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (!SKIP_DIRS.test(e.name)) walk(p);
      } else if (
        ext.test(e.name) &&
        !SKIP_FILES.test(e.name) &&
        seen++ % every === 0 &&
        statSync(p).size <= maxFileSize
      ) {
        const text = readFileSync(p, "utf8");
        files.push({ path: p.slice(root.length), text });
        total += Buffer.byteLength(text);
      }
    }
  };
  walk(join(root, "node_modules"));
  return files;
}
