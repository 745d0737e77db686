// `npm run bench -- commit-conventions`: commit type accuracy and header conformance on repositories
// that do not write Conventional Commits. For each repository the convention is inferred from the
// history before the evaluated window only; the offline generator (vocabulary learnt strictly from
// earlier commits) regenerates each commit's header, in that convention with its types.
//
// Repositories are local clones (never committed) under COMMIT_CONV_REPOS_DIR (default ../bench-repos):
//   git clone https://github.com/palladiumkenya/kenyaemr-esm-3.x   ("(fix) Summary")
//   git clone https://github.com/ehrbase/ehrbase                   ("CDR-2305 Summary")
//   git clone https://github.com/ohcnetwork/care_fe                ("Fix ... (#123)")
// and, never used to develop the method (their errors are not read while developing):
//   git clone https://github.com/UCSF-IGHS/openmrs-esm-ohri        ("(fix) Summary" among free text)
//   git clone https://github.com/csaude/csaude-esm-apps            ("(fix) Summary", "fix: summary")
//   git clone https://github.com/carloscuesta/gitmoji-cli          (gitmoji)
//   git clone https://github.com/carloscuesta/gitmoji              (gitmoji)
//   git clone https://github.com/njm2176/ssemr-esm-3.x             (blind: chosen before any look at
//     its results; the report gives its figures but never its confusions)
import { existsSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { collectCommit } from "../src/commit/generate/changes.js";
import { readHistory, type HistoryCommit } from "../src/commit/generate/vocabulary-cache.js";
import { Vocabulary } from "../src/commit/generate/vocabulary.js";
import { parseHeader } from "../src/commit/message.js";
import { extractFeatures, generateOffline, modelDecides } from "../src/commit/generate/offline.js";
import { rewritesOfCommit } from "../src/commit/generate/rewrites.js";
import { REWRITES_BY_DEFAULT } from "../src/commit/generate/rewrite-weights.js";
import { WEAK_PENALTY } from "./commit-rewrite-candidates.js";
import {
  allowedType,
  checkHeader,
  formatConventionHeader,
  inferConvention,
  parseAnyHeader,
} from "../src/commit/convention.js";
import { writeBenchSection } from "./lib/report.js";

/** COMMIT_BENCH_REWRITES=1 also scores the rewrite term (h2, not shipped): one blame per changed file. */
const REWRITES_ON = process.env.COMMIT_BENCH_REWRITES === "1";

const ROOT = process.env.COMMIT_CONV_REPOS_DIR ?? join(new URL("../..", import.meta.url).pathname, "bench-repos");
const DEV = ["kenyaemr-esm-3.x", "ehrbase", "care_fe"];
const BLIND = (process.env.COMMIT_CONV_BLIND ?? "ssemr-esm-3.x").split(",");
const REPOS = (
  process.env.COMMIT_CONV_REPOS ??
  [...DEV, "openmrs-esm-ohri", "csaude-esm-apps", "gitmoji-cli", "gitmoji", ...BLIND].join(",")
)
  .split(",")
  .filter((r) => existsSync(join(ROOT, r)));
const WINDOW = Number(process.env.COMMIT_CONV_N ?? 300);
const TRAIN = 500;

const rows: string[] = [];
const confusions: string[] = [];
const headline: string[] = [];
for (const name of REPOS) {
  const dir = join(ROOT, name);
  const t0 = performance.now();
  const all: HistoryCommit[] = [];
  for await (const c of readHistory(dir, "HEAD", WINDOW + TRAIN)) all.push(c);
  all.reverse(); // oldest first
  // A short history keeps at least half of itself before the window, to infer the convention from.
  const window = all.slice(Math.max(Math.ceil(all.length / 2), all.length - WINDOW));
  const before = all.slice(0, all.length - window.length);
  const conv = inferConvention(before.map((c) => c.header));
  const vocab = new Vocabulary(); // learns every typed family (this method)
  const conventionalOnly = new Vocabulary(); // learns `type:` headers only (the method before)
  const learn = (c: HistoryCommit) => {
    vocab.add(c.header, c.paths, c.statuses, c.branch);
    conventionalOnly.add(parseHeader(c.header) ? c.header : "-", c.paths, c.statuses);
  };
  for (const c of before) learn(c);
  let typed = 0,
    ok = 0,
    okBefore = 0,
    okConventional = 0,
    pass = 0,
    passBefore = 0,
    okNoContext = 0,
    okRewrites = 0,
    okWeak = 0,
    withBranch = 0;
  const confusion: Record<string, number> = {};
  for (const c of window) {
    const human = parseAnyHeader(c.header);
    const change = await collectCommit(dir, c.sha);
    // The branch the commit was made on (from the merge that brought it in) stands in for the current
    // branch `commit generate` reads (no tracker project is declared a bug tracker here).
    // What the commit rewrites (blame against its parent), for source changes the type model decides.
    // Only with COMMIT_BENCH_REWRITES=1 (one blame per changed file: slower).
    const rewrites =
      REWRITES_ON && modelDecides(extractFeatures(change)) ? await rewritesOfCommit(dir, c.sha, change) : undefined;
    // The headline follows what `commit generate` does (the term is off there: docs/BENCHMARKS.md, h2).
    const { message } = generateOffline(change, vocab, {
      branch: c.branch,
      rewrites: REWRITES_BY_DEFAULT ? rewrites : undefined,
    });
    const withRw = generateOffline(change, vocab, { branch: c.branch, rewrites }).message;
    const weak = generateOffline(change, vocab, { branch: c.branch, rewrites, rewriteModel: WEAK_PENALTY }).message;
    const type = allowedType(conv, message.type, message.scope, message.subject);
    const plain = generateOffline(change, vocab).message;
    const typeNoContext = allowedType(conv, plain.type, plain.scope, plain.subject);
    if (c.branch) withBranch++;
    // The author's tracker key stands in for the branch name `commit generate` reads it from.
    const header = formatConventionHeader(conv, { ...message, type, key: human.keys[0] });
    if (checkHeader(conv, header).length === 0) pass++;
    // The method before: a Conventional header with the generator's own types, whatever the repository writes.
    const old = generateOffline(change, conventionalOnly).message;
    if (checkHeader(conv, `${old.type}${old.scope ? `(${old.scope})` : ""}: ${old.subject}`).length === 0) passBefore++;
    if (human.type) {
      typed++;
      if (type === human.type) ok++;
      if (allowedType(conv, withRw.type, withRw.scope, withRw.subject) === human.type) okRewrites++;
      if (allowedType(conv, weak.type, weak.scope, weak.subject) === human.type) okWeak++;
      if (typeNoContext === human.type) okNoContext++;
      else confusion[`${human.type}→${type}`] = (confusion[`${human.type}→${type}`] ?? 0) + 1;
      if (old.type === human.type) okBefore++;
      if (message.type === human.type) okConventional++;
    }
    learn(c);
  }
  const pct = (a: number, b: number) => (b ? (a / b).toFixed(3) : "n/a");
  // A snapshot without a remote (a bare mirror, `/…/owner+name/repo`) is named by its path.
  let origin = dir;
  try {
    origin = execFileSync("git", ["-C", dir, "config", "--get", "remote.origin.url"], { encoding: "utf8" }).trim();
  } catch {
    origin = realpathSync(dir);
  }
  const url = origin.replace(/^.*mirror\/([^+]+)\+([^/]+).*$/, "github.com/$1/$2");
  const role = DEV.includes(name) ? "" : BLIND.includes(name) ? " ◆" : " ‡";
  rows.push(
    `| ${name}${role} (${url}) | ${conv.style} (${(100 * conv.share).toFixed(0)}% of ${before.length}) | ${conv.types.join(", ") || "—"} | ${window.length} (${withBranch}) | ${typed} | **${pct(ok, typed)}** | ${pct(okNoContext, typed)} | ${pct(okBefore, typed)} | **${pass}/${window.length}** | ${passBefore}/${window.length} | ${((performance.now() - t0) / 1000).toFixed(0)} s |`,
  );
  if (BLIND.includes(name))
    headline.push(
      `**Headline (blind ◆ ${name})**: type accuracy **${pct(ok, typed)}** over ${typed} commits with a type (target ≥ 0.70), headers passing **${pass}/${window.length}**.`,
    );
  if (!BLIND.includes(name))
    confusions.push(
      `${name}: ${
        Object.entries(confusion)
          .sort((a, b) => b[1] - a[1])
          .slice(0, 5)
          .map(([k, v]) => `${k} ×${v}`)
          .join(", ") || "none"
      }`,
    );
  console.error(
    name,
    conv.style,
    `typed ${typed}`,
    `type ${pct(ok, typed)} (${ok}${REWRITES_ON ? `; with the rewrite term ${okRewrites}; weak-penalty candidate ${okWeak}` : ""}; without the branch ${pct(okNoContext, typed)}, before ${pct(okBefore, typed)}, raw ${pct(okConventional, typed)})`,
    `on a branch ${withBranch}`,
    `headers ${pass}/${window.length} (before ${passBefore})`,
  );
}

// COMMIT_BENCH_PARTIAL=1: the per-repository lines only (the docs section is not rewritten).
if (process.env.COMMIT_BENCH_PARTIAL) process.exit(0);
const md = `
The offline generator on the last ${WINDOW} non-merge commits (at most half of a shorter history) of repositories that do not write Conventional
Commits, as in \`npm run bench -- commit\`: the convention (header family and types) is inferred from the (up to) ${TRAIN}
commits before the window (\`src/commit/convention.ts\`), the vocabulary from every commit before the one predicted.
**Type accuracy** counts the commits whose authors wrote a type (\`(fix) s\`, \`fix: s\`, \`[FIX] s\`, gitmoji),
comparing the generated type in the repository's own spelling (\`allowedType\`) with the author's; **before** is the
method before this change (vocabulary learnt from \`type:\` headers only, Conventional types as generated).
The branch each commit was made on (from the merge that brought it in; none when squash-merged) stands in for
the current branch, weighed by the repository's earlier commits on such branches; **without the branch** is the
same generator without it, and **commits** gives in brackets how many were made on a merged branch.
**Headers passing** checks every generated header against the repository's inferred convention (\`checkHeader\`,
what \`commit lint\` applies there); for a tracker-key convention the author's key stands in for the branch name that
\`commit generate\` takes it from. **before**: the Conventional header the generator wrote until now. For a tracker-key convention a header passes only when it cites a key, and the generated one cites a key exactly
when the author did (the stand-in for the branch name), so that count is the share of commits whose authors cited one.
Histories with tracker keys or free text have (almost) no typed headers, so their type accuracy has no ground truth.
Roles: no mark = used to develop the method (its errors were read); ‡ = never used to develop it; ◆ = blind, chosen
before any look at its results, whose errors are not printed (the headline). Type accuracy on ‡ and ◆ repositories counts
every commit whose author wrote a type, whatever decides it (dependency updates and releases included).

| repository | inferred convention | its types | commits (on a merged branch) | with a type | type acc. | without the branch | before | headers passing | before | time |
|---|---|---|---|---|---|---|---|---|---|---|
${rows.join("\n")}

${headline.join("\n\n")}

Most frequent type confusions (author → generated; none for the blind repository): ${confusions.join("; ")}.
`;
writeBenchSection("commit-conventions", "npm run bench -- commit-conventions", md);
console.log(md);
