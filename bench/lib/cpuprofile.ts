// Summarise a V8 .cpuprofile (node --cpu-prof): self time by function and by package/file, so the
// cost of each layer of a request path can be read without a GUI.
import { readFileSync } from "node:fs";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  startTime: number;
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's code lives: a node_modules package, node internals, this project's file, or a V8 pseudo-frame. */
export function frameGroup(url: string, fn: string): string {
  if (!url) return `(${fn || "anonymous"})`;
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  if (url.startsWith("node:")) return url;
  const m = /\/(src|dist)\/(.*)$/.exec(url);
  return m ? `${m[1]}/${m[2]}` : url;
}

/**
 * `since`: only samples taken at or after this time (µs of the monotonic clock, as `process.hrtime.bigint() / 1000n`
 * in any process of this machine), e.g. to leave out start-up and warm-up.
 */
export function summarise(
  file: string,
  top = 25,
  since = 0,
): { total: number; byFn: [string, number][]; byGroup: [string, number][] } {
  const p = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let at = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    at += p.timeDeltas[i] ?? 0;
    if (at >= since) self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  const fn = new Map<string, number>();
  const group = new Map<string, number>();
  let total = 0;
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const g = frameGroup(n.callFrame.url, n.callFrame.functionName);
    if (n.callFrame.functionName === "(idle)") continue;
    total += us;
    const k = `${n.callFrame.functionName || "(anon)"} ${g}:${n.callFrame.lineNumber + 1}`;
    fn.set(k, (fn.get(k) ?? 0) + us);
    group.set(g, (group.get(g) ?? 0) + us);
  }
  const sort = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top);
  return { total, byFn: sort(fn), byGroup: sort(group) };
}

if (process.argv[1]?.endsWith("cpuprofile.ts")) {
  const s = summarise(process.argv[2]!, Number(process.argv[3] ?? 30));
  console.log(`total non-idle ${(s.total / 1000).toFixed(0)} ms`);
  console.log("-- by package/file");
  for (const [k, v] of s.byGroup) console.log(`${((100 * v) / s.total).toFixed(1).padStart(5)}%  ${k}`);
  console.log("-- by function");
  for (const [k, v] of s.byFn) console.log(`${((100 * v) / s.total).toFixed(1).padStart(5)}%  ${k}`);
}

/** Self time of frames named `name`, by their call stacks (innermost first, `depth` frames). */
export function callers(file: string, name: string, depth = 6): [string, number][] {
  const p = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const parent = new Map<number, Node>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n);
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++)
    self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
  const out = new Map<string, number>();
  for (const [id, us] of self) {
    let n = byId.get(id);
    if (n?.callFrame.functionName !== name) continue;
    const chain: string[] = [];
    for (let d = 0; n && d < depth; d++, n = parent.get(n.id))
      chain.push(
        `${n.callFrame.functionName || "(anon)"}@${frameGroup(n.callFrame.url, n.callFrame.functionName)}:${n.callFrame.lineNumber + 1}`,
      );
    const k = chain.join(" < ");
    out.set(k, (out.get(k) ?? 0) + us);
  }
  return [...out].sort((a, b) => b[1] - a[1]);
}

if (process.argv[1]?.endsWith("cpuprofile.ts") && process.argv[4]) {
  for (const [k, v] of callers(process.argv[2]!, process.argv[4], Number(process.argv[5] ?? 6)).slice(0, 8))
    console.log(`${(v / 1000).toFixed(0).padStart(6)} ms  ${k}`);
}

/** Time of samples with a frame whose "function@group" matches `re` on their stack (inclusive time). */
export function inclusive(file: string, re: RegExp): number {
  const p = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const parent = new Map<number, Node>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n);
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const memo = new Map<number, boolean>();
  const has = (n: Node | undefined): boolean => {
    if (!n) return false;
    const m = memo.get(n.id);
    if (m !== undefined) return m;
    const v =
      re.test(`${n.callFrame.functionName}@${frameGroup(n.callFrame.url, n.callFrame.functionName)}`) ||
      has(parent.get(n.id));
    memo.set(n.id, v);
    return v;
  };
  let t = 0;
  for (let i = 0; i < p.samples.length; i++) if (has(byId.get(p.samples[i]!))) t += p.timeDeltas[i] ?? 0;
  return t;
}

if (process.argv[1]?.endsWith("cpuprofile.ts") && process.argv[3] === "incl") {
  for (const r of process.argv.slice(4))
    console.log(`${(inclusive(process.argv[2]!, new RegExp(r)) / 1000).toFixed(0).padStart(6)} ms  ${r}`);
}
