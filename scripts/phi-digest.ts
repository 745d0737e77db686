// Findings digest of the PHI engine over every corpus at hand: the shared PhysioNet notes and
// presidio-synth sentences (../shared, when present), this checkout's test fixtures, examples and
// docs, and the source of a pinned list of node_modules packages at pinned versions. Each corpus is scanned three ways (default
// "auto" prefilter, prefilter forced on, forced off) with a fixed fingerprint key; the SHA-256 of
// the full findings JSON is printed per corpus and mode. A refactor of src/phi must leave every
// digest unchanged:
//   npx tsx scripts/phi-digest.ts            print the digests (JSON)
//   npx tsx scripts/phi-digest.ts --check F  compare with a stored digest file, exit 1 on a change
//   PHI_ENGINE=/path/to/phi/index.ts ...     digest another build (e.g. main's sources, to compare)
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { pinnedCorpus, type PinnedPackage } from "../bench/lib/code-corpus.js";
import { sharedDir } from "../bench/lib/shared-dir.mjs";

const root = new URL("..", import.meta.url).pathname;
const phiDir = join(sharedDir(root), "testdata", "phi");

interface Doc {
  path?: string;
  text: string;
  profile?: "code" | "prose";
}

function notes(): Doc[] {
  const file = join(phiDir, "physionet-deid", "id.text");
  if (!existsSync(file)) return [];
  const raw = readFileSync(file, "latin1");
  const out: Doc[] = [];
  for (const m of raw.matchAll(/START_OF_RECORD=(\d+)\|\|\|\|(\d+)\|\|\|\|\n([\s\S]*?)\|\|\|\|END_OF_RECORD/g))
    out.push({ path: `notes/${m[1]}-${m[2]}.txt`, text: m[3]! });
  return out;
}

function synth(): Doc[] {
  const file = join(phiDir, "presidio-synth", "synth_dataset_v2.json");
  if (!existsSync(file)) return [];
  return (JSON.parse(readFileSync(file, "utf8")) as { full_text: string }[]).map((r) => ({
    text: r.full_text,
    profile: "prose" as const,
  }));
}

/** This repository's files at a fixed commit (the split's base), so later edits do not move the corpus. */
const BASE = "dd69c4db2c053a46c73e8f5f0b83ba0c275199ff";
function tree(dirs: string[]): Doc[] {
  const names = execFileSync("git", ["ls-tree", "-r", "--name-only", BASE, "--", ...dirs], {
    cwd: root,
    encoding: "utf8",
  })
    .split("\n")
    .filter((n) => n && !/\.(?:gz|png|jpg|bin|v8cache)$/.test(n));
  const out: Doc[] = [];
  for (const n of names) {
    const buf = execFileSync("git", ["show", `${BASE}:${n}`], { cwd: root, maxBuffer: 64e6 });
    if (buf.length < 2e6 && !buf.includes(0)) out.push({ path: n, text: buf.toString("utf8") });
  }
  return out;
}

/**
 * node_modules source, the same in every checkout. It was "every 7th file of node_modules in
 * localeCompare order, up to 8 MB": that sample depended on everything installed (a package added
 * or updated anywhere earlier in the walk shifted every later pick, and a transient
 * node_modules/.vite-temp file counted too), so each checkout and each install gave another corpus
 * and another digest. Now: these packages at these versions, every file, in byte order of its path.
 */
const PINNED: PinnedPackage[] = [
  { name: "ajv", version: "8.20.0" },
  { name: "commander", version: "14.0.3" },
  { name: "fastify", version: "5.12.8" },
  { name: "ignore", version: "7.0.16" },
  { name: "jose", version: "6.2.19" },
  { name: "pg", version: "8.23.1" },
  { name: "picomatch", version: "4.0.7" },
  { name: "pino", version: "10.4.0" },
  { name: "prom-client", version: "15.1.3" },
  { name: "rrule", version: "2.8.1" },
  { name: "semver", version: "7.8.6" },
  { name: "yaml", version: "2.9.1" },
];
function nodeModules(): Doc[] {
  const { files, mismatch } = pinnedCorpus(root, PINNED);
  if (mismatch.length) {
    console.error(`node-modules-code: not the pinned corpus, left out (${mismatch.join(", ")})`);
    return [];
  }
  return files;
}

const corpora: Record<string, Doc[]> = {
  "physionet-notes": notes(),
  "physionet-notes-joined": [
    {
      path: "notes/all.txt",
      text: notes()
        .map((d) => d.text)
        .join("\n"),
    },
  ],
  "presidio-synth": synth(),
  "presidio-synth-code": synth().map((d) => ({ text: d.text, profile: "code" as const })),
  "repo-tests-examples-docs": tree(["test", "examples", "docs", "README.md"]),
  "repo-sources": tree(["src", "bench", "scripts"]),
  "node-modules-code": nodeModules(),
};

const enginePath = process.env.PHI_ENGINE ?? join(root, "src/phi/engine.ts");
const engine = (await import(pathToFileURL(enginePath).href)) as typeof import("../src/phi/engine.js");
engine.setFingerprintKey(new Uint8Array(32).fill(7));

const result: Record<string, { docs: number; findings: number; digest: Record<string, string> }> = {};
for (const [name, docs] of Object.entries(corpora)) {
  if (docs.length === 0) continue;
  const digest: Record<string, string> = {};
  let findings = 0;
  for (const mode of ["auto", true, false] as const) {
    const scanner = new engine.Scanner({ prefilter: mode });
    const h = createHash("sha256");
    let n = 0;
    for (const d of docs) {
      const f = scanner.scan(d.text, { path: d.path, profile: d.profile });
      n += f.length;
      h.update(JSON.stringify(f)).update("\n");
    }
    digest[String(mode)] = h.digest("hex");
    findings = n;
  }
  result[name] = { docs: docs.length, findings, digest };
  console.error(`${name}: ${docs.length} docs, ${findings} findings`);
}

const check = process.argv.indexOf("--check");
if (check !== -1) {
  const stored = JSON.parse(readFileSync(process.argv[check + 1]!, "utf8")) as typeof result;
  let bad = 0;
  for (const [name, r] of Object.entries(stored)) {
    if (!result[name]) {
      // a corpus this checkout does not have (no ../shared, other node_modules versions): not compared
      console.error(`NOT CHECKED ${name}: corpus not available here`);
      continue;
    }
    for (const [mode, d] of Object.entries(r.digest)) {
      const now = result[name]?.digest[mode];
      if (now !== d) {
        bad++;
        console.error(`CHANGED ${name} (${mode}): ${d.slice(0, 12)} -> ${now?.slice(0, 12)}`);
      }
    }
  }
  console.error(bad ? `${bad} digests changed` : "all digests identical");
  process.exit(bad ? 1 : 0);
}
console.log(JSON.stringify(result, null, 2));
