/**
 * OpenTelemetry for the service, loaded only when an OTLP endpoint is configured (the front
 * passes `OTEL_EXPORTER_OTLP_ENDPOINT`): `@opentelemetry/sdk-node` with its OTLP exporter (the
 * standard OTEL_* variables choose protocol, headers and sampling) and `@fastify/otel` for request,
 * hook and handler spans. Span attributes follow the logs' rule: the route template, never the
 * URL (`url.path` would carry query strings and path identifiers).
 */
import type { FastifyPluginCallback } from "fastify";

export interface Telemetry {
  /** register first in buildApp, before any route */
  plugin(): FastifyPluginCallback;
  /** flush pending spans and stop the exporter */
  shutdown(): Promise<void>;
}

export async function startTelemetry(o: {
  endpoint: string | undefined;
  serviceName: string;
}): Promise<Telemetry | undefined> {
  if (!o.endpoint) return undefined;
  const { NodeSDK } = await import("@opentelemetry/sdk-node");
  const { FastifyOtelInstrumentation } = await import("@fastify/otel");
  const instrumentation = new FastifyOtelInstrumentation({
    requestHook: (span, request) => {
      span.setAttribute("url.path", request.routeOptions?.url ?? "(no route)");
    },
  });
  const sdk = new NodeSDK({
    serviceName: o.serviceName,
    instrumentations: [instrumentation],
  });
  sdk.start();
  return {
    plugin: () => instrumentation.plugin(),
    shutdown: () => sdk.shutdown(),
  };
}
