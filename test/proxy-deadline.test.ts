// The proxy's routes have the deadline of a model call, not the service's (issue 18: Fastify's handlerTimeout, which
// they had, never fires on a POST whose body was read, and cost an AbortController and a DOMException per call; the
// service's deadline sweep now takes a route's own config.timeoutMs).
import { describe, expect, it } from "vitest";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { openLedger } from "../src/audit/index.js";
import { ProxyConfig } from "../src/config/schema.js";
import { buildApp } from "../src/server/app.js";
import { createToken, FileTokenStore } from "../src/server/tokens.js";
import { makeTempDir } from "./helpers/repo.js";

describe("route deadlines", () => {
  it("a proxied call slower than the service's request timeout is answered (its deadline is the upstream's + 10 s)", async () => {
    // an upstream that answers after 700 ms; the service's own deadline is 200 ms
    const upstream = createServer((req, res) => {
      req.resume();
      req.on("end", () =>
        setTimeout(() => {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(
            JSON.stringify({
              id: "c",
              object: "chat.completion",
              model: "m",
              choices: [{ index: 0, message: { role: "assistant", content: "Noted." }, finish_reason: "stop" }],
            }),
          );
        }, 700),
      );
    });
    await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
    const dir = makeTempDir("gh-proxy-deadline-");
    const ledger = await openLedger(join(dir, "ledger"));
    const tokens = new FileTokenStore(join(dir, "tokens.json"));
    const { token } = await createToken(tokens, { name: "t", scopes: ["llm"] });
    const app = await buildApp({
      ledger,
      tokens,
      digestKey: "k",
      logStream: false,
      requestTimeoutMs: 200,
      proxy: {
        config: ProxyConfig.parse({
          timeoutMs: 5_000,
          upstreams: [
            {
              name: "slow",
              type: "openai-compatible",
              baseURL: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`,
              models: ["m"],
            },
          ],
        }),
        defaultClassification: "business",
        keys: {},
        sandbox: false,
      },
    });
    const base = await app.listen({ host: "127.0.0.1", port: 0 });
    try {
      const r = await fetch(`${base}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "Summarise the plan." }] }),
      });
      expect(r.status).toBe(200);
      expect(((await r.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toBe(
        "Noted.",
      );
    } finally {
      await app.close();
      await ledger.close();
      upstream.closeAllConnections();
      await new Promise((r) => upstream.close(r));
    }
  }, 60_000);
});
