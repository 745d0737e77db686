import { classifyPath, GENERIC_DIRS, type FileKind } from "./classify.js";
import { canonicalType, parseAnyHeader, typeFromBranch } from "../convention.js";
import { parseHeader, type ParsedHeader } from "../message.js";

/** Pseudo-signature under which dependency updates are learnt. */
export const DEPS_KEY = "deps";

/**
 * A typed header in any family of commit conventions (see convention.ts), with the type in its
 * Conventional spelling: what the history reader learns from, so that a repository writing
 * `(fix) Summary` or `[FEATURE] Summary` teaches the type model as much as one writing `fix: summary`.
 */
export function parseTypedHeader(header: string): ParsedHeader | undefined {
  // Conventional headers are learnt as written (their types are the generator's own).
  const h = parseHeader(header);
  if (h) return h;
  const p = parseAnyHeader(header);
  if (!p.type) return undefined;
  return { type: canonicalType(p.type), scope: p.scope, breaking: p.breaking, subject: p.subject };
}

type Counts = Record<string, number>;

/** The serialisable state of a repository's commit conventions. */
export interface VocabularyState {
  commits: number;
  conventional: number;
  scoped: number;
  types: Counts;
  /** directory prefix (or full path) → scope → commits touching it ("" = no scope) */
  prefixScopes: Record<string, Counts>;
  /** `${type}\0${prefix}` → scope → commits */
  typePrefixScopes: Record<string, Counts>;
  /** file-kind signature (e.g. "lock+manifest") → type → commits */
  signatureTypes: Record<string, Counts>;
  /** Source-touching commits: type → commits, and `${feature}=${value}` → type → commits (naive Bayes). */
  sourceTypes?: Counts;
  sourceFeatures?: Record<string, Counts>;
  /** Scopes authors give release commits ("" = none). */
  releaseScopes?: Counts;
  /** Source-touching commits by type with exponential decay (recent habits; half-life ~70 commits). */
  recentSourceTypes?: Counts;
  /** Type a branch name states (`fix/...` → fix) → the types authors gave source commits made on such branches. */
  branchTypes?: Record<string, Counts>;
}

const MAX_DEPTH = 4;
const RECENT_DECAY = 0.99;

/** Directory prefixes of a path, shallowest first, plus the path itself. */
export function pathPrefixes(path: string): string[] {
  const parts = path.split("/");
  const out: string[] = [];
  for (let i = 1; i < parts.length && i <= MAX_DEPTH; i++) out.push(parts.slice(0, i).join("/") + "/");
  out.push(path);
  return out;
}

/** Kinds of files that decide a commit's type, as a stable key ("docs", "lock+manifest", "source+test"). */
export function kindSignature(paths: string[]): string {
  const kinds = new Set<FileKind>();
  for (const p of paths) kinds.add(classifyPath(p));
  return [...kinds].sort().join("+");
}

function bump(map: Record<string, Counts>, key: string, value: string, by = 1): void {
  const c = (map[key] ??= {});
  c[value] = (c[value] ?? 0) + by;
}

/**
 * What a repository's authors call things: which scopes they use for which paths, and which
 * type they give to changes of a given file-kind signature. Learnt only from commits it is fed,
 * so a benchmark can feed it strictly earlier history.
 */
export class Vocabulary {
  state: VocabularyState;
  /** feature name → number of distinct values seen (Laplace denominators), rebuilt after add(). */
  private valueCounts?: Map<string, number>;

  constructor(state?: VocabularyState) {
    this.state = state ?? {
      commits: 0,
      conventional: 0,
      scoped: 0,
      types: {},
      prefixScopes: {},
      typePrefixScopes: {},
      signatureTypes: {},
    };
  }

  /** Learn one commit; `branch` is the branch it was made on, when known (see readHistory). */
  add(header: string, paths: string[], statuses?: string[], branch?: string): void {
    const s = this.state;
    s.commits++;
    const h = parseTypedHeader(header);
    if (!h || paths.length === 0) return;
    s.conventional++;
    if (h.scope) s.scoped++;
    s.types[h.type] = (s.types[h.type] ?? 0) + 1;
    const scope = h.scope ?? "";
    const seen = new Set<string>();
    for (const p of paths) for (const prefix of pathPrefixes(p)) seen.add(prefix);
    // Dependency updates (the authors say so, or a lockfile changed) are learnt apart from other
    // changes of the same files, so that bot updates of workflow pins or manifests do not set the
    // habit for hand-written CI or build changes, nor the scope of hand-written changes to manifests.
    const dependencyUpdate = isDependencyHeader(h);
    // A commit spread over many directories says little about the scope of any one of them.
    const weight = 1 / Math.sqrt(new Set(paths.map((p) => p.split("/").slice(0, -1).slice(0, 2).join("/"))).size);
    for (const prefix of seen) {
      if (!dependencyUpdate) bump(s.prefixScopes, prefix, scope, weight);
      bump(s.typePrefixScopes, `${dependencyUpdate ? DEPS_KEY : h.type}\0${prefix}`, scope, weight);
    }
    const signature = kindSignature(paths);
    // Release commits: so called, or a changelog with manifests only (as the generator sees them).
    const releaseFiles =
      paths.some((p) => /(^|\/)CHANGELOG[^/]*$/i.test(p)) &&
      paths.every((p) => ["manifest", "lock", "docs"].includes(classifyPath(p)));
    if (h.type === "release" || releaseFiles || /^(release|publish)\b|^v?\d+\.\d+\.\d+/i.test(h.subject)) {
      // Release tooling changes over a project's life: the latest releases weigh most.
      s.releaseScopes ??= {};
      for (const k of Object.keys(s.releaseScopes)) s.releaseScopes[k]! *= 0.7;
      s.releaseScopes[scope] = (s.releaseScopes[scope] ?? 0) + 1;
    }
    if (!dependencyUpdate) bump(s.signatureTypes, signature, h.type);
    if (statuses) {
      const feats = shapeFeatures(paths.map((p, i) => ({ path: p, status: statuses[i] ?? "M" })));
      if (feats) {
        s.sourceTypes ??= {};
        s.sourceFeatures ??= {};
        s.sourceTypes[h.type] = (s.sourceTypes[h.type] ?? 0) + 1;
        s.recentSourceTypes ??= {};
        for (const t of Object.keys(s.recentSourceTypes)) s.recentSourceTypes[t]! *= RECENT_DECAY;
        s.recentSourceTypes[h.type] = (s.recentSourceTypes[h.type] ?? 0) + 1;
        for (const f of feats) bump(s.sourceFeatures, f, h.type);
        for (const d of sourceDirs(paths)) bump(s.sourceFeatures, d, h.type);
        const stated = typeFromBranch(branch);
        if (stated) bump((s.branchTypes ??= {}), stated, h.type);
        this.valueCounts = undefined;
      }
    }
    // Lockfile changes are (almost always) dependency updates: remember what authors call those.
    if (dependencyUpdate || paths.some((p) => classifyPath(p) === "lock")) {
      bump(s.signatureTypes, DEPS_KEY, h.type);
      bump(s.signatureTypes, `${DEPS_KEY}:${signature}`, h.type);
    }
    if (dependencyUpdate) bump(s.signatureTypes, `${DEPS_KEY}!`, h.type);
  }

  /**
   * Likelihood ratio P(type | branch) / P(type) of a source change's type given the type its branch
   * name states (`fix/...` → fix), from the source commits of this repository's history made on such
   * branches, shrunk towards 1 by an m-estimate
   * (m = `m` commits at the overall rate): 1 for every type when the history has no such commits,
   * and close to 1 where the context does not predict the type (every branch named `feature/...`).
   */
  branchRatio(stated: string, type: string, m = 4): number {
    const c = this.state.branchTypes?.[stated] ?? {};
    const n = Object.values(c).reduce((a, b) => a + b, 0);
    const all = this.state.sourceTypes ?? {};
    const total = Object.values(all).reduce((a, b) => a + b, 0);
    if (!n || !total) return 1;
    const k = Object.keys(all).length + 1;
    const prior = ((all[type] ?? 0) + 1) / (total + k);
    return ((c[type] ?? 0) + m * prior) / (n + m) / prior;
  }

  /** Share of conventional commits that carry a scope (0 when there is no history). */
  get scopeRate(): number {
    return this.state.conventional === 0 ? 0 : this.state.scoped / this.state.conventional;
  }

  get size(): number {
    return this.state.conventional;
  }

  /** All scopes authors used, most frequent first. */
  scopes(): string[] {
    const totals: Counts = {};
    for (const [k, c] of Object.entries(this.state.prefixScopes)) {
      if (k.endsWith("/")) continue;
      for (const [s, n] of Object.entries(c)) if (s) totals[s] = (totals[s] ?? 0) + n;
    }
    return Object.entries(totals)
      .sort((a, b) => b[1] - a[1])
      .map(([s]) => s);
  }

  /** The type this repository habitually uses for a non-source signature, when the habit is clear. */
  conventionalType(signature: string, minCommits = 3, minShare = 0.5): string | undefined {
    const c = this.state.signatureTypes[signature];
    if (!c) return undefined;
    const total = Object.values(c).reduce((a, b) => a + b, 0);
    const [best, n] = Object.entries(c).sort((a, b) => b[1] - a[1])[0] ?? ["", 0];
    return total >= minCommits && n / total >= minShare ? best : undefined;
  }

  /** log P(type | the change touches source), Laplace-smoothed over `k` candidate types. */
  sourceTypeLogPrior(type: string, k: number): number {
    const types = this.state.sourceTypes ?? {};
    const total = Object.values(types).reduce((a, b) => a + b, 0);
    return Math.log(((types[type] ?? 0) + 1) / (total + k));
  }

  /** Like sourceTypeLogPrior, from decayed counts (what authors call source changes lately). */
  recentSourceTypeLogPrior(type: string, k: number): number {
    const types = this.state.recentSourceTypes ?? {};
    const total = Object.values(types).reduce((a, b) => a + b, 0);
    return Math.log(((types[type] ?? 0) + 0.5) / (total + 0.5 * k));
  }

  /**
   * Naive Bayes log-likelihood of source-change features (`name=value`) under `type`, Laplace-
   * smoothed per feature name; directory features (`dir=`) are averaged so that a change touching
   * many directories does not outvote the other evidence.
   */
  sourceFeatureLogLikelihood(type: string, features: string[]): number {
    if (!this.valueCounts) {
      this.valueCounts = new Map();
      for (const k of Object.keys(this.state.sourceFeatures ?? {})) {
        const name = k.slice(0, k.indexOf("="));
        this.valueCounts.set(name, (this.valueCounts.get(name) ?? 0) + 1);
      }
    }
    const nt = this.state.sourceTypes?.[type] ?? 0;
    let lp = 0;
    let dirs = 0;
    let dirLp = 0;
    for (const f of features) {
      const name = f.slice(0, f.indexOf("="));
      const values = Math.max(2, this.valueCounts.get(name) ?? 0);
      const v = Math.log(((this.state.sourceFeatures?.[f]?.[type] ?? 0) + 1) / (nt + values));
      if (name === "dir") {
        dirs++;
        dirLp += v;
      } else lp += v;
    }
    return lp + (dirs ? dirLp / dirs : 0);
  }

  /** The scope authors have lately given release commits ("" = none). */
  releaseScope(): string | undefined {
    const c = this.state.releaseScopes ?? {};
    const [top, n] = Object.entries(c).sort((a, b) => b[1] - a[1])[0] ?? ["", 0];
    return n >= 1 ? top : undefined;
  }

  /** Types of the commits whose headers announce a dependency update, with counts. */
  declaredDependencyTypes(): Counts {
    return { ...(this.state.signatureTypes[`${DEPS_KEY}!`] ?? {}) };
  }

  /** Types authors gave to dependency updates (of files with this kind signature when given), with counts. */
  dependencyTypes(signature?: string): Counts {
    return { ...(this.state.signatureTypes[signature === undefined ? DEPS_KEY : `${DEPS_KEY}:${signature}`] ?? {}) };
  }

  /**
   * Scope for a change of `type` touching `paths`: for each file, the deepest prefix authors
   * have scoped at least `minEvidence` times (type-specific first); votes are averaged.
   * Returns undefined when history has no opinion, "" when authors leave such changes unscoped.
   */
  predictScope(type: string, paths: string[], minEvidence = 2): string | undefined {
    const votes: Counts = {};
    let voters = 0;
    for (const p of paths) {
      const prefixes = pathPrefixes(p).reverse();
      let dist: Counts | undefined;
      for (const table of [
        (x: string) => this.state.typePrefixScopes[`${type}\0${x}`],
        (x: string) => this.state.prefixScopes[x],
      ]) {
        for (const prefix of prefixes) {
          const c = table(prefix);
          if (c && Object.values(c).reduce((a, b) => a + b, 0) >= minEvidence) {
            dist = c;
            break;
          }
        }
        if (dist) break;
      }
      if (!dist) continue;
      const total = Object.values(dist).reduce((a, b) => a + b, 0);
      for (const [s, n] of Object.entries(dist)) votes[s] = (votes[s] ?? 0) + n / total;
      voters++;
    }
    if (voters === 0) return undefined;
    return Object.entries(votes).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]![0];
  }
}

/** Scope from the layout alone: the package of a monorepo, else the dominant meaningful directory. */
export function structuralScope(paths: string[], known: string[] = []): string | undefined {
  const votes: Counts = {};
  for (const p of paths) {
    const parts = p.split("/");
    let name: string | undefined;
    const pkg = parts.findIndex((x) => /^(packages|apps|libs|crates|plugins|modules|projects|services)$/.test(x));
    if (pkg >= 0 && parts.length > pkg + 2) {
      name = parts[pkg + 1]!;
      if (name.startsWith("@") && parts.length > pkg + 3) name = `${name}/${parts[pkg + 2]}`;
    } else {
      name = parts.slice(0, -1).find((x) => !GENERIC_DIRS.has(x.toLowerCase()) && !x.startsWith("."));
    }
    if (name) votes[name] = (votes[name] ?? 0) + 1;
  }
  const ranked = Object.entries(votes).sort((a, b) => b[1] - a[1]);
  const top = ranked[0];
  if (!top || top[1] / paths.length < 0.5) return undefined;
  // Prefer the spelling authors already use (`@angular/build` for packages/angular/build).
  const hit = known.find((k) => k === top[0] || k.endsWith(`/${top[0]}`));
  return (hit ?? top[0]).toLowerCase();
}

/** Whether a header announces a dependency update (`chore(deps): ...`, `build(deps-dev): bump x from 1 to 2`). */
export function isDependencyHeader(h: ParsedHeader): boolean {
  return (
    /^(deps|deps-dev|dev-deps|dependencies|devdeps|dependabot|renovate)$/i.test(h.scope ?? "") ||
    /^(update|bump|upgrade|pin)\s+(dependency|dependencies|deps|all\b|\S+\s+(from|to)\s+v?\d|\S+ action to)|^lock ?file maintenance/i.test(
      h.subject,
    )
  );
}

/** Directories (up to three levels) holding the source files of a change, as `dir=` features. */
export function sourceDirs(paths: string[]): string[] {
  const out = new Set<string>();
  for (const p of paths) {
    if (classifyPath(p) !== "source") continue;
    const parts = p.split("/").slice(0, -1).slice(0, 3);
    out.add(`dir=${parts.join("/") || "."}`);
  }
  return [...out];
}

/**
 * Path-level shape of a change that touches source code (undefined otherwise): whether it adds or
 * deletes source files, touches docs or tests, and how many source files. Cheap to compute for
 * history (name-status) and for the staged change alike.
 */
export function shapeFeatures(files: { path: string; status: string }[]): string[] | undefined {
  const kinds = files.map((f) => classifyPath(f.path));
  const src = files.filter((_, i) => kinds[i] === "source");
  if (src.length === 0) return undefined;
  const n = src.length;
  return [
    `addsSource=${src.some((f) => f.status === "A")}`,
    `deletesSource=${src.some((f) => f.status === "D")}`,
    `docs=${kinds.includes("docs")}`,
    `tests=${kinds.includes("test")}`,
    `sourceFiles=${n === 1 ? "1" : n <= 3 ? "2-3" : "4+"}`,
  ];
}
