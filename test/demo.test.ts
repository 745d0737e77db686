import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "./helpers/repo.js";

// The README quick start: `npm run demo` scans examples/sample-tree with its own clinical config.
const root = join(new URL(".", import.meta.url).pathname, "..");
const demo = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).scripts.demo as string;

describe("quick-start demo", () => {
  it("finds every kind of identifier in the sample practice and never prints a raw value", () => {
    const args = demo
      .replace(/^node dist\/cli\.js /, "")
      .split(" ")
      .filter((a) => a !== "--exit-zero");
    const r = runCli([...args, "--format", "json"], { cwd: root });
    expect(r.code).toBe(1); // high findings: the gate fails, as it should on this tree
    const findings = JSON.parse(r.stdout).findings as { file: string; category: string; ruleId: string }[];
    const byFile = (dir: string) => new Set(findings.filter((f) => f.file.includes(dir)).map((f) => f.category));
    expect([...byFile("/notes/")]).toEqual(
      expect.arrayContaining(["name", "date", "mrn", "location", "age", "health-plan-id"]),
    );
    expect([...byFile("/hl7/")]).toEqual(expect.arrayContaining(["name", "mrn", "date", "location"]));
    expect([...byFile("/fhir/")]).toEqual(expect.arrayContaining(["ssn", "name", "date", "location"]));
    expect([...byFile("/data/")]).toEqual(expect.arrayContaining(["mrn", "name", "date"]));
    expect(
      findings
        .filter((f) => f.category === "secret")
        .map((f) => f.ruleId)
        .sort(),
    ).toEqual(["aws-access-key-id", "connection-string-password", "github-token"]);
    for (const raw of ["Vasquez-Hartley", "532-41-8806", "Tr0ub4dor-And-3", "4411 Larkspur Lane"])
      expect(r.stdout).not.toContain(raw);
  });
});
