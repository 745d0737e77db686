// `npm run deploy-validators`: precompile the Argo Rollouts CRD schemas (as shipped by
// @kubernetes-models/argo-rollouts) and the vendored Flagger Canary schema into standalone ajv
// validators, src/deploy/generated/validators.js. The models compile them at run time, which cost
// `deploy plan` about 1.7 s of CPU per process; the generated code validates the same schemas.
// Formats are turned into keywords so the code needs no format module: int32 into its bounds,
// date-time into an RFC 3339 pattern; int64 (unrepresentable in JSON numbers) is dropped.
import { createRequire } from "node:module";
import { mkdirSync, readFileSync } from "node:fs";
import { Ajv } from "ajv";
import standaloneCode from "ajv/dist/standalone/index.js";
import { writeFileAtomic } from "../src/core/fs.js";

const require = createRequire(import.meta.url);
const schemas = new Map<string, unknown>();
const validate = require("@kubernetes-models/validate") as { register: (id: string, schema: unknown) => void };
validate.register = (id, schema) => void schemas.set(id, schema);
// The models register their schemas lazily, on their first validate(): trigger it, capturing them.
for (const name of ["Rollout", "AnalysisTemplate"]) {
  const Model = (
    require(`@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/${name}`) as Record<
      string,
      new (d: object) => { validate(): void }
    >
  )[name]!;
  try {
    new Model({ metadata: { name: "x" }, spec: {} }).validate();
  } catch {
    // nothing is registered with the real validator, so validate() throws; the schemas are captured
  }
}

const DATE_TIME = "^\\d{4}-\\d{2}-\\d{2}[Tt]\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?([Zz]|[+-]\\d{2}:\\d{2})$";
const seen = new Map<string, number>();
function deformat(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(deformat);
  if (!s || typeof s !== "object") return s;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) if (k !== "format") out[k] = deformat(v);
  const f = (s as { format?: string }).format;
  if (f) {
    seen.set(f, (seen.get(f) ?? 0) + 1);
    if (f === "int32") Object.assign(out, { minimum: -2147483648, maximum: 2147483647 });
    else if (f === "date-time") out.pattern = DATE_TIME;
  }
  return out;
}

const flagger = JSON.parse(
  readFileSync(new URL("../src/deploy/schemas/flagger-canary.v1beta1.json", import.meta.url), "utf8"),
) as Record<string, unknown>;
delete flagger.$comment;
schemas.set("flagger.app.v1beta1.Canary", flagger);

// CRDs repeat the pod template (Rollout template, experiment templates, AnalysisTemplate job
// templates) and its containers inline; compiled inline that is megabytes of code. Descriptions are
// dropped (no effect on validation) and every large subschema that occurs more than once becomes
// one shared schema referenced by $ref, compiled once.
const strip = (n: unknown): unknown =>
  Array.isArray(n)
    ? n.map(strip)
    : n && typeof n === "object"
      ? Object.fromEntries(
          Object.entries(n)
            .filter(([k]) => k !== "description")
            .map(([k, v]) => [k, strip(v)]),
        )
      : n;
const all = new Map([...schemas].map(([id, s]) => [id, strip(deformat(s))]));
const counts = new Map<string, number>();
// Maps of names to schemas (not schemas themselves) are never replaced.
const MAPS = new Set(["properties", "patternProperties", "definitions", "$defs", "dependencies", "dependentSchemas"]);
const count = (n: unknown, key = ""): void => {
  if (!n || typeof n !== "object") return;
  const j = JSON.stringify(n);
  if (j.length >= 300 && !Array.isArray(n) && !MAPS.has(key)) counts.set(j, (counts.get(j) ?? 0) + 1);
  for (const [k, v] of Object.entries(n)) count(v, Array.isArray(n) ? "" : k);
};
for (const s of all.values()) count(s);
const shared = new Map([...counts].filter(([, c]) => c > 1).map(([j], i) => [j, `shared-${i}`]));
const replace = (n: unknown, top = false, key = ""): unknown => {
  if (!n || typeof n !== "object") return n;
  if (!top && !Array.isArray(n) && !MAPS.has(key)) {
    const id = shared.get(JSON.stringify(n));
    if (id) return { $ref: `${id}#` };
  }
  return Array.isArray(n)
    ? n.map((x) => replace(x))
    : Object.fromEntries(Object.entries(n).map(([k, v]) => [k, replace(v, false, k)]));
};
const ajv = new Ajv({
  strict: false,
  strictTypes: false,
  allErrors: false,
  inlineRefs: false,
  code: { source: true, esm: false, lines: false },
});
for (const [j, id] of shared) ajv.addSchema(replace(JSON.parse(j), true) as object, id);
for (const [id, s] of all) ajv.addSchema(replace(s, true) as object, id);
type Standalone = (ajv: Ajv, refs: Record<string, string>) => string;
const code = ((standaloneCode as unknown as { default?: Standalone }).default ??
  standaloneCode) as unknown as Standalone;
const source = code(ajv, {
  Rollout: "argoproj.io.v1alpha1.Rollout",
  AnalysisTemplate: "argoproj.io.v1alpha1.AnalysisTemplate",
  FlaggerCanary: "flagger.app.v1beta1.Canary",
});
// Inline ajv's one runtime helper (code points of a string), so the code needs no require().
const UCS2 = 'const func2 = require("ajv/dist/runtime/ucs2length").default;';
if (!source.includes(UCS2) || /require\(/.test(source.replace(UCS2, "")))
  throw new Error("unexpected runtime requires in the generated code");
const cjs = source.replace(UCS2, "const func2 = (s) => { let n = 0; for (const _ of s) n++; return n; };");
const dir = process.env.DEPLOY_VALIDATORS_OUT_DIR
  ? `${process.env.DEPLOY_VALIDATORS_OUT_DIR}/`
  : new URL("../src/deploy/generated/", import.meta.url).pathname;
mkdirSync(dir, { recursive: true });
// Shipped as one string compiled on first use (src/deploy/manifests.ts): as module code the bundler
// would re-print 2.4 MB of it into ~9 MB that every `deploy plan` parses.
writeFileAtomic(
  `${dir}validators.js`,
  `// Generated by scripts/write-deploy-validators.ts from the schemas of @kubernetes-models/argo-rollouts (MIT) and the vendored Flagger CRD (Apache-2.0). Do not edit.\n/* eslint-disable */\nexport const source = ${JSON.stringify(cjs)};\n`,
);
console.error(
  `wrote ${dir}validators.js (${schemas.size} schemas, ${shared.size} shared subschemas, ${cjs.length} bytes; formats rewritten: ${[...seen].map(([f, n]) => `${f} ×${n}`).join(", ")})`,
);
