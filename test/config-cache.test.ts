// The CLI's cache of validated configs (src/config/fast.ts, issue 19): keyed by the build and the
// file's text, so an edit is validated again; invalid configs are never cached; other builds'
// results are removed; GITOPS_HEALTH_NO_CONFIG_CACHE turns it off.
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeRepo, makeTempDir, runCli } from "./helpers/repo.js";

describe("config cache (CLI build)", () => {
  const repo = makeRepo();
  repo.commit("feat: app", { "src/app.ts": "export const app = 1;\n" });
  const cache = makeTempDir("gh-config-cache-");
  const dir = join(cache, "gitops-health", "config");
  const out = makeTempDir("gh-config-cache-out-");
  const plan = (env: Record<string, string> = {}) =>
    runCli(["deploy", "plan", "--image", "r.example/api:1", "--out", out, "--format", "json"], {
      cwd: repo.dir,
      // CI unset: in CI the cache is off (see the last test)
      env: { XDG_CACHE_HOME: cache, GITOPS_HEALTH_LEDGER: join(repo.dir, ".ledger"), CI: "", ...env },
    });
  const service = (r: ReturnType<typeof runCli>) => (JSON.parse(r.stdout) as { service: string }).service;
  const files = () => readdirSync(dir).filter((f) => f.endsWith(".json"));

  it("validates a config once, reads the result back, and validates an edited file again", () => {
    writeFileSync(join(repo.dir, ".gitops-health.yml"), "deploy:\n  service: api\n");
    const first = plan();
    expect(first.code, first.stderr).toBe(0);
    expect(service(first)).toBe("api");
    expect(files()).toHaveLength(1);
    const [name] = files();
    const cached = JSON.parse(readFileSync(join(dir, name!), "utf8")) as { config: { deploy: { replicas: number } } };
    // the validated result, defaults filled in
    expect(cached.config.deploy.replicas).toBe(3);
    const second = plan();
    expect(second.code).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    expect(files()).toEqual([name]);

    writeFileSync(join(repo.dir, ".gitops-health.yml"), "deploy:\n  service: web\n");
    const edited = plan();
    expect(edited.code, edited.stderr).toBe(0);
    expect(service(edited)).toBe("web");
    expect(files()).toHaveLength(2);
  });

  it("never caches an invalid config: every run reports its error", () => {
    const before = files().length;
    writeFileSync(join(repo.dir, ".gitops-health.yml"), "deploy:\n  replicas: none\n");
    for (let i = 0; i < 2; i++) {
      const r = plan();
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/\.gitops-health\.yml:2: deploy\.replicas: /);
    }
    expect(files()).toHaveLength(before);
  });

  it("removes other builds' results when it writes, and is off with GITOPS_HEALTH_NO_CONFIG_CACHE", () => {
    writeFileSync(join(dir, "otherbuild-0000.json"), '{"config":{}}');
    writeFileSync(join(repo.dir, ".gitops-health.yml"), "deploy:\n  service: off\n");
    const off = plan({ GITOPS_HEALTH_NO_CONFIG_CACHE: "1" });
    expect(off.code, off.stderr).toBe(0);
    expect(service(off)).toBe("off");
    expect(files()).toContain("otherbuild-0000.json");
    writeFileSync(join(repo.dir, ".gitops-health.yml"), "deploy:\n  service: api2\n");
    const on = plan();
    expect(on.code, on.stderr).toBe(0);
    expect(files()).not.toContain("otherbuild-0000.json");
  });

  it("is off in CI: a cache directory restored from another job cannot change the policy", () => {
    writeFileSync(join(repo.dir, ".gitops-health.yml"), "deploy:\n  service: real\n");
    expect(plan().code).toBe(0);
    // a restored CI cache carrying a forged result for this very config text
    for (const f of files()) {
      const c = JSON.parse(readFileSync(join(dir, f), "utf8")) as { config: { deploy: { service?: string } } };
      if (c.config.deploy.service === "real") {
        c.config.deploy.service = "forged";
        writeFileSync(join(dir, f), JSON.stringify(c));
      }
    }
    const ci = plan({ CI: "true" });
    expect(ci.code, ci.stderr).toBe(0);
    expect(service(ci)).toBe("real");
  });
});
