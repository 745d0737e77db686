// A/B latency of the pre-commit hook case, whole process: `node <cli> scan --staged` in a
// repository with a staged change of 20 files and 500 added lines (the repo scan-perf builds).
// Builds are interleaved in one loop with `node -e 0` (the floor), so machine load hits all alike.
//
//   node --import tsx bench/hook-ab.ts [runs=30] [name=path/to/cli.js ...]
//   e.g. node --import tsx bench/hook-ab.ts 30 before=/tmp/dist-before/dist/cli.js after=dist/cli.js
// HOOK_AB_ARGS="has-command scan" times other arguments (an installed hook runs that first).
import { spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { resolve } from "node:path";
import { makeHookRepo } from "./lib/hook-repo.js";

const runs = Number(process.argv[2] ?? 30);
const builds = process.argv.slice(3).map((a) => {
  const eq = a.indexOf("=");
  const [name, path] = eq >= 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, a];
  return { name, path: resolve(path) };
});
if (!builds.length) builds.push({ name: "dist", path: resolve("dist/cli.js") });

const repo = makeHookRepo("gh-hook-ab-");

// CPU seconds (user + system, git included) through GNU time when present: steadier than wall
// time when the machine is shared, though only to 10 ms a run (so its mean is reported).
const TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;
const cliArgs = (process.env.HOOK_AB_ARGS ?? "scan --staged").split(" ");
const cases = [
  { name: "node -e 0", args: ["-e", "0"] },
  ...builds.map((b) => ({ name: b.name, args: [b.path, ...cliArgs] })),
];
const times = new Map<string, number[]>(cases.map((c) => [c.name, []]));
const cpu = new Map<string, number[]>(cases.map((c) => [c.name, []]));
const once = (c: { name: string; args: string[] }) => {
  const t0 = performance.now();
  const r = TIME
    ? spawnSync(TIME, ["-f", "\n%U %S", process.execPath, ...c.args], { cwd: repo, env: process.env })
    : spawnSync(process.execPath, c.args, { cwd: repo, env: process.env });
  const dt = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${c.name} exited ${r.status}: ${r.stderr}`);
  if (TIME) {
    const [u, s] = r.stderr.toString().trim().split("\n").pop()!.split(" ").map(Number);
    cpu.get(c.name)!.push((u! + s!) * 1000);
  }
  return dt;
};
cases.forEach(once); // warm the page cache
for (let i = 0; i < runs; i++) {
  // rotate the order each round so no case always runs right after another
  for (let k = 0; k < cases.length; k++) {
    const c = cases[(i + k) % cases.length]!;
    times.get(c.name)!.push(once(c));
  }
}
rmSync(repo, { recursive: true, force: true });

const q = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  const i = (s.length - 1) * p;
  return s[Math.floor(i)]! + (s[Math.ceil(i)]! - s[Math.floor(i)]!) * (i - Math.floor(i));
};
const floor = q(times.get("node -e 0")!, 0.5);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log(
  `${runs} interleaved runs each, wall ms: median  p25  p75  min  (median - node floor)${TIME ? "  | mean CPU ms" : ""}`,
);
for (const c of cases) {
  const t = times.get(c.name)!;
  const cpuText = TIME ? `  | ${mean(cpu.get(c.name)!).toFixed(1)}` : "";
  console.log(
    `${c.name.padEnd(12)} ${q(t, 0.5).toFixed(1).padStart(7)} ${q(t, 0.25).toFixed(1).padStart(6)} ${q(t, 0.75).toFixed(1).padStart(6)} ${Math.min(
      ...t,
    )
      .toFixed(1)
      .padStart(6)}   +${(q(t, 0.5) - floor).toFixed(1)}${cpuText}`,
  );
}
