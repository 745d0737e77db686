// Findings digest of the PHI engine over every corpus at hand: the shared PhysioNet notes and
// presidio-synth sentences (../shared, when present), this checkout's test fixtures, examples and
// docs, and a fixed sample of node_modules source. Each corpus is scanned three ways (default
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
import { codeCorpus } from "../bench/lib/code-corpus.js";

const root = new URL("..", import.meta.url).pathname;
const shared = join(root, "..", "shared", "testdata", "phi");
const sharedAlt = "/work/shared/testdata/phi";
const phiDir = existsSync(shared) ? shared : sharedAlt;

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
  "node-modules-code": codeCorpus(root, { maxBytes: Number(process.env.DIGEST_CODE_MB ?? 8) * 1e6, every: 7 }),
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
