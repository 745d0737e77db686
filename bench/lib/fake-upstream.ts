// The fake OpenAI-compatible upstream of the proxy benches (latency, CPU, throughput): every chat completion
// is answered at once with one short sentence, so what a bench measures is the proxy, not a model.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export async function startFakeUpstream(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (c: Buffer) => parts.push(c));
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(parts).toString("utf8")) as { model: string };
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          id: "c",
          object: "chat.completion",
          created: 0,
          model: body.model,
          choices: [
            { index: 0, message: { role: "assistant", content: "The plan is unchanged." }, finish_reason: "stop" },
          ],
          usage: { prompt_tokens: 500, completion_tokens: 5, total_tokens: 505 },
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1` };
}
