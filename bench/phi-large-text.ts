// CPU time of scanning ONE long prose text, by size: the PhysioNet notes joined (a notes export
// read as a single file; sparse: about one finding per 800 characters) and the presidio-synth
// sentences joined (dense: a finding every ~40 characters, as in a table of patient records), for this tree and for another source tree in the same run: whether the
// cost per MB stays flat as a text grows (overlap resolution and mention propagation were
// quadratic in the number of candidates of one text).
//
//   GITOPS_HEALTH_SHARED=/work/shared npx tsx bench/phi-large-text.ts [base-root] [sizes-in-KB=100,400,1400] [notes|dense]
// Each (tree, size) runs in its own child process: one warm-up scan of a 20 KB text, then the
// measured scan. Prints a markdown table on stdout; nothing is written to docs.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const [, , baseRoot, sizesArg, corpus = "notes"] = process.argv;

if (process.env.PHI_LARGE_CHILD) {
  const [src, kb, which] = process.env.PHI_LARGE_CHILD.split("|") as [string, string, string];
  const { Scanner } = (await import(join(src, "src/phi/scanner.ts"))) as typeof import("../src/phi/scanner.js");
  const data = join(process.env.GITOPS_HEALTH_SHARED ?? "/work/shared", "testdata/phi");
  const texts =
    which === "dense"
      ? (
          JSON.parse(readFileSync(join(data, "presidio-synth/synth_dataset_v2.json"), "utf8")) as {
            full_text: string;
          }[]
        ).map((r) => r.full_text)
      : [
          ...readFileSync(join(data, "physionet-deid/id.text"), "latin1").matchAll(
            /\|\|\|\|\n([\s\S]*?)\|\|\|\|END_OF_RECORD/g,
          ),
        ].map((m) => m[1]!);
  const all = texts.join(which === "dense" ? "\n" : "\n\n");
  const text = all.repeat(Math.ceil((Number(kb) * 1000) / all.length)).slice(0, Number(kb) * 1000);
  const s = new Scanner();
  s.scan(all.slice(0, 20_000));
  const c0 = process.cpuUsage();
  const n = s.scan(text).length;
  const c = process.cpuUsage(c0);
  process.stdout.write(JSON.stringify({ cpu: (c.user + c.system) / 1e6, findings: n }));
  process.exit(0);
}

const shared = process.env.GITOPS_HEALTH_SHARED ?? "/work/shared";
if (!existsSync(join(shared, "testdata/phi/physionet-deid/id.text"))) throw new Error("needs GITOPS_HEALTH_SHARED");
const sizes = (sizesArg ?? "100,400,1400").split(",");
const trees: [string, string][] = [["this tree", root]];
if (baseRoot) trees.unshift(["base", baseRoot]);
console.log(
  `corpus: ${corpus}; load average at start ${loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}\n`,
);
console.log(`| size | ${trees.map(([n]) => `${n}: CPU s (s per MB)`).join(" | ")} | findings |`);
console.log(`| ---: | ${trees.map(() => "---:").join(" | ")} | ---: |`);
for (const kb of sizes) {
  const cells: string[] = [];
  const found = new Set<number>();
  for (const [, dir] of trees) {
    const out = execFileSync(process.execPath, ["--import", "tsx", new URL(import.meta.url).pathname], {
      env: { ...process.env, PHI_LARGE_CHILD: `${dir}|${kb}|${corpus}` },
      encoding: "utf8",
      maxBuffer: 1 << 20,
    });
    const r = JSON.parse(out) as { cpu: number; findings: number };
    cells.push(`${r.cpu.toFixed(2)} (${(r.cpu / (Number(kb) / 1000)).toFixed(2)})`);
    found.add(r.findings);
  }
  console.log(`| ${kb} KB | ${cells.join(" | ")} | ${[...found].join(" / ")} |`);
}
console.log(
  `\nload average at end ${loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}`,
);
