// In-process CPU of one decision (decidePolicy) and of its commit-message lint, for the sources under a root:
// `npx tsx bench/server-decide-inprocess.ts [src root]` (default ../src). Before/after: export the old commit's
// sources, `mkdir /tmp/old && git archive <commit> src package.json | tar -x -C /tmp/old && ln -s "$PWD/node_modules"
// /tmp/old/`, then run it with /tmp/old/src and without an argument, alternately.
const root = process.argv[2] ?? "../src";
const { decidePolicy, PolicyInputDocument } = await import(`${root}/policy/decision.ts`);
const { lintCounts, conventionalLintSetup } = await import(`${root}/commit/lint.ts`);
const msg = "feat(api): add endpoint\n\nApproved-by: Ann <ann@example.com>";
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const doc = PolicyInputDocument.parse({
  commit: { message: msg, signature: "G" },
  checks: { passed: ["tests", "phi-scan"] },
});
const setup = await conventionalLintSetup();
const med = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1]!;
const d: number[] = [],
  l: number[] = [];
for (let round = 0; round < 7; round++) {
  const N = 5000;
  let t = cpu();
  for (let i = 0; i < N; i++) await decidePolicy("business", doc);
  d.push(((cpu() - t) / N) * 1000);
  t = cpu();
  for (let i = 0; i < N; i++) await lintCounts(msg, setup);
  l.push(((cpu() - t) / N) * 1000);
}
console.log(
  `${root}: decidePolicy ${med(d).toFixed(1)} us CPU, of which lint ${med(l).toFixed(1)} us (median of 7 x 5000)`,
);
