/**
 * Packaging: the Dockerfile and .dockerignore, linted (the image is not built here: no Docker
 * daemon or registry access on these machines).
 */
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import ignore from "ignore";
import { DockerfileParser } from "dockerfile-ast";
import { DOCKERFILE_RULES, lintDockerfile } from "./helpers/dockerfile-rules.js";

const root = join(__dirname, "..");
const dockerfile = readFileSync(join(root, "Dockerfile"), "utf8");

describe("Dockerfile", () => {
  it("passes every rule", () => {
    expect(lintDockerfile(dockerfile)).toEqual([]);
  });

  // Each rule must be able to fail: break the file the way the rule guards against.
  const broken: [rule: string, edit: (t: string) => string, expected: RegExp][] = [
    [
      "multi-stage",
      (t) => t.replace(/^FROM node:20-bookworm-slim AS runtime$/m, "FROM node:latest AS runtime"),
      /pin a version/,
    ],
    [
      "multi-stage",
      (t) =>
        t
          .replace(/^FROM node:20-bookworm-slim AS build\n[\s\S]*?(?=^FROM )/m, "")
          .replace(/^COPY --from=build .*$/m, "COPY . ./"),
      /1 stage\(s\)|copies nothing/,
    ],
    [
      "final-stage-production-deps",
      (t) => t.replace("npm ci --omit=dev --ignore-scripts", "npm install --ignore-scripts"),
      /npm ci --omit=dev/,
    ],
    ["non-root-user", (t) => t.replace(/^USER 1000:1000$/m, "USER node"), /numeric uid/],
    ["non-root-user", (t) => t.replace(/^USER 1000:1000$/m, "USER 0"), /must not be root/],
    ["non-root-user", (t) => t.replace(/^USER 1000:1000\n/m, ""), /runs? as root/],
    ["writes-only-data", (t) => t.replace('VOLUME ["/data"]', 'VOLUME ["/data", "/app"]'), /exactly \/data/],
    ["writes-only-data", (t) => t.replace(/^WORKDIR \/data$/m, "WORKDIR /app"), /WORKDIR must be \/data/],
    [
      "healthcheck",
      (t) => t.replace(/CMD \["node", "-e", .*\]$/m, "CMD curl -f http://127.0.0.1:8080/health || exit 1"),
      /must run node/,
    ],
    ["healthcheck", (t) => t.replace("8080/health", "8080/ready"), /\/health/],
    ["entrypoint", (t) => t.replace('ENTRYPOINT ["gitops-health"]', "ENTRYPOINT gitops-health"), /exec form/],
    [
      "entrypoint",
      (t) => t.replace('ENTRYPOINT ["gitops-health"]', 'ENTRYPOINT ["node", "/app/dist/cli.js"]'),
      /exec form/,
    ],
    [
      "entrypoint",
      (t) => t.replace(/ln -s \/app\/dist\/cli\.js \/usr\/local\/bin\/gitops-health/, "true"),
      /not linked onto PATH/,
    ],
  ];
  it.each(broken.map(([rule, edit, expected], n) => [`${rule} #${n}`, rule, edit, expected] as const))(
    "rule %s catches its breakage",
    (_name, rule, edit, expected) => {
      const text = edit(dockerfile);
      expect(text).not.toBe(dockerfile);
      expect(DOCKERFILE_RULES[rule]!(text).join("\n")).toMatch(expected);
    },
  );

  it("parses without unknown instructions and copies only files that exist and the build context keeps", () => {
    const df = DockerfileParser.parse(dockerfile);
    const known = new Set([
      "FROM",
      "WORKDIR",
      "COPY",
      "RUN",
      "ENV",
      "VOLUME",
      "USER",
      "EXPOSE",
      "HEALTHCHECK",
      "ENTRYPOINT",
      "CMD",
    ]);
    for (const i of df.getInstructions()) expect(known.has(i.getKeyword()), i.getTextContent()).toBe(true);
    const ig = ignore().add(readFileSync(join(root, ".dockerignore"), "utf8"));
    const fromContext = df.getCOPYs().filter((c) => !/--from=/.test(c.getTextContent()));
    expect(fromContext.length).toBeGreaterThan(0);
    for (const c of fromContext) {
      const srcs = c
        .getArguments()
        .slice(0, -1)
        .map((a) => a.getValue());
      for (const s of srcs) {
        if (s === ".") continue;
        expect(() => readFileSync(join(root, s)), s).not.toThrow();
        expect(ig.ignores(s), `${s} is excluded by .dockerignore`).toBe(false);
      }
    }
    // what the build needs is in the context; local state and secrets are not
    for (const need of [
      "package.json",
      "package-lock.json",
      "tsconfig.json",
      "tsup.config.ts",
      "src/cli/main.ts",
      "schema/gitops-health.schema.json",
      "src/policy/packs/clinical.yaml",
      "src/phi/data/person-names.txt.gz",
      "src/phi/model/phi-tagger-v1.bin.gz",
      "NOTICE",
      "README.md",
    ])
      expect(ig.ignores(need), need).toBe(false);
    for (const keep of [
      "node_modules/x/index.js",
      ".git/config",
      ".gitops-health/keys/ledger.key",
      "dist/cli.js",
      "a/b/signing.key",
      ".env",
      "test/x.test.ts",
    ])
      expect(ig.ignores(keep), keep).toBe(true);
  });
});
