import type { Command } from "commander";
import { resolve } from "node:path";
import { stringify as toYaml } from "yaml";
import { repoRoot } from "../../git/exec.js";
import { color, parseFormat, say, writeJson, writeOut } from "../output.js";

/** `policy list|show|test`: the built-in packs, their rules, and unit tests for policies. */
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
      else writeOut(toYaml(pack));
    });
  policy
    .command("test")
    .description("run policy unit tests: YAML cases with an input model and the expected decisions")
    .argument("[dir]", "a directory of *.yaml test files (walked recursively) or one file", ".gitops-health/policy-tests")
    .option("--format <format>", "text | json | junit", "text")
    .action(async (dir: string, o: { format: string }) => {
      const format = parseFormat(o.format, ["text", "json", "junit"] as const, "text");
      const files = await import("../../policy/policy-test-files.js");
      const { runPolicyTestFile } = await import("../../policy/policy-test.js");
      // The default directory is relative to the repository root, an explicit one to the cwd.
      const target = dir === files.DEFAULT_POLICY_TEST_DIR ? resolve(repoRoot(process.cwd()) ?? process.cwd(), dir) : resolve(dir);
      const parsed = files.findPolicyTestFiles(target).map((f) => files.readPolicyTestFile(f));
      let repoConfig: Promise<import("../../config/schema.js").Config> | undefined;
      const getConfig = () => (repoConfig ??= import("../../config/fast.js").then((m) => m.loadConfigFast({ file: program.opts().config as string | undefined })).then((r) => r.config));
      const results = [];
      for (const p of parsed) results.push(...(await runPolicyTestFile(p.name, p.test, getConfig)));
      if (format === "json") writeJson({ cases: results, passed: results.filter((r) => r.status === "pass").length, failed: results.filter((r) => r.status === "fail").length });
      else if (format === "junit") writeOut(files.policyTestJunit(results));
      else say(files.policyTestText(results, color));
      if (results.some((r) => r.status === "fail")) process.exitCode = 1;
    });
}
