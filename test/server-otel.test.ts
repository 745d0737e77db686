/**
 * OpenTelemetry: the built `serve` exports spans over OTLP/HTTP only when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set. The receiver is a plain HTTP server on 127.0.0.1 port 0
 * that keeps what it is sent (OTLP JSON, OTEL_EXPORTER_OTLP_PROTOCOL=http/json). Spans name the
 * route template; no request body, query string or planted identifier reaches the exporter.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { makeTempDir, runCli } from "./helpers/repo.js";

const CLI = join(import.meta.dirname, "..", "dist", "cli.js");
const SSN = "219-09-9999";
const MARKER = "Okonkwo-7731";

interface Received {
  path: string;
  body: string;
}

async function serve(
  dir: string,
  env: Record<string, string>,
): Promise<{ base: string; stop: () => Promise<{ code: number | null; stderr: string }>; stderr: () => string }> {
  const child = spawn(process.execPath, [CLI, "serve", "--port", "0", "--log-level", "warn"], {
    cwd: dir,
    env: { ...process.env, GITOPS_HEALTH_LEDGER: join(dir, "ledger"), ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  const base = await new Promise<string>((resolve, reject) => {
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      const m = /serving on (http:\/\/[\d.:]+)/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    child.on("exit", (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
  return {
    base,
    stderr: () => stderr,
    stop: () =>
      new Promise((res) => {
        child.on("exit", (code) => res({ code, stderr }));
        child.kill("SIGTERM");
      }),
  };
}

describe("OpenTelemetry over OTLP/HTTP", () => {
  let receiver: Server;
  let endpoint: string;
  const received: Received[] = [];
  const dir = makeTempDir("gh-otel-");
  let token = "";

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        received.push({ path: req.url ?? "", body });
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
    endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    const created = runCli(["token", "create", "--name", "ci", "--scope", "scan"], {
      cwd: dir,
      env: { GITOPS_HEALTH_LEDGER: join(dir, "ledger") },
    });
    expect(created.code).toBe(0);
    token = created.stdout.trim();
  });
  afterAll(() => new Promise<void>((r) => receiver.close(() => r())));

  const traffic = async (base: string) => {
    const h = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    expect(
      (
        await fetch(`${base}/v1/scan`, {
          method: "POST",
          headers: h,
          body: JSON.stringify({ text: `Patient ${MARKER}, SSN ${SSN}` }),
        })
      ).status,
    ).toBe(200);
    expect(
      (await fetch(`${base}/v1/ledger/entries?subject=${MARKER}`, { headers: { authorization: h.authorization } }))
        .status,
    ).toBe(200);
    expect((await fetch(`${base}/v1/scan`, { method: "POST", headers: h, body: `{"text": "${SSN}"` })).status).toBe(
      400,
    );
  };

  it("without OTEL_EXPORTER_OTLP_ENDPOINT nothing is exported", async () => {
    const s = await serve(dir, {});
    await traffic(s.base);
    const { code, stderr } = await s.stop();
    expect(code).toBe(0);
    expect(stderr).not.toContain("traces exported");
    expect(received).toHaveLength(0);
  });

  it("with it, request spans reach the receiver with route templates and never a body, query or identifier", async () => {
    const s = await serve(dir, {
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_BSP_SCHEDULE_DELAY: "100",
      OTEL_METRICS_EXPORTER: "none",
      OTEL_LOGS_EXPORTER: "none",
      OTEL_SERVICE_NAME: "gh-otel-test",
    });
    expect(s.stderr()).toContain("traces exported over OTLP");
    await traffic(s.base);
    // SIGTERM flushes the batch processor before exiting
    const { code } = await s.stop();
    expect(code).toBe(0);
    const traces = received.filter((r) => r.path === "/v1/traces");
    expect(traces.length).toBeGreaterThan(0);
    type Attr = { key: string; value: { stringValue?: string; intValue?: number | string } };
    const spans = traces.flatMap((t) =>
      (
        JSON.parse(t.body) as {
          resourceSpans: {
            resource: { attributes: Attr[] };
            scopeSpans: { spans: { name: string; attributes: Attr[] }[] }[];
          }[];
        }
      ).resourceSpans.flatMap((rs) =>
        rs.scopeSpans.flatMap((ss) => ss.spans.map((sp) => ({ ...sp, resource: rs.resource.attributes }))),
      ),
    );
    const attr = (sp: { attributes: Attr[] }, k: string) => sp.attributes.find((a) => a.key === k)?.value.stringValue;
    const requests = spans.filter((sp) => sp.name === "request");
    expect(requests.map((sp) => attr(sp, "http.route")).sort()).toEqual(["/v1/ledger/entries", "/v1/scan", "/v1/scan"]);
    expect(requests.map((sp) => attr(sp, "url.path")).sort()).toEqual(["/v1/ledger/entries", "/v1/scan", "/v1/scan"]);
    expect(requests[0]!.resource.find((a) => a.key === "service.name")?.value.stringValue).toBe("gh-otel-test");
    for (const t of traces) for (const planted of [SSN, MARKER]) expect(t.body).not.toContain(planted);
  });
});
