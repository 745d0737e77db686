/**
 * Sandbox upstream: a deterministic local mock that answers with what it received (after
 * redaction), so development and tests need no key or network and anyone can see exactly what an
 * upstream would have seen. It speaks the same wire formats (JSON and server-sent events).
 */
import { createHash } from "node:crypto";

type Json = Record<string, unknown>;

const textOf = (c: unknown): string =>
  typeof c === "string"
    ? c
    : Array.isArray(c)
      ? c
          .map((p: Json) =>
            typeof p?.text === "string"
              ? p.text
              : p?.type === "tool_use"
                ? JSON.stringify(p.input)
                : p?.type === "tool_result"
                  ? textOf(p.content)
                  : "",
          )
          .join("")
      : "";

/** The echo: one line per message (role: text), tool-call arguments included. */
export function echoText(body: Json, protocol: "openai" | "anthropic"): string {
  const lines: string[] = [];
  if (protocol === "anthropic" && body.system !== undefined) lines.push(`system: ${textOf(body.system)}`);
  for (const m of Array.isArray(body.messages) ? (body.messages as Json[]) : []) {
    let t = textOf(m.content);
    if (Array.isArray(m.tool_calls))
      t += (m.tool_calls as { function?: { arguments?: string } }[])
        .map((c) => ` ${c.function?.arguments ?? ""}`)
        .join("");
    lines.push(`${String(m.role)}: ${t}`);
  }
  return lines.join("\n");
}

const words = (s: string) => s.match(/\S*\s*/g)!.filter(Boolean);
const sse = (events: string[]) =>
  new Response(events.join(""), { status: 200, headers: { "content-type": "text/event-stream" } });
const json = (v: unknown) =>
  new Response(JSON.stringify(v), { status: 200, headers: { "content-type": "application/json" } });
const tokens = (s: string) => Math.max(1, Math.ceil(s.length / 4));

export function sandboxResponse(path: "chat/completions" | "embeddings" | "messages", body: Json): Response {
  const model = `${String(body.model)}`;
  if (path === "embeddings") {
    const inputs = (Array.isArray(body.input) ? body.input : [body.input]) as string[];
    const data = inputs.map((s, index) => ({
      object: "embedding",
      index,
      embedding: [...createHash("sha256").update(s).digest()].slice(0, 8).map((b) => b / 255),
    }));
    const n = inputs.reduce((a, s) => a + tokens(s), 0);
    return json({ object: "list", data, model, usage: { prompt_tokens: n, total_tokens: n } });
  }
  if (path === "messages") {
    const text = echoText(body, "anthropic");
    const usage = { input_tokens: tokens(text), output_tokens: tokens(text) };
    if (body.stream !== true)
      return json({
        id: "msg_sandbox",
        type: "message",
        role: "assistant",
        model,
        content: [{ type: "text", text }],
        stop_reason: "end_turn",
        stop_sequence: null,
        usage,
      });
    const ev = (type: string, data: unknown) => `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
    return sse([
      ev("message_start", {
        type: "message_start",
        message: {
          id: "msg_sandbox",
          type: "message",
          role: "assistant",
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: usage.input_tokens, output_tokens: 0 },
        },
      }),
      ev("content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }),
      ...words(text).map((w) =>
        ev("content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: w } }),
      ),
      ev("content_block_stop", { type: "content_block_stop", index: 0 }),
      ev("message_delta", {
        type: "message_delta",
        delta: { stop_reason: "end_turn", stop_sequence: null },
        usage: { output_tokens: usage.output_tokens },
      }),
      ev("message_stop", { type: "message_stop" }),
    ]);
  }
  const text = echoText(body, "openai");
  const usage = { prompt_tokens: tokens(text), completion_tokens: tokens(text), total_tokens: 2 * tokens(text) };
  const base = { id: "chatcmpl-sandbox", created: 0, model };
  if (body.stream !== true)
    return json({
      ...base,
      object: "chat.completion",
      choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }],
      usage,
    });
  const chunk = (delta: Json, finish: string | null, extra: Json = {}) =>
    `data: ${JSON.stringify({ ...base, object: "chat.completion.chunk", choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`;
  return sse([
    chunk({ role: "assistant", content: "" }, null),
    ...words(text).map((w) => chunk({ content: w }, null)),
    chunk({}, "stop", { usage }),
    "data: [DONE]\n\n",
  ]);
}
