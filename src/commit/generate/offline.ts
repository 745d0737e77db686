import type { ChangeSet, FileChange } from "./changes.js";
import { classifyPath, isDependencyLine, type FileKind } from "./classify.js";
import { DEPS_KEY, kindSignature, shapeFeatures, sourceDirs, structuralScope, type Vocabulary } from "./vocabulary.js";
import { changeWords, diffFeatures, repoTerms, scoreTypes, wordTerms, type TypeModel } from "./type-model.js";
import { TYPE_MODEL } from "./type-model-weights.js";
import { isConventionalType, type CommitMessage } from "../message.js";
import { typeFromBranch } from "../convention.js";
import { applyRewrites, type RewriteModel } from "./rewrites.js";
import { REWRITE_MODEL } from "./rewrite-weights.js";

/**
 * What the change's context says besides its diff: the branch it is committed on (`fix/login`),
 * weighed by how well branch names predicted the type in this repository's own history (see
 * Vocabulary.branchRatio), and whether the tracker issue it cites is a bug (its project is one of the
 * convention's `fixKeys`: issue types live in the tracker, not in git, so only a declared one counts).
 */
export interface TypeHints {
  branch?: string;
  /** The change cites an issue of a tracker project declared as a bug tracker. */
  bug?: string;
  /**
   * What the change rewrites in existing code (`rewriteFeatures` of `blameRewrites`): weighed by the
   * rewrite term's coefficients (REWRITE_MODEL) when present.
   */
  rewrites?: Record<string, number>;
  /** Coefficients of the rewrite term (default REWRITE_MODEL; benchmarks compare candidates). */
  rewriteModel?: RewriteModel;
}

/** Conventional Commits types the generator can produce (config-conventional's type-enum). */

/** Why the generator chose the type: shown in `--format json` so the choice is auditable. */
export interface Inference {
  type: string;
  scope?: string;
  reasons: string[];
  signature: string;
}

// ---- features of a change ----------------------------------------------------------------

const EXPORT_DECL = [
  /^\s*export\s+(?:default\s+)?(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?(?:function\*?|class|const|let|var|interface|type|enum|namespace)\s+([A-Za-z_$][\w$]*)/,
  /^(?:async\s+)?(?:def|class)\s+([A-Za-z][\w]*)/, // python, top level, public
  /^func\s+(?:\([^)]*\)\s*)?([A-Z]\w*)/, // go, exported
  /^type\s+([A-Z]\w*)\s/, // go
  /^\s*pub(?:\([^)]*\))?\s+(?:async\s+)?(?:fn|struct|enum|trait|mod|const|type|static)\s+(\w+)/, // rust
  /^\s*public\s+(?:static\s+|final\s+|abstract\s+|sealed\s+|override\s+|async\s+)*(?:class|interface|enum|record|[\w<>[\],.?\s]+?)\s+(\w+)\s*[({<]/, // java, c#
  /^\s*export\s*\{([^}]+)\}/, // re-exports
];
const ANY_DECL = [
  ...EXPORT_DECL,
  /^\s*(?:async\s+)?function\*?\s+([A-Za-z_$][\w$]*)/,
  /^\s*(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=\s*(?:async\s*)?(?:\([^)]*\)|[A-Za-z_$][\w$]*)\s*=>/,
  /^\s*(?:def|fn|func)\s+([A-Za-z_]\w*)/,
  /^\s*(?:private|protected|public|static|async|readonly|\s)*([A-Za-z_$][\w$]*)\s*\([^)]*\)\s*(?::\s*[^={]+)?\{\s*$/,
];
const CONTROL_WORDS = new Set([
  "if",
  "for",
  "while",
  "switch",
  "catch",
  "return",
  "function",
  "else",
  "new",
  "typeof",
  "await",
]);
const GUARD =
  /\b(if|else|while|switch|case|catch|try|throw|finally|return|break|continue|default)\b|\?\?|\?\.|[!=]==?|<=|>=|&&|\|\||\bnull\b|\bundefined\b|\bNone\b|\bnil\b/;
const PERF =
  /\b(perf(ormance)?|faster|speed ?up|optimi[sz](e|ation)|memoi[sz]e|cache[ds]?|lazy|lazily|debounce|throttle|O\(n\))\b/i;

function declared(lines: string[], patterns: RegExp[]): string[] {
  const out: string[] = [];
  for (const l of lines) {
    for (const re of patterns) {
      const m = re.exec(l);
      if (!m) continue;
      const names = re.source.includes("\\{([^}]+)\\}")
        ? m[1]!.split(",").map((x) =>
            x
              .trim()
              .split(/\s+as\s+/)
              .pop()!
              .trim(),
          )
        : [m[1]!];
      for (const n of names)
        if (n && !CONTROL_WORDS.has(n) && /^[A-Za-z_$][\w$]*$/.test(n) && !out.includes(n)) out.push(n);
      break;
    }
  }
  return out;
}

/** Identifier named by a git hunk-header function context (`export function foo(x) {` → foo). */
function contextSymbol(ctx: string): string | undefined {
  const d = declared([ctx], ANY_DECL)[0];
  if (d) return d;
  const m = /([A-Za-z_$][\w$]*)\s*\(/.exec(ctx);
  return m && !CONTROL_WORDS.has(m[1]!) ? m[1] : undefined;
}

const squash = (s: string) => s.replace(/\s+/g, "");
function whitespaceOnly(f: FileChange): boolean {
  if (f.added.length === 0 && f.removed.length === 0) return false;
  const a = f.added.map(squash).filter(Boolean).sort().join("\n");
  const r = f.removed.map(squash).filter(Boolean).sort().join("\n");
  return a === r;
}

export interface ChangeFeatures {
  files: FileChange[];
  kinds: Map<FileChange, FileKind>;
  signature: string;
  source: FileChange[];
  srcAdded: number;
  srcRemoved: number;
  newExports: string[];
  removedExports: string[];
  changedSymbols: string[];
  newSourceFiles: FileChange[];
  guardLines: number;
  /** Versions set in manifests (`packages/x@1.2.0`, `v1.2.0`) when the change is a release. */
  releaseVersions: string[];
  dependencyOnly: boolean;
  /** package.json sections the dependency changes are in. */
  dependencySections: string[];
  whitespaceOnly: boolean;
  pureRenames: number;
  perfHint: boolean;
}

const isCode = (k: FileKind) => k === "source";

export function extractFeatures(change: ChangeSet): ChangeFeatures {
  const files = change.files;
  const kinds = new Map(files.map((f) => [f, classifyPath(f.path)] as const));
  const source = files.filter((f) => isCode(kinds.get(f)!) && !f.binary);
  const added = source.flatMap((f) => f.added);
  const removed = source.flatMap((f) => f.removed);
  const addedExports = declared(added, EXPORT_DECL);
  const removedExports = declared(removed, EXPORT_DECL);
  const newExports = addedExports.filter((n) => !removedExports.includes(n));
  const changedSymbols: string[] = [];
  for (const f of source) {
    for (const c of f.contexts) {
      const s = contextSymbol(c);
      if (s && !changedSymbols.includes(s)) changedSymbols.push(s);
    }
    for (const s of declared([...f.added, ...f.removed], ANY_DECL))
      if (!changedSymbols.includes(s)) changedSymbols.push(s);
  }
  // Dependency updates: manifests whose changed lines are all version specs, and lockfiles; a
  // lockfile change may carry a few lines of adaptation elsewhere. (Workflow action pins stay
  // with the CI habit: repositories label them differently from package updates.)
  const manifests = files.filter((f) => kinds.get(f) === "manifest");
  const meaningful = (f: FileChange) =>
    [...f.added, ...f.removed].filter((l) => l.trim() && !/^\s*[{}[\],]*\s*$/.test(l));
  const depsFile = (f: FileChange) => {
    const k = kinds.get(f)!;
    if (k === "lock") return true;
    if (k === "manifest") return meaningful(f).every(isDependencyLine);
    // Manifests of fixtures and playgrounds, updated along with the real ones.
    if (k === "test" && /(^|\/)package\.json$/.test(f.path))
      return meaningful(f).length > 0 && meaningful(f).every(isDependencyLine);
    // A workflow whose only changes are action pins (`uses: actions/checkout@v5 # v5.0.0`).
    if (k === "ci")
      return (
        meaningful(f).length > 0 && meaningful(f).every((l) => /^\s*-?\s*uses:\s*\S+@\S+(\s+#.*)?\s*$|^\s*#/.test(l))
      );
    return false;
  };
  const depFiles = files.filter(depsFile);
  const rest = files.filter((f) => !depsFile(f));
  const restChurn = rest.reduce((n, f) => n + f.added.length + f.removed.length, 0);
  const dependencyOnly =
    depFiles.length > 0 &&
    !files.some((f) => kinds.get(f) === "manifest" && !depsFile(f)) &&
    (rest.length === 0 || (depFiles.some((f) => kinds.get(f) === "lock") && restChurn <= 20));
  const releaseVersions: string[] = [];
  for (const f of manifests) {
    for (const l of f.added) {
      const m = /^\s*"?version"?\s*[:=]\s*"([^"]+)"/.exec(l);
      if (!m) continue;
      const dir = f.path.split("/").slice(0, -1);
      releaseVersions.push(dir.length ? `${dir[dir.length - 1]}@${m[1]}` : `v${m[1]}`);
    }
  }
  const isRelease =
    releaseVersions.length > 0 && files.every((f) => ["manifest", "lock", "docs"].includes(kinds.get(f)!));
  return {
    releaseVersions: isRelease ? releaseVersions : [],
    files,
    kinds,
    signature: kindSignature(files.map((f) => f.path)),
    source,
    srcAdded: added.length,
    srcRemoved: removed.length,
    newExports,
    removedExports: removedExports.filter((n) => !addedExports.includes(n)),
    changedSymbols,
    newSourceFiles: source.filter((f) => f.status === "added"),
    guardLines: [...added, ...removed].filter((l) => GUARD.test(l)).length,
    dependencyOnly,
    dependencySections: [...new Set(files.flatMap((f) => f.manifestSections ?? []))].filter((x) =>
      /ependencies$/.test(x),
    ),
    whitespaceOnly: source.length > 0 && source.every(whitespaceOnly),
    pureRenames: source.filter((f) => f.status === "renamed" && f.added.length + f.removed.length <= 4).length,
    // Only an explicit statement in an added comment counts: optimisation words in code
    // (cache, lazy...) proved to be poor evidence on real histories (see docs/BENCHMARKS.md).
    perfHint: added.some(
      (l) =>
        /^\s*(\/\/|\/?\*|#)/.test(l) &&
        PERF.test(l) &&
        /\b(perf(ormance)?|faster|speed ?up|optimi[sz]|avoid(s|ing)? (re)?(comput|alloc|scan|walk))/i.test(l),
    ),
  };
}

// ---- type inference ------------------------------------------------------------------------

function only(f: ChangeFeatures, ...allowed: FileKind[]): boolean {
  return f.files.length > 0 && f.files.every((x) => allowed.includes(f.kinds.get(x)!));
}

/** Conventional Commits type from the change's files and lines, refined by the repo's habits. */
export function inferType(
  f: ChangeFeatures,
  vocab?: Vocabulary,
  hints: TypeHints = {},
): { type: string; reasons: string[] } {
  const reasons: string[] = [];
  const habit = (fallback: string, why: string, key = f.signature) => {
    const learned = vocab?.conventionalType(key);
    if (learned && learned !== fallback && isConventionalType(learned)) {
      reasons.push(`${why}; this repository labels "${key}" changes "${learned}"`);
      return { type: learned, reasons };
    }
    reasons.push(why);
    return { type: fallback, reasons };
  };
  if (f.files.length === 0) return habit("chore", "empty change");
  if (f.releaseVersions.length) {
    reasons.push(`version bump to ${f.releaseVersions.join(", ")} with changelog/manifests only`);
    return { type: "chore", reasons };
  }
  if (f.dependencyOnly) {
    // One clear habit wins; a repository mixing types for dependency updates usually follows the
    // Renovate/semantic-release convention: runtime dependencies ship to users (fix), dev ones do not (chore).
    const counts = vocab?.dependencyTypes() ?? {};
    const declared = vocab?.declaredDependencyTypes() ?? {};
    const mixed = (declared.fix ?? 0) >= 2 && (declared.chore ?? 0) >= 2;
    if (mixed && f.dependencySections.length > 0) {
      const runtime = f.dependencySections.some(
        (s) => s === "dependencies" || s === "optionalDependencies" || s === "peerDependencies",
      );
      reasons.push(
        `dependency versions only, in ${f.dependencySections.join(", ")}; this repository types runtime dependency updates fix and dev ones chore`,
      );
      return { type: runtime ? "fix" : "chore", reasons };
    }
    // The habit for updates of the same kinds of files (lockfile only, manifests, workflow pins),
    // else for dependency updates in general.
    for (const [c, what] of [
      [vocab?.dependencyTypes(f.signature) ?? {}, `dependency updates of ${f.signature} files`],
      [counts, "dependency updates"],
    ] as const) {
      const total = Object.values(c).reduce((a, b) => a + b, 0);
      const [top, n] = Object.entries(c).sort((a, b) => b[1] - a[1])[0] ?? ["", 0];
      if (total >= 3 && top && n / total >= 0.5 && isConventionalType(top)) {
        reasons.push(`dependency versions only; this repository labels ${what} "${top}"`);
        return { type: top, reasons };
      }
    }
    return habit("build", "dependency versions only", DEPS_KEY);
  }
  if (only(f, "docs")) return habit("docs", "documentation files only");
  if (only(f, "test", "docs") && f.files.some((x) => f.kinds.get(x) === "test"))
    return habit("test", "test files only");
  if (only(f, "ci", "docs", "tooling", "other") && f.files.some((x) => f.kinds.get(x) === "ci"))
    return habit("ci", "CI configuration only");
  if (only(f, "manifest", "lock", "build", "generated")) {
    // Manifests and lockfiles alone are most often dependency work (engines, package manager pins,
    // overrides): follow the repository's habit for dependency updates of such files when it has one.
    const learned = vocab?.conventionalType(`${DEPS_KEY}:${f.signature}`);
    if (learned && f.files.some((x) => ["manifest", "lock"].includes(f.kinds.get(x)!)) && isConventionalType(learned)) {
      reasons.push(
        `manifests and lockfiles only; this repository labels dependency updates of ${f.signature} files "${learned}"`,
      );
      return { type: learned, reasons };
    }
    return habit("build", "build configuration and manifests only");
  }
  if (f.source.length === 0) return habit("chore", "configuration and tooling only");

  if (hints.bug) {
    reasons.push(`${hints.bug} is an issue of a tracker project declared as a bug tracker`);
    return { type: "fix", reasons };
  }
  if (f.whitespaceOnly) return habit("style", "whitespace or formatting changes only");
  if (f.pureRenames > 0 && f.pureRenames >= f.source.length / 2) {
    reasons.push(`${f.pureRenames} file(s) moved or renamed without content changes`);
    return { type: "refactor", reasons };
  }
  const enoughHistory =
    vocab && Object.values(vocab.state.sourceTypes ?? {}).reduce((a, b) => a + b, 0) >= MIN_SOURCE_HISTORY;
  return enoughHistory ? modelType(f, vocab, reasons, TYPE_MODEL, hints) : ruleType(f, reasons);
}

/** Source commits in history below which the type model (trained with history terms) is not used. */
const MIN_SOURCE_HISTORY = 20;

/**
 * Without enough history: transparent rules on the diff (the type model was fitted with a
 * repository's habits alongside the diff, and is not trusted without them).
 */
function ruleType(f: ChangeFeatures, reasons: string[]): { type: string; reasons: string[] } {
  const churn = f.srcAdded + f.srcRemoved;
  if (f.newExports.length > 0 && f.srcAdded > f.srcRemoved) {
    reasons.push(`new exported symbol(s): ${f.newExports.slice(0, 3).join(", ")}`);
    return { type: "feat", reasons };
  }
  if (f.newSourceFiles.length > 0 && f.srcAdded > 2 * f.srcRemoved) {
    reasons.push(
      `new source file(s): ${f.newSourceFiles
        .slice(0, 3)
        .map((x) => x.path)
        .join(", ")}`,
    );
    return { type: "feat", reasons };
  }
  if (f.perfHint && churn <= 80) {
    reasons.push("added comments state an optimisation");
    return { type: "perf", reasons };
  }
  if (churn <= 40 && f.guardLines > 0 && f.newSourceFiles.length === 0) {
    reasons.push(`small change (${churn} lines) to conditions/guards in existing code`);
    return { type: "fix", reasons };
  }
  if (f.srcRemoved > 2 * f.srcAdded || f.removedExports.length > 0) {
    reasons.push("mostly removals/restructuring without new API");
    return { type: "refactor", reasons };
  }
  if (churn <= 80) {
    reasons.push(`small change (${churn} lines) to existing code without new API`);
    return { type: "fix", reasons };
  }
  if (f.srcAdded > 2 * f.srcRemoved) {
    reasons.push(`large addition (${f.srcAdded} lines) of code`);
    return { type: "feat", reasons };
  }
  reasons.push(`large balanced rewrite (+${f.srcAdded} -${f.srcRemoved}) without new API`);
  return { type: "refactor", reasons };
}

/** Whether the type of this change is left to the type model (it touches source code). */
export function modelDecides(f: ChangeFeatures): boolean {
  if (f.files.length === 0 || f.releaseVersions.length || f.dependencyOnly || f.source.length === 0) return false;
  if (only(f, "docs") || only(f, "test", "docs") || only(f, "manifest", "lock", "build", "generated")) return false;
  if (only(f, "ci", "docs", "tooling", "other") && f.files.some((x) => f.kinds.get(x) === "ci")) return false;
  return !f.whitespaceOnly && !(f.pureRenames > 0 && f.pureRenames >= f.source.length / 2);
}

const EVIDENCE: Record<string, [string, (x: Record<string, number>, f: ChangeFeatures) => string | undefined][]> = {
  feat: [
    ["newExports", (_, f) => `new exported symbol(s): ${f.newExports.slice(0, 3).join(", ")}`],
    [
      "newSourceFile",
      (_, f) =>
        `new source file(s): ${f.newSourceFiles
          .slice(0, 2)
          .map((x) => x.path)
          .join(", ")}`,
    ],
    ["options", () => "new optional properties (options)"],
    ["testNewWords", () => "added tests describe new behaviour"],
  ],
  fix: [
    ["smallGuard", (_, f) => `small change (${f.srcAdded + f.srcRemoved} lines) to conditions/guards`],
    ["errorHandling", () => "error handling in added lines"],
    ["testFixWords", () => "added tests describe a fix or regression"],
  ],
  refactor: [
    ["movedShare", (x) => `${Math.round(x.movedShare! * 100)}% of added lines moved from elsewhere`],
    ["removedExports", () => "exports removed"],
    ["importShare", () => "import changes"],
  ],
  perf: [
    ["perfCode", () => "added lines mention caching, laziness or fast paths"],
    ["perfComment", () => "added comments state an optimisation"],
  ],
  docs: [
    ["commentOnly", () => "only comments changed"],
    ["commentShare", () => "mostly comment changes"],
  ],
  style: [["nearSameShare", () => "lines changed only in punctuation or quotes"]],
  test: [["tests", () => "test files changed"]],
  chore: [["config", () => "tooling configuration changed"]],
};

/** Conditional-logit type model: diff evidence weighed against this repository's habits. */
export function modelType(
  f: ChangeFeatures,
  vocab: Vocabulary | undefined,
  reasons: string[] = [],
  model: TypeModel = TYPE_MODEL,
  hints: TypeHints = {},
): { type: string; reasons: string[]; probabilities: Record<string, number> } {
  const x = diffFeatures(f);
  const shape = shapeFeatures(
    f.files.map((file) => ({
      path: file.path,
      status: { added: "A", deleted: "D", modified: "M", renamed: "R" }[file.status],
    })),
  );
  const useHistory =
    vocab && Object.values(vocab.state.sourceTypes ?? {}).reduce((a, b) => a + b, 0) >= MIN_SOURCE_HISTORY;
  const terms = repoTerms(
    useHistory ? vocab : undefined,
    shape,
    sourceDirs(f.files.map((file) => file.path)),
    model.types,
  );
  const p = scoreTypes(model, x, { ...terms, words: wordTerms(model.wordTable, changeWords(f), model.types.length) });
  const context = useHistory ? contextEvidence(vocab!, hints) : [];
  if (context.length) {
    // Naive Bayes update of the model's probabilities by the context's likelihood ratios.
    const before = Object.entries(p).sort((a, b) => b[1] - a[1])[0]![0];
    let z = 0;
    for (const t of Object.keys(p)) z += p[t]! *= context.reduce((r, c) => r * c.ratio(t), 1);
    for (const t of Object.keys(p)) p[t]! /= z;
    const after = Object.entries(p).sort((a, b) => b[1] - a[1])[0]![0];
    if (after !== before) reasons.push(`${context.map((c) => c.why).join("; ")}: ${before} → ${after}`);
  }
  if (hints.rewrites) {
    const before = Object.entries(p).sort((a, b) => b[1] - a[1])[0]![0];
    Object.assign(p, applyRewrites(p, hints.rewrites, hints.rewriteModel ?? REWRITE_MODEL));
    const after = Object.entries(p).sort((a, b) => b[1] - a[1])[0]![0];
    if (after !== before) reasons.push(`${rewriteWhy(hints.rewrites)}: ${before} → ${after}`);
  }
  const ranked = Object.entries(p).sort((a, b) => b[1] - a[1]);
  const type = ranked[0]![0];
  reasons.push(
    `type model: ${ranked
      .slice(0, 3)
      .map(([t, v]) => `${t} ${v.toFixed(2)}`)
      .join(", ")}${useHistory ? " (diff evidence and this repository's history)" : " (diff evidence only)"}`,
  );
  // The strongest diff evidence for the chosen type, to make the choice auditable.
  const w = model.weights[type]!;
  const strongest = (EVIDENCE[type] ?? [])
    .map(([k, why]) => ({ k, why, v: (x[k] ?? 0) * (w[model.features.indexOf(k)] ?? 0) }))
    .filter((e) => e.v > 0.05)
    .sort((a, b) => b.v - a.v);
  for (const e of strongest.slice(0, 2)) {
    const why = e.why(x, f);
    if (why) reasons.push(why);
  }
  return { type, reasons, probabilities: p };
}

function rewriteWhy(x: Record<string, number>): string {
  const pct = (v = 0) => `${Math.round(v * 100)}%`;
  if (!x.blamed) return "the change rewrites no existing source lines";
  return `of the existing lines it rewrites, ${pct(x.rwFix)} were last written by fixes, ${pct(x.rwFeat)} by features, ${pct(x.rwRecent)} in the last 30 days`;
}

function contextEvidence(vocab: Vocabulary, hints: TypeHints): { ratio: (t: string) => number; why: string }[] {
  const stated = typeFromBranch(hints.branch);
  if (!stated) return [];
  return [
    {
      ratio: (t) => vocab.branchRatio(stated, t),
      why: `branch "${hints.branch}" states ${stated}, weighed by this repository's commits on such branches`,
    },
  ];
}

/** Scope: the repo's own vocabulary when history covers these paths, else the layout. */
export function inferScope(type: string, f: ChangeFeatures, vocab?: Vocabulary): string | undefined {
  // Decide from the files that determined the type (docs next to code do not pick the scope).
  // Release commits carry the scope "release" only where authors use it.
  if (f.releaseVersions.length) {
    const learned = vocab?.releaseScope();
    if (learned !== undefined) return learned || undefined;
    return !vocab || vocab.size < 20 || vocab.scopes().includes("release") ? "release" : undefined;
  }
  const deciding = f.source.length > 0 && !["docs", "test", "ci", "build", "chore"].includes(type) ? f.source : f.files;
  const paths = deciding.map((x) => x.path);
  if (vocab && vocab.size >= 20) {
    const learned = vocab.predictScope(f.dependencyOnly ? DEPS_KEY : type, paths);
    if (learned !== undefined) return learned || undefined;
    if (vocab.scopeRate < 0.3) return undefined;
    const s = structuralScope(paths, vocab.scopes());
    return s && vocab.scopes().includes(s) ? s : undefined;
  }
  if (f.dependencyOnly) return "deps";
  if (["docs", "ci"].includes(type)) return undefined;
  return structuralScope(paths);
}

// ---- subject and body ----------------------------------------------------------------------

function listWords(items: string[], max = 3): string {
  const shown = items.slice(0, max);
  const rest = items.length - shown.length;
  if (rest > 0) return `${shown.join(", ")} and ${rest} more`;
  if (shown.length <= 1) return shown.join("");
  return `${shown.slice(0, -1).join(", ")} and ${shown[shown.length - 1]}`;
}

function stem(path: string): string {
  const base = path.split("/").pop() ?? path;
  if (/^(index|main|mod|__init__)\.\w+$/.test(base)) {
    const parts = path.split("/");
    return parts.length > 1 ? parts[parts.length - 2]! : base;
  }
  return base.replace(/\.(test|spec)(?=\.)/, "").replace(/\.[^.]+$/, "") || base;
}

function dependencyNames(f: ChangeFeatures): string[] {
  const names: string[] = [];
  for (const file of f.files) {
    if (f.kinds.get(file) !== "manifest") continue;
    for (const l of file.added) {
      const m =
        /^\s*"(@?[\w./-]+)"\s*:/.exec(l) ??
        /^\s*([\w.-]+)\s*(?:=|==|>=|~=)/.exec(l) ??
        /^\s*(?:require\s+)?([\w./-]+)\s+v\d/.exec(l);
      if (m && !names.includes(m[1]!)) names.push(m[1]!);
    }
  }
  return names;
}

export function writeSubject(type: string, f: ChangeFeatures): string {
  const files = f.files.map((x) => stem(x.path)).filter((v, i, a) => a.indexOf(v) === i);
  const symbols = f.changedSymbols.filter((s) => s.length > 2);
  if (f.releaseVersions.length) return `release ${listWords(f.releaseVersions, 2)}`;
  switch (type) {
    case "feat":
      if (f.newExports.length) return `add ${listWords(f.newExports)}`;
      if (f.newSourceFiles.length) return `add ${listWords(f.newSourceFiles.map((x) => stem(x.path)))}`;
      return `extend ${listWords(symbols.length ? symbols : files, 2)}`;
    case "fix":
      return symbols.length ? `correct ${listWords(symbols, 2)} logic` : `correct ${listWords(files, 2)}`;
    case "perf":
      return `speed up ${listWords(symbols.length ? symbols : files, 2)}`;
    case "refactor": {
      const renamed = f.files.filter((x) => x.status === "renamed" && x.oldPath);
      if (renamed.length === 1) return `move ${renamed[0]!.oldPath} to ${renamed[0]!.path}`;
      if (renamed.length > 1) return `move ${renamed.length} files`;
      return `restructure ${listWords(symbols.length ? symbols : files, 2)}`;
    }
    case "style":
      return `format ${listWords(files, 2)}`;
    case "docs":
      return f.files.every((x) => x.status === "added")
        ? `add ${listWords(files, 2)} docs`
        : `update ${listWords(files, 2)}`;
    case "test": {
      const targets = files.map((x) => x.replace(/[-_.]?(test|spec)s?$/i, "") || x);
      return f.files.every((x) => x.status === "added")
        ? `add tests for ${listWords(targets, 2)}`
        : `update ${listWords(targets, 2)} tests`;
    }
    case "ci":
      return `update ${listWords(files, 2)} workflow${files.length > 1 ? "s" : ""}`;
    case "build":
      if (f.dependencyOnly) {
        const deps = dependencyNames(f);
        return deps.length ? `update ${listWords(deps, 2)}` : "update dependencies";
      }
      return `update ${listWords(files, 2)}`;
    default:
      return `update ${listWords(files, 2)}`;
  }
}

const MAX_BODY_LINE = 100;

/** A short body: what changed per file, with line counts. */
export function writeBody(f: ChangeFeatures, maxFiles = 8): string[] {
  if (f.files.length <= 1 && f.changedSymbols.length === 0) return [];
  const lines: string[] = [];
  for (const file of f.files.slice(0, maxFiles)) {
    const what = file.binary ? "binary" : file.status === "renamed" ? `renamed from ${file.oldPath}` : file.status;
    const decl = declared(file.added, EXPORT_DECL).slice(0, 3);
    let line = `- ${file.path}: ${what} (+${file.added.length} -${file.removed.length})${decl.length ? `, adds ${decl.join(", ")}` : ""}`;
    if (line.length > MAX_BODY_LINE) line = line.slice(0, MAX_BODY_LINE - 1) + "…";
    lines.push(line);
  }
  if (f.files.length > maxFiles) lines.push(`- and ${f.files.length - maxFiles} more files`);
  return lines;
}

/** Deterministic offline message (no trailers: those need I/O, see generate-service.ts). */
export function generateOffline(
  change: ChangeSet,
  vocab?: Vocabulary,
  hints: TypeHints = {},
): { message: CommitMessage; inference: Inference } {
  const f = extractFeatures(change);
  const { type, reasons } = inferType(f, vocab, hints);
  const scope = inferScope(type, f, vocab);
  const message: CommitMessage = { type, scope, subject: writeSubject(type, f), body: writeBody(f), trailers: [] };
  return { message, inference: { type, scope, reasons, signature: f.signature } };
}
