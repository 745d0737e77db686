/** First-run polish: what a new user hits in the first minutes, through the built CLI. */
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { parse } from "yaml";
import { makeTempDir, runCli } from "./helpers/repo.js";

describe("policy show", () => {
  it.each(["personal", "business", "clinical"])("prints the %s pack as YAML (the default format) without crashing", (name) => {
    const r = runCli(["policy", "show", name], { cwd: makeTempDir() });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const pack = parse(r.stdout) as { name: string; rules: unknown[] };
    expect(pack.name).toBe(name);
    expect(pack.rules.length).toBeGreaterThan(0);
  });
});

describe("npm run bench without the shared data", () => {
  it("names the missing data and skips the benchmarks that need it, without a stack trace", () => {
    const missing = join(makeTempDir(), "no-shared");
    const r = spawnSync(process.execPath, [join(__dirname, "..", "bench", "run.mjs"), "phi-accuracy", "jsonl"], {
      env: { ...process.env, GITOPS_HEALTH_SHARED: missing },
      encoding: "utf8",
    });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(`skip bench phi-accuracy: the PHI corpora (PhysioNet deid notes, presidio-synth) not found at ${join(missing, "testdata", "phi")}`);
    expect(r.stderr).toContain("skip bench jsonl:");
    expect(r.stderr).toContain("GITOPS_HEALTH_SHARED");
    expect(r.stderr).not.toMatch(/\bat .*\(.*:\d+:\d+\)|Error:/);
    expect(r.stdout).toBe("");
  });
});
