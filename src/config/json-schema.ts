import { z } from "zod";
import { Config } from "./schema.js";

/** JSON Schema of `.gitops-health.yml` for editors (published as schema/gitops-health.schema.json). */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(Config, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  return {
    ...schema,
    $id: "https://gitops-health.dev/schema/gitops-health.schema.json",
    title: "gitops-health configuration (.gitops-health.yml)",
  };
}
