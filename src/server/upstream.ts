/**
 * The proxy's upstream call over node:http / node:https with keep-alive agents. `fetch` costs the
 * proxy about a millisecond of CPU per call in WHATWG streams, request cloning and abort signals
 * (issue 18: profile in docs/BENCHMARKS.md); this client does the same job for what the proxy needs:
 * one POST with a string body, the status, and the body as text, JSON or a chunk reader.
 *
 * Differences from fetch, on purpose: redirects are not followed (a 3xx is answered as an upstream
 * error), no `accept-encoding` is sent (so the answer comes uncompressed), and the timeout covers
 * the whole call, answer included, as `AbortSignal.timeout` did: an error named `TimeoutError`.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";

export interface UpstreamReader {
  read(): Promise<{ done: boolean; value?: Uint8Array }>;
  cancel(): Promise<void>;
}

/** What the proxy reads of an upstream answer (a fetch Response has all of it). */
export interface UpstreamResponse {
  ok: boolean;
  status: number;
  text(): Promise<string>;
  json(): Promise<unknown>;
  body: { getReader(): UpstreamReader } | null;
}

export interface UpstreamInit {
  method: "POST";
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

export type UpstreamFetch = (url: string, init: UpstreamInit) => Promise<UpstreamResponse>;

const timeoutError = (ms: number) => Object.assign(new Error(`no answer within ${ms} ms`), { name: "TimeoutError" });

/** A client with its own keep-alive agents; `close()` ends their sockets. */
export function upstreamClient(): { fetch: UpstreamFetch; close(): void } {
  const http = new HttpAgent({ keepAlive: true });
  const https = new HttpsAgent({ keepAlive: true });
  // an upstream's URL comes with every call to it: parsed once (a few, from the configuration)
  const urls = new Map<string, URL>();
  const parse = (url: string) => {
    let u = urls.get(url);
    if (!u) {
      u = new URL(url);
      if (urls.size >= 256) urls.clear();
      urls.set(url, u);
    }
    return u;
  };
  const call: UpstreamFetch = (url, init) =>
    new Promise((resolve, reject) => {
      const u = parse(url);
      const secure = u.protocol === "https:";
      if (!secure && u.protocol !== "http:") return reject(new TypeError(`unsupported protocol ${u.protocol}`));
      const body = Buffer.from(init.body, "utf8");
      let res: IncomingMessage | undefined;
      const timer = setTimeout(() => {
        const err = timeoutError(init.timeoutMs);
        if (res) res.destroy(err);
        req.destroy(err);
      }, init.timeoutMs);
      const req = (secure ? httpsRequest : httpRequest)(u, {
        method: init.method,
        agent: secure ? https : http,
        headers: { ...init.headers, "content-length": String(body.length) },
      });
      req.on("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.on("response", (r) => {
        res = r;
        r.on("close", () => clearTimeout(timer));
        const status = r.statusCode ?? 0;
        // the whole body by its events (an async iterator costs a stream wrapper and a promise per chunk)
        const text = () =>
          new Promise<string>((done, fail) => {
            const parts: Buffer[] = [];
            r.on("data", (c: Buffer) => parts.push(c));
            r.once("end", () =>
              done(parts.length === 1 ? parts[0]!.toString("utf8") : Buffer.concat(parts).toString("utf8")),
            );
            r.once("error", fail);
            // destroyed before its end (the timeout, a reset): the error, or an abort for a plain close
            r.once("close", () => {
              if (!r.complete) fail(r.errored ?? Object.assign(new Error("aborted"), { code: "ECONNRESET" }));
            });
          });
        resolve({
          ok: status >= 200 && status < 300,
          status,
          text,
          json: async () => JSON.parse(await text()) as unknown,
          body: {
            getReader: () => {
              const it = r[Symbol.asyncIterator]();
              return {
                read: async () => {
                  const n = await it.next();
                  return n.done ? { done: true } : { done: false, value: n.value as Buffer };
                },
                cancel: async () => void r.destroy(),
              };
            },
          },
        });
      });
      req.end(body);
    });
  return {
    fetch: call,
    close: () => {
      http.destroy();
      https.destroy();
    },
  };
}
