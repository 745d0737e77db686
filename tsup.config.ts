import { defineConfig } from "tsup";

// Two entry points: the CLI (bundled, code-split so heavy commands load lazily)
// and the library API with type declarations.
export default defineConfig([
  {
    entry: { cli: "src/cli/main.ts" },
    format: ["esm"],
    target: "node20",
    platform: "node",
    splitting: true,
    sourcemap: false,
    clean: true,
    banner: { js: "#!/usr/bin/env node" },
    // @commitlint/lint and its rules are bundled (tree-shaken es-toolkit): loading them from
    // node_modules costs ~230 ms per hook run. @commitlint/load resolves configs dynamically: external.
    external: ["pg", "ai", /^@ai-sdk\//, /^@commitlint\/(load|resolve-extends|config-validator)/, "@bufbuild/cel"],
    noExternal: ["@commitlint/lint", "@commitlint/config-conventional"],
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
