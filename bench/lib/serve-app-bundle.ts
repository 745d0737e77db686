// bench/lib/serve-app.ts bundled by esbuild as dist is (tsx's loader would make the app slower than
// the built CLI): the path of the bundle, written under node_modules/.cache.
import { spawnSync } from "node:child_process";
import { join } from "node:path";

export function bundleServeApp(root: string): string {
  const app = join(root, "node_modules", ".cache", "gitops-health-bench", "serve-app.mjs");
  const built = spawnSync(
    join(root, "node_modules", ".bin", "esbuild"),
    [
      join(root, "bench", "lib", "serve-app.ts"),
      "--bundle",
      "--platform=node",
      "--format=esm",
      "--target=node20",
      "--packages=external",
      `--outfile=${app}`,
      '--define:__GITOPS_HEALTH_BUILD__="bench"',
      "--log-level=warning",
    ],
    { encoding: "utf8" },
  );
  if (built.status !== 0) throw new Error(`esbuild: ${built.stderr}`);
  return app;
}
