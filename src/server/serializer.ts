/**
 * Response serialisation with compiled schemas: each route's zod response schema is converted once
 * to JSON Schema and compiled by fast-json-stringify (what Fastify does for JSON Schema routes),
 * instead of fastify-type-provider-zod's per-response `safeEncode` (a full validation pass over
 * every finding and violation) followed by JSON.stringify. As with zod's default objects, only the
 * declared properties are written, so an extra field on an internal object never reaches a client.
 * Schemas JSON Schema cannot express (dates, transforms, codecs, recursion) keep the zod serializer.
 */
import fastJson from "fast-json-stringify";
import { z } from "zod";
import { serializerCompiler as zodSerializerCompiler } from "fastify-type-provider-zod";

type JsonSchema = { [k: string]: unknown };

/** `{}` (z.unknown(), z.any()) accepts undefined: never required, as zod does not require it. */
function relaxUnknown(s: unknown): void {
  if (!s || typeof s !== "object") return;
  if (Array.isArray(s)) return s.forEach(relaxUnknown);
  const o = s as JsonSchema;
  const props = o.properties as Record<string, JsonSchema> | undefined;
  if (props && Array.isArray(o.required))
    o.required = (o.required as string[]).filter((k) => !props[k] || Object.keys(props[k]!).length > 0);
  for (const v of Object.values(o)) relaxUnknown(v);
}

/** A JSON Schema for the output of `schema`, or undefined when it has parts JSON Schema cannot express. */
export function responseJsonSchema(schema: z.core.$ZodType): JsonSchema | undefined {
  try {
    const json = z.toJSONSchema(schema, {
      io: "output",
      target: "draft-7",
      unrepresentable: "throw",
      cycles: "throw",
      reused: "inline",
    }) as JsonSchema;
    relaxUnknown(json);
    return json;
  } catch {
    return undefined;
  }
}

export const compiledSerializerCompiler: typeof zodSerializerCompiler = (route) => {
  const schema = route.schema as unknown;
  const json = schema instanceof z.core.$ZodType ? responseJsonSchema(schema) : undefined;
  if (!json) return zodSerializerCompiler(route);
  try {
    return fastJson(json);
  } catch {
    return zodSerializerCompiler(route);
  }
};
