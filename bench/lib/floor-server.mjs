// The protocol floor for bench/server-floor.ts: `node bench/lib/floor-server.mjs <http|fastify> <responses.json>`
// listens on 127.0.0.1 (any free port), reads a JSON body, checks that it has a string `text` (or `records`),
// and answers 200 with the response recorded from the real service for that body's profile (same bytes),
// so what differs from the service is everything between the socket and the scan engine.
import { createServer } from "node:http";
import { readFileSync } from "node:fs";

const [mode, file] = process.argv.slice(2);
/** @type {Record<string, string>} */
const responses = JSON.parse(readFileSync(file, "utf8"));
const answer = (body) => {
  if (!body || (typeof body.text !== "string" && !Array.isArray(body.records))) return undefined;
  return responses[`${body.records ? "batch:" : ""}${body.profile ?? "prose"}`];
};
const ready = (port) => process.stderr.write(`serving on http://127.0.0.1:${port}\n`);

if (mode === "http") {
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      let out;
      try {
        out = answer(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      } catch {
        out = undefined;
      }
      if (out === undefined) {
        res.writeHead(400, { "content-type": "application/problem+json" });
        res.end('{"type":"about:blank","title":"Bad Request","status":400}');
        return;
      }
      res.writeHead(200, {
        "content-type": "application/json; charset=utf-8",
        "content-length": Buffer.byteLength(out),
      });
      res.end(out);
    });
  });
  server.listen(0, "127.0.0.1", () => ready(server.address().port));
} else if (mode === "fastify") {
  const Fastify = (await import("fastify")).default;
  const app = Fastify({ logger: false });
  app.post("/v1/scan", async (req, reply) => {
    const out = answer(req.body);
    if (out === undefined) return reply.code(400).type("application/problem+json").send('{"status":400}');
    reply.type("application/json; charset=utf-8");
    return out;
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  ready(app.server.address().port);
} else {
  process.stderr.write("usage: floor-server.mjs <http|fastify> <responses.json>\n");
  process.exit(2);
}
process.on("SIGTERM", () => process.exit(0));
