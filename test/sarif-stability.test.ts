import { describe, expect, it } from "vitest";
import { makeRepo, makeTempDir, runCli } from "./helpers/repo.js";

/**
 * Code scanning matches alerts across pushes by category and fingerprints: the SARIF of two runs over
 * the same finding must agree even without a fingerprint key (a pull request from a fork has no
 * secrets, so its key is ephemeral), and a new finding elsewhere must not move the old ones.
 */
type Sarif = {
  runs: {
    automationDetails?: { id: string };
    tool: { driver: { rules: { id: string }[] } };
    results: {
      ruleId: string;
      ruleIndex: number;
      partialFingerprints: Record<string, string>;
      locations: { physicalLocation: { artifactLocation: { uri: string } } }[];
    }[];
  }[];
};

describe("SARIF for stable code-scanning alerts", () => {
  it("scan: a stable category and key-independent fingerprints; the ephemeral keyed one is left out", () => {
    const repo = makeRepo();
    const home = makeTempDir("gh-sarif-home-");
    const env = { HOME: home, XDG_CONFIG_HOME: home, GITOPS_HEALTH_FINGERPRINT_KEY: "" };
    repo.commit("feat: a", { "src/a.txt": "SSN 512-84-1001\n" });
    const sarif = (): Sarif =>
      JSON.parse(runCli(["scan", "src", "--format", "sarif", "--exit-zero"], { cwd: repo.dir, env }).stdout);
    const one = sarif();
    const two = sarif();
    expect(one.runs[0]!.automationDetails).toEqual({ id: "gitops-health/scan/" });
    const r1 = one.runs[0]!.results;
    expect(r1.length).toBeGreaterThan(0);
    for (const r of r1) {
      expect(Object.keys(r.partialFingerprints)).toEqual(["gitopsHealthLocation/v1"]);
      expect(one.runs[0]!.tool.driver.rules[r.ruleIndex]!.id).toBe(r.ruleId);
    }
    expect(two.runs[0]!.results.map((r) => r.partialFingerprints)).toEqual(r1.map((r) => r.partialFingerprints));
    // a later push adds a finding in another file: the first file's fingerprints do not move
    repo.commit("feat: b", { "src/b.txt": "SSN 512-84-1002\n" });
    const three = sarif().runs[0]!.results;
    const ofA = (rs: typeof r1) =>
      rs
        .filter((r) => r.locations[0]!.physicalLocation.artifactLocation.uri === "src/a.txt")
        .map((r) => r.partialFingerprints["gitopsHealthLocation/v1"]);
    expect(ofA(three)).toEqual(ofA(r1));
    expect(three.length).toBe(2 * r1.length);
    // with a key configured, the keyed value fingerprint is there as well
    const keyed: Sarif = JSON.parse(
      runCli(["scan", "src", "--format", "sarif", "--exit-zero"], {
        cwd: repo.dir,
        env: { ...env, GITOPS_HEALTH_FINGERPRINT_KEY: "a-ci-secret-of-enough-length" },
      }).stdout,
    );
    expect(Object.keys(keyed.runs[0]!.results[0]!.partialFingerprints).sort()).toEqual([
      "gitopsHealth/v2",
      "gitopsHealthLocation/v1",
    ]);
    repo.cleanup();
  });

  it("compliance: its own category, so the gate and the scan never close each other's alerts", () => {
    const repo = makeRepo();
    repo.commit("bad header without type", { "a.txt": "x\n" });
    const r = runCli(["compliance", "check", "--format", "sarif"], { cwd: repo.dir });
    const s: Sarif = JSON.parse(r.stdout);
    expect(s.runs[0]!.automationDetails).toEqual({ id: "gitops-health/compliance/" });
    repo.cleanup();
  });
});
