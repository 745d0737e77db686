/**
 * Redaction of a whole request: every message, system prompt and tool-call argument goes
 * through one PlaceholderSession, so a value gets the same numbered placeholder (`[NAME_1]`)
 * wherever it appears, and the map to restore it stays in this process.
 */
import type { Finding } from "../phi/types.js";
import { placeholderCategory, type Scanner } from "../llm/redaction.js";
import { actionFor, type ProxyPolicy } from "./policy.js";

export interface Blocked {
  category: string;
  rule: string;
}

export class PlaceholderSession {
  /** placeholder -> original value (never leaves the process) */
  readonly map = new Map<string, string>();
  private readonly byValue = new Map<string, string>();
  private readonly next: Record<string, number> = {};
  /** every finding by class, whatever was done with it */
  readonly found: Record<string, number> = {};
  readonly masked: Record<string, number> = {};
  readonly allowed: Record<string, number> = {};
  readonly blocked: Blocked[] = [];
  /** values that passed unmasked (their echo in the reply is not model-produced PHI) */
  readonly passed = new Set<string>();
  /** what was produced, for the residual check */
  private readonly outputs: string[] = [];

  constructor(
    private readonly policy: ProxyPolicy,
    private readonly scan: Scanner,
  ) {}

  /** Redact one string per the policy; blocked findings are collected (the caller refuses). */
  redact(text: string): string {
    if (!text) return text;
    const findings = this.scan(text).sort((a, b) => a.start - b.start || b.end - a.end);
    const spans: Finding[] = [];
    for (const f of findings) {
      const last = spans[spans.length - 1];
      if (last && f.start < last.end) {
        if (f.end > last.end) spans[spans.length - 1] = { ...last, end: f.end };
        continue;
      }
      spans.push(f);
    }
    let out = "";
    let at = 0;
    for (const s of spans) {
      const value = text.slice(s.start, s.end);
      const action = actionFor(this.policy, s, value);
      bump(this.found, s.category);
      if (action === "block") {
        this.blocked.push({
          category: s.category,
          rule: s.category === "secret" ? "secret" : `identifiers.${s.category}`,
        });
        continue;
      }
      if (action === "allow") {
        bump(this.allowed, s.category);
        this.passed.add(value);
        continue;
      }
      bump(this.masked, s.category);
      const cat = placeholderCategory(s.category);
      let ph = this.byValue.get(`${cat}\0${value}`);
      if (!ph) {
        this.next[cat] = (this.next[cat] ?? 0) + 1;
        ph = `[${cat}_${this.next[cat]}]`;
        this.byValue.set(`${cat}\0${value}`, ph);
        this.map.set(ph, value);
      }
      out += text.slice(at, s.start) + ph;
      at = s.end;
    }
    out += text.slice(at);
    this.outputs.push(out);
    return out;
  }

  /**
   * High-severity findings still detectable in what would be sent (a context-aware detector can
   * see more on the redacted text than on the original), except allowed ones: clinical refuses these.
   */
  residual(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const t of this.outputs)
      for (const f of this.scan(t))
        if (f.severity === "high" && actionFor(this.policy, f, t.slice(f.start, f.end)) !== "allow")
          bump(out, f.category);
    return out;
  }
}

function bump(r: Record<string, number>, k: string): void {
  r[k] = (r[k] ?? 0) + 1;
}

/** JSON-encoded tool arguments: redact the string values inside, keep it valid JSON. */
function redactJsonText(s: PlaceholderSession, json: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return s.redact(json);
  }
  return JSON.stringify(redactStrings(s, parsed));
}

/** Every string inside a JSON value (keys stay). */
export function redactStrings(s: PlaceholderSession, v: unknown): unknown {
  if (typeof v === "string") return s.redact(v);
  if (Array.isArray(v)) return v.map((x) => redactStrings(s, x));
  if (v && typeof v === "object")
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redactStrings(s, x)]));
  return v;
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => !!v && typeof v === "object" && !Array.isArray(v);

/** Content of an OpenAI message: a string or an array of parts (text parts redacted, others kept). */
function redactOpenAiContent(s: PlaceholderSession, c: unknown): unknown {
  if (typeof c === "string") return s.redact(c);
  if (Array.isArray(c))
    return c.map((p) => (isObj(p) && typeof p.text === "string" ? { ...p, text: s.redact(p.text) } : p));
  return c;
}

/** Top-level fields that carry no free text; everything else (user, metadata, tools, response_format...) is scanned. */
const STRUCTURAL = new Set(["model", "stream", "messages", "system", "input"]);

/** Every other top-level string (an end-user id in `user`, `metadata`, tool descriptions...) through the session too. */
function redactRest(s: PlaceholderSession, body: Json, out: Json): Json {
  for (const [k, v] of Object.entries(body)) if (!STRUCTURAL.has(k)) out[k] = redactStrings(s, v);
  return out;
}

/**
 * An OpenAI chat-completions request with every message field (content and its text parts,
 * participant name, refusal...), tool-call argument and legacy function call redacted, and every
 * other string of the request too. Roles and tool-call ids stay; non-text parts (images) stay.
 */
export function redactChatRequest(s: PlaceholderSession, body: Json): Json {
  const messages = Array.isArray(body.messages)
    ? body.messages.map((m) => {
        if (!isObj(m)) return m;
        const out: Json = {};
        for (const [k, v] of Object.entries(m)) {
          if (k === "role" || k === "tool_call_id") out[k] = v;
          else if (k === "content") out[k] = redactOpenAiContent(s, v);
          else if (k === "tool_calls" && Array.isArray(v))
            out[k] = v.map((t) =>
              isObj(t) && isObj(t.function) && typeof t.function.arguments === "string"
                ? { ...t, function: { ...t.function, arguments: redactJsonText(s, t.function.arguments) } }
                : t,
            );
          else if (k === "function_call" && isObj(v) && typeof v.arguments === "string")
            out[k] = { ...v, arguments: redactJsonText(s, v.arguments) };
          else out[k] = redactStrings(s, v);
        }
        return out;
      })
    : body.messages;
  return redactRest(s, body, { ...body, messages });
}

/** Anthropic content: a string or blocks (text, tool_use input, tool_result content). */
function redactAnthropicContent(s: PlaceholderSession, c: unknown): unknown {
  if (typeof c === "string") return s.redact(c);
  if (!Array.isArray(c)) return c;
  return c.map((b) => {
    if (!isObj(b)) return b;
    if (b.type === "text" && typeof b.text === "string") return { ...b, text: s.redact(b.text) };
    if (b.type === "tool_use") return { ...b, input: redactStrings(s, b.input) };
    if (b.type === "tool_result") return { ...b, content: redactAnthropicContent(s, b.content) };
    return b;
  });
}

export function redactMessagesRequest(s: PlaceholderSession, body: Json): Json {
  const out: Json = { ...body };
  if (body.system !== undefined) out.system = redactAnthropicContent(s, body.system);
  if (Array.isArray(body.messages))
    out.messages = body.messages.map((m) => (isObj(m) ? { ...m, content: redactAnthropicContent(s, m.content) } : m));
  return redactRest(s, body, out);
}

/** Embeddings input: strings only (token arrays cannot be scanned; the caller refuses them). */
export function redactEmbeddingsRequest(s: PlaceholderSession, body: Json): Json | undefined {
  const input = body.input;
  if (typeof input === "string") return redactRest(s, body, { ...body, input: s.redact(input) });
  if (Array.isArray(input) && input.every((x) => typeof x === "string"))
    return redactRest(s, body, { ...body, input: input.map((x: string) => s.redact(x)) });
  return undefined;
}
