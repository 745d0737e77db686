/**
 * Upstream routing by model name: aliases first (`alias -> model` or `alias -> upstream:model`),
 * then the first upstream whose `models` list matches (a trailing `*` matches a prefix).
 */
import type { ProxyConfig, ProxyUpstream } from "../config/schema.js";

export type Protocol = "openai" | "anthropic";

export interface Route {
  upstream: ProxyUpstream;
  /** the model name sent upstream */
  model: string;
  /** what the caller asked for, when it was an alias */
  alias?: string;
}

export const DEFAULT_BASE_URLS: Partial<Record<ProxyUpstream["type"], string>> = {
  openai: "https://api.openai.com/v1",
  anthropic: "https://api.anthropic.com/v1",
  google: "https://generativelanguage.googleapis.com/v1beta/openai",
};

export const protocolOf = (u: ProxyUpstream): Protocol => (u.type === "anthropic" ? "anthropic" : "openai");

const matches = (pattern: string, model: string) =>
  pattern.endsWith("*") ? model.startsWith(pattern.slice(0, -1)) : pattern === model;

export type RouteResult = { ok: true; route: Route } | { ok: false; reason: string };

export function resolveRoute(config: Pick<ProxyConfig, "upstreams" | "aliases">, requested: string): RouteResult {
  let model = requested;
  let pinned: string | undefined;
  const target = config.aliases[requested];
  if (target !== undefined) {
    const colon = target.indexOf(":");
    if (colon > 0 && config.upstreams.some((u) => u.name === target.slice(0, colon))) {
      pinned = target.slice(0, colon);
      model = target.slice(colon + 1);
    } else model = target;
  }
  const upstream = pinned
    ? config.upstreams.find((u) => u.name === pinned)
    : config.upstreams.find((u) => u.models.some((p) => matches(p, model)));
  if (!upstream) return { ok: false, reason: `no upstream serves model "${requested}"` };
  return { ok: true, route: { upstream, model, ...(target !== undefined ? { alias: requested } : {}) } };
}

/** Every model name callers may ask for: aliases and the exact (non-wildcard) names of upstreams. */
export function listModels(config: Pick<ProxyConfig, "upstreams" | "aliases">): { id: string; owned_by: string }[] {
  const out = new Map<string, string>();
  for (const u of config.upstreams) for (const m of u.models) if (!m.endsWith("*")) out.set(m, u.name);
  for (const a of Object.keys(config.aliases)) {
    const r = resolveRoute(config, a);
    if (r.ok) out.set(a, r.route.upstream.name);
  }
  return [...out].map(([id, owned_by]) => ({ id, owned_by }));
}

/** The URL and headers of an upstream call (the key is passed in by the front). */
export function upstreamRequest(
  u: ProxyUpstream,
  path: "chat/completions" | "embeddings" | "messages",
  model: string,
  apiKey: string | undefined,
): { url: string; headers: Record<string, string> } {
  const base = (u.baseURL ?? DEFAULT_BASE_URLS[u.type] ?? "").replace(/\/+$/, "");
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (u.type === "azure") {
    if (apiKey) headers["api-key"] = apiKey;
    return {
      url: `${base}/openai/deployments/${encodeURIComponent(model)}/${path}?api-version=${encodeURIComponent(u.apiVersion ?? "2024-10-21")}`,
      headers,
    };
  }
  if (u.type === "anthropic") {
    if (apiKey) headers["x-api-key"] = apiKey;
    headers["anthropic-version"] = "2023-06-01";
    return { url: `${base}/${path}`, headers };
  }
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;
  return { url: `${base}/${path}`, headers };
}
