import picomatch from "picomatch";
import { gitLines } from "../git/exec.js";
import type { CriticalPath } from "../config/schema.js";
import { CONVENTIONAL_COMMITS, fixEvidence, type Convention } from "../commit/convention.js";

/**
 * Just-in-time defect prediction features of Kamei et al. (2013), computed for every commit in
 * one streaming pass over `git log --numstat` with per-file state kept incrementally:
 *   diffusion NS, ND, NF, Entropy; size LA, LD, LT; purpose FIX; history NDEV, AGE, NUC;
 *   experience EXP, REXP, SEXP.
 * LA and LD are raw line counts (the model takes log1p); Entropy is in bits, not normalised;
 * AGE is the mean number of days since each touched file's previous change.
 * History-of-defects features known at commit time without labels from the future (see
 * DEFECT_HISTORY): the fix share of the touched files' earlier changes (PFS) and of the author's
 * earlier commits (AFIX).
 * Healthcare sensitivity features are added per commit: critical-path tier, sensitive areas
 * (auth, crypto, migrations, infrastructure, policy) and whether tests changed with code.
 */
export const KAMEI = [
  "NS",
  "ND",
  "NF",
  "Entropy",
  "LA",
  "LD",
  "LT",
  "FIX",
  "NDEV",
  "AGE",
  "NUC",
  "EXP",
  "REXP",
  "SEXP",
] as const;
/**
 * History of defects, as known at commit time from the history alone (no SZZ, so `risk score`
 * computes them as cheaply as NUC and EXP, and nothing from the future can leak in):
 *   PFS  share of the touched source files' earlier changes (the NUC commits) that were fixes;
 *   AFIX share of the author's earlier commits (EXP) that were fixes.
 * Shares rather than counts: a count of prior fixes grows with a file's age and activity and is
 * collinear with NUC; on the development histories counts lowered the AUC, shares raised it a little,
 * but not on histories not used to choose them, so the model does not use them (see
 * WITH_DEFECT_HISTORY in model.ts; docs/BENCHMARKS.md, "Risk: history-of-defects features").
 */
export const DEFECT_HISTORY = ["PFS", "AFIX"] as const;
export const SENSITIVITY = ["CRIT", "AUTH", "CRYPTO", "MIGRATION", "INFRA", "POLICY", "TESTLESS"] as const;
export type FeatureName = (typeof KAMEI)[number] | (typeof DEFECT_HISTORY)[number] | (typeof SENSITIVITY)[number];

export interface CommitFeatures {
  sha: string;
  author: string;
  time: number; // unix seconds
  subject: string;
  files: { path: string; added: number; deleted: number; binary?: boolean }[];
  values: Record<FeatureName, number>;
  /** for a fix (FIX = 1): the rule that recognised it (type, keyword, closing, trailer, tracker) */
  fixBy?: string;
}

/**
 * Sensitive areas are recognised by whole words of a path, never by substrings: a path is split
 * at separators (`/ . _ -` and the like) and camelCase humps, so "Assigned" is not "sign",
 * "author" is not "auth" and "ChartView" is not a Helm chart.
 */
export function pathWords(path: string): string[] {
  return path
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

const WORDS: Record<"AUTH" | "CRYPTO", RegExp> = {
  AUTH: /^(?:auth|authn|authz|authenticat\w*|authori[sz]\w*|login|logout|signin|signout|signup|sessions?|oauth2?|oidc|saml|sso|permissions?|rbac|acl|identity|passwords?|mfa|2fa|totp|otp|twofactor|keycloak)$/,
  CRYPTO:
    /^(?:crypto\w*|cipher\w*|encrypt\w*|decrypt\w*|tls|ssl|x509|hash(?:es|ing|er)?|hmac|sign|signing|signatures?|signer|keys?|keystore|keypair|pem|jwk|jwks)$/,
};
/** "sign in", "sign out", "sign up" and "two factor" are authentication, not cryptography. */
const AUTH_PAIRS = /(?:^| )(?:sign (?:in|out|up|on)|log (?:in|out)|two factor|multi factor)(?: |$)/;

function wordsMatch(kind: "AUTH" | "CRYPTO", path: string): boolean {
  const words = pathWords(path);
  if (kind === "AUTH") return words.some((w) => WORDS.AUTH.test(w)) || AUTH_PAIRS.test(words.join(" "));
  return words.some((w, i) => WORDS.CRYPTO.test(w) && !(w === "sign" && /^(?:in|out|up|on)$/.test(words[i + 1] ?? "")));
}

/** Path-shaped areas: a name must end at a separator or the end of the path (no "migrateUsers", "ChartView" or "policyNumber"). */
const END = String.raw`(?=[/._-]|$)`;
const SENSITIVE_PATH: Record<"MIGRATION" | "INFRA" | "POLICY", RegExp> = {
  MIGRATION: new RegExp(
    String.raw`(?:^|/)(?:migrations?|migrate|db/schema|schema\.(?:sql|prisma|rb)|flyway|liquibase)${END}|\.sql$`,
    "i",
  ),
  INFRA: new RegExp(
    String.raw`(?:^|/)(?:dockerfile|docker-compose[\w.-]*|\.github/workflows|terraform|k8s|kubernetes|helm|ansible|\.gitlab-ci\.yml|jenkinsfile|infra|infrastructure|deploy|deployments?)${END}|(?:^|/)(?:charts?/|Chart\.ya?ml$)|\.tf$`,
    "i",
  ),
  POLICY: new RegExp(
    String.raw`(?:^|/)(?:policy|policies|\.gitops-health\.yml|codeowners|security\.md)${END}|\.rego$`,
    "i",
  ),
};

/** Whether a path falls in a sensitive area (word-boundary matching, see pathWords). */
export function sensitiveArea(kind: "AUTH" | "CRYPTO" | "MIGRATION" | "INFRA" | "POLICY", path: string): boolean {
  return kind === "AUTH" || kind === "CRYPTO" ? wordsMatch(kind, path) : SENSITIVE_PATH[kind].test(path);
}

const TEST_PATH = /(?:^|\/)(?:tests?|__tests__|spec|specs)\/|[._-](?:test|spec)\.[a-z]+$/i;
const CODE_PATH = /\.(?:[cm]?[jt]sx?|py|go|rs|java|kt|rb|cs|php|swift|scala|c|cc|cpp|h)$/i;

const DAY = 86400;

/**
 * Files whose line counts say nothing about defect risk: documentation, changelogs, lockfiles,
 * generated or minified output, snapshots and media. They inflate size metrics (a release commit
 * rewrites CHANGELOG.md, a dependency bump rewrites the lockfile) and, blamed by SZZ, label
 * releases and dependency bumps as bug-introducing. Size, diffusion and history features and SZZ
 * blame use only the remaining (source) files.
 */
const NON_SOURCE = new RegExp(
  [
    /\.(?:md|mdx|markdown|rst|adoc|txt)$/.source,
    /(?:^|\/)(?:changelog|changes|history|news|authors|contributors|notice|copying|licen[sc]e(?:-[\w]+)?)(?:\.(?:md|txt|rst|adoc))?$/
      .source,
    /(?:^|\/)(?:docs?|documentation)\//.source,
    /(?:^|\/)(?:package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|bun\.lockb?|deno\.lock|[\w.-]+\.lock|go\.sum|packages\.lock\.json)$/
      .source,
    /\.min\.(?:js|css)$|\.(?:map|snap)$|(?:^|\/)(?:__snapshots__|dist|vendor|third_party|node_modules)\//.source,
    /(?:^|\/)\.yarn\/(?:releases|plugins|sdks|cache)\/|(?:^|\/)\.pnp\.(?:c?js|loader\.mjs)$/.source,
    /\.(?:png|jpe?g|gif|svg|ico|webp|avif|bmp|pdf|woff2?|ttf|otf|eot|mp[34]|webm|wasm|zip|gz|tgz|jar)$/.source,
  ].join("|"),
  "i",
);
const nonSourceCache = new Map<string, boolean>();
export function isNonSource(path: string): boolean {
  let v = nonSourceCache.get(path);
  if (v === undefined) {
    v = NON_SOURCE.test(path);
    if (nonSourceCache.size > 200_000) nonSourceCache.clear();
    nonSourceCache.set(path, v);
  }
  return v;
}

interface FileState {
  lines: number;
  last: number;
  devs: Set<string>;
  changes: number[]; // commit ordinals
}

/** A commit as read from the log, before its features are computed. */
export interface RawCommit {
  sha: string;
  author: string;
  time: number;
  subject: string;
  trailers: string;
  files: CommitFeatures["files"];
}

/**
 * Per-file and per-author state accumulated over history. `compute` gives a commit's features
 * against the state so far; `advanceFiles`/`advanceAuthor` fold a commit into it. The full pass
 * folds every commit into both; targeted scoring (`target.ts`) folds only the commits that touched
 * the change's files into the file state and only the author's commits into the author state,
 * which yields the same features for one change without reading the whole history.
 */
export class FeatureState {
  private readonly files = new Map<string, FileState>();
  private readonly authorChanges = new Map<string, number[]>(); // commit times
  private readonly authorFixes = new Map<string, number>();
  /** ordinals (see `files`) of the commits folded in that were fixes */
  private readonly fixOrdinals = new Set<number>();
  private readonly authorSubsystem = new Map<string, Map<string, number>>();
  private readonly crit: { tier: number; match: (p: string) => boolean }[];
  private ordinal = 0;

  constructor(
    criticalPaths: CriticalPath[] = [],
    private readonly allFiles = false,
    private readonly convention: Convention = CONVENTIONAL_COMMITS,
  ) {
    this.crit = criticalPaths.map((c) => ({ tier: c.tier, match: picomatch(c.pattern, { dot: true }) }));
  }

  /** The files that count for size, diffusion and history (binary files count as non-source too). */
  sourceFiles(c: Pick<RawCommit, "files">): CommitFeatures["files"] {
    return this.allFiles ? c.files : c.files.filter((f) => !f.binary && !isNonSource(f.path));
  }

  compute(c: RawCommit): CommitFeatures {
    const { files, authorChanges, authorSubsystem, crit, fixOrdinals } = this;
    const src = this.sourceFiles(c);
    const paths = src.map((f) => f.path);
    const subsystems = subsystemsOf(paths);
    const dirs = new Set(paths.map((p) => (p.includes("/") ? p.slice(0, p.lastIndexOf("/")) : ".")));
    const churn = src.map((f) => f.added + f.deleted);
    const total = churn.reduce((a, b) => a + b, 0);
    let entropy = 0;
    for (const x of churn) if (x > 0 && total > 0) entropy -= (x / total) * Math.log2(x / total);
    let lt = 0;
    const devs = new Set<string>();
    const uniq = new Set<number>();
    let ageSum = 0;
    let ageN = 0;
    for (const f of src) {
      const st = files.get(f.path);
      if (!st) continue;
      lt += st.lines;
      for (const d of st.devs) devs.add(d);
      for (const o of st.changes) uniq.add(o);
      ageSum += Math.max(0, c.time - st.last) / DAY;
      ageN++;
    }
    let priorFixes = 0;
    for (const o of uniq) if (fixOrdinals.has(o)) priorFixes++;
    const prior = authorChanges.get(c.author) ?? [];
    let rexp = 0;
    for (const t of prior) rexp += 1 / (Math.max(0, c.time - t) / (365 * DAY) + 1);
    const subs = authorSubsystem.get(c.author) ?? new Map<string, number>();
    let sexp = 0;
    for (const s of subsystems) sexp += subs.get(s) ?? 0;
    // Sensitivity looks at every file: a workflow, CODEOWNERS or SECURITY.md change matters whatever its size.
    const every = c.files.map((f) => f.path);
    let tier = 0;
    for (const p of every) for (const cp of crit) if (cp.match(p)) tier = Math.max(tier, 4 - cp.tier);
    const fix = fixEvidence(this.convention, c.subject, c.trailers);
    const codeChanged = every.some((p) => CODE_PATH.test(p) && !TEST_PATH.test(p));
    const testsChanged = every.some((p) => TEST_PATH.test(p));
    const values: Record<FeatureName, number> = {
      NS: subsystems.size,
      ND: dirs.size,
      NF: src.length,
      Entropy: entropy,
      LA: src.reduce((a, f) => a + f.added, 0),
      LD: src.reduce((a, f) => a + f.deleted, 0),
      LT: lt,
      // A fix in the repository's own convention: typed headers by type, free text by keyword, trailers, closing keywords.
      FIX: fix.fix ? 1 : 0,
      NDEV: devs.size,
      AGE: ageN ? ageSum / ageN : 0,
      NUC: uniq.size,
      EXP: prior.length,
      REXP: rexp,
      SEXP: sexp,
      PFS: uniq.size ? priorFixes / uniq.size : 0,
      AFIX: prior.length ? (this.authorFixes.get(c.author) ?? 0) / prior.length : 0,
      CRIT: tier,
      AUTH: every.some((p) => sensitiveArea("AUTH", p)) ? 1 : 0,
      CRYPTO: every.some((p) => sensitiveArea("CRYPTO", p)) ? 1 : 0,
      MIGRATION: every.some((p) => sensitiveArea("MIGRATION", p)) ? 1 : 0,
      INFRA: every.some((p) => sensitiveArea("INFRA", p)) ? 1 : 0,
      POLICY: every.some((p) => sensitiveArea("POLICY", p)) ? 1 : 0,
      TESTLESS: codeChanged && !testsChanged ? 1 : 0,
    };
    return {
      sha: c.sha,
      author: c.author,
      time: c.time,
      subject: c.subject,
      files: c.files,
      values,
      ...(fix.by ? { fixBy: fix.by } : {}),
    };
  }

  /** Whether a commit is a fix in this state's convention (the FIX feature). */
  isFix(c: Pick<RawCommit, "subject" | "trailers">): boolean {
    return fixEvidence(this.convention, c.subject, c.trailers).fix;
  }

  /**
   * Fold a commit into the per-file state (every file it touched, source or not); `fix` is whether
   * it is a fix (FIX, computed from its header when not given).
   */
  advanceFiles(c: Pick<RawCommit, "author" | "time" | "files" | "subject" | "trailers">, fix = this.isFix(c)): void {
    if (fix) this.fixOrdinals.add(this.ordinal);
    for (const f of c.files) {
      const st = this.files.get(f.path) ?? { lines: 0, last: c.time, devs: new Set<string>(), changes: [] };
      st.lines = Math.max(0, st.lines + f.added - f.deleted);
      st.last = c.time;
      st.devs.add(c.author);
      st.changes.push(this.ordinal);
      this.files.set(f.path, st);
    }
    this.ordinal++;
  }

  /** Fold a commit into its author's experience (`fix` as for advanceFiles). */
  advanceAuthor(c: Pick<RawCommit, "author" | "time" | "files" | "subject" | "trailers">, fix = this.isFix(c)): void {
    if (fix) this.authorFixes.set(c.author, (this.authorFixes.get(c.author) ?? 0) + 1);
    const prior = this.authorChanges.get(c.author) ?? [];
    prior.push(c.time);
    this.authorChanges.set(c.author, prior);
    const subs = this.authorSubsystem.get(c.author) ?? new Map<string, number>();
    for (const s of subsystemsOf(this.sourceFiles(c).map((f) => f.path))) subs.set(s, (subs.get(s) ?? 0) + 1);
    this.authorSubsystem.set(c.author, subs);
  }
}

function subsystemsOf(paths: string[]): Set<string> {
  return new Set(paths.map((p) => (p.includes("/") ? p.slice(0, p.indexOf("/")) : ".")));
}

/** The `git log` format every history reader here parses with `parseLogLine`. */
export const LOG_FORMAT = "--format=%x01%H%x09%ae%x09%at%x09%s%x09%(trailers:only,unfold,separator=%x1f)";

/** Parse one line of `git log --numstat` in LOG_FORMAT: a commit header starts a new commit. */
export function parseLogLine(line: string, cur: RawCommit | undefined): { commit?: RawCommit } | undefined {
  if (line.startsWith("\u0001")) {
    const [sha, author, time, subject, trailers] = line.slice(1).split("\t");
    return {
      commit: {
        sha: sha!,
        author: (author ?? "").toLowerCase(),
        time: Number(time),
        subject: subject ?? "",
        trailers: trailers ?? "",
        files: [],
      },
    };
  }
  if (!cur || !line) return undefined;
  const m = /^(\d+|-)\t(\d+|-)\t(.+)$/.exec(line);
  if (m)
    cur.files.push(
      m[1] === "-"
        ? { path: m[3]!, added: 0, deleted: 0, binary: true }
        : { path: m[3]!, added: Number(m[1]), deleted: Number(m[2]) },
    );
  else cur.files.push({ path: line, added: 0, deleted: 0 }); // --name-only
  return undefined;
}

/**
 * Stream `git log --numstat` in LOG_FORMAT as commits. `--name-only` skips the line diffs (most of
 * the cost) where only the paths matter; binary files are then not marked.
 */
export async function* readLog(
  args: string[],
  cwd: string,
  stat: "--numstat" | "--name-only" = "--numstat",
): AsyncGenerator<RawCommit> {
  let cur: RawCommit | undefined;
  for await (const line of gitLines(["log", stat, "--no-renames", LOG_FORMAT, ...args], { cwd })) {
    const r = parseLogLine(line, cur);
    if (r?.commit) {
      if (cur) yield cur;
      cur = r.commit;
    }
  }
  if (cur) yield cur;
}

/** Stream features for every non-merge commit reachable from `rev`, oldest first. */
export async function* extractFeatures(options: {
  cwd: string;
  rev?: string;
  criticalPaths?: CriticalPath[];
  allFiles?: boolean;
  convention?: Convention;
  append?: Omit<RawCommit, "trailers">;
}): AsyncGenerator<CommitFeatures> {
  const state = new FeatureState(options.criticalPaths, options.allFiles, options.convention);
  for await (const c of readLog(["--reverse", "--no-merges", options.rev ?? "HEAD"], options.cwd)) {
    const f = state.compute(c);
    yield f;
    state.advanceFiles(c, f.values.FIX === 1);
    state.advanceAuthor(c, f.values.FIX === 1);
  }
  // A change not yet committed (staged, or a range squashed), scored on top of the history.
  if (options.append) yield state.compute({ ...options.append, trailers: "" });
}
