import { beforeAll, describe, expect, it } from "vitest";
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { applyRequested, checkWeights, decideStrategy, impactOf, type Likelihood } from "../src/deploy/strategy.js";
import {
  buildManifests,
  manifestYaml,
  prepareManifests,
  validateFlaggerCanary,
  type ManifestInput,
} from "../src/deploy/manifests.js";
import { activeFreezes } from "../src/deploy/freeze.js";
import { DEFAULT_CONFIG } from "../src/config/defaults.js";
import { spawnSync } from "node:child_process";
import { makeTempDir } from "./helpers/repo.js";

const FIXTURES = join(__dirname, "fixtures", "deploy");
const d = DEFAULT_CONFIG.deploy;
const base: ManifestInput = {
  service: "api",
  namespace: "clinic",
  image: "registry.example/api:1.4.2",
  strategy: "canary",
  target: "argo-rollouts",
  routing: "replica",
  replicas: 3,
  port: 8080,
  weights: [10, 50, 100],
  pause: "5m",
  analysis: d.analysis,
};
const GATE = { url: "http://gitops-health.gitops-health.svc:8080/v1/runs/run-1/gate?digest=" + "a".repeat(64) };
// The Istio model loads only for plans routed by Istio (planDeploy does this before building).
beforeAll(() => prepareManifests("istio"));

describe("decision table: likelihood × impact", () => {
  const none = impactOf([], []);
  const tier = (t: 1 | 2 | 3) => impactOf(["src/x.ts"], [{ pattern: "src/**", tier: t }]);
  const cases: [Likelihood, ReturnType<typeof impactOf>, "personal" | "clinical", string, boolean][] = [
    ["LOW", none, "personal", "standard", false],
    ["MEDIUM", none, "personal", "canary", false],
    ["HIGH", none, "personal", "blue-green", true],
    ["CRITICAL", none, "personal", "blue-green", true],
    ["LOW", tier(1), "personal", "canary", true],
    ["MEDIUM", tier(1), "personal", "canary", true],
    ["HIGH", tier(1), "personal", "blue-green", true],
    ["LOW", tier(1), "clinical", "blue-green", true],
    ["LOW", tier(2), "personal", "standard", false],
    ["MEDIUM", tier(2), "personal", "canary", false],
    ["HIGH", tier(2), "personal", "blue-green", true],
    ["LOW", tier(3), "personal", "standard", false],
  ];
  it.each(cases)("%s with impact %#", (likelihood, impact, classification, strategy, gate) => {
    const r = decideStrategy({ likelihood, impact, classification });
    expect(r.strategy).toBe(strategy);
    expect(r.approvalGate).toBe(gate);
    if (gate) expect(r.approvals).toBeGreaterThanOrEqual(1);
  });

  it("tier 1 never yields standard, at any likelihood or classification", () => {
    for (const likelihood of ["LOW", "MEDIUM", "HIGH", "CRITICAL"] as const)
      for (const classification of ["personal", "business", "clinical"] as const)
        expect(decideStrategy({ likelihood, impact: tier(1), classification }).strategy).not.toBe("standard");
  });

  it("the risk model's approvals are kept (and force a gate)", () => {
    const r = decideStrategy({ likelihood: "LOW", impact: none, classification: "clinical", riskApprovals: 2 });
    expect(r.approvals).toBe(2);
    expect(r.approvalGate).toBe(true);
  });

  it("impact: the most critical matching tier; sensitivity raises to tier 2; unmatched paths do not count", () => {
    const cps = [
      { pattern: "src/auth/**", tier: 1 },
      { pattern: "src/**", tier: 3 },
      { pattern: "docs/**", tier: 2 },
    ];
    expect(impactOf(["src/auth/login.ts", "src/a.ts"], cps)).toEqual({
      tier: 1,
      matched: [
        { pattern: "src/auth/**", tier: 1, files: 1 },
        { pattern: "src/**", tier: 3, files: 2 },
      ],
      sensitive: [],
    });
    expect(impactOf(["lib/a.ts"], cps).tier).toBeNull();
    expect(impactOf(["lib/crypto.ts"], cps, ["CRYPTO"]).tier).toBe(2);
    expect(impactOf(["src/a.ts"], cps, ["AUTH"]).tier).toBe(2);
  });

  it("an explicit strategy may be stronger, never weaker", () => {
    const dec = decideStrategy({ likelihood: "LOW", impact: tier(1), classification: "personal" });
    expect(applyRequested(dec, "standard")).toHaveProperty("refused");
    const bg = applyRequested(dec, "blue-green");
    expect("decision" in bg && bg.decision.strategy).toBe("blue-green");
  });
});

describe("impossible plans", () => {
  it.each([
    [[10, 50], /never reach 100/],
    [[10, 50, 50, 100], /strictly increase/],
    [[50, 10, 100], /strictly increase/],
    [[], /no canary weights/],
    [[0, 100], /not an integer from 1 to 100/],
    [[10, 150], /not an integer/],
  ])("weights %j are refused", (w, re) => {
    expect(checkWeights(w)).toMatch(re);
    expect(() => buildManifests({ ...base, weights: w })).toThrow(/impossible canary plan/);
  });
  it("[10, 50, 100] and [100] are fine", () => {
    expect(checkWeights([10, 50, 100])).toBeNull();
    expect(checkWeights([100])).toBeNull();
  });
  it("a plain Kubernetes target cannot carry a canary; a Flagger canary needs a traffic provider", () => {
    expect(() => buildManifests({ ...base, target: "kubernetes" })).toThrow(/only the standard strategy/);
    expect(() => buildManifests({ ...base, target: "flagger" })).toThrow(/mesh or ingress/);
  });
  it("invalid names and images are refused before any model is built", () => {
    expect(() => buildManifests({ ...base, service: "Api_1" })).toThrow(/invalid service name/);
    expect(() => buildManifests({ ...base, image: "reg/api:1 ; rm -rf /" })).toThrow(/invalid image/);
  });
  it("the models' own validation rejects what the CRD schema rejects", () => {
    expect(() => buildManifests({ ...base, replicas: 2.5 })).toThrow(/invalid Rollout api: .*replicas/);
    expect(() => buildManifests({ ...base, strategy: "standard", replicas: -1.5 })).toThrow(
      /invalid Deployment api: .*replicas/,
    );
  });
  it("the vendored Flagger schema rejects a malformed Canary", () => {
    const [, canary] = buildManifests({ ...base, target: "flagger", routing: "istio", gate: GATE });
    expect(() => validateFlaggerCanary(canary!.object)).not.toThrow();
    const bad = structuredClone(canary!.object) as { spec: { analysis: { webhooks: { type: string }[] } } };
    bad.spec.analysis.webhooks[0]!.type = "approve-please";
    expect(() => validateFlaggerCanary(bad)).toThrow(/invalid Flagger Canary: \/spec\/analysis\/webhooks\/0\/type/);
    const noTarget = structuredClone(canary!.object) as { spec: Record<string, unknown> };
    delete noTarget.spec.targetRef;
    expect(() => validateFlaggerCanary(noTarget)).toThrow(/targetRef/);
  });
});

/** One golden file per strategy × target (× routing): every manifest, in order. */
const GOLDEN: [string, Partial<ManifestInput>][] = [
  ["kubernetes-standard", { target: "kubernetes", strategy: "standard" }],
  ["argo-rollouts-standard", { strategy: "standard" }],
  ["argo-rollouts-canary-replica-gate", { gate: GATE }],
  ["argo-rollouts-canary-istio", { routing: "istio" }],
  ["argo-rollouts-canary-nginx", { routing: "nginx", ingress: "api-ingress" }],
  ["argo-rollouts-canary-smi", { routing: "smi", weights: [5, 25, 60, 100] }],
  ["argo-rollouts-blue-green-gate", { strategy: "blue-green", gate: GATE }],
  ["argo-rollouts-blue-green", { strategy: "blue-green" }],
  ["flagger-canary-istio-gate", { target: "flagger", routing: "istio", gate: GATE }],
  ["flagger-canary-nginx", { target: "flagger", routing: "nginx" }],
  ["flagger-blue-green-gate", { target: "flagger", strategy: "blue-green", gate: GATE }],
  ["argo-rollouts-rollback", { rollback: true }],
];

describe("traffic objects for canaries", () => {
  it("Argo + Istio: a validated VirtualService whose primary route the Rollout shifts; Argo + NGINX: the stable Ingress", () => {
    const istio = buildManifests({ ...base, routing: "istio" });
    const vs = istio.find((m) => m.file === "virtualservice-api.yaml")!.object as {
      apiVersion: string;
      spec: { hosts: string[]; http: { name: string; route: { destination: { host: string }; weight: number }[] }[] };
    };
    expect(vs.apiVersion).toBe("networking.istio.io/v1");
    expect(vs.spec.http[0]!.name).toBe("primary");
    expect(vs.spec.http[0]!.route.map((r) => [r.destination.host, r.weight])).toEqual([
      ["api", 100],
      ["api-canary", 0],
    ]);
    const rollout = istio.find((m) => m.file === "rollout-api.yaml")!.object as {
      spec: {
        strategy: { canary: { trafficRouting: { istio: { virtualService: { name: string; routes: string[] } } } } };
      };
    };
    expect(rollout.spec.strategy.canary.trafficRouting.istio.virtualService).toEqual({
      name: "api",
      routes: ["primary"],
    });
    const nginx = buildManifests({ ...base, routing: "nginx", ingress: "api-ingress" });
    const ing = nginx.find((m) => m.file === "ingress-api-ingress.yaml")!.object as {
      spec: {
        ingressClassName: string;
        rules: { http: { paths: { backend: { service: { name: string; port: { number: number } } } }[] } }[];
      };
    };
    expect(ing.spec.ingressClassName).toBe("nginx");
    expect(ing.spec.rules[0]!.http.paths[0]!.backend.service).toEqual({ name: "api", port: { number: 8080 } });
    // Flagger generates its own VirtualService, but needs the Ingress it is pointed at
    expect(
      buildManifests({ ...base, target: "flagger", routing: "istio" }).some((m) =>
        m.file.startsWith("virtualservice-"),
      ),
    ).toBe(false);
    expect(
      buildManifests({ ...base, target: "flagger", routing: "nginx" }).some((m) => m.file === "ingress-api.yaml"),
    ).toBe(true);
    // replica-routed and blue-green plans have no traffic object
    expect(buildManifests(base).some((m) => /^(ingress|virtualservice)-/.test(m.file))).toBe(false);
    expect(
      buildManifests({ ...base, routing: "istio", strategy: "blue-green" }).some((m) =>
        /^(ingress|virtualservice)-/.test(m.file),
      ),
    ).toBe(false);
  });
});

describe("golden manifests (UPDATE_GOLDEN=1 rewrites them)", () => {
  it.each(GOLDEN)("%s", (name, over) => {
    const ms = buildManifests({ ...base, ...over });
    const text = ms.map((m) => `# ${m.file}\n${manifestYaml(m.object)}`).join("---\n");
    const file = join(FIXTURES, `${name}.yaml`);
    if (process.env.UPDATE_GOLDEN || !existsSync(file)) {
      mkdirSync(FIXTURES, { recursive: true });
      writeFileSync(file, text);
    }
    expect(text).toBe(readFileSync(file, "utf8"));
  });

  it("gated plans pause for the approval gate; ungated ones do not", () => {
    const objs = (over: Partial<ManifestInput>) =>
      buildManifests({ ...base, ...over }).map((m) => m.object as { kind: string; spec: Record<string, any> }); // eslint-disable-line @typescript-eslint/no-explicit-any
    const bg = objs({ strategy: "blue-green", gate: GATE }).find((o) => o.kind === "Rollout")!;
    expect(bg.spec.strategy.blueGreen.autoPromotionEnabled).toBe(false);
    expect(bg.spec.strategy.blueGreen.previewService).toBe("api-preview");
    expect(
      bg.spec.strategy.blueGreen.prePromotionAnalysis.templates.map((t: { templateName: string }) => t.templateName),
    ).toContain("api-approval-gate");
    expect(
      objs({ strategy: "blue-green" }).find((o) => o.kind === "Rollout")!.spec.strategy.blueGreen.autoPromotionEnabled,
    ).toBe(true);
    const gateTemplate = objs({ gate: GATE }).find(
      (o) =>
        o.kind === "AnalysisTemplate" && (o as { metadata?: { name?: string } }).metadata?.name === "api-approval-gate",
    )!;
    expect(gateTemplate.spec.metrics[0].provider.web.url).toBe(GATE.url);
    const steps = objs({ gate: GATE }).find((o) => o.kind === "Rollout")!.spec.strategy.canary.steps as Record<
      string,
      unknown
    >[];
    expect(steps.map((s) => Object.keys(s)[0])).toEqual([
      "setWeight",
      "pause",
      "analysis",
      "setWeight",
      "pause",
      "analysis",
      "analysis",
      "setWeight",
    ]);
    expect(steps[steps.length - 1]).toEqual({ setWeight: 100 });
    const canary = objs({ target: "flagger", routing: "istio", gate: GATE }).find((o) => o.kind === "Canary")!;
    expect(canary.spec.analysis.webhooks).toEqual([
      { name: "approval-gate", type: "confirm-promotion", url: GATE.url, timeout: "10s" },
    ]);
    expect(canary.spec.analysis.stepWeights).toEqual([10, 50]);
    expect(parse(manifestYaml(canary))).toEqual(canary);
  });
});

describe("freeze windows", () => {
  const now = new Date("2026-12-24T12:00:00Z");
  it("plain ranges: inside is frozen, at the end it is not", async () => {
    expect(
      await activeFreezes([{ name: "xmas", start: "2026-12-20T00:00:00Z", end: "2027-01-02T00:00:00Z" }], now),
    ).toEqual([{ name: "xmas", from: "2026-12-20T00:00:00.000Z", until: "2027-01-02T00:00:00.000Z" }]);
    expect(
      await activeFreezes([{ name: "xmas", start: "2026-12-20T00:00:00Z", end: "2026-12-24T12:00:00Z" }], now),
    ).toEqual([]);
  });
  it("RFC 5545 recurrences: a weekend freeze from Friday 16:00 for 64 hours", async () => {
    const weekend = [
      { name: "weekend", rrule: "DTSTART:20260102T160000Z\nRRULE:FREQ=WEEKLY;BYDAY=FR", duration: "64h" },
    ];
    expect(await activeFreezes(weekend, new Date("2026-12-26T10:00:00Z"))).toEqual([
      { name: "weekend", from: "2026-12-25T16:00:00.000Z", until: "2026-12-28T08:00:00.000Z" },
    ]); // Saturday
    expect(await activeFreezes(weekend, new Date("2026-12-23T10:00:00Z"))).toEqual([]); // Wednesday
    expect(await activeFreezes(weekend, new Date("2026-12-28T08:00:00Z"))).toEqual([]); // Monday 08:00, just over
  });
  it("malformed freezes are usage errors", async () => {
    await expect(activeFreezes([{ name: "x", start: "soon", end: "2027-01-01" }], now)).rejects.toThrow(/not a date/);
    await expect(activeFreezes([{ name: "x", rrule: "FREQ=DAILY" }], now)).rejects.toThrow(/needs a duration/);
    await expect(activeFreezes([{ name: "x", rrule: "FREQ=SOMETIMES", duration: "1h" }], now)).rejects.toThrow(
      /invalid RRULE/,
    );
    await expect(activeFreezes([{ name: "x", start: "2027-01-01", end: "2026-01-01" }], now)).rejects.toThrow(
      /end is not after start/,
    );
  });
});

describe("generated validators", () => {
  it("src/deploy/generated/validators.js is what scripts/write-deploy-validators.ts generates now", () => {
    const out = makeTempDir("gh-validators-");
    const r = spawnSync(
      process.execPath,
      ["--import", "tsx", join(__dirname, "..", "scripts", "write-deploy-validators.ts")],
      { env: { ...process.env, DEPLOY_VALIDATORS_OUT_DIR: out }, encoding: "utf8" },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(out, "validators.js"), "utf8")).toBe(
      readFileSync(join(__dirname, "..", "src", "deploy", "generated", "validators.js"), "utf8"),
    );
  }, 60_000);
});

describe("kubernetes-models as bundled (tsup.config.ts slimKubernetesValidate)", () => {
  it("its schemas use no draft-2019 format, which the CLI bundle leaves out", () => {
    const root = join(__dirname, "..", "node_modules", "kubernetes-models");
    const dirs = [join(root, "_schemas"), join(root, "node_modules", "@kubernetes-models", "apimachinery", "_schemas")];
    const used = new Set<string>();
    for (const d of dirs)
      for (const f of readdirSync(d).filter((x) => x.endsWith(".mjs")))
        for (const m of readFileSync(join(d, f), "utf8").matchAll(/formats(?:\.([\w$]+)|\["([^"]+)"\])/g))
          used.add(m[1] ?? m[2]!);
    expect(used.size).toBeGreaterThan(0);
    const draft2019 = ["duration", "idn-email", "idn-hostname", "iri", "iri-reference"];
    expect([...used].filter((f) => draft2019.includes(f))).toEqual([]);
    expect([...used].sort()).toEqual(["byte", "date-time", "double", "int32", "int64", "quantity"]);
  });
});
