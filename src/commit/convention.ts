import { TYPES } from "./message.js";

/**
 * Commit conventions as data. A repository's header grammar is one of a few families:
 *
 *   conventional  `type(scope)!: subject`          (Conventional Commits, commitlint)
 *   paren         `(type) subject`, `(type): s`    (e.g. `(fix) O3-1234: Summary`)
 *   bracket       `[TYPE] subject`
 *   gitmoji       `:bug: subject`, `🐛 subject`
 *   tracker       `KEY-123 subject`, `[KEY-123] s`  (Jira-style keys, no type)
 *   free          anything else (`Fix the login page (#123)`)
 *
 * The convention is inferred from the history's headers (the dominant family, the types its authors
 * use, the tracker keys they cite), read from a commitlint config, or declared in
 * `.gitops-health.yml` (`commits:`). Everything that reads or writes headers goes through it: fix
 * detection for SZZ and the FIX feature, the type model's history learning, the format and allowed
 * types of generated headers, and `commit lint`'s header check. Pure logic: no I/O here (see
 * convention-io.ts).
 */

export const HEADER_STYLES = ["conventional", "paren", "bracket", "gitmoji", "tracker", "free"] as const;
export type HeaderStyle = (typeof HEADER_STYLES)[number];
/** Styles whose headers carry a type. */
const TYPED: readonly HeaderStyle[] = ["conventional", "paren", "bracket", "gitmoji"];

export interface Convention {
  style: HeaderStyle;
  /** Types the repository uses (lower case), most frequent first; empty = any. */
  types: string[];
  /** Types that mean a bug fix (lower case). */
  fixTypes: string[];
  /** Tracker project keys seen in headers (e.g. "CDR", "O3"). */
  trackerKeys: string[];
  /** Tracker projects whose issues are bugs (configured; a header citing one of their keys is a fix). */
  fixKeys: string[];
  /** Where it came from: "history (N headers)", "commitlint (file)", ".gitops-health.yml". */
  source: string;
  /** Share of the history's headers in `style` (1 when declared). */
  share: number;
}

export interface ParsedAnyHeader {
  style: HeaderStyle;
  /** lower case; undefined for tracker and free headers */
  type?: string;
  scope?: string;
  breaking: boolean;
  subject: string;
  /** tracker keys cited anywhere in the header (e.g. ["O3-1234"]) */
  keys: string[];
  /** the type as written (for bracket headers: `FIX`), to reproduce the repository's spelling */
  raw?: string;
}

/** Gitmoji (https://gitmoji.dev) → Conventional type: the common ones, as code and as emoji. */
const GITMOJI: Record<string, string> = {
  bug: "fix",
  ambulance: "fix",
  lock: "fix",
  adhesive_bandage: "fix",
  green_heart: "ci",
  pencil2: "fix",
  rotating_light: "style",
  sparkles: "feat",
  tada: "feat",
  children_crossing: "feat",
  iphone: "feat",
  boom: "feat",
  lipstick: "style",
  art: "style",
  zap: "perf",
  recycle: "refactor",
  truck: "refactor",
  fire: "chore",
  memo: "docs",
  bulb: "docs",
  white_check_mark: "test",
  test_tube: "test",
  wrench: "chore",
  hammer: "chore",
  arrow_up: "build",
  arrow_down: "build",
  heavy_plus_sign: "build",
  heavy_minus_sign: "build",
  package: "build",
  construction_worker: "ci",
  bookmark: "release",
  rocket: "release",
  rewind: "revert",
  globe_with_meridians: "feat",
  card_file_box: "feat",
  label: "refactor",
  coffin: "chore",
  see_no_evil: "chore",
};
const EMOJI: Record<string, string> = {
  "🐛": "bug",
  "🚑": "ambulance",
  "🔒": "lock",
  "🩹": "adhesive_bandage",
  "💚": "green_heart",
  "✏": "pencil2",
  "🚨": "rotating_light",
  "✨": "sparkles",
  "🎉": "tada",
  "🚸": "children_crossing",
  "📱": "iphone",
  "💥": "boom",
  "💄": "lipstick",
  "🎨": "art",
  "⚡": "zap",
  "♻": "recycle",
  "🚚": "truck",
  "🔥": "fire",
  "📝": "memo",
  "💡": "bulb",
  "✅": "white_check_mark",
  "🧪": "test_tube",
  "🔧": "wrench",
  "🔨": "hammer",
  "⬆": "arrow_up",
  "⬇": "arrow_down",
  "➕": "heavy_plus_sign",
  "➖": "heavy_minus_sign",
  "📦": "package",
  "👷": "construction_worker",
  "🔖": "bookmark",
  "🚀": "rocket",
  "⏪": "rewind",
  "🌐": "globe_with_meridians",
  "🗃": "card_file_box",
  "🏷": "label",
  "⚰": "coffin",
  "🙈": "see_no_evil",
};
const CODE_FOR_TYPE: Record<string, string> = {
  fix: "🐛",
  feat: "✨",
  docs: "📝",
  style: "🎨",
  refactor: "♻️",
  perf: "⚡️",
  test: "✅",
  build: "📦️",
  ci: "👷",
  chore: "🔧",
  revert: "⏪️",
  release: "🔖",
};

const KEY = /\b([A-Z][A-Z0-9]{1,9})-(\d{1,6})\b/g;
const CONVENTIONAL = /^([a-z][a-z-]{0,14})(?:\(([^)]*)\))?(!)?:\s*(\S.*)$/i;
const PAREN = /^\(([a-z][a-z-]{0,14})\)(!)?\s*:?\s*(\S.*)$/i;
const BRACKET = /^\[([a-z][a-z-]{0,14})\](!)?\s*:?\s*(\S.*)$/i;
const GITMOJI_CODE = /^:([a-z0-9_+-]+):\s*(\S.*)$/;
const GITMOJI_CHAR = /^(\p{Extended_Pictographic})\uFE0F?\s*(\S.*)$/u;
const TRACKER = /^\[?([A-Z][A-Z0-9]{1,9}-\d{1,6})\]?\s*[:|–-]?\s*(\S.*)$/;

function keysOf(header: string): string[] {
  return [...header.matchAll(KEY)].map((m) => m[0]);
}

/** Parse a header in whichever grammar it is written. */
export function parseAnyHeader(header: string): ParsedAnyHeader {
  const h = header.trim();
  const keys = keysOf(h);
  let m = PAREN.exec(h);
  if (m) return { style: "paren", type: m[1]!.toLowerCase(), raw: m[1]!, breaking: m[2] === "!", subject: m[3]!, keys };
  m = BRACKET.exec(h);
  if (m)
    return { style: "bracket", type: m[1]!.toLowerCase(), raw: m[1]!, breaking: m[2] === "!", subject: m[3]!, keys };
  m = GITMOJI_CODE.exec(h);
  if (m && GITMOJI[m[1]!])
    return { style: "gitmoji", type: GITMOJI[m[1]!], raw: m[1]!, breaking: m[1] === "boom", subject: m[2]!, keys };
  m = GITMOJI_CHAR.exec(h);
  if (m && EMOJI[m[1]!])
    return {
      style: "gitmoji",
      type: GITMOJI[EMOJI[m[1]!]!],
      raw: EMOJI[m[1]!],
      breaking: m[1] === "💥",
      subject: m[2]!,
      keys,
    };
  m = TRACKER.exec(h);
  if (m) {
    // `KEY-1 fix: s` or `KEY-1 (fix) s`: a tracker-prefixed typed header
    const inner = parseAnyHeader(m[2]!);
    if (inner.type) return { ...inner, keys };
    return { style: "tracker", breaking: false, subject: m[2]!, keys };
  }
  m = CONVENTIONAL.exec(h);
  if (m && !/^(?:merge|note|todo|wip|http|https)$/i.test(m[1]!))
    return {
      style: "conventional",
      type: m[1]!.toLowerCase(),
      raw: m[1]!,
      scope: m[2]?.trim() || undefined,
      breaking: m[3] === "!",
      subject: m[4]!,
      keys,
    };
  return { style: "free", breaking: false, subject: h, keys };
}

const DEFAULT_FIX_TYPES = ["fix", "fixes", "fixed", "bugfix", "bug", "hotfix", "patch", "security"];

/**
 * The repository's convention from its headers (newest first or any order). The dominant typed
 * family wins when at least a quarter of the headers use it; otherwise tracker keys, otherwise free
 * text. Types are those used at least twice (and by at least 0.5% of the family's headers).
 */
export function inferConvention(headers: string[]): Convention {
  const counts = new Map<HeaderStyle, number>();
  const types = new Map<HeaderStyle, Map<string, number>>();
  const keyCounts = new Map<string, number>();
  for (const header of headers) {
    if (/^Merge (?:branch|pull request|remote-tracking)/.test(header)) continue;
    const p = parseAnyHeader(header);
    counts.set(p.style, (counts.get(p.style) ?? 0) + 1);
    if (p.type) {
      const t = types.get(p.style) ?? new Map<string, number>();
      t.set(p.type, (t.get(p.type) ?? 0) + 1);
      types.set(p.style, t);
    }
    for (const k of p.keys) {
      const project = k.slice(0, k.lastIndexOf("-"));
      keyCounts.set(project, (keyCounts.get(project) ?? 0) + 1);
    }
  }
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const typed = TYPED.map((s) => [s, counts.get(s) ?? 0] as const).sort((a, b) => b[1] - a[1])[0]!;
  let style: HeaderStyle = "free";
  if (total && typed[1] / total >= 0.25) style = typed[0];
  else if (total && (counts.get("tracker") ?? 0) / total >= 0.25) style = "tracker";
  const styleTypes = [...(types.get(style)?.entries() ?? [])]
    .filter(([, n]) => n >= 2 && n >= 0.005 * (counts.get(style) ?? 0))
    .sort((a, b) => b[1] - a[1])
    .map(([t]) => t);
  const trackerKeys = [...keyCounts.entries()]
    .filter(([, n]) => n >= 3)
    .sort((a, b) => b[1] - a[1])
    .map(([k]) => k);
  return {
    style,
    types: styleTypes,
    fixTypes: DEFAULT_FIX_TYPES,
    trackerKeys,
    fixKeys: [],
    source: `history (${total} headers)`,
    share: total ? (counts.get(style) ?? 0) / total : 0,
  };
}

/** The convention everyone assumed before: Conventional Commits, config-conventional's types. */
export const CONVENTIONAL_COMMITS: Convention = {
  style: "conventional",
  types: [...TYPES],
  fixTypes: DEFAULT_FIX_TYPES,
  trackerKeys: [],
  fixKeys: [],
  source: "Conventional Commits (default)",
  share: 1,
};

/** Words that make an untyped header a bug fix (the classic SZZ keyword rule of Mockus and Votta, 2000). */
const FIX_WORDS =
  /\b(?:fix(?:e[sd]|ing)?|bug(?:fix(?:es)?|s)?|hotfix(?:es)?|defects?|regressions?|crash(?:es|ing)?|broken)\b/i;
/** GitHub/GitLab issue-closing keywords with an issue reference. */
const CLOSING = /\b(?:fix(?:e[sd])?|close[sd]?|resolve[sd]?)\s*:?\s+(?:[\w.-]+\/[\w.-]+)?#\d+/i;
/** Fix trailers: `Fixes: <sha>` (kernel style), `Fixes: #123`, `Bug: 123`. */
const FIX_TRAILER = /(?:^|\u001f|\n)\s*(?:fixes|bug|closes-bug|bug-fix)\s*:/i;

export interface FixEvidence {
  fix: boolean;
  /** which rule said so: "type", "keyword", "closing", "trailer", "tracker" */
  by?: string;
}

/**
 * Whether a commit is a bug fix. Typed headers (`fix:`, `(fix)`, `[FIX]`, 🐛) decide by their
 * type: a `feat` that "fixes" a typo is not a fix. Untyped headers (tracker or free text) are
 * fixes when they say so (fix, bug, hotfix, defect, regression, crash, broken). In any style,
 * issue-closing keywords with a fix verb (`fixes #12`), fix trailers (`Fixes:`, `Bug:`) and keys
 * of a tracker project configured as a bug tracker (`fixKeys`) mark a fix.
 */
export function fixEvidence(conv: Convention, subject: string, trailers = ""): FixEvidence {
  const p = parseAnyHeader(subject);
  if (p.type && conv.fixTypes.includes(p.type)) return { fix: true, by: "type" };
  if (conv.fixKeys.length && p.keys.some((k) => conv.fixKeys.includes(k.slice(0, k.lastIndexOf("-")))))
    return { fix: true, by: "tracker" };
  if (FIX_TRAILER.test(trailers)) return { fix: true, by: "trailer" };
  if (/\bfix(?:e[sd])?\s*:?\s+(?:[\w.-]+\/[\w.-]+)?#\d+/i.test(subject)) return { fix: true, by: "closing" };
  if (p.type) return { fix: false };
  if (FIX_WORDS.test(p.subject.replace(/\(#\d+\)\s*$/, ""))) return { fix: true, by: "keyword" };
  if (CLOSING.test(subject) && /\b(?:bug|error|fail|wrong|incorrect|issue)/i.test(subject))
    return { fix: true, by: "closing" };
  return { fix: false };
}

export const isFix = (conv: Convention, subject: string, trailers = ""): boolean =>
  fixEvidence(conv, subject, trailers).fix;

/** Repository spellings of Conventional types (`(enhc) s`, `[FEATURE] s`, `(tests) s`). */
const TYPE_SYNONYMS: Record<string, string> = {
  feature: "feat",
  features: "feat",
  enhc: "feat",
  enhancement: "feat",
  enh: "feat",
  add: "feat",
  new: "feat",
  bugfix: "fix",
  bug: "fix",
  hotfix: "fix",
  fixes: "fix",
  fixed: "fix",
  tests: "test",
  testing: "test",
  doc: "docs",
  documentation: "docs",
  refactoring: "refactor",
  performance: "perf",
  dependencies: "build",
  deps: "build",
};

/** A type in its Conventional spelling (`enhc` → feat, `tests` → test); other types as written. */
export const canonicalType = (type: string): string => TYPE_SYNONYMS[type] ?? type;

/** Words of a branch name that state the change's intent → Conventional type. */
const BRANCH_TYPES: Record<string, string> = {
  feat: "feat",
  feature: "feat",
  features: "feat",
  enhancement: "feat",
  fix: "fix",
  fixes: "fix",
  bugfix: "fix",
  bug: "fix",
  bugs: "fix",
  hotfix: "fix",
  chore: "chore",
  refactor: "refactor",
  refactoring: "refactor",
  docs: "docs",
  doc: "docs",
  documentation: "docs",
  test: "test",
  tests: "test",
  perf: "perf",
  ci: "ci",
  build: "build",
  style: "style",
  revert: "revert",
  dependabot: "build",
  renovate: "build",
  deps: "build",
};

/**
 * The type a branch name states, in Conventional spelling: the first intent word among its
 * segments and words (`fix/login`, `feature/O3-12-x`, `user/bugfix/...`, `hotfix-1.2`,
 * `cohort-workspace-fix`, `EncounterListRefactor`), or undefined (`develop`, `patch-1`, `issue-12`).
 * A branch is named before the work, so it states what the author meant the change to be.
 */
export function typeFromBranch(branch: string | undefined): string | undefined {
  if (!branch) return undefined;
  const words = branch
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/);
  for (const w of words) if (BRANCH_TYPES[w]) return BRANCH_TYPES[w];
  return undefined;
}

/** The source branch a merge commit's subject names (`Merge pull request #1 from owner/fix/x` → `fix/x`). */
export function branchOfMergeSubject(subject: string): string | undefined {
  let m = /^Merge pull request #\d+ from [^/\s]+\/(\S+)/.exec(subject);
  if (m) return m[1];
  m = /^Merge (?:remote-tracking )?branch '([^']+)'/.exec(subject);
  if (m) return m[1]!.replace(/^(?:origin|upstream)\//, "");
  m = /^Merged? (?:in )?(?:branch )?(\S+) into \S+/.exec(subject);
  return m ? m[1] : undefined;
}

/** Conventional types the generator produces → the nearest types a repository may use instead. */
const NEAREST: Record<string, string[]> = {
  feat: ["feature", "feat", "enhancement", "enhc", "add", "new"],
  fix: ["fix", "bugfix", "bug", "hotfix"],
  refactor: ["refactor", "refactoring", "chore", "enhc", "enhancement", "improvement", "feat"],
  perf: ["perf", "performance", "enhc", "enhancement", "improvement", "refactor", "fix"],
  style: ["style", "lint", "chore", "refactor"],
  test: ["test", "tests", "testing", "chore"],
  docs: ["docs", "doc", "documentation", "chore"],
  build: ["build", "deps", "dependencies", "chore"],
  ci: ["ci", "build", "chore"],
  chore: ["chore", "misc", "maintenance", "build"],
  revert: ["revert", "chore"],
  release: ["release", "chore"],
};

/** The type to write in this repository for a generated (Conventional) type: itself if allowed, else the nearest allowed. */
export function allowedType(conv: Convention, type: string, scope?: string, subject = ""): string {
  // A release (`chore(release)`, a version bump) is a `release` where the repository has that type (`(release) v5.4.3`).
  const release =
    scope === "release" ||
    /^(?:release\b|v?\d+\.\d+\.\d+)|\bversion bump\b|\bbump(?:s|ed)? (?:the )?version/i.test(subject);
  if (release && conv.types.includes("release") && conv.style !== "conventional") return "release";
  if (!conv.types.length) return type;
  // The repository's most frequent spelling of the type (`tests` where authors write it more than `test`).
  const spelling = conv.types.find((t) => t === type || canonicalType(t) === type);
  if (spelling) return spelling;
  for (const t of NEAREST[type] ?? []) if (conv.types.includes(t)) return t;
  return conv.types.includes("chore") ? "chore" : conv.types[0]!;
}

/** How a type is spelled in a bracket header (`[FIX]` or `[fix]`), from the convention's source. */
export interface HeaderParts {
  type: string;
  scope?: string;
  subject: string;
  /** tracker key to cite (e.g. from the branch name) */
  key?: string;
  breaking?: boolean;
}

/** A header in the repository's own grammar, with an allowed type. */
export function formatConventionHeader(
  conv: Convention,
  m: HeaderParts,
  opts: { upperBracket?: boolean } = {},
): string {
  const type = allowedType(conv, m.type, m.scope, m.subject);
  const key = m.key ? `${m.key}: ` : "";
  switch (conv.style) {
    case "paren":
      return `(${type})${m.breaking ? "!" : ""} ${key}${m.subject}`;
    case "bracket":
      return `[${opts.upperBracket === false ? type : type.toUpperCase()}] ${key}${m.subject}`;
    case "gitmoji":
      return `${CODE_FOR_TYPE[type] ?? CODE_FOR_TYPE.chore} ${key}${m.subject}`;
    case "tracker":
      return m.key ? `${m.key} ${m.subject}` : capitalise(m.subject);
    case "free":
      return `${m.key ? `${m.key} ` : ""}${capitalise(m.subject)}`;
    default:
      return `${type}${m.scope ? `(${m.scope})` : ""}${m.breaking ? "!" : ""}: ${key}${m.subject}`;
  }
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Problems of a header under the convention (empty when it conforms). */
export function checkHeader(conv: Convention, header: string): string[] {
  const p = parseAnyHeader(header);
  const errors: string[] = [];
  if (!header.trim()) return ["header is empty"];
  if (conv.style === "free") return errors;
  if (conv.style === "tracker") {
    if (!p.keys.length)
      errors.push(
        `header must cite a tracker key${
          conv.trackerKeys.length
            ? ` (${conv.trackerKeys
                .slice(0, 5)
                .map((k) => `${k}-123`)
                .join(", ")})`
            : " (KEY-123)"
        }`,
      );
    return errors;
  }
  if (p.style !== conv.style) {
    errors.push(`header must be written ${EXAMPLE[conv.style]}`);
    return errors;
  }
  if (conv.types.length && p.type && !conv.types.includes(p.type))
    errors.push(`type "${p.type}" is not one of this repository's types: ${conv.types.join(", ")}`);
  return errors;
}

const EXAMPLE: Record<HeaderStyle, string> = {
  conventional: "as `type(scope): subject`",
  paren: "as `(type) subject`",
  bracket: "as `[TYPE] subject`",
  gitmoji: "starting with a gitmoji (`:bug: subject` or 🐛 subject)",
  tracker: "starting with a tracker key (`KEY-123 subject`)",
  free: "as free text",
};

/** A declared `commits:` section of `.gitops-health.yml` on top of what the history says. */
export function withOverride(
  inferred: Convention,
  o:
    | { style?: HeaderStyle; types?: string[]; fixTypes?: string[]; trackerKeys?: string[]; fixKeys?: string[] }
    | undefined,
): Convention {
  if (!o || !Object.keys(o).length) return inferred;
  return {
    style: o.style ?? inferred.style,
    types: o.types?.map((t) => t.toLowerCase()) ?? (o.style && o.style !== inferred.style ? [] : inferred.types),
    fixTypes: o.fixTypes?.map((t) => t.toLowerCase()) ?? inferred.fixTypes,
    trackerKeys: o.trackerKeys ?? inferred.trackerKeys,
    fixKeys: o.fixKeys ?? inferred.fixKeys,
    source: ".gitops-health.yml",
    share: 1,
  };
}
