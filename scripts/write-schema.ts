// Regenerates schema/gitops-health.schema.json from the zod config schema: `npm run schema`.
import { writeFileAtomic } from "../src/core/fs.js";
import { configJsonSchema } from "../src/config/json-schema.js";

writeFileAtomic(
  new URL("../schema/gitops-health.schema.json", import.meta.url).pathname,
  JSON.stringify(configJsonSchema(), null, 2) + "\n",
);
