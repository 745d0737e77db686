import { describe, expect, it } from "vitest";
import { z } from "zod";
import { compiledSerializerCompiler, responseJsonSchema } from "../src/server/serializer.js";

const compile = (schema: z.ZodType) =>
  compiledSerializerCompiler({ schema, method: "GET", url: "/t", httpStatus: "200" } as never) as (
    d: unknown,
  ) => string;

describe("compiled response serialisers", () => {
  const Finding = z.object({
    ruleId: z.string(),
    start: z.number().int(),
    hipaaIdentifier: z.number().int().optional(),
    severity: z.enum(["low", "medium", "high"]),
  });
  const Out = z.object({
    results: z.array(z.object({ id: z.string().optional(), findings: z.array(Finding) })),
    payload: z.unknown(),
    next: z.number().int().nullable(),
  });

  it("writes what zod's serializer wrote: declared properties only, optional and unknown values as given", () => {
    const data = {
      results: [
        {
          findings: [
            { ruleId: "phi.mrn", start: 3, severity: "high", raw: "4481923" },
            { ruleId: "phi.date", start: 9, hipaaIdentifier: 3, severity: "medium" },
          ],
          internal: { text: "Patient Maria Gonzalez" },
        },
      ],
      payload: { any: ["shape", 1, null] },
      next: null,
      secret: "x",
    };
    const json = compile(Out)(data);
    expect(JSON.parse(json)).toEqual(Out.parse(data));
    expect(json).not.toContain("4481923");
    expect(json).not.toContain("Maria");
    // an unknown payload may be absent, as zod allows
    expect(JSON.parse(compile(Out)({ results: [], next: 1 }))).toEqual({ results: [], next: 1 });
  });

  it("a missing required property fails the response instead of writing a partial one", () => {
    expect(() => compile(Out)({ results: [{ findings: [{ ruleId: "r", severity: "low" }] }], next: 1 })).toThrow();
  });

  it("schemas JSON Schema cannot express keep zod's serializer (dates, transforms)", () => {
    const WithDate = z.object({ at: z.date() });
    expect(responseJsonSchema(WithDate)).toBeUndefined();
    expect(JSON.parse(compile(WithDate)({ at: new Date(0) }))).toEqual({ at: "1970-01-01T00:00:00.000Z" });
  });
});
