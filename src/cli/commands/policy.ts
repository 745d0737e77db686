import type { Command } from "commander";
import { parseFormat, writeJson, writeOut } from "../output.js";

/** `policy list|show`: the built-in packs and their rules. */
export function register(program: Command): void {
  const policy = program.command("policy").description("policy packs");
  policy.command("list").action(async () => {
    const { loadPack } = await import("../../policy/engine.js");
    for (const name of ["personal", "business", "clinical"]) {
      const p = loadPack(name);
      writeOut(`${name}\t${p.approval.required} approval(s)\t${p.rules.length} rules\tchecks: ${p.requiredChecks.join(", ")}\t${p.description}`);
    }
  });
  policy
    .command("show")
    .argument("<pack>")
    .option("--format <format>", "yaml | json", "yaml")
    .action(async (name: string, o: { format: string }) => {
      const format = parseFormat(o.format as "text", ["yaml", "json"] as unknown as "text"[], "text");
      const { loadPack } = await import("../../policy/engine.js");
      const pack = loadPack(name);
      if ((format as string) === "json") writeJson(pack);
      else writeOut((await import("yaml")).stringify(pack));
    });
}
