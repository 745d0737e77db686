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
    external: ["pg", "ai", /^@ai-sdk\//, /^@commitlint\//, "@bufbuild/cel"],
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
