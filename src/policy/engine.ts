import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { UserError } from "../core/errors.js";
import { packagePath } from "../core/paths.js";
import type { Config } from "../config/schema.js";
import { BUILTIN_PACKS, PackSummary } from "./packs.js";

export const Rule = z.object({
  id: z.string(),
  description: z.string().optional(),
  expr: z.string(),
  severity: z.enum(["low", "medium", "high"]).default("high"),
  message: z.string().optional(),
  controls: z.array(z.string()).default([]),
  scope: z.enum(["commit", "range"]).default("commit"),
});
export type Rule = z.infer<typeof Rule>;

export interface Pack extends PackSummary {
  rules: Rule[];
}

export function loadPack(name: string): Pack {
  if (!(BUILTIN_PACKS as readonly string[]).includes(name))
    throw new UserError(`unknown pack or classification "${name}" (valid: ${BUILTIN_PACKS.join(", ")})`);
  const raw = parseYaml(readFileSync(packagePath("src", "policy", "packs", `${name}.yaml`), "utf8")) as Record<
    string,
    unknown
  >;
  return { ...PackSummary.parse(raw), rules: z.array(Rule).parse(raw.rules ?? []) };
}

/** The pack for the config (policy.pack or the classification), with the user's rules and disables applied. */
export function effectivePack(config: Config, packName?: string): Pack {
  const pack = loadPack(packName ?? config.policy.pack ?? config.classification);
  const rules = pack.rules.filter((r) => !config.policy.disable.includes(r.id));
  for (const r of config.policy.rules) {
    const i = rules.findIndex((x) => x.id === r.id);
    if (i >= 0) rules[i] = r;
    else rules.push(r);
  }
  return { ...pack, requiredChecks: config.policy.requiredChecks ?? pack.requiredChecks, rules };
}

export interface CompiledRule extends Rule {
  run: (bindings: Record<string, unknown>) => { ok: boolean; error?: string };
  /** The violation message, with `{{ cel }}` placeholders evaluated against the failing input. */
  explain: (bindings: Record<string, unknown>) => string;
}

let celModule: typeof import("@bufbuild/cel") | undefined;

/**
 * Rule bindings with their plain objects and arrays made CEL maps and lists once, as CEL makes them
 * at every access (a variable's object becomes a map of its entries each time a rule reads it): the
 * same values, built once for all the rules evaluated on one input. Other values are left for CEL to
 * convert (or refuse) as before.
 */
export function celBindings(bindings: Record<string, unknown>): Record<string, unknown> {
  const cel = celModule;
  if (!cel) return bindings; // no rule compiled yet: nothing to evaluate with
  // Plain loops, no intermediate entry arrays: a decision converts its whole commit model (issue 17: a
  // decision's garbage is what the service's scavenges pay for).
  const convert = (v: unknown): unknown => {
    if (typeof v !== "object" || v === null) return v;
    if (Array.isArray(v)) return cel.celList(v.map(convert) as never);
    if ((v as { constructor?: { name?: string } }).constructor?.name === "Object") {
      const m = new Map<string, unknown>();
      for (const k of Object.keys(v)) m.set(k, convert((v as Record<string, unknown>)[k]));
      return cel.celMap(m as never);
    }
    return v;
  };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(bindings)) out[k] = convert(v);
  return out;
}

/** Compile every rule once; invalid CEL is a UserError naming the rule and the position. */
export async function compileRules(rules: Rule[]): Promise<CompiledRule[]> {
  const cel = (celModule ??= await import("@bufbuild/cel"));
  const env = cel.celEnv({});
  return rules.map((r) => {
    let parsed;
    try {
      parsed = cel.parse(r.expr);
    } catch (err) {
      const m = /<input>:(\d+):(\d+): (.*)/.exec((err as Error).message);
      throw new UserError(
        `policy rule "${r.id}": invalid CEL${m ? ` at ${m[1]}:${m[2]}: ${m[3]}` : `: ${(err as Error).message.split("\n")[0]}`}`,
      );
    }
    const show = (v: unknown): string => {
      if (v === null || v === undefined) return "";
      if (cel.isCelList(v)) return [...(v as Iterable<unknown>)].map(show).join(", ");
      if (cel.isCelMap(v))
        return [...(v as Iterable<[unknown, unknown]>)].map(([k, x]) => `${show(k)}=${show(x)}`).join(", ");
      return String(v);
    };
    const program = cel.plan(env, parsed);
    // Message placeholders are compiled once too; a broken one is reported like a broken rule.
    const parts = (r.message === undefined ? [r.description ?? r.id] : r.message.split(/\{\{(.*?)\}\}/s)).map(
      (text, i) => {
        if (i % 2 === 0) return text;
        try {
          return cel.plan(env, cel.parse(text.trim())) as (b: Record<string, unknown>) => unknown;
        } catch (err) {
          throw new UserError(
            `policy rule "${r.id}": invalid CEL in message placeholder {{${text}}}: ${(err as Error).message.split("\n")[0]}`,
          );
        }
      },
    );
    return {
      ...r,
      explain: (bindings) =>
        parts
          .map((p) => {
            if (typeof p === "string") return p;
            const v = p(bindings);
            return cel.isCelError(v) ? "?" : show(v);
          })
          .join(""),
      run: (bindings) => {
        const v = (program as (b: Record<string, unknown>) => unknown)(bindings);
        if (cel.isCelError(v)) return { ok: false, error: String((v as { message?: string }).message ?? v) };
        return { ok: v === true };
      },
    };
  });
}
