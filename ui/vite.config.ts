import { defineConfig } from "vite";
import { fileURLToPath } from "node:url";

// The dashboard: Preact + uPlot, built into ui/dist, served by `gitops-health serve` (src/server/dashboard.ts).
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/",
  logLevel: "warn",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: { outDir: "dist", emptyOutDir: true, target: "es2022", sourcemap: false, reportCompressedSize: false },
});
