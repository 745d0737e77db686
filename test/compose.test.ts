/**
 * deploy/compose: docker-compose.yml validated against the Compose Specification JSON schema
 * (vendored in deploy/compose/schema with its licence) and its wiring checked. Not run here: no
 * Docker daemon on these machines.
 */
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv } from "ajv";
import addFormats from "ajv-formats";
import { parse } from "yaml";
import { AuthConfig } from "../src/server/auth.js";

const dir = join(__dirname, "..", "deploy", "compose");
const schema = JSON.parse(readFileSync(join(dir, "schema", "compose-spec.json"), "utf8")) as Record<string, unknown>;
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats.default(ajv);
// The file names its meta-schema as https://json-schema.org/draft-07/schema, which Ajv knows as
// http://json-schema.org/draft-07/schema# (its default draft): compile it without that reference.
const { $schema: metaSchema, ...compose } = schema;
const validate = ajv.compile(compose);
// Compose files use YAML merge keys (<<: *anchor); Compose itself resolves them before validating.
const load = (text: string) => parse(text, { merge: true }) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const text = readFileSync(join(dir, "docker-compose.yml"), "utf8");

describe("docker-compose.yml", () => {
  it("is valid against the vendored Compose Specification schema", () => {
    const ok = validate(load(text));
    expect(ajv.errorsText(validate.errors), "schema errors").toBe("No errors");
    expect(ok).toBe(true);
    expect(metaSchema).toMatch(/draft-07/);
    expect(readFileSync(join(dir, "schema", "LICENSE"), "utf8")).toContain("Apache License");
  });

  it("the schema check can fail: wrong types and unknown service keys are rejected", () => {
    const bad = load(text);
    bad.services.postgres.healthcheck.test = { cmd: "pg_isready" };
    bad.services["gitops-health"].portz = ["8080:8080"];
    expect(validate(bad)).toBe(false);
    const msgs = ajv.errorsText(validate.errors);
    expect(msgs).toMatch(/healthcheck\/test/);
    expect(msgs).toMatch(/additional properties|portz/);
  });

  it("wires service, migration, PostgreSQL and the observability profile together", () => {
    const c = load(text);
    const s = c.services;
    expect(Object.keys(s).sort()).toEqual([
      "db-migrate",
      "gitops-health",
      "otel-collector",
      "postgres",
      "prometheus",
      "worker",
    ]);
    expect(s.worker.command[0]).toBe("worker");
    expect(s.worker.depends_on["db-migrate"].condition).toBe("service_completed_successfully");
    expect(s["gitops-health"].command.slice(0, 4)).toEqual(["serve", "--host", "0.0.0.0", "--port"]);
    expect(s["gitops-health"].depends_on["db-migrate"].condition).toBe("service_completed_successfully");
    expect(s["db-migrate"].command).toEqual(["db", "migrate"]);
    expect(s["db-migrate"].depends_on.postgres.condition).toBe("service_healthy");
    for (const name of ["gitops-health", "db-migrate"]) {
      expect(s[name]).toMatchObject({ read_only: true, cap_drop: ["ALL"] });
      expect(s[name].environment.GITOPS_HEALTH_DATABASE_URL).toMatch(/@postgres:5432\//);
    }
    expect(s.prometheus.profiles).toEqual(["observability"]);
    expect(s["otel-collector"].profiles).toEqual(["observability"]);
    // Prometheus scrapes the service's /metrics, which auth.yml makes public for the local stack
    const prom = parse(readFileSync(join(dir, "prometheus.yml"), "utf8"));
    expect(prom.scrape_configs[0]).toMatchObject({
      metrics_path: "/metrics",
      static_configs: [{ targets: ["gitops-health:8080"] }],
    });
    expect(AuthConfig.parse(parse(readFileSync(join(dir, "auth.yml"), "utf8")))).toMatchObject({ metricsPublic: true });
    const otel = parse(readFileSync(join(dir, "otel-collector.yaml"), "utf8"));
    expect(otel.receivers.prometheus.config.scrape_configs[0].static_configs[0].targets).toEqual([
      "gitops-health:8080",
    ]);
    for (const p of Object.values(otel.service.pipelines) as { receivers: string[]; exporters: string[] }[]) {
      for (const r of p.receivers) expect(otel.receivers[r], r).toBeDefined();
      for (const e of p.exporters) expect(otel.exporters[e], e).toBeDefined();
    }
  });
});
