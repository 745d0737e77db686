/**
 * What kind of file a path is, for Conventional Commits type inference.
 * Order matters: the first matching category wins (a workflow YAML is `ci`, not `config`).
 */
export type FileKind =
  "ci" | "docs" | "test" | "lock" | "manifest" | "build" | "tooling" | "generated" | "source" | "other";

const CI = [
  /^\.github\/workflows\//,
  /^\.github\/actions\//,
  /^\.circleci\//,
  /(^|\/)\.gitlab-ci\.ya?ml$/,
  /(^|\/)azure-pipelines[^/]*\.ya?ml$/,
  /^\.travis\.yml$/,
  /(^|\/)Jenkinsfile$/,
  /^\.buildkite\//,
  /^\.drone\.yml$/,
  /^\.github\/(dependabot|codeql)[^/]*\.ya?ml$/,
];
const LOCK =
  /(^|\/)(package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|bun\.lockb?|Cargo\.lock|poetry\.lock|Pipfile\.lock|uv\.lock|go\.sum|composer\.lock|Gemfile\.lock|gradle\.lockfile|flake\.lock)$/;
const MANIFEST =
  /(^|\/)(package\.json|Cargo\.toml|pyproject\.toml|setup\.py|setup\.cfg|requirements[^/]*\.txt|Pipfile|go\.mod|composer\.json|Gemfile|pom\.xml|build\.gradle(\.kts)?|pnpm-workspace\.yaml|lerna\.json|nx\.json|rush\.json|\.release-please-manifest\.json|jsr\.json|deno\.jsonc?)$/;
const BUILD = [
  /(^|\/)(tsconfig[^/]*\.json|jsconfig\.json|tsup\.config\.\w+|rollup\.config\.\w+|webpack\.config\.\w+|vite\.config\.\w+|esbuild[^/]*\.\w+|babel\.config\.\w+|\.babelrc|Makefile|CMakeLists\.txt|Dockerfile[^/]*|docker-compose[^/]*\.ya?ml|BUILD(\.bazel)?|WORKSPACE(\.bazel)?|MODULE\.bazel(\.lock)?|\.bazelrc|[^/]*\.bzl|\.npmrc|\.nvmrc|\.node-version|turbo\.json|\.yarnrc(\.yml)?|api-extractor\.json)$/,
  /^\.yarn\//,
  /^(scripts|tools|build)\/.*\.(sh|mjs|cjs|js|ts|py)$/,
];
const TOOLING =
  /(^|\/)(\.eslintrc[^/]*|eslint\.config\.\w+|\.prettierrc[^/]*|prettier\.config\.\w+|\.prettierignore|\.editorconfig|\.gitignore|\.gitattributes|\.npmignore|\.eslintignore|\.husky\/[^/]+|commitlint\.config\.\w+|\.commitlintrc[^/]*|renovate\.json5?|\.renovaterc[^/]*|\.github\/renovate\.json5?|\.lintstagedrc[^/]*|lint-staged\.config\.\w+|\.oxlintrc\.json|\.oxfmtrc\.json|biome\.jsonc?|\.mailmap|CODEOWNERS|\.vscode\/[^/]+|\.devcontainer\/[^/]+|\.github\/(ISSUE_TEMPLATE|PULL_REQUEST_TEMPLATE)[^/]*(\/.*)?|\.github\/[^/]+\.(md|ya?ml))$/;
const DOCS_EXT = /\.(md|mdx|markdown|rst|adoc|txt)$/i;
const DOCS_DIR = /(^|\/)(docs?|documentation|guide|website)\//i;
const DOCS_NAMES = /(^|\/)(LICENSE|LICENCE|NOTICE|AUTHORS|CONTRIBUTORS|CHANGELOG|README)[^/]*$/i;
const TEST = [
  /(^|\/)(__tests__|__mocks__|__snapshots__|__fixtures__|tests?|spec|specs|e2e|playground|fixtures|testdata|testing)\//i,
  /[._](test|spec|e2e-spec|e2e)\.[cm]?[jt]sx?$/,
  /(^|\/)test_[^/]+\.py$/,
  /_test\.(go|py|rb)$/,
  /\.snap$/,
];
const GENERATED =
  /(^|\/)(dist|build|out|vendor|node_modules|coverage)\/|\.min\.(js|css)$|\.map$|(^|\/)(generated|__generated__)\/|\.(pb|gen)\.[a-z]+$/;
// A workspace package called `build` or `out` (packages/angular/build/src/...) holds sources and its
// own manifest; real output directories do not.
const PACKAGE_NAMED_LIKE_OUTPUT =
  /(^|\/)(build|out|dist)\/(src|lib|tests?|spec)\/|(^|\/)(build|out|dist)\/(package\.json|README\.md|BUILD\.bazel|tsconfig[^/]*\.json)$/;
const SOURCE =
  /\.(c|h|cc|cpp|hpp|cs|go|rs|java|kt|kts|scala|swift|m|mm|rb|py|php|js|jsx|mjs|cjs|ts|tsx|mts|cts|vue|svelte|astro|dart|ex|exs|erl|clj|hs|ml|lua|r|jl|sql|sh|bash|zsh|ps1|css|scss|sass|less|html|hbs|ejs|graphql|proto)$/i;

export function classifyPath(path: string): FileKind {
  if (CI.some((r) => r.test(path))) return "ci";
  if (LOCK.test(path)) return "lock";
  const generated = GENERATED.test(path) && !PACKAGE_NAMED_LIKE_OUTPUT.test(path);
  // Manifests are build inputs wherever they live; test directories win over docs extensions
  // (fixtures are often .md/.txt) and over output-like directory names (tests/build/...).
  if (MANIFEST.test(path) && !generated && !/(^|\/)(fixtures?|__fixtures__|playground|testdata)\//.test(path))
    return "manifest";
  if (TEST.some((r) => r.test(path))) return "test";
  if (generated) return "generated";
  if (DOCS_NAMES.test(path) || DOCS_EXT.test(path) || DOCS_DIR.test(path)) return "docs";
  if (MANIFEST.test(path)) return "manifest";
  if (TOOLING.test(path)) return "tooling";
  if (BUILD.some((r) => r.test(path))) return "build";
  if (SOURCE.test(path)) return "source";
  return "other";
}

/** Files a model prompt leaves out: lockfiles, generated output, binaries. */
export function isNoise(path: string, binary: boolean): boolean {
  const k = classifyPath(path);
  return binary || k === "lock" || k === "generated";
}

/** Changed lines of a manifest that are only dependency version bumps (`"foo": "^1.2.3"`). */
export function isDependencyLine(line: string): boolean {
  return (
    /^\s*"(@?[\w./-]+)"\s*:\s*"(workspace:|npm:|file:|link:)?[\^~><=*]*\s*v?\d[\w.+-]*(\s*\|\|[^"]*)?"\s*,?\s*$/.test(
      line,
    ) ||
    /^\s*[\w.-]+\s*=\s*["{]?\s*(version\s*=\s*)?"?[\^~><=]*\d[\w.]*"?/.test(line) ||
    /^\s*(require\s+)?[\w./-]+\s+v\d[\w.+-]*(\s*\/\/ indirect)?\s*$/.test(line) ||
    /^\s*[\w.-]+\s*(==|>=|~=|<=)\s*\d/.test(line) ||
    /^\s*"packageManager"\s*:\s*"[\w-]+@\d[^"]*"\s*,?\s*$/.test(line) || // corepack pin
    /^\s*-?\s*['"]?@?[\w./-]+['"]?\s*:\s*['"]?(npm:[^'"\s]+@)?[\^~><=]*\s*v?\d[\w.+-]*['"]?\s*$/.test(line)
  ); // YAML catalogs (pnpm-workspace.yaml)
}

/** Words in a path that name nothing specific; scopes are never inferred from them. */
export const GENERIC_DIRS = new Set([
  "src",
  "lib",
  "libs",
  "source",
  "app",
  "apps",
  "pkg",
  "packages",
  "package",
  "modules",
  "internal",
  "cmd",
  "core",
  "main",
  "index",
  "test",
  "tests",
  "spec",
  "__tests__",
  "dist",
  "build",
  "public",
  "components",
  "utils",
  "common",
  "shared",
  "java",
  "com",
  "org",
  "js",
  "ts",
  "projects",
  "crates",
  "plugins",
  "scripts",
  "tools",
  "resources",
]);
