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

/** A package of node_modules at an exact version (the pinned corpus of scripts/phi-digest.ts). */
export interface PinnedPackage {
  name: string;
  version: string;
}

/**
 * Source files of the named packages, each at the pinned version, in byte order of their path
 * (no locale-dependent sort, no dot folders such as `.vite-temp`, no symlinks followed): the same
 * text in every checkout whose node_modules holds those versions, whatever else is installed.
 * `mismatch` lists each package that is missing or at another version (then the corpus is not
 * the pinned one and its digest is not comparable).
 */
export function pinnedCorpus(
  root: string,
  packages: readonly PinnedPackage[],
  o: { ext?: RegExp; maxFileSize?: number } = {},
): { files: CorpusFile[]; mismatch: string[] } {
  const ext = o.ext ?? /\.(?:[cm]?js|ts)$/;
  const maxFileSize = o.maxFileSize ?? 2e6;
  const files: CorpusFile[] = [];
  const mismatch: string[] = [];
  const byteOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const walk = (dir: string, rel: string) => {
    const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => byteOrder(a.name, b.name));
    for (const e of entries) {
      if (e.name.startsWith(".")) continue;
      const p = join(dir, e.name);
      const r = `${rel}/${e.name}`;
      if (e.isDirectory()) {
        if (!SKIP_DIRS.test(e.name) && e.name !== "node_modules") walk(p, r);
      } else if (e.isFile() && ext.test(e.name) && !SKIP_FILES.test(e.name) && statSync(p).size <= maxFileSize) {
        files.push({ path: r, text: readFileSync(p, "utf8") });
      }
    }
  };
  for (const pkg of packages) {
    const dir = join(root, "node_modules", pkg.name);
    let version: string | undefined;
    try {
      version = (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version?: string }).version;
    } catch {
      version = undefined;
    }
    if (version !== pkg.version) {
      mismatch.push(`${pkg.name}@${version ?? "missing"} (pinned ${pkg.version})`);
      continue;
    }
    walk(dir, `node_modules/${pkg.name}`);
  }
  return { files, mismatch };
}
