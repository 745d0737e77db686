import type { Command } from "commander";
import { resolve } from "node:path";
import { parse as parseYaml, stringify as toYaml } from "yaml";
import { repoRoot } from "../../git/exec.js";
import { color, parseFormat, say, writeJson, writeOut } from "../output.js";
import { serverClient, withServer } from "../server-client.js";
import { UserError } from "../../core/errors.js";

/** `policy list|show|test`: the built-in packs, their rules, and unit tests for policies. */
export function register(program: Command): void {
  const policy = program.command("policy").description("policy packs");
  policy.command("list").action(async () => {
    const { loadPack } = await import("../../policy/engine.js");
    for (const name of ["personal", "business", "clinical"]) {
      const p = loadPack(name);
      writeOut(
        `${name}\t${p.approval.required} approval(s)\t${p.rules.length} rules\tchecks: ${p.requiredChecks.join(", ")}\t${p.description}`,
      );
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
  withServer(
    policy
      .command("decide")
      .description(
        "evaluate a pack on an input document (the input model of policy test cases); with --server the service decides and records it in its ledger",
      ),
  )
    .argument("<pack>", "personal | business | clinical")
    .requiredOption("--input <file>", "the input document, JSON or YAML (- reads stdin)")
    .option("--fail-on <severity>", "low | medium | high: lowest violation severity that fails", "high")
    .option("--format <format>", "text | json", "text")
    .action(async (pack: string, o: { input: string; failOn: string; format: string; server?: string }) => {
      const format = parseFormat(o.format, ["text", "json"] as const, "text");
      const failOn = o.failOn as "low" | "medium" | "high";
      if (!["low", "medium", "high"].includes(failOn))
        throw new UserError(`unknown --fail-on "${o.failOn}" (valid: low, medium, high)`);
      const { readFileSync } = await import("node:fs");
      let doc: unknown;
      try {
        doc = parseYaml(readFileSync(o.input === "-" ? 0 : resolve(o.input), "utf8"));
      } catch (err) {
        throw new UserError(`cannot read --input ${o.input}: ${(err as Error).message.split("\n")[0]}`);
      }
      const remote = await serverClient(o);
      let out: {
        decision: "pass" | "fail";
        violations: { rule: string; severity: string; message: string }[];
        decision_id?: string;
      };
      if (remote) {
        const d = await remote.decide(pack, doc, failOn);
        out = { decision_id: d.decision_id, decision: d.result.decision, violations: d.violations };
        if (format === "json") writeJson(d);
      } else {
        const { decidePolicy, PolicyInputDocument } = await import("../../policy/decision.js");
        const parsed = PolicyInputDocument.safeParse(doc ?? {});
        if (!parsed.success)
          throw new UserError(
            `--input ${o.input}: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(document)"}: ${i.message}`).join("; ")}`,
          );
        const d = await decidePolicy(pack, parsed.data, failOn);
        out = d;
        if (format === "json")
          writeJson({
            result: { allow: d.decision === "pass", decision: d.decision },
            violations: d.violations,
            controls: d.controls,
          });
      }
      if (format === "text") {
        for (const v of out.violations) say(`${v.severity.padEnd(6)} ${v.rule}: ${v.message}`);
        say(
          out.decision === "pass"
            ? color.green(`pass${out.decision_id ? ` (decision ${out.decision_id})` : ""}`)
            : color.red(
                `fail: ${out.violations.length} violation(s)${out.decision_id ? ` (decision ${out.decision_id})` : ""}`,
              ),
        );
      }
      if (out.decision === "fail") process.exitCode = 1;
    });
  policy
    .command("test")
    .description("run policy unit tests: YAML cases with an input model and the expected decisions")
    .argument(
      "[dir]",
      "a directory of *.yaml test files (walked recursively) or one file",
      ".gitops-health/policy-tests",
    )
    .option("--format <format>", "text | json | junit", "text")
    .action(async (dir: string, o: { format: string }) => {
      const format = parseFormat(o.format, ["text", "json", "junit"] as const, "text");
      const files = await import("../../policy/policy-test-files.js");
      const { runPolicyTestFile } = await import("../../policy/policy-test.js");
      // The default directory is relative to the repository root, an explicit one to the cwd.
      const target =
        dir === files.DEFAULT_POLICY_TEST_DIR ? resolve(repoRoot(process.cwd()) ?? process.cwd(), dir) : resolve(dir);
      const parsed = files.findPolicyTestFiles(target).map((f) => files.readPolicyTestFile(f));
      let repoConfig: Promise<import("../../config/schema.js").Config> | undefined;
      const getConfig = () =>
        (repoConfig ??= import("../../config/fast.js")
          .then((m) => m.loadConfigFast({ file: program.opts().config as string | undefined }))
          .then((r) => r.config));
      const results = [];
      for (const p of parsed) results.push(...(await runPolicyTestFile(p.name, p.test, getConfig)));
      if (format === "json")
        writeJson({
          cases: results,
          passed: results.filter((r) => r.status === "pass").length,
          failed: results.filter((r) => r.status === "fail").length,
        });
      else if (format === "junit") writeOut(files.policyTestJunit(results));
      else say(files.policyTestText(results, color));
      if (results.some((r) => r.status === "fail")) process.exitCode = 1;
    });
}
