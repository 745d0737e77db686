/** First-run polish: what a new user hits in the first minutes, through the built CLI. */
import { describe, expect, it } from "vitest";
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
