import { execFileSync } from "node:child_process";

/**
 * The compliance benchmarks' repository: `commits + 1` commits built with `git fast-import` in `dir`,
 * each adding one 20-line module, with Approved-by and Compliance trailers; business classification.
 * Returns the range from the root commit to HEAD.
 */
export function buildComplianceRepo(dir: string, commits: number): string {
  let stream = "";
  let mark = 0;
  for (let i = 0; i <= commits; i++) {
    const files: [string, string][] = [
      [
        `src/area${i % 12}/mod${i}.ts`,
        Array.from({ length: 20 }, (_, k) => `export const v${i}_${k} = ${k};`).join("\n") + "\n",
      ],
    ];
    if (i === 0) files.push([".gitops-health.yml", "classification: business\n"]);
    for (const [, c] of files) stream += `blob\nmark :${++mark}\ndata ${Buffer.byteLength(c)}\n${c}\n`;
    const msg = `feat(area${i % 12}): change ${i}\n\nApproved-by: Reviewer <rev${i % 3}@example.invalid>\nCompliance: SOC2-CC8.1\n`;
    stream += `commit refs/heads/main\nauthor Dev <dev@example.invalid> ${1700000000 + i * 600} +0000\ncommitter Dev <dev@example.invalid> ${1700000000 + i * 600} +0000\ndata ${Buffer.byteLength(msg)}\n${msg}\n`;
    files.forEach(([p], k) => (stream += `M 100644 :${mark - files.length + 1 + k} ${p}\n`));
  }
  execFileSync("git", ["init", "-q", "-b", "main", dir]);
  execFileSync("git", ["fast-import", "--quiet"], { cwd: dir, input: stream });
  execFileSync("git", ["checkout", "-q", "main"], { cwd: dir });
  const first = execFileSync("git", ["rev-list", "--max-parents=0", "HEAD"], { cwd: dir, encoding: "utf8" }).trim();
  return `${first}..HEAD`;
}
