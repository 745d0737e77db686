// A/B of `deploy plan` builds, whole process, interleaved in one loop (machine load hits all alike):
// the standard plan at HEAD, the gated plan of the change before it (tier-1 auth change of the deploy
// bench: blue-green with approvals, run signed and recorded) and `--version`, per build.
//
//   DEPLOY_BENCH_KEEP=1 npm run bench -- deploy       (prints the kept repository and key)
//   node --import tsx bench/deploy-ab.ts REPO KEY [runs=20] [name=path/to/cli.js ...]
// CPU = user + system of the process and its git / ssh-keygen children (GNU time, 10 ms steps: the
// mean of the runs is reported beside the median wall time).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const [repo, key, runsArg, ...rest] = process.argv.slice(2);
if (!repo || !key) throw new Error("usage: deploy-ab.ts REPO KEY [runs] [name=cli.js ...]");
const runs = Number(runsArg ?? 20);
const builds = rest.map((a) => {
  const eq = a.indexOf("=");
  return eq >= 0 ? { name: a.slice(0, eq), path: resolve(a.slice(eq + 1)) } : { name: a, path: resolve(a) };
});
if (!builds.length) builds.push({ name: "dist", path: resolve("dist/cli.js") });
const env = { ...process.env, GITOPS_HEALTH_LEDGER: join(repo, ".ledger"), GIT_CONFIG_NOSYSTEM: "1", NO_COLOR: "1" };
let n = 0;
const cases = builds.flatMap((b) => [
  { name: `${b.name} --version`, args: () => [b.path, "--version"] },
  {
    name: `${b.name} standard`,
    args: () => [
      b.path,
      "deploy",
      "plan",
      "--image",
      "r.example/api:2.0.1",
      "--out",
      join(repo, "out-ab"),
      "--format",
      "json",
    ],
  },
  {
    name: `${b.name} tier-1`,
    args: () => [
      b.path,
      "deploy",
      "plan",
      "--image",
      "r.example/api:2.0.0",
      "--rev",
      "HEAD~1",
      "--run-id",
      `ab-${++n}`,
      "--key",
      key,
      "--out",
      join(repo, "out-ab-gated"),
      "--format",
      "json",
    ],
  },
]);
// The node process's own CPU time (process.cpuUsage at exit, microseconds), written by a preload.
const tmp = mkdtempSync(join(tmpdir(), "gh-deploy-ab-"));
const preload = join(tmp, "cpu.cjs");
const cpuFile = join(tmp, "cpu");
writeFileSync(
  preload,
  `process.on("exit", () => { const u = process.cpuUsage(); require("fs").writeFileSync(${JSON.stringify(cpuFile)}, String((u.user + u.system) / 1000)); });`,
);
const nodeCpu = new Map<string, number[]>(cases.map((c) => [c.name, []]));
const wall = new Map<string, number[]>(cases.map((c) => [c.name, []]));
const cpu = new Map<string, number[]>(cases.map((c) => [c.name, []]));
const once = (c: (typeof cases)[number]) => {
  const t0 = performance.now();
  const r = spawnSync("/usr/bin/time", ["-f", "\n%U %S", process.execPath, "-r", preload, ...c.args()], {
    cwd: repo,
    env,
  });
  const dt = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${c.name} exited ${r.status}: ${r.stderr}`);
  const [u, s] = r.stderr.toString().trim().split("\n").pop()!.split(" ").map(Number);
  wall.get(c.name)!.push(dt);
  nodeCpu.get(c.name)!.push(Number(readFileSync(cpuFile, "utf8")));
  cpu.get(c.name)!.push((u! + s!) * 1000);
};
cases.forEach(once);
for (const c of cases) {
  wall.get(c.name)!.length = 0;
  cpu.get(c.name)!.length = 0;
  nodeCpu.get(c.name)!.length = 0;
}
for (let i = 0; i < runs; i++) for (let k = 0; k < cases.length; k++) once(cases[(i + k) % cases.length]!);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log(
  "| case | median wall (ms) | mean CPU, children included (ms) | median CPU of node alone (ms) |\n| --- | ---: | ---: | ---: |",
);
for (const c of cases)
  console.log(
    `| ${c.name} | ${median(wall.get(c.name)!).toFixed(0)} | ${mean(cpu.get(c.name)!).toFixed(0)} | ${median(nodeCpu.get(c.name)!).toFixed(0)} |`,
  );
