/**
 * One policy decision on an input document, as the service's `POST /v1/decisions/{pack}` returns
 * it: the built-in pack's rules, compiled once per pack, evaluated by the same `evaluatePolicy`
 * the gate and `policy test` use.
 */
import { DEFAULT_CONFIG } from "../config/fast.js";
import type { Config } from "../config/schema.js";
import { compileRules, effectivePack, type CompiledRule, type Pack } from "./engine.js";
import { decide, evaluatePolicy, type ControlStatus, type Violation } from "./evaluate.js";
import { policyInputFrom, type InputIn } from "./policy-test.js";
import type { Severity } from "../core/vocabulary.js";

export { InputIn as PolicyInputDocument } from "./policy-test.js";

export interface PolicyDecision {
  pack: string;
  decision: "pass" | "fail";
  violations: Violation[];
  controls: ControlStatus[];
  rules: { id: string; result: "pass" | "fail" | "skip" }[];
}

const compiled = new Map<string, Promise<{ pack: Pack; rules: CompiledRule[] }>>();

function packRules(name: string): Promise<{ pack: Pack; rules: CompiledRule[] }> {
  let p = compiled.get(name);
  if (!p) {
    const config: Config = { ...structuredClone(DEFAULT_CONFIG), policy: { rules: [], disable: [], pack: name } };
    const pack = effectivePack(config); // throws UserError for an unknown pack
    p = compileRules(pack.rules).then((rules) => ({ pack, rules }));
    p.catch(() => compiled.delete(name));
    compiled.set(name, p);
  }
  return p;
}

/** Evaluate built-in pack `packName` on a (partial) input document. */
export async function decidePolicy(
  packName: string,
  document: InputIn,
  failOn: Severity = "high",
): Promise<PolicyDecision> {
  const { pack, rules } = await packRules(packName);
  const input = await policyInputFrom(document, {
    requiredChecks: pack.requiredChecks,
    classification: pack.classification,
  });
  const ev = evaluatePolicy(rules, input);
  return {
    pack: pack.name,
    decision: decide(ev.violations, failOn),
    violations: ev.violations,
    controls: ev.controls,
    rules: ev.rules.map((r) => ({ id: r.id, result: r.result })),
  };
}
