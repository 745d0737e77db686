// `compliance check` over 1,000 commits of a generated repository, against plain
// `git log --numstat -p` over the same range (the I/O floor), in the same run.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeBenchSection, median } from "./lib/report.js";
import { buildComplianceRepo } from "./lib/compliance-repo.js";

const N = 1000;
const root = new URL("..", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "gh-compliance-bench-"));
const range = buildComplianceRepo(dir, N);
const ours: number[] = [];
const base: number[] = [];
let violations = -1;
for (let i = 0; i < 5; i++) {
  let t0 = performance.now();
  spawnSync("git", ["log", "--numstat", "-p", range], { cwd: dir, maxBuffer: 1 << 30 });
  base.push(performance.now() - t0);
  t0 = performance.now();
  const r = spawnSync(
    process.execPath,
    [join(root, "dist", "cli.js"), "compliance", "check", "--range", range, "--format", "json"],
    { cwd: dir, encoding: "utf8", maxBuffer: 1 << 30 },
  );
  ours.push(performance.now() - t0);
  violations = (JSON.parse(r.stdout) as { violations: unknown[] }).violations.length;
}
rmSync(dir, { recursive: true, force: true });
writeBenchSection(
  "compliance",
  "npm run build && npm run bench -- compliance",
  `
\`gitops-health compliance check --range <root>..HEAD\` (business pack: message lint, approvals by another person, citations, secret scan of every added line, required checks) over **${N} commits** of a generated repository (\`git fast-import\`, 20-line files in 12 areas): median **${(median(ours) / 1000).toFixed(2)} s** over 5 runs, whole process (target < 5 s). Baseline in the same run: \`git log --numstat -p\` over the same range, ${(median(base) / 1000).toFixed(2)} s. Violations reported: ${violations} (the required checks were not recorded, so one range violation is expected).
`,
);
console.error(`compliance ${median(ours).toFixed(0)} ms vs git log ${median(base).toFixed(0)} ms`);
