import { describe, expect, it } from "vitest";
import { writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseConfigText, loadConfig } from "../src/config/load.js";
import { configJsonSchema } from "../src/config/json-schema.js";
import { UserError } from "../src/core/errors.js";
import { scanFailOn } from "../src/config/defaults.js";
import { makeTempDir, runCli } from "./helpers/repo.js";
import { readFileSync } from "node:fs";

describe("config", () => {
  it("applies defaults to an empty file", () => {
    const c = parseConfigText("");
    expect(c.classification).toBe("personal");
    expect(c.scan.failOn).toBeUndefined();
    expect(scanFailOn(c)).toBe("high");
    expect(scanFailOn(parseConfigText("classification: clinical\n"))).toBe("medium");
    expect(scanFailOn(parseConfigText("classification: business\n"))).toBe("high");
    expect(scanFailOn(parseConfigText("classification: clinical\nscan:\n  failOn: high\n"))).toBe("high");
    expect(c.ledger.retentionYears).toBe(6);
  });

  it("names file, line and field for a wrong value", () => {
    const text = "classification: clinical\ncriticalPaths:\n  - pattern: src/phi/**\n    tier: 7\n";
    expect(() => parseConfigText(text, "x.yml")).toThrowError(/^x\.yml:4: criticalPaths\.0\.tier: /);
  });

  it("names an unknown field (typo) with its line", () => {
    const text = "classification: business\nscan:\n  failon: low\n";
    try {
      parseConfigText(text, "c.yml");
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(UserError);
      expect((e as Error).message).toBe('c.yml:3: scan.failon: unknown field "failon"');
    }
  });

  it("reports invalid YAML with line and column", () => {
    expect(() => parseConfigText("a: [1, 2\nb: 3\n", "bad.yml")).toThrowError(/^bad\.yml:\d+:\d+: invalid YAML/);
  });

  it("rejects an unknown classification listing the valid ones", () => {
    expect(() => parseConfigText("classification: secret\n", "c.yml")).toThrowError(
      /classification: .*personal.*business.*clinical/,
    );
  });

  it("finds the config upward from a subdirectory", () => {
    const dir = makeTempDir();
    writeFileSync(join(dir, ".gitops-health.yml"), "classification: clinical\n");
    const sub = join(dir, "a");
    mkdirSync(sub);
    expect(loadConfig({ cwd: sub }).config.classification).toBe("clinical");
  });

  it("publishes a JSON Schema identical to the generated one", () => {
    const published = JSON.parse(readFileSync(join(__dirname, "..", "schema", "gitops-health.schema.json"), "utf8"));
    expect(published).toEqual(configJsonSchema());
    expect(published.properties.classification.enum).toEqual(["personal", "business", "clinical"]);
  });
});

describe("CLI conventions", () => {
  it("exits 2 with one line on an unknown command", () => {
    const r = runCli(["no-such-command"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("exits 0 on --help and --version", () => {
    expect(runCli(["--help"]).code).toBe(0);
    expect(runCli(["--version"]).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

import { DEFAULT_CONFIG } from "../src/config/fast.js";
import { Config as ConfigSchema } from "../src/config/schema.js";
describe("fast config path", () => {
  it("DEFAULT_CONFIG equals the schema defaults", () => {
    expect(DEFAULT_CONFIG).toEqual(ConfigSchema.parse({}));
  });
});
