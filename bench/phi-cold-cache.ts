// Does a scan cost more with cold caches? `npx tsx bench/phi-cold-cache.ts [MB]`: the median wall time of one scanText
// call on the bench's 4 KB code snippet and 1 KB note, back to back, and after touching MB (default 8) of memory
// between calls (as a server's socket and HTTP work do between two requests). Medians, so preemption on a loaded
// machine does not count; two alternations each.
import { scanText } from "../src/phi/index.js";
import { CODE, NOTE } from "./lib/server-payloads.js";

const MB = Number(process.argv[2] ?? 8);
const junk = new Float64Array(MB * 131072);
const thrash = () => {
  for (let i = 0; i < junk.length; i += 8) junk[i]! += 1;
};
for (const [k, text, profile] of [
  ["code", CODE, "code"],
  ["note", NOTE, "prose"],
] as const) {
  for (let i = 0; i < 300; i++) scanText(text, { profile });
  for (const cold of [false, true, false, true]) {
    const ts: number[] = [];
    for (let i = 0; i < (k === "code" ? 3000 : 600); i++) {
      if (cold) thrash();
      const t0 = process.hrtime.bigint();
      scanText(text, { profile });
      ts.push(Number(process.hrtime.bigint() - t0) / 1000);
    }
    ts.sort((a, b) => a - b);
    console.log(
      `${k} ${cold ? `after touching ${MB} MB` : "back to back"}: median ${ts[ts.length >> 1]!.toFixed(1)} µs, p25 ${ts[ts.length >> 2]!.toFixed(1)} µs`,
    );
  }
}
