import tseslint from "typescript-eslint";
import { importX, createNodeResolver } from "eslint-plugin-import-x";

// Layering (docs/ARCHITECTURE.md "Layers and import rules"), by folder role so that new domain
// folders are covered without being listed: fronts (cli, server, action: the GitHub Action, and api: the library's subpaths)
// may import anything below them;
// domains never import a front; the foundation (core, config, git) imports only what is below it.
const FRONTS = "cli|server|api|action";
const boundaryZones = [
  // core is the bottom: it imports nothing else from src/
  {
    target: "src/core/**",
    from: "src/!(core)/**",
    message: "core/ is the bottom layer: it imports nothing else from src/.",
  },
  // config and git sit on core only
  { target: "src/config/**", from: "src/!(core|config)/**", message: "config/ may import only core/." },
  { target: "src/git/**", from: "src/!(core|git)/**", message: "git/ (adapter) may import only core/." },
  // the detection engine is a leaf domain
  { target: "src/phi/**", from: "src/!(core|config|phi)/**", message: "phi/ may import only core/ and config/." },
  // writers format what the domains produce; they never call a domain's logic back
  {
    target: "src/report/**",
    from: "src/!(core|config|phi|report)/**",
    message: "report/ may import only core/, config/ and phi/ types.",
  },
  // no domain (every folder that is not a front) imports a front
  {
    target: `src/!(${FRONTS})/**`,
    from: "src/cli/**",
    message: "Only fronts import src/cli/: move the shared code into a domain or core/.",
  },
  {
    target: `src/!(${FRONTS})/**`,
    from: "src/server/**",
    message: "Only fronts import src/server/: move the shared code into a domain or core/.",
  },
  // the fronts are siblings: the HTTP service and the library API never import the CLI, nor each other
  {
    target: "src/server/**",
    from: "src/cli/**",
    message: "server/ must not import src/cli/ (use the domain functions).",
  },
  {
    target: "src/api/**",
    from: "src/{cli,server}/**",
    message: "api/ (the library subpaths) must not import src/cli/ or src/server/.",
  },
  // the root entry point only gathers the subpaths, which decide what is public
  {
    target: "src/index.ts",
    from: "src/!(api)/**",
    message: "src/index.ts re-exports src/api/<domain>.ts only: add the name to that subpath.",
  },
  // the library entry points are not imported from inside src/
  {
    target: "src/**",
    from: "src/index.ts",
    message: "The library entry point are for users of the package, not for src/.",
  },
];

/**
 * The layer rules for a source tree at `root` (exported so that test/layers.test.ts can check that
 * they fail on planted violations).
 */
export function layerConfig(root) {
  return [
    {
      files: ["src/**/*.ts"],
      plugins: { "import-x": importX },
      settings: {
        "import-x/extensions": [".ts", ".js"],
        "import-x/parsers": { "@typescript-eslint/parser": [".ts"] },
        "import-x/resolver-next": [
          createNodeResolver({
            extensions: [".ts", ".js", ".json", ".node"],
            extensionAlias: { ".js": [".ts", ".js"] },
          }),
        ],
      },
      rules: {
        // no import cycles between files, static or dynamic (import())
        "import-x/no-cycle": ["error", { ignoreExternal: true, allowUnsafeDynamicCyclicDependency: false }],
        "import-x/no-restricted-paths": ["error", { basePath: root, zones: boundaryZones }],
      },
    },
    {
      // Flags, environment and config file are resolved once, in the fronts and config/, and passed
      // down as options: domains and adapters never read process.env themselves.
      files: ["src/**/*.ts"],
      // src/phi/: GITOPS_HEALTH_RULE_BUDGET_MS in engine.ts, left while the engine is split into rules
      // and detectors (follow-up: pass the budget as a Scanner option from the scan front).
      ignores: ["src/cli/**", "src/server/**", "src/action/**", "src/config/**", "src/phi/**"],
      rules: {
        "no-restricted-properties": [
          "error",
          {
            object: "process",
            property: "env",
            message:
              "Resolve environment variables in src/config/ or the front (src/cli, src/server) and pass them down as options.",
          },
        ],
      },
    },
  ];
}

export default tseslint.config(
  {
    ignores: [
      "dist/**",
      "node_modules/**",
      "coverage/**",
      "test/fixtures/**",
      "examples/**",
      "src/deploy/generated/*.js",
      "ui/dist/**",
      "dist-action/**",
    ],
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-control-regex": "off",
    },
  },
  ...layerConfig(import.meta.dirname),
);
