// The proxy's upstream client (src/server/upstream.ts): node:http with keep-alive in place of fetch.
import { afterAll, describe, expect, it } from "vitest";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { upstreamClient } from "../src/server/upstream.js";

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;
let handler: Handler = (_req, _body, res) => res.end();
const seen: { headers: IncomingMessage["headers"]; body: string; socket: number }[] = [];
const sockets = new Map<unknown, number>();
const server = createServer((req, res) => {
  const parts: Buffer[] = [];
  req.on("data", (c: Buffer) => parts.push(c));
  req.on("end", () => {
    const body = Buffer.concat(parts).toString("utf8");
    if (!sockets.has(req.socket)) sockets.set(req.socket, sockets.size + 1);
    seen.push({ headers: req.headers, body, socket: sockets.get(req.socket)! });
    handler(req, body, res);
  });
});
await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const client = upstreamClient();
afterAll(async () => {
  client.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
const post = (body: string, timeoutMs = 5000) =>
  client.fetch(`${base}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer k" },
    body,
    timeoutMs,
  });

describe("upstream client", () => {
  it("posts the body with its length and headers, reads JSON, and keeps the connection alive", async () => {
    handler = (_req, body, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ echo: JSON.parse(body) as unknown }));
    };
    seen.length = 0;
    const body = JSON.stringify({ model: "m", text: "é ✓ 𝄞" });
    for (let i = 0; i < 3; i++) {
      const r = await post(body);
      expect([r.ok, r.status]).toEqual([true, 200]);
      expect(await r.json()).toEqual({ echo: JSON.parse(body) });
    }
    expect(seen.map((s) => s.body)).toEqual([body, body, body]);
    expect(seen[0]!.headers["content-length"]).toBe(String(Buffer.byteLength(body)));
    expect(seen[0]!.headers.authorization).toBe("Bearer k");
    expect(seen[0]!.headers["accept-encoding"]).toBeUndefined();
    expect(new Set(seen.map((s) => s.socket)).size).toBe(1);
  });

  it("answers errors with their status and text, and does not follow redirects", async () => {
    handler = (_req, _body, res) => {
      res.writeHead(503, { "content-type": "application/json" });
      res.end('{"error":{"message":"overloaded"}}');
    };
    const r = await post("{}");
    expect([r.ok, r.status, await r.text()]).toEqual([false, 503, '{"error":{"message":"overloaded"}}']);
    handler = (_req, _body, res) => {
      res.writeHead(307, { location: "/elsewhere" });
      res.end();
    };
    const moved = await post("{}");
    expect([moved.ok, moved.status]).toEqual([false, 307]);
  });

  it("reads a stream chunk by chunk", async () => {
    handler = (_req, _body, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write("data: 1\n\n");
      setTimeout(() => res.end("data: [DONE]\n\n"), 20);
    };
    const r = await post("{}");
    const reader = r.body!.getReader();
    const dec = new TextDecoder();
    let text = "";
    for (;;) {
      const c = await reader.read();
      if (c.done) break;
      text += dec.decode(c.value, { stream: true });
    }
    expect(text).toBe("data: 1\n\ndata: [DONE]\n\n");
  });

  it("times out as AbortSignal.timeout did: before the answer, and in the middle of a stream", async () => {
    handler = () => undefined; // never answers
    const e = (await post("{}", 100).catch((x: unknown) => x)) as Error;
    expect(e.name).toBe("TimeoutError");
    handler = (_req, _body, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write("data: 1\n\n"); // and nothing more
    };
    const r = await post("{}", 150);
    const reader = r.body!.getReader();
    expect((await reader.read()).done).toBe(false);
    const late = (await reader.read().catch((x: unknown) => x)) as Error;
    expect(late.name).toBe("TimeoutError");
  });

  it("reads a whole body in parts, and fails (never hangs) when the body stops or breaks off", async () => {
    handler = (_req, _body, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"a":"');
      setTimeout(() => res.end('é"}'), 20);
    };
    expect(await (await post("{}")).json()).toEqual({ a: "é" });
    handler = (_req, _body, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "100" });
      res.write('{"a":'); // and nothing more
    };
    const stalled = await post("{}", 150);
    expect(((await stalled.text().catch((x: unknown) => x)) as Error).name).toBe("TimeoutError");
    handler = (_req, _body, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "100" });
      res.write('{"a":');
      setTimeout(() => res.socket?.destroy(), 20);
    };
    const broken = await post("{}");
    const e = (await broken.text().catch((x: unknown) => x)) as Error;
    expect(e).toBeInstanceOf(Error);
    expect(e.name).not.toBe("TimeoutError");
  });

  it("rejects when nothing listens", async () => {
    const e = (await client
      .fetch("http://127.0.0.1:9/v1/chat/completions", { method: "POST", headers: {}, body: "{}", timeoutMs: 2000 })
      .catch((x: unknown) => x)) as Error & { code?: string };
    expect(e).toBeInstanceOf(Error);
    expect(e.name).not.toBe("TimeoutError");
  });
});
