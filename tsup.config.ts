import { defineConfig } from "tsup";

// Library subpaths, one per domain: src/api/<name>.ts → dist/api/<name>.js (package.json "exports").
const API_SUBPATHS = [
  "config",
  "phi",
  "scan",
  "report",
  "audit",
  "policy",
  "evidence",
  "risk",
  "forensics",
  "commit",
  "llm",
  "guard",
  "deploy",
  "review",
  "proxy",
  "pipeline",
];

// `kubernetes-models` validates through @kubernetes-models/validate, which loads every ajv-i18n
// locale (to format messages in English) and the draft-2019 formats (email, IRI, duration parsers:
// smtp-address-parser, uri-js), ~360 KB that `deploy plan` parsed on every run (issue 19). Bundled,
// that package gets only the English messages, and no draft-2019 formats: the kubernetes-models
// schemas use none of them (their formats: int32, int64, double, byte, quantity, date-time; checked
// by test/deploy-plan.test.ts).
const slimKubernetesValidate = {
  name: "slim-kubernetes-models-validate",
  setup(build: {
    onResolve: (
      o: { filter: RegExp },
      f: (a: { path: string; importer: string }) => { path: string; namespace: string } | undefined,
    ) => void;
    onLoad: (
      o: { filter: RegExp; namespace: string },
      f: (a: { path: string }) => { contents: string; resolveDir: string },
    ) => void;
  }) {
    build.onResolve({ filter: /^(ajv-i18n|ajv-formats-draft2019\/formats\/index\.js)$/ }, (a) =>
      a.importer.includes("/node_modules/kubernetes-models/node_modules/@kubernetes-models/validate/")
        ? { path: a.path, namespace: "slim-kubernetes-models-validate" }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "slim-kubernetes-models-validate" }, (a) => ({
      contents:
        a.path === "ajv-i18n"
          ? 'import en from "ajv-i18n/localize/en/index.js"; export default { en };'
          : "export default {};",
      resolveDir: process.cwd(),
    }));
  },
};

// Names this build of dist/hook.cjs (its V8 code cache is kept under that name: src/cli/main.ts) and of
// the CLI (validated configs are cached under it: src/config/fast.ts).
const HOOK_BUILD = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;

// Three builds: the CLI (bundled, code-split so heavy commands load lazily), the pre-commit
// hook's path in one file, and the library API with type declarations.
export default defineConfig([
  {
    entry: {
      cli: "src/cli/main.ts",
      "scan-worker": "src/scan/worker.ts",
      "jsonl-worker": "src/scan/jsonl-worker.ts",
      "verify-worker": "src/server/verify-worker.ts",
    },
    format: ["esm"],
    target: "node20",
    platform: "node",
    splitting: true,
    sourcemap: false,
    clean: true,
    // Names this build: the config cache of src/config/fast.ts keys validated configs by it.
    define: { __GITOPS_HEALTH_BUILD__: JSON.stringify(HOOK_BUILD) },
    esbuildPlugins: [slimKubernetesValidate],
    banner: {
      js: "#!/usr/bin/env node\nimport { createRequire as __ghCreateRequire } from 'module'; const require = __ghCreateRequire(import.meta.url);",
    },
    // Hot-path dependencies are bundled: one file parses faster than hundreds (hooks must start
    // fast). @commitlint/lint and its rules are bundled too (~230 ms per hook run otherwise);
    // @commitlint/load resolves configs dynamically, so it stays external.
    noExternal: [
      "zod",
      "yaml",
      "commander",
      "picomatch",
      "ignore",
      "canonicalize",
      "@commitlint/lint",
      "@commitlint/config-conventional",
      // src/commit/lint.ts compiles a configuration from @commitlint/lint's own parts
      "@commitlint/parse",
      "@commitlint/rules",
      "@commitlint/is-ignored",
      "conventional-commits-parser",
      // `deploy plan`'s typed models: ~150 small modules each (schemas, validate, ajv); bundled they
      // load as a few chunks (issue 19: the plan's whole-process time).
      /^kubernetes-models(\/|$)/,
      /^@kubernetes-models\//,
    ],
    external: [
      "pg",
      "ai",
      /^@ai-sdk\//,
      /^@commitlint\/(load|resolve-extends|config-validator)/,
      "@bufbuild/cel",
      "playwright-core",
    ],
  },
  {
    // The pre-commit hook's `scan --staged` (without a config file) as one CommonJS file, which
    // dist/cli.js runs with a V8 code cache (src/cli/main.ts): node loads it several times faster
    // than the same code as ES module chunks. Only what that path runs is inside
    // (src/cli/hook.ts); picomatch is never reached.
    entry: { hook: "src/cli/hook.ts" },
    format: ["cjs"],
    outExtension: () => ({ js: ".cjs" }),
    target: "node20",
    platform: "node",
    splitting: false,
    sourcemap: false,
    // import.meta.url as in the ES modules (tsup's shim would not escape "#" or "%" in the path)
    banner: {
      js: `"use strict"; /* gitops-health hook build ${HOOK_BUILD} */ const __hookImportMetaUrl = require("node:url").pathToFileURL(__filename).href;`,
    },
    define: { "import.meta.url": "__hookImportMetaUrl" },
    external: ["picomatch"],
    // import() becomes require(): dist/cli.js runs the file as a vm.Script (code cache)
    esbuildOptions(options) {
      options.supported = { ...options.supported, "dynamic-import": false };
    },
  },
  {
    // the root API and one entry per domain subpath (package.json "exports": gitops-health/<domain>)
    entry: { index: "src/index.ts", ...Object.fromEntries(API_SUBPATHS.map((d) => [`api/${d}`, `src/api/${d}.ts`])) },
    format: ["esm"],
    target: "node20",
    platform: "node",
    dts: true,
    splitting: true,
    external: ["pg", "ai", /^@ai-sdk\//, /^@commitlint\//, "@bufbuild/cel"],
  },
  {
    // The GitHub Action (action.yml): one self-contained file, committed, since a JavaScript action
    // runs from its repository without installing anything. It runs the CLI (src/action/main.ts).
    entry: { index: "src/action/main.ts" },
    outDir: "dist-action",
    format: ["esm"],
    target: "node20",
    platform: "node",
    splitting: false,
    sourcemap: false,
    noExternal: [/.*/],
    banner: {
      js: "import { createRequire as __ghCreateRequire } from 'module'; const require = __ghCreateRequire(import.meta.url);",
    },
  },
]);
