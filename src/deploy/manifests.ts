/**
 * Manifest builders (pure): typed models from `kubernetes-models` and `@kubernetes-models/argo-rollouts`.
 * Deployments and Services are validated by their models (precompiled validators); Argo Rollouts objects
 * and the Flagger `Canary` by ajv validators precompiled from the same CRD schemas (the Argo models'
 * schemas, and the vendored Flagger CRD in schemas/) into generated/validators.js by
 * scripts/write-deploy-validators.ts: the Argo models compile theirs at run time, ~1.7 s per process.
 * Nothing here writes files.
 */
// Types only: the Argo models' classes would load ~1 MB of schema source and ajv just to be constructed.
import type { IRollout } from "@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/Rollout";
import type { IAnalysisTemplate } from "@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/AnalysisTemplate";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { Service } from "kubernetes-models/v1/Service";
import { Ingress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
import { stringify } from "yaml";
import { UserError } from "../core/errors.js";
import type { DeployConfig } from "../config/schema.js";
import { source as validatorSource, type GeneratedValidator } from "./generated/validators.js";
import { checkWeights, type Strategy } from "./strategy.js";

export type Target = "argo-rollouts" | "flagger" | "kubernetes";
export const TARGETS: readonly Target[] = ["argo-rollouts", "flagger", "kubernetes"];
export type Routing = DeployConfig["trafficRouting"];

export interface ManifestInput {
  service: string;
  namespace: string;
  image: string;
  strategy: Strategy;
  target: Target;
  routing: Routing;
  replicas: number;
  port: number;
  weights: number[];
  pause: string;
  analysis: DeployConfig["analysis"];
  /** stable NGINX ingress name */
  ingress?: string;
  /** approval gate: the service endpoint asked before promotion */
  gate?: { url: string };
  /** emergency rollback: promote at once, no analysis (Argo: no steps; Flagger: skipAnalysis) */
  rollback?: boolean;
}

/** The manifest input a service's deploy configuration gives; the caller picks strategy, target and image. */
export function manifestInputFrom(
  d: DeployConfig,
  o: { service: string; image: string; strategy: Strategy; target: Target },
): ManifestInput {
  return {
    service: o.service,
    namespace: d.namespace,
    image: o.image,
    strategy: o.strategy,
    target: o.target,
    routing: d.trafficRouting,
    replicas: d.replicas,
    port: d.port,
    weights: d.canarySteps,
    pause: d.pause,
    analysis: d.analysis,
    ingress: d.ingress,
  };
}

export interface Manifest {
  /** file name, e.g. rollout-api.yaml */
  file: string;
  object: Record<string, unknown>;
}

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const IMAGE = /^[A-Za-z0-9][A-Za-z0-9._\-/:@]*$/;

/** The approval-gate URL for a run (the service routes /v1/runs/{id}/gate; the digest binds it to this plan). */
export function gateUrl(baseUrl: string, runId: string, digest: string): string {
  return `${baseUrl.replace(/\/+$/, "")}/v1/runs/${encodeURIComponent(runId)}/gate?digest=${digest}`;
}

function plain(model: { validate(): void; toJSON(): unknown }, what: string): Record<string, unknown> {
  try {
    model.validate();
  } catch (err) {
    throw new UserError(`invalid ${what}: ${(err as Error).message.split("\n")[0]}`);
  }
  return JSON.parse(JSON.stringify(model)) as Record<string, unknown>;
}

type Validators = {
  Rollout: GeneratedValidator;
  AnalysisTemplate: GeneratedValidator;
  FlaggerCanary: GeneratedValidator;
};
let compiled: Validators | undefined;
/** The precompiled validators, compiled from their source on first use (our own generated code, no input). */
function validators(): Validators {
  if (!compiled) {
    const exports = {} as Validators;
    new Function("exports", validatorSource)(exports);
    compiled = exports;
  }
  return compiled;
}

/** Plain JSON of a model, checked by a precompiled CRD validator. */
function checked(model: object, kind: "Rollout" | "AnalysisTemplate", what: string): Record<string, unknown> {
  const validator = validators()[kind];
  const o = JSON.parse(JSON.stringify(model)) as Record<string, unknown>;
  if (!validator(o)) {
    const e = validator.errors?.[0];
    throw new UserError(
      `invalid ${what}: ${e?.instancePath ? `data${e.instancePath}` : "data"} ${e?.message ?? "does not match the CRD schema"}`,
    );
  }
  return o;
}

/** Validate a Flagger Canary against the vendored CRD schema; throws UserError with the first problem. */
export function validateFlaggerCanary(o: unknown): void {
  const validateCanary = validators().FlaggerCanary;
  if (!validateCanary(o)) {
    const e = validateCanary.errors?.[0];
    throw new UserError(
      `invalid Flagger Canary: ${e?.instancePath || "/"} ${e?.message ?? "does not match the CRD schema"}`,
    );
  }
  const spec = o as { apiVersion?: string; kind?: string };
  if (spec.apiVersion !== "flagger.app/v1beta1" || spec.kind !== "Canary")
    throw new UserError("invalid Flagger Canary: apiVersion/kind");
}

function checkInput(i: ManifestInput): void {
  if (!NAME.test(i.service) || i.service.length > 50)
    throw new UserError(`invalid service name "${i.service}": lowercase letters, digits and '-', at most 50`);
  if (!NAME.test(i.namespace)) throw new UserError(`invalid namespace "${i.namespace}"`);
  if (!IMAGE.test(i.image)) throw new UserError(`invalid image reference "${i.image}"`);
  if (i.strategy === "canary" && !i.rollback) {
    const bad = checkWeights(i.weights);
    if (bad) throw new UserError(`impossible canary plan: ${bad}`);
  }
}

const labels = (i: ManifestInput) => ({ app: i.service });
const meta = (i: ManifestInput, name = i.service) => ({
  name,
  namespace: i.namespace,
  labels: { ...labels(i), "app.kubernetes.io/managed-by": "gitops-health" },
});

function podTemplate(i: ManifestInput) {
  return {
    metadata: { labels: labels(i) },
    spec: {
      containers: [
        { name: i.service, image: i.image, ports: [{ name: "http", containerPort: i.port, protocol: "TCP" as const }] },
      ],
    },
  };
}

function service(i: ManifestInput, name: string): Manifest {
  const s = new Service({
    metadata: meta(i, name),
    spec: {
      selector: labels(i),
      ports: [{ name: "http", port: i.port, targetPort: "http", protocol: "TCP" as const }],
    },
  });
  return { file: `service-${name}.yaml`, object: plain(s, `Service ${name}`) };
}

type VirtualServiceModel = new (data: Record<string, unknown>) => { validate(): void; toJSON(): unknown };
let virtualService: VirtualServiceModel | undefined;
/**
 * Load what a routing needs before buildManifests (which is synchronous): the Istio VirtualService model
 * and its precompiled validator cost a few hundred milliseconds, so only plans routed by Istio load them.
 */
export async function prepareManifests(routing: Routing): Promise<void> {
  if (routing === "istio" && !virtualService)
    virtualService = (await import("@kubernetes-models/istio/networking.istio.io/v1/VirtualService"))
      .VirtualService as unknown as VirtualServiceModel;
}

/**
 * The traffic objects an Argo canary routes through: Istio's VirtualService with the `primary` route
 * (stable at 100, canary at 0: the Rollout moves the weights), or the stable NGINX Ingress (the Rollout
 * creates its canary Ingress from it). Flagger makes its own VirtualService, but reads this Ingress.
 */
function trafficObjects(i: ManifestInput): Manifest[] {
  if (i.routing === "nginx") {
    const name = i.ingress ?? i.service;
    const ing = new Ingress({
      metadata: meta(i, name),
      spec: {
        ingressClassName: "nginx",
        rules: [
          {
            http: {
              paths: [
                { path: "/", pathType: "Prefix", backend: { service: { name: i.service, port: { number: i.port } } } },
              ],
            },
          },
        ],
      },
    });
    return [{ file: `ingress-${name}.yaml`, object: plain(ing, `Ingress ${name}`) }];
  }
  if (i.routing === "istio") {
    if (!virtualService) throw new Error('prepareManifests("istio") must run before buildManifests');
    const vs = new virtualService({
      metadata: meta(i),
      spec: {
        hosts: [i.service],
        http: [
          {
            name: "primary",
            route: [
              { destination: { host: i.service }, weight: 100 },
              { destination: { host: `${i.service}-canary` }, weight: 0 },
            ],
          },
        ],
      },
    });
    return [{ file: `virtualservice-${i.service}.yaml`, object: plain(vs, `VirtualService ${i.service}`) }];
  }
  return [];
}

function deployment(i: ManifestInput, replicas = i.replicas): Manifest {
  const d = new Deployment({
    metadata: meta(i),
    spec: {
      replicas,
      selector: { matchLabels: labels(i) },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 0 } },
      template: podTemplate(i),
    },
  });
  return { file: `deployment-${i.service}.yaml`, object: plain(d, `Deployment ${i.service}`) };
}

const analysisTemplate = (t: Omit<IAnalysisTemplate, "apiVersion" | "kind">): IAnalysisTemplate => ({
  apiVersion: "argoproj.io/v1alpha1",
  kind: "AnalysisTemplate",
  ...t,
});

/** Prometheus success-rate and latency templates, and the approval-gate web metric when a gate is set. */
function analysisTemplates(i: ManifestInput): Manifest[] {
  const a = i.analysis;
  const sel = 'service="{{args.service-name}}"';
  const out = [
    analysisTemplate({
      metadata: meta(i, `${i.service}-success-rate`),
      spec: {
        args: [{ name: "service-name" }],
        metrics: [
          {
            name: "success-rate",
            interval: a.interval,
            failureLimit: a.failureLimit,
            successCondition: `len(result) == 0 || result[0] >= ${a.successRate}`,
            provider: {
              prometheus: {
                address: a.prometheusAddress,
                query: `sum(rate(http_requests_total{${sel},code!~"5.."}[5m])) / sum(rate(http_requests_total{${sel}}[5m]))`,
              },
            },
          },
        ],
      },
    }),
    analysisTemplate({
      metadata: meta(i, `${i.service}-latency`),
      spec: {
        args: [{ name: "service-name" }],
        metrics: [
          {
            name: "latency-p99-ms",
            interval: a.interval,
            failureLimit: a.failureLimit,
            successCondition: `len(result) == 0 || result[0] <= ${a.latencyP99Ms}`,
            provider: {
              prometheus: {
                address: a.prometheusAddress,
                query: `1000 * histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket{${sel}}[5m])) by (le))`,
              },
            },
          },
        ],
      },
    }),
  ];
  if (i.gate) {
    out.push(
      analysisTemplate({
        metadata: meta(i, `${i.service}-approval-gate`),
        spec: {
          metrics: [
            {
              // One measurement when the rollout reaches the gate: the run's approvals must already be complete
              // and signed over this plan's digest; "pending" or "invalidated" fails the analysis and aborts the
              // rollout (fail-safe; after approving, `kubectl argo rollouts retry rollout`). Errors reaching the
              // service are retried, never counted as approval.
              name: "approval-gate",
              failureLimit: 0,
              consecutiveErrorLimit: 10,
              successCondition: 'result == "approved"',
              provider: { web: { url: i.gate.url, jsonPath: "{$.status}", timeoutSeconds: 10 } },
            },
          ],
        },
      }),
    );
  }
  return out.map((t) => ({
    file: `analysistemplate-${t.metadata!.name}.yaml`,
    object: checked(t, "AnalysisTemplate", `AnalysisTemplate ${t.metadata!.name}`),
  }));
}

const tmpl = (i: ManifestInput, ...names: string[]) => names.map((n) => ({ templateName: `${i.service}-${n}` }));

function argoRollout(i: ManifestInput): Manifest[] {
  const files: Manifest[] = [];
  let strategy: Record<string, unknown>;
  if (i.rollback) {
    // The previous stable image, promoted at once: a canary without steps goes straight to 100%.
    strategy = { canary: { steps: [] } };
  } else if (i.strategy === "blue-green") {
    files.push(service(i, i.service), service(i, `${i.service}-preview`));
    strategy = {
      blueGreen: {
        activeService: i.service,
        previewService: `${i.service}-preview`,
        autoPromotionEnabled: !i.gate,
        prePromotionAnalysis: {
          templates: tmpl(i, "success-rate", "latency", ...(i.gate ? ["approval-gate"] : [])),
          args: [{ name: "service-name", value: `${i.service}-preview` }],
        },
        scaleDownDelaySeconds: 600,
      },
    };
  } else {
    const routed = i.routing !== "replica";
    const canaryName = routed ? `${i.service}-canary` : i.service;
    files.push(service(i, i.service));
    if (routed) files.push(service(i, `${i.service}-canary`), ...trafficObjects(i));
    const steps: Record<string, unknown>[] = [];
    const analysis = {
      templates: tmpl(i, "success-rate", "latency"),
      args: [{ name: "service-name", value: canaryName }],
    };
    for (const w of i.weights) {
      if (w === 100) {
        if (i.gate) steps.push({ analysis: { templates: tmpl(i, "approval-gate") } });
        steps.push({ setWeight: 100 });
        break;
      }
      steps.push({ setWeight: w }, { pause: { duration: i.pause.replace(/\s+/g, "") } }, { analysis });
    }
    const trafficRouting =
      i.routing === "istio"
        ? { istio: { virtualService: { name: i.service, routes: ["primary"] } } }
        : i.routing === "nginx"
          ? { nginx: { stableIngress: i.ingress ?? i.service } }
          : i.routing === "smi"
            ? { smi: { trafficSplitName: i.service } }
            : undefined;
    strategy = {
      canary: {
        ...(routed ? { stableService: i.service, canaryService: `${i.service}-canary`, trafficRouting } : {}),
        steps,
      },
    };
  }
  const r: IRollout = {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Rollout",
    metadata: meta(i),
    spec: {
      replicas: i.replicas,
      revisionHistoryLimit: 5,
      selector: { matchLabels: labels(i) },
      template: podTemplate(i),
      strategy,
    },
  };
  return [
    { file: `rollout-${i.service}.yaml`, object: checked(r, "Rollout", `Rollout ${i.service}`) },
    ...files,
    ...(i.rollback ? [] : analysisTemplates(i)),
  ];
}

function flaggerCanary(i: ManifestInput): Manifest[] {
  const a = i.analysis;
  const metrics = [
    {
      name: "request-success-rate",
      interval: a.interval,
      thresholdRange: { min: Math.round(a.successRate * 10000) / 100 },
    },
    { name: "request-duration", interval: a.interval, thresholdRange: { max: a.latencyP99Ms } },
  ];
  const webhooks = i.gate
    ? [{ name: "approval-gate", type: "confirm-promotion", url: i.gate.url, timeout: "10s" }]
    : [];
  let provider: string;
  let analysis: Record<string, unknown>;
  if (i.strategy === "blue-green" || i.rollback) {
    provider = i.routing === "replica" ? "kubernetes" : i.routing === "smi" ? "smi:v1alpha3" : i.routing;
    analysis = { interval: a.interval, threshold: a.failureLimit + 1, iterations: 10, metrics, webhooks };
  } else {
    if (i.routing === "replica")
      throw new UserError(
        "a Flagger canary shifts traffic through a mesh or ingress: set deploy.trafficRouting to istio, nginx or smi (or use --target argo-rollouts)",
      );
    provider = i.routing === "smi" ? "smi:v1alpha3" : i.routing;
    analysis = {
      interval: a.interval,
      threshold: a.failureLimit + 1,
      stepWeights: i.weights.filter((w) => w < 100),
      metrics,
      webhooks,
    };
  }
  const canary = {
    apiVersion: "flagger.app/v1beta1",
    kind: "Canary",
    metadata: meta(i),
    spec: {
      provider,
      targetRef: { apiVersion: "apps/v1", kind: "Deployment", name: i.service },
      ...(i.routing === "nginx" && i.strategy !== "blue-green"
        ? { ingressRef: { apiVersion: "networking.k8s.io/v1", kind: "Ingress", name: i.ingress ?? i.service } }
        : {}),
      progressDeadlineSeconds: 600,
      service: { port: i.port, targetPort: i.port },
      ...(i.rollback ? { skipAnalysis: true } : {}),
      analysis,
    },
  };
  validateFlaggerCanary(canary);
  return [
    deployment(i),
    { file: `canary-${i.service}.yaml`, object: canary },
    ...(i.routing === "nginx" && i.strategy !== "blue-green" ? trafficObjects(i) : []),
  ];
}

/** Every manifest for the plan, validated. Refuses plans the target cannot carry out. */
export function buildManifests(i: ManifestInput): Manifest[] {
  checkInput(i);
  if (i.strategy === "standard" || (i.rollback && i.target === "kubernetes"))
    return [deployment(i), service(i, i.service)];
  if (i.target === "kubernetes")
    throw new UserError(
      `target kubernetes deploys only the standard strategy (a rolling update); ${i.strategy} needs --target argo-rollouts or flagger`,
    );
  return i.target === "flagger" ? flaggerCanary(i) : argoRollout(i);
}

/** A manifest as YAML, as written to disk. */
export function manifestYaml(object: unknown): string {
  return stringify(object, { lineWidth: 0 });
}
