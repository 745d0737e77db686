// `sanitize --mode synthetic` then `scan`, over the shared PHI corpora (PhysioNet deid notes,
// presidio-synth sentences) and the real-looking fixtures of test/fixtures/sanitize (note, HL7 v2,
// FHIR JSON, CSV): how many findings above low the sanitized text still has (the gate's view), how
// many replacements come from a reserved range (the dry run shows those), and the CPU time of the
// synthetic rewrite against `--mode redact` in the same run (the peer: its placeholders never scan).
// Development figures: the residuals on these corpora were read while designing the ranges.
//
//   npm run bench -- sanitize-synthetic
//   SANITIZE_BASE=/tmp/base/src npm run bench -- sanitize-synthetic   also runs another tree's
//     src/phi (e.g. `git archive <commit> src | tar -x -C /tmp/base`) on the same documents
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { loadPhysionet, loadPresidio } from "./lib/phi-corpora.js";
import { writeBenchSection } from "./lib/report.js";
import * as ours from "../src/phi/index.js";
import * as oursSanitize from "../src/phi/sanitize.js";

interface Engine {
  name: string;
  scanText: typeof ours.scanText;
  sanitize: typeof oursSanitize.sanitize;
}
interface Doc {
  id: string;
  text: string;
  path?: string;
}

const KEY = "bench-sanitize-key-0123456789";
const root = new URL("..", import.meta.url).pathname;

const engines: Engine[] = [{ name: "this tree", scanText: ours.scanText, sanitize: oursSanitize.sanitize }];
if (process.env.SANITIZE_BASE) {
  const base = process.env.SANITIZE_BASE;
  const idx = (await import(pathToFileURL(join(base, "phi", "index.ts")).href)) as typeof ours;
  const san = (await import(pathToFileURL(join(base, "phi", "sanitize.ts")).href)) as typeof oursSanitize;
  engines.push({ name: `base (${base})`, scanText: idx.scanText, sanitize: san.sanitize });
}

const fixturesDir = join(root, "test", "fixtures", "sanitize");
const corpora: [string, Doc[]][] = [
  [
    "fixtures (note, HL7, FHIR, CSV)",
    readdirSync(fixturesDir).map((f) => ({ id: f, path: f, text: readFileSync(join(fixturesDir, f), "utf8") })),
  ],
];
try {
  corpora.push(["PhysioNet deid notes", loadPhysionet().map((d) => ({ id: d.id, text: d.text }))]);
  corpora.push(["presidio-synth", loadPresidio().map((d) => ({ id: d.id, text: d.text }))]);
} catch {
  console.error("shared PHI corpora not found: fixtures only");
}

const cpuMs = (f: () => void) => {
  const t = process.cpuUsage();
  f();
  const d = process.cpuUsage(t);
  return (d.user + d.system) / 1000;
};

const rows: string[] = [];
const residualCats = new Map<string, Map<string, number>>();
for (const [name, docs] of corpora) {
  for (const e of engines) {
    let before = 0;
    const after = { synthetic: 0, redact: 0 };
    let replacements = 0;
    let reserved = 0;
    const cpu = { synthetic: 0, redact: 0 };
    const cats = new Map<string, number>();
    for (const d of docs) {
      const opts = d.path ? { path: d.path } : { profile: "prose" as const };
      before += e.scanText(d.text, opts).filter((f) => f.severity !== "low").length;
      for (const mode of ["synthetic", "redact"] as const) {
        let r!: ReturnType<typeof oursSanitize.sanitize>;
        cpu[mode] += cpuMs(() => {
          r = e.sanitize(d.text, { mode, key: KEY, documentId: d.id, ...(d.path ? { path: d.path } : {}) });
        });
        const above = e.scanText(r.text, opts).filter((f) => f.severity !== "low");
        after[mode] += above.length;
        if (mode === "synthetic") {
          replacements += r.replacements.length;
          reserved += r.replacements.filter((x) => (x as { reserved?: boolean }).reserved).length;
          for (const f of above) cats.set(f.category, (cats.get(f.category) ?? 0) + 1);
        }
      }
    }
    if (e === engines[0]) residualCats.set(name, cats);
    const pct = (a: number, b: number) => (b === 0 ? "–" : `${((100 * a) / b).toFixed(1)}%`);
    rows.push(
      `| ${name} (${docs.length}) | ${e.name} | ${before} | ${after.synthetic} | ${after.redact} | ${replacements} | ${e === engines[0] ? pct(reserved, replacements) : "–"} | ${cpu.synthetic.toFixed(0)} / ${cpu.redact.toFixed(0)} (×${(cpu.synthetic / Math.max(1, cpu.redact)).toFixed(2)}) |`,
    );
    console.error(rows.at(-1));
  }
}

const md = `
Findings above low (medium or high: what fails a gate) before sanitizing, and after \`sanitize\` in
synthetic mode and, as the peer, in redact mode, then a rescan with the same scanner; the replacements
synthetic mode wrote and the share from a reserved range (shown by the dry run); CPU time (user+system,
\`process.cpuUsage\`, sanitize only: the scan inside it included, the rescan not) of synthetic vs redact in
the same run, on a shared loaded machine (CPU time, not wall; re-measure on a quiet machine). Key fixed.
These are development figures, not held-out ones: the residual findings on all of these documents,
PhysioNet fold 0 included, were read while the ranges were designed (2026-12-07).

| corpus (documents) | engine | above low before | after synthetic | after redact | replacements | reserved | CPU ms synthetic / redact |
| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |
${rows.join("\n")}

What is still above low after synthetic mode, by category (this tree):
${[...residualCats]
  .map(
    ([c, m]) =>
      `- ${c}: ${
        [...m]
          .sort((a, b) => b[1] - a[1])
          .map(([k, v]) => `${k} ${v}`)
          .join(", ") || "none"
      }`,
  )
  .join("\n")}
`;
console.log(md);
if (!process.env.BENCH_NO_WRITE)
  writeBenchSection(
    "sanitize-synthetic",
    `${process.env.SANITIZE_BASE ? `SANITIZE_BASE=${process.env.SANITIZE_BASE} ` : ""}npm run bench -- sanitize-synthetic`,
    md,
  );
