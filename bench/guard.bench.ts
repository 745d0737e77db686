// Guarded runs: whole-process latency of the dry-run plan, `approve` with an SSH key and with a
// signed-note key, the overhead of `run --approve` over running the same command directly
// (baseline in the same run), and the cost of verifying N stored approvals. Real ssh-keygen keys
// and a real ledger in a temporary repository.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { openLedger } from "../src/audit/index.js";
import { parseConfigText } from "../src/config/load.js";
import { generateNoteSigner } from "../src/core/note-key.js";
import { approveRun, buildPlan, recordPlan, verifyContext } from "../src/guard/index.js";
import { evaluate } from "../src/guard/runs.js";
import { median, writeBenchSection } from "./lib/report.js";

const root = new URL("..", import.meta.url).pathname;
const CLI = join(root, "dist", "cli.js");
const REPS = Number(process.env.GUARD_REPS ?? 10);
const dir = mkdtempSync(join(tmpdir(), "gh-guard-bench-"));
const env = { ...process.env, GITOPS_HEALTH_LEDGER: join(dir, "ledger"), GIT_CONFIG_NOSYSTEM: "1", NO_COLOR: "1" };
const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, env, encoding: "utf8" }).trim();

// Repository: the requester is requester@example.invalid; alice and bob approve with SSH keys,
// carol and dave with signed-note keys.
git("init", "-q", "-b", "main");
git("config", "user.email", "requester@example.invalid");
git("config", "user.name", "Requester");
git("config", "commit.gpgsign", "false");
const sshKey = (name: string) => {
  const priv = join(dir, "keys", name);
  execFileSync("mkdir", ["-p", join(dir, "keys")]);
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", priv]);
  return { priv, pub: execFileSync("cat", [`${priv}.pub`], { encoding: "utf8" }).trim() };
};
const alice = sshKey("alice");
const bob = sshKey("bob");
const requester = sshKey("requester"); // signs plans and run events (run --key)
const noteKey = (name: string) => {
  const k = generateNoteSigner(name);
  const priv = join(dir, "keys", `${name}.note`);
  writeFileSync(priv, `${k.signerKey}\n`, { mode: 0o600 });
  return { priv, vkey: k.verifierKey };
};
const carol = noteKey("carol");
const dave = noteKey("dave");
writeFileSync(
  join(dir, "allowed_signers"),
  `alice@example.com namespaces="gitops-health" ${alice.pub}\nbob@example.com namespaces="gitops-health" ${bob.pub}\nrequester@example.invalid namespaces="gitops-health" ${requester.pub}\n`,
);
const configText = `allowedSignersFile: allowed_signers
approvers:
  - { name: carol, email: carol@example.com, key: "${carol.vkey}" }
  - { name: dave, email: dave@example.com, key: "${dave.vkey}" }
policy:
  requiredChecks: []
`;
writeFileSync(join(dir, ".gitops-health.yml"), configText);
writeFileSync(join(dir, "README.md"), "x\n");
git("add", "-A");
git("commit", "-q", "-m", "chore: init");

// The machine is shared, so wall time is noisy: CPU time of the waited-for child processes
// (user + system, from /proc/self/stat, 10 ms ticks) is reported next to it.
const TICK_MS = 1000 / Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim() || 100);
const childCpu = () => {
  const rest = readFileSync("/proc/self/stat", "utf8").split(") ").pop()!.split(" ");
  return (Number(rest[13]) + Number(rest[14])) * TICK_MS; // cutime + cstime
};
interface Sample {
  wall: number;
  cpu: number;
}
const time = (fn: () => void): Sample => {
  const c0 = childCpu();
  const t0 = performance.now();
  fn();
  return { wall: performance.now() - t0, cpu: childCpu() - c0 };
};
const cli = (args: string[]): Sample =>
  time(() => {
    const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, env, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`gitops-health ${args.join(" ")} exited ${r.status}: ${r.stderr.trim()}`);
  });
const cmd = ["sh", "-c", "echo ran >> out.txt"];
const keyArgs = (cls: string) => (cls === "personal" ? [] : ["--key", requester.priv]);
const runArgs = (cls: string, id: string) => [
  "run",
  "--classification",
  cls,
  "--run-id",
  id,
  ...keyArgs(cls),
  "--",
  ...cmd,
];
const approveArgs = (cls: string, id: string) => [
  "run",
  "--classification",
  cls,
  "--run-id",
  id,
  "--approve",
  ...keyArgs(cls),
  "--",
  ...cmd,
];

// Baselines in the same run: the command itself, and the CLI doing nothing (process start-up).
const direct: Sample[] = [];
const startup: Sample[] = [];
for (let i = 0; i < REPS; i++) {
  direct.push(time(() => spawnSync(cmd[0]!, cmd.slice(1), { cwd: dir, stdio: "ignore" })));
  startup.push(cli(["--version"]));
}

// Dry runs (plan recorded in the ledger, nothing executed), business: 1 approval needed.
const dry: Sample[] = [];
for (let i = 0; i < REPS; i++) dry.push(cli(runArgs("business", `dry-${i}`)));

// Approvals of recorded plans, whole process: SSH (ssh-keygen sign + find-principals) and signed note (in-process Ed25519).
const apSsh: Sample[] = [];
const apNote: Sample[] = [];
for (let i = 0; i < REPS; i++) {
  apSsh.push(cli(["approve", `dry-${i}`, "--key", alice.priv]));
  apNote.push(cli(["approve", `dry-${i}`, "--key", carol.priv]));
}

// run --approve: personal (no approval), business (1 SSH approval), clinical (SSH + signed note);
// plans and approvals prepared untimed, each run ID executes once.
const exec: Record<string, Sample[]> = { personal: [], business: [], clinical: [] };
for (let i = 0; i < REPS; i++) {
  for (const cls of ["personal", "business", "clinical"] as const) {
    const id = `exec-${cls}-${i}`;
    cli(runArgs(cls, id));
    if (cls !== "personal") cli(["approve", id, "--key", alice.priv]);
    if (cls === "clinical") cli(["approve", id, "--key", dave.priv]);
    exec[cls]!.push(cli(approveArgs(cls, id)));
  }
}

// Verification of N stored approvals (library `evaluate`, which verifies every approval of the run).
const ledger = await openLedger(join(dir, "ledger"));
const config = parseConfigText(configText);
const cwd0 = process.cwd();
process.chdir(dir);
const verify: { n: number; method: string; wall: number; cpu: number }[] = [];
try {
  for (const method of ["ssh", "note"] as const) {
    const keys = method === "ssh" ? [alice.priv, bob.priv] : [carol.priv, dave.priv];
    let have = 0;
    const plan = buildPlan({ command: cmd, classification: "clinical", runId: `verify-${method}` });
    const ctx = verifyContext(config, dir);
    await recordPlan(ledger, plan, config, ctx, requester.priv);
    for (const n of [1, 10, 100]) {
      for (; have < n; have++) await approveRun(ledger, plan.runId, keys[have % 2]!, "24h", ctx);
      const wall: number[] = [];
      const cpu: number[] = [];
      for (let r = 0; r < 3; r++) {
        const c0 = childCpu();
        const u0 = process.cpuUsage();
        const t0 = performance.now();
        const e = await evaluate(ledger, plan, config, ctx);
        wall.push(performance.now() - t0);
        const u = process.cpuUsage(u0);
        cpu.push((u.user + u.system) / 1000 + childCpu() - c0);
        if (e.validApprovers.length !== Math.min(n, 2) || e.rejected.length)
          throw new Error(`unexpected evaluation ${JSON.stringify(e)}`);
      }
      verify.push({ n, method, wall: median(wall), cpu: median(cpu) });
    }
  }
} finally {
  process.chdir(cwd0);
  await ledger.close();
}
const entries = Number(
  JSON.parse(
    execFileSync(process.execPath, [CLI, "audit", "log", "--format", "json"], {
      cwd: dir,
      env,
      encoding: "utf8",
      maxBuffer: 1 << 26,
    }),
  ).length,
);
rmSync(dir, { recursive: true, force: true });

const f = (ms: number) => (Math.abs(ms) >= 100 ? ms.toFixed(0) : ms.toFixed(1));
const mw = (xs: Sample[]) => median(xs.map((x) => x.wall));
const mc = (xs: Sample[]) => median(xs.map((x) => x.cpu));
const cell = (xs: Sample[]) => `${f(mw(xs))} | ${f(mc(xs))}`;
const v = (method: string, n: number) => verify.find((x) => x.method === method && x.n === n)!;
const load = execFileSync("cat", ["/proc/loadavg"], { encoding: "utf8" }).split(" ").slice(0, 3).join(" ");
writeBenchSection(
  "guard",
  "npm run build && npm run bench -- guard",
  `
Temporary repository with a directory ledger; SSH approvers use real \`ssh-keygen\` Ed25519 keys listed in an allowed-signers file, signed-note approvers use keys from \`generateNoteSigner\` listed in \`approvers[].key\`. Whole-process timings (\`node dist/cli.js ...\`), median of ${REPS}; the ledger held ${entries} entries at the end. The command is \`sh -c "echo ran >> out.txt"\`. The machine was shared (load average ${load} on ${cpus().length} cores at the end), so wall times are inflated; CPU time (user + system of the process and its children, 10 ms resolution) is the steadier figure.

| operation | wall ms | CPU ms |
| --- | --- | --- |
| baseline: the command run directly | ${cell(direct)} |
| baseline: CLI start-up (\`gitops-health --version\`) | ${cell(startup)} |
| \`run --classification business\` (dry run: plan, digest, ledger append, evaluation) | ${cell(dry)} |
| \`approve <id> --key <ssh key>\` (\`ssh-keygen -Y sign\`, \`-Y find-principals\`) | ${cell(apSsh)} |
| \`approve <id> --key <signed-note key>\` (in-process Ed25519) | ${cell(apNote)} |
| \`run --approve\`, personal (no approval) | ${cell(exec.personal!)} |
| \`run --approve\`, business (1 SSH approval verified) | ${cell(exec.business!)} |
| \`run --approve\`, clinical (SSH + signed-note approvals verified) | ${cell(exec.clinical!)} |

Overhead of \`run --approve\` over running the command directly (wall / CPU): **${f(mw(exec.personal!) - mw(direct))} / ${f(mc(exec.personal!) - mc(direct))} ms** personal, **${f(mw(exec.business!) - mw(direct))} / ${f(mc(exec.business!) - mc(direct))} ms** business, **${f(mw(exec.clinical!) - mw(direct))} / ${f(mc(exec.clinical!) - mc(direct))} ms** clinical; CLI start-up alone accounts for ${f(mw(startup))} / ${f(mc(startup))} ms. The rest is the plan digest, ledger reads and appends (plan, claim, started, completed, each fsynced) and approval verification.

Verifying N stored approvals of one run (library \`evaluate\`, which checks every approval; median of 3, wall / CPU ms):

| approvals | SSH | per approval | signed note | per approval |
| --- | --- | --- | --- | --- |
${[1, 10, 100].map((n) => `| ${n} | ${f(v("ssh", n).wall)} / ${f(v("ssh", n).cpu)} | ${f(v("ssh", n).wall / n)} / ${f(v("ssh", n).cpu / n)} | ${f(v("note", n).wall)} / ${f(v("note", n).cpu)} | ${f(v("note", n).wall / n)} / ${f(v("note", n).cpu / n)} |`).join("\n")}

SSH verification runs \`ssh-keygen -Y verify\` once per approval against the recorded principal (the allowed-signers file must list the signing key for it, so the identity still comes from the key) and looks the principal up with \`-Y find-principals\` only when that fails; signed-note verification is an in-process Ed25519 check.
`,
);
console.error(
  JSON.stringify({
    direct: mw(direct),
    startup: mw(startup),
    dry: mw(dry),
    apSsh: mw(apSsh),
    apNote: mw(apNote),
    exec: Object.fromEntries(Object.entries(exec).map(([k, x]) => [k, [mw(x), mc(x)]])),
    verify,
  }),
);
