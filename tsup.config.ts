import { defineConfig } from "tsup";

// Two entry points: the CLI (bundled, code-split so heavy commands load lazily)
// and the library API with type declarations.
export default defineConfig([
  {
    entry: { cli: "src/cli/main.ts", "scan-worker": "src/scan/worker.ts", "jsonl-worker": "src/scan/jsonl-worker.ts" },
    format: ["esm"],
    target: "node20",
    platform: "node",
    splitting: true,
    sourcemap: false,
    clean: true,
    banner: { js: "#!/usr/bin/env node\nimport { createRequire as __ghCreateRequire } from 'module'; const require = __ghCreateRequire(import.meta.url);" },
    // Hot-path dependencies are bundled: one file parses faster than hundreds (hooks must start
    // fast). @commitlint/lint and its rules are bundled too (~230 ms per hook run otherwise);
    // @commitlint/load resolves configs dynamically, so it stays external.
    noExternal: ["zod", "yaml", "commander", "picomatch", "ignore", "canonicalize", "@commitlint/lint", "@commitlint/config-conventional"],
    external: ["pg", "ai", /^@ai-sdk\//, /^@commitlint\/(load|resolve-extends|config-validator)/, "@bufbuild/cel"],
  },
  {
    entry: { index: "src/index.ts" },
    format: ["esm"],
    target: "node20",
    platform: "node",
    dts: true,
    splitting: true,
    external: ["pg", "ai", /^@ai-sdk\//, /^@commitlint\//, "@bufbuild/cel"],
  },
]);
