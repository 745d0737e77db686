/**
 * deploy/kubernetes: the Kustomize base and the dev and prod overlays, rendered with the real
 * `kubectl kustomize`, every object validated with its `kubernetes-models` class (Istio objects:
 * apiVersion, kind and required fields), plus the hardening and wiring the manifests promise.
 */
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { parseConfigText } from "../src/config/load.js";

const root = join(__dirname, "..");
const K8S = join(root, "deploy", "kubernetes");
const kubectl = spawnSync("kubectl", ["version", "--client"], { encoding: "utf8" });
const noKubectl =
  kubectl.error || kubectl.status !== 0
    ? "kubectl is not installed (.ci/run installs Debian's kubernetes-client)"
    : undefined;
if (noKubectl) console.warn(`[skip] Kustomize renders: ${noKubectl}`);

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered Kubernetes objects are open-ended */
type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
  [k: string]: any;
};
/* eslint-enable @typescript-eslint/no-explicit-any */

function render(dir: string): Obj[] {
  const r = spawnSync("kubectl", ["kustomize", join(K8S, dir)], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`kubectl kustomize ${dir}: ${r.stderr}`);
  return parseAllDocuments(r.stdout).map((d) => {
    if (d.errors.length) throw new Error(d.errors[0]!.message);
    return d.toJS() as Obj;
  });
}

/** kubernetes-models module per apiVersion/kind (the built-in kinds these manifests use). */
const MODELS: Record<string, string> = {
  "v1/Namespace": "kubernetes-models/v1/Namespace",
  "v1/ServiceAccount": "kubernetes-models/v1/ServiceAccount",
  "v1/ConfigMap": "kubernetes-models/v1/ConfigMap",
  "v1/Secret": "kubernetes-models/v1/Secret",
  "v1/Service": "kubernetes-models/v1/Service",
  "apps/v1/Deployment": "kubernetes-models/apps/v1/Deployment",
  "batch/v1/Job": "kubernetes-models/batch/v1/Job",
  "policy/v1/PodDisruptionBudget": "kubernetes-models/policy/v1/PodDisruptionBudget",
  "autoscaling/v2/HorizontalPodAutoscaler": "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler",
  "networking.k8s.io/v1/NetworkPolicy": "kubernetes-models/networking.k8s.io/v1/NetworkPolicy",
  "monitoring.coreos.com/v1/PrometheusRule":
    "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule",
};

async function validateBuiltIn(o: Obj): Promise<void> {
  const mod = MODELS[`${o.apiVersion}/${o.kind}`];
  if (!mod) throw new Error(`no kubernetes-models class mapped for ${o.apiVersion}/${o.kind}`);
  const Model = (await import(mod))[o.kind] as new (x: unknown) => { validate(): void };
  new Model(o).validate();
}

/** Istio CRDs: no model here, so apiVersion, kind and the fields Istio requires. */
function validateIstio(o: Obj): string[] {
  const p: string[] = [];
  if (o.apiVersion !== "networking.istio.io/v1" && o.apiVersion !== "networking.istio.io/v1beta1")
    p.push(`${o.kind}: apiVersion ${o.apiVersion}`);
  if (!o.metadata?.name) p.push(`${o.kind}: metadata.name missing`);
  if (o.kind === "VirtualService") {
    if (!Array.isArray(o.spec?.hosts) || !o.spec.hosts.length) p.push("VirtualService: spec.hosts required");
    const routes = (o.spec?.http ?? []).flatMap((h: { route?: unknown[] }) => h.route ?? []);
    if (!routes.length) p.push("VirtualService: no http route");
    for (const r of routes as { destination?: { host?: string } }[])
      if (!r.destination?.host) p.push("VirtualService: route without destination.host");
  } else if (o.kind === "DestinationRule") {
    if (typeof o.spec?.host !== "string" || !o.spec.host) p.push("DestinationRule: spec.host required");
  } else p.push(`unexpected Istio kind ${o.kind}`);
  return p;
}

const isIstio = (o: Obj) => o.apiVersion.startsWith("networking.istio.io/");
const podSpecs = (objs: Obj[]) =>
  objs.filter((o) => o.kind === "Deployment" || o.kind === "Job").map((o) => ({ o, pod: o.spec.template.spec }));

describe.skipIf(!!noKubectl)(`Kustomize renders${noKubectl ? ` (skipped: ${noKubectl})` : ""}`, () => {
  const BASE_KINDS = [
    "ConfigMap",
    "Deployment",
    "Deployment",
    "HorizontalPodAutoscaler",
    "Job",
    "Namespace",
    "NetworkPolicy",
    "PodDisruptionBudget",
    "Secret",
    "Service",
    "ServiceAccount",
  ];
  const cases: [string, string, string[]][] = [
    ["base", "gitops-health", BASE_KINDS],
    ["overlays/dev", "gitops-health-dev", BASE_KINDS],
    ["overlays/prod", "gitops-health", [...BASE_KINDS, "DestinationRule", "PrometheusRule", "VirtualService"].sort()],
  ];

  it.each(cases)(
    "%s: every object is valid (kubernetes-models, Istio required fields) and the set of kinds is complete",
    async (dir, ns, kinds) => {
      const objs = render(dir);
      expect(objs.map((o) => o.kind).sort()).toEqual(kinds);
      for (const o of objs) {
        if (isIstio(o)) expect(validateIstio(o), o.kind).toEqual([]);
        else await validateBuiltIn(o);
        if (o.kind === "Namespace") expect(o.metadata.name).toBe(ns);
        else expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe(ns);
      }
    },
  );

  it.each(cases)(
    "%s: every pod is hardened (non-root, read-only root, no privilege escalation, drop ALL, seccomp RuntimeDefault, no SA token)",
    (dir) => {
      const pods = podSpecs(render(dir));
      expect(pods.map((p) => `${p.o.kind}/${p.o.metadata.name}`).sort()).toEqual([
        "Deployment/gitops-health-serve",
        "Deployment/gitops-health-worker",
        "Job/gitops-health-db-migrate",
      ]);
      for (const { o, pod } of pods) {
        const where = `${o.kind}/${o.metadata.name}`;
        expect(pod.securityContext, where).toMatchObject({
          runAsNonRoot: true,
          seccompProfile: { type: "RuntimeDefault" },
        });
        expect(pod.securityContext.runAsUser, where).toBeGreaterThan(0);
        expect(pod.automountServiceAccountToken, where).toBe(false);
        for (const c of pod.containers) {
          expect(c.securityContext, `${where} ${c.name}`).toMatchObject({
            runAsNonRoot: true,
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ["ALL"] },
          });
          expect(c.securityContext.capabilities.add ?? [], `${where} ${c.name}`).toEqual([]);
          expect(c.resources?.requests, `${where} ${c.name}`).toBeDefined();
          // the only writable places are volumes: /data and /tmp
          const writable = (c.volumeMounts ?? [])
            .filter((m: { readOnly?: boolean }) => !m.readOnly)
            .map((m: { mountPath: string }) => m.mountPath)
            .sort();
          expect(writable, where).toEqual(["/data", "/tmp"]);
        }
      }
    },
  );

  it.each(cases)(
    "%s: serve has liveness /health and readiness /ready; the Job runs db migrate; names and selectors wire up",
    (dir) => {
      const objs = render(dir);
      const byKind = (k: string) => objs.filter((o) => o.kind === k);
      const [dep] = byKind("Deployment");
      const c = dep!.spec.template.spec.containers[0];
      expect(c.args).toEqual(expect.arrayContaining(["serve", "--host", "0.0.0.0"]));
      expect(c.livenessProbe.httpGet).toMatchObject({ path: "/health", port: "http" });
      expect(c.readinessProbe.httpGet).toMatchObject({ path: "/ready", port: "http" });
      expect(c.ports).toEqual([expect.objectContaining({ name: "http", containerPort: 8080 })]);
      const [job] = byKind("Job");
      expect(job!.spec.template.spec.containers[0].args).toEqual(["db", "migrate"]);
      expect(job!.spec.template.metadata.annotations?.["sidecar.istio.io/inject"]).toBe("false");
      const podLabels = dep!.spec.template.metadata.labels as Record<string, string>;
      const matches = (sel: Record<string, string>) => Object.entries(sel).every(([k, v]) => podLabels[k] === v);
      expect(matches(dep!.spec.selector.matchLabels)).toBe(true);
      expect(matches(byKind("Service")[0]!.spec.selector)).toBe(true);
      expect(matches(byKind("PodDisruptionBudget")[0]!.spec.selector.matchLabels)).toBe(true);
      expect(matches(byKind("NetworkPolicy")[0]!.spec.podSelector.matchLabels)).toBe(true);
      expect(byKind("HorizontalPodAutoscaler")[0]!.spec.scaleTargetRef).toMatchObject({
        kind: "Deployment",
        name: dep!.metadata.name,
      });
      // every ConfigMap/Secret a pod refers to is in the render (the generator's hashed name included)
      const names = new Set(
        objs.filter((o) => o.kind === "ConfigMap" || o.kind === "Secret").map((o) => `${o.kind}/${o.metadata.name}`),
      );
      for (const { pod } of podSpecs(objs)) {
        for (const v of pod.volumes ?? []) {
          if (v.configMap) expect(names.has(`ConfigMap/${v.configMap.name}`), v.configMap.name).toBe(true);
          if (v.secret) expect(names.has(`Secret/${v.secret.secretName}`), v.secret.secretName).toBe(true);
        }
        for (const ctr of pod.containers)
          for (const e of ctr.env ?? [])
            if (e.valueFrom?.secretKeyRef) expect(names.has(`Secret/${e.valueFrom.secretKeyRef.name}`)).toBe(true);
        expect(pod.serviceAccountName).toBe(byKind("ServiceAccount")[0]!.metadata.name);
      }
      // the Secret is a template: placeholders only
      for (const v of Object.values(byKind("Secret")[0]!.stringData as Record<string, string>))
        expect(v).toMatch(/^REPLACE_ME\b/);
      // the mounted configuration is a valid .gitops-health.yml
      const cm = byKind("ConfigMap")[0]!;
      expect(() => parseConfigText(cm.data["gitops-health.yml"], "gitops-health.yml")).not.toThrow();
    },
  );

  it("the overlays differ where they should: dev one replica and small, prod three with Istio and sidecar injection", () => {
    const dev = render("overlays/dev");
    const prod = render("overlays/prod");
    const get = (objs: Obj[], kind: string) => objs.find((o) => o.kind === kind)!;
    expect(get(dev, "Deployment").spec.replicas).toBe(1);
    expect(get(dev, "HorizontalPodAutoscaler").spec.minReplicas).toBe(1);
    expect(get(prod, "Deployment").spec.replicas).toBe(3);
    expect(get(prod, "HorizontalPodAutoscaler").spec).toMatchObject({ minReplicas: 3, maxReplicas: 10 });
    expect(get(prod, "Namespace").metadata.labels?.["istio-injection"]).toBe("enabled");
    const svc = get(prod, "Service");
    const host = `${svc.metadata.name}.${svc.metadata.namespace}.svc.cluster.local`;
    expect(get(prod, "DestinationRule").spec.host).toBe(host);
    expect(get(prod, "VirtualService").spec.http[0].route[0].destination).toMatchObject({
      host,
      port: { number: svc.spec.ports[0].port },
    });
    expect(dev.some(isIstio)).toBe(false);
  });

  it("prod: the PrometheusRule's alerts use only metrics /metrics exports (or up), each with a severity and a summary; workers run `worker` on the database", async () => {
    const objs = render("overlays/prod");
    const worker = objs.find((o) => o.kind === "Deployment" && o.metadata.name === "gitops-health-worker")!;
    const c = worker.spec.template.spec.containers[0];
    expect(c.args).toContain("worker");
    expect(c.env.map((e: { name: string }) => e.name)).toContain("GITOPS_HEALTH_DATABASE_URL");
    expect(c.livenessProbe).toBeUndefined(); // no HTTP port: nothing to probe
    const rule = objs.find((o) => o.kind === "PrometheusRule")!;
    const exported = new Set(
      [
        ...readFileSync(join(root, "src", "server", "metrics.ts"), "utf8").matchAll(/name: "(gitops_health_[a-z_]+)"/g),
      ].map((m) => m[1]!),
    );
    expect(exported.size).toBeGreaterThanOrEqual(5);
    const alerts = rule.spec.groups.flatMap(
      (g: {
        rules: { alert: string; expr: string; labels: Record<string, string>; annotations: Record<string, string> }[];
      }) => g.rules,
    );
    expect(alerts.length).toBeGreaterThanOrEqual(6);
    for (const a of alerts) {
      expect(["critical", "warning", "info"], a.alert).toContain(a.labels.severity);
      expect(a.annotations.summary, a.alert).toBeTruthy();
      const used = [...a.expr.matchAll(/\b(gitops_health_[a-z_]+?)(?:_bucket|_count|_sum)?\b(?=[{[\s)]|$)/g)].map(
        (m: RegExpMatchArray) => m[1]!,
      );
      expect(used.length + (/\bup\{/.test(a.expr) ? 1 : 0), a.alert).toBeGreaterThan(0);
      for (const m of used) expect(exported.has(m), `${a.alert}: ${m}`).toBe(true);
    }
    // the model rejects a rule without an expression
    const broken = structuredClone(rule);
    delete broken.spec.groups[0].rules[0].expr;
    await expect(validateBuiltIn(broken)).rejects.toThrow(/expr/);
  });

  it("the validation can fail: a broken object is rejected by its model and a broken Istio object by the field checks", async () => {
    const dep = render("base").find((o) => o.kind === "Deployment")!;
    const broken = structuredClone(dep);
    broken.spec.replicas = "two";
    delete broken.spec.template.spec.containers[0].name;
    await expect(validateBuiltIn(broken)).rejects.toThrow(/replicas must be integer|required property 'name'|name/);
    await expect(validateBuiltIn({ apiVersion: "v1", kind: "Pod", metadata: { name: "x" } })).rejects.toThrow(
      /no kubernetes-models class/,
    );
    const vs = render("overlays/prod").find((o) => o.kind === "VirtualService")!;
    expect(validateIstio({ ...vs, spec: { ...vs.spec, hosts: [] } })).toEqual(["VirtualService: spec.hosts required"]);
  });
});

describe(".ci/run", () => {
  it("installs Debian's kubernetes-client only when kubectl is missing", () => {
    const ci = readFileSync(join(root, ".ci", "run"), "utf8");
    expect(ci).toMatch(
      /command -v kubectl[^\n]*\|\|[^\n]*apt-get install -y[^\n]*kubernetes-client|if ! command -v kubectl[\s\S]*?apt-get install -y[^\n]*kubernetes-client[\s\S]*?fi/,
    );
  });
});
