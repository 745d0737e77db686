// The CLI entry (dist/cli.js). It parses nothing itself: src/cli/program.ts holds the commands.
// The pre-commit hook's `scan --staged` in a repository without .gitops-health.yml, run on every
// commit, skips even that: it runs dist/hook.cjs, the whole path in one CommonJS file (one
// module to load rather than twenty; see tsup.config.ts and src/cli/hook.ts).
import { readFileSync, readdirSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Script } from "node:vm";
import { findConfigFile } from "../config/find.js";

/** The pre-commit hook's command line: `scan --staged` and nothing else. */
export function isHookScan(argv: string[]): boolean {
  return argv.length === 4 && argv[2] === "scan" && argv[3] === "--staged";
}

/** Run the CLI and give its exit code. */
export async function main(argv: string[]): Promise<number> {
  const hookScan = isHookScan(argv);
  if (hookScan && !findConfigFile(process.cwd())) {
    // beside dist/cli.js only (running from sources, the ES modules do the same)
    const hook = loadHook(fileURLToPath(new URL("./hook.cjs", import.meta.url)));
    if (hook) {
      const code = await hook.main();
      hook.saveCache();
      return code;
    }
  }
  return (await import("./program.js")).main(argv, hookScan);
}

/**
 * Load dist/hook.cjs as node's require would, but with a V8 code cache: the bytecode of its
 * previous run, kept beside it, spares compiling it again (most of its load time). The cache is
 * named after the bundle's build (an id tsup.config.ts writes into its first line) and node's
 * version, and V8 itself rejects a cache from another V8, other flags or a damaged file; a
 * missing or rejected cache is (re)written after the run, when the directory is writable (else
 * every run compiles, as require does), and caches of other builds are removed then.
 * undefined: no bundle.
 */
function loadHook(bundle: string): { main(): Promise<number>; saveCache(): void } | undefined {
  const dir = dirname(bundle);
  let source: string;
  try {
    source = readFileSync(bundle, "utf8");
  } catch {
    return undefined;
  }
  const id = /^"use strict"; \/\* gitops-health hook build ([\w-]+) \*\//.exec(source)?.[1];
  const build = `.hook.cjs.${id}-${source.length}-`;
  const cacheFile = id ? join(dir, `${build}${process.version}-${process.arch}.v8cache`) : undefined;
  let cachedData: Buffer | undefined;
  try {
    if (cacheFile) cachedData = readFileSync(cacheFile);
  } catch {
    /* first run */
  }
  const script = new Script(`(function (exports, require, module, __filename, __dirname) { ${source}\n})`, {
    filename: bundle,
    cachedData,
  });
  const module = { exports: {} as typeof import("./hook.js") };
  (script.runInThisContext() as (...a: unknown[]) => void)(module.exports, createRequire(bundle), module, bundle, dir);
  return {
    main: () => module.exports.main(),
    saveCache() {
      if (!cacheFile || (cachedData && !script.cachedDataRejected)) return;
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      try {
        writeFileSync(tmp, script.createCachedData());
        renameSync(tmp, cacheFile);
        for (const f of readdirSync(dir))
          if (f.startsWith(".hook.cjs.") && f.endsWith(".v8cache") && !f.startsWith(build)) unlinkSync(join(dir, f));
      } catch {
        try {
          unlinkSync(tmp);
        } catch {
          /* not written */
        }
      }
    },
  };
}

// Run when executed as the CLI entry (bundled dist/cli.js or `tsx src/cli/main.ts`).
const entry = process.argv[1] ?? "";
if (/(?:cli\.js|main\.ts|gitops-health)$/.test(entry)) {
  // `gitops-health ... | head` closes the pipe early: that is not an error.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EPIPE") process.exit(process.exitCode === undefined ? 0 : Number(process.exitCode));
    });
  }
  main(process.argv).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`gitops-health: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 2;
    },
  );
}
