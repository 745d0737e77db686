// `deploy plan` whole-process time on a 10,000-commit repository (built here with git fast-import:
// 200 source files under src/, 20 of them under the tier-1 path src/auth/, 25 authors, one commit
// an hour), for two changes at HEAD: the issue's 330-line untested change to src/auth/ (canary with an
// approval gate: scores the change, records the run in a directory ledger, writes 5 manifests) and a
// low-risk change outside the critical paths (standard: no ledger). Baselines in the same run: node
// starting the CLI (`--version`) and `risk score` of the same commit. Wall time is noisy on a shared
// machine: compare rows within one run, and CPU time (of the CLI and the git processes it waits for).
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { median, writeBenchSection } from "./lib/report.js";

const root = new URL("..", import.meta.url).pathname;
const CLI = join(root, "dist", "cli.js");
const COMMITS = Number(process.env.DEPLOY_BENCH_COMMITS ?? 10_000);
const REPS = Number(process.env.DEPLOY_BENCH_REPS ?? 10);
const dir = mkdtempSync(join(tmpdir(), "gh-deploy-bench-"));
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(" / ");
const loadAtStart = load();
const startLoad1 = loadavg()[0]!;
// The CLI caches validated configs (src/config/fast.ts): its cache starts empty here, so the first run of
// each command validates the config and the others read the result back, as on a developer's machine.
const env = {
  ...process.env,
  GITOPS_HEALTH_LEDGER: join(dir, ".ledger"),
  GIT_CONFIG_NOSYSTEM: "1",
  NO_COLOR: "1",
  XDG_CACHE_HOME: join(dir, ".cache"),
};
const git = (args: string[], input?: string) =>
  execFileSync("git", args, { cwd: dir, env, encoding: "utf8", input, maxBuffer: 1 << 30 }).trim();

git(["init", "-q", "-b", "main"]);
git(["config", "user.email", "dev0@example.invalid"]);
git(["config", "user.name", "Dev 0"]);

// History: every commit rewrites one small file (a few lines); some are fixes.
const files = Array.from({ length: 200 }, (_, i) => (i < 20 ? `src/auth/mod${i}.ts` : `src/pkg${i % 12}/mod${i}.ts`));
const parts: string[] = [];
const t0 = Date.UTC(2025, 0, 1) / 1000;
const blob = (s: string) => `data ${Buffer.byteLength(s)}\n${s}\n`;
let seed = 7;
const rand = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
for (let c = 1; c <= COMMITS; c++) {
  const a = rand(25);
  const f = files[rand(files.length)]!;
  const body = Array.from({ length: 3 + rand(12) }, (_, i) => `export const v${i} = ${c + i};`).join("\n") + "\n";
  const msg = `${rand(5) === 0 ? "fix" : "feat"}: change ${c}\n`;
  const who = `Dev ${a} <dev${a}@example.invalid> ${t0 + c * 3600} +0000`;
  parts.push(
    `commit refs/heads/main\nmark :${c}\nauthor ${who}\ncommitter ${who}\n${blob(msg)}${c > 1 ? `from :${c - 1}\n` : ""}M 100644 inline ${f}\n${blob(body)}`,
  );
}
git(["fast-import", "--quiet"], parts.join(""));
git(["reset", "-q", "--hard", "main"]);
// The plan that needs approvals is signed by its requester (an SSH key the config trusts).
const keyDir = mkdtempSync(join(tmpdir(), "gh-deploy-bench-key-"));
const requesterKey = join(keyDir, "rita");
execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "rita", "-f", requesterKey]);
writeFileSync(
  join(dir, "allowed_signers"),
  `rita@example.com namespaces="gitops-health" ${readFileSync(`${requesterKey}.pub`, "utf8").trim()}\n`,
);
writeFileSync(
  join(dir, ".gitops-health.yml"),
  `allowedSignersFile: allowed_signers\ncriticalPaths:\n  - pattern: "src/auth/**"\n    tier: 1\ndeploy:\n  service: api\n`,
);
git(["add", "-A"]);
git(["commit", "-q", "-m", "chore: gitops-health config"]);
const commitFile = (path: string, content: string, msg: string) => {
  execFileSync("mkdir", ["-p", join(dir, path, "..")]);
  writeFileSync(join(dir, path), content);
  git(["add", "--", path]); // only the change: the manifests and the ledger written under the repository stay out
  git(["commit", "-q", "-m", msg]);
};

// CPU time of the waited-for children (cutime + cstime of this process, /proc/self/stat, clock ticks):
// less disturbed by other load on the machine than wall time.
const TICK_MS = 1000 / Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim() || 100);
const childCpuMs = () => {
  const f = readFileSync("/proc/self/stat", "utf8").split(") ")[1]!.split(" ");
  return (Number(f[13]) + Number(f[14])) * TICK_MS;
};
function time(args: string[]): { wall: number; cpu: number; out: string } {
  const walls: number[] = [];
  const cpus: number[] = [];
  let out = "";
  for (let i = 0; i < REPS; i++) {
    const c = childCpuMs();
    const s = performance.now();
    const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, env, encoding: "utf8" });
    walls.push(performance.now() - s);
    cpus.push(childCpuMs() - c);
    if (r.status !== 0) throw new Error(`${args.join(" ")} exited ${r.status}: ${r.stderr}`);
    out = r.stdout;
  }
  return { wall: median(walls), cpu: median(cpus), out };
}

const lines =
  Array.from(
    { length: 330 },
    (_, i) => `export function check${i}(token: string): boolean { return token.length > ${i}; }`,
  ).join("\n") + "\n";
commitFile("src/auth/tokens.ts", lines, "feat(auth): token checks");
const commits = Number(git(["rev-list", "--count", "HEAD"]));
const version = time(["--version"]);
const score = time(["risk", "score"]);
const n = 1;
const gated = time([
  "deploy",
  "plan",
  "--image",
  "registry.example/api:2.0.0",
  "--run-id",
  `bench-${n}`,
  "--key",
  requesterKey,
  "--out",
  join(dir, "out"),
  "--format",
  "json",
]);
const gatedPlan = JSON.parse(gated.out) as {
  decision: { strategy: string; approvals: number };
  risk: { level: string; score: number };
  manifests: string[];
};
commitFile("docs/notes.md", "notes\n", "docs: notes");
const standard = time([
  "deploy",
  "plan",
  "--image",
  "registry.example/api:2.0.1",
  "--key",
  requesterKey,
  "--out",
  join(dir, "out2"),
  "--format",
  "json",
]);
const standardPlan = JSON.parse(standard.out) as { decision: { strategy: string; reasons: string[] }; run?: unknown };
// DEPLOY_BENCH_KEEP=1 keeps the repository (and key) for profiling: `node --cpu-prof dist/cli.js deploy plan ...`.
if (process.env.DEPLOY_BENCH_KEEP) console.error(`kept ${dir} (key ${requesterKey})`);
else rmSync(dir, { recursive: true, force: true });
if (!process.env.DEPLOY_BENCH_KEEP) rmSync(keyDir, { recursive: true, force: true });

const ms = (x: number) => `${Math.round(x)} ms`;
const md = `
\`deploy plan\` as a whole process (\`node dist/cli.js deploy plan ...\`, median of ${REPS}) on a ${commits.toLocaleString("en")}-commit repository built by the benchmark (git fast-import; 200 files, 20 under the tier-1 path \`src/auth/**\`, 25 authors). Target: < 500 ms. The config is validated on the first run and read from the CLI's config cache on the others (\`src/config/fast.ts\`).

| change at HEAD | decided | median wall time | median CPU time (user + system, git children included) |
| --- | --- | --- | --- |
| 330-line untested change to \`src/auth/\` (tier 1) | ${gatedPlan.decision.strategy}, ${gatedPlan.decision.approvals} approval(s), likelihood ${gatedPlan.risk.level} ${gatedPlan.risk.score}/100; run recorded in a directory ledger; ${gatedPlan.manifests.length} manifests | **${ms(gated.wall)}** | ${ms(gated.cpu)} |
| docs-only change | ${standardPlan.decision.strategy} (${standardPlan.decision.reasons.join("; ")}); ${standardPlan.run ? "run recorded" : "no ledger opened"} | **${ms(standard.wall)}** | ${ms(standard.cpu)} |
| baseline: \`risk score\` of the auth change (same process start, scoring only) | — | ${ms(score.wall)} | ${ms(score.cpu)} |
| baseline: \`--version\` (node and CLI start-up) | — | ${ms(version.wall)} | ${ms(version.cpu)} |

Target < 500 ms: ${gated.wall < 500 && standard.wall < 500 ? "met" : "**not met**"} in wall time in this run; in CPU time \`deploy plan\` costs ${ms(gated.cpu)} / ${ms(standard.cpu)}, of which scoring the change (the \`risk score\` row, git included) is ${ms(score.cpu)} and node start-up ${ms(version.cpu)}; the rest is the guarded run and ledger (gated row only), the CRD validators, building and writing the manifests.

Load average (1 / 5 / 15 min) at the start: ${loadAtStart}; at the end: ${load()} (2 cores).
${
  Math.max(startLoad1, loadavg()[0]!) > 2
    ? "Caveat: the machine was busy (1-minute load above its 2 cores), so these wall times are inflated and noisy (wall time well above CPU time is waiting for the CPU or the disk); compare rows within the run, not across runs."
    : "The machine was quiet (1-minute load at most 2 on 2 cores): these wall times stand as measured."
}
`;
console.log(md);
writeBenchSection("deploy", "npm run bench -- deploy", md);
