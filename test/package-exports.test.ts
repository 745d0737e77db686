// The library as a user gets it: each subpath of package.json "exports" imported from the BUILT
// package (dist/, as `npm run build` leaves it) through a node_modules link, by name, with its
// type declarations checked by tsc as a consumer project would.
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { makeTempDir } from "./helpers/repo.js";

const ROOT = resolve(import.meta.dirname, "..");

// The deliberate public surface, per subpath (values only: types are erased at run time).
const API: Record<string, string[]> = {
  config: [
    "CLASSIFICATIONS",
    "Config",
    "ExitCode",
    "SEVERITIES",
    "SEVERITY_RANK",
    "UserError",
    "loadConfig",
    "parseConfigText",
    "readEnv",
    "severityAtLeast",
  ],
  phi: ["createScanner", "redact", "sanitize", "scanText", "setFingerprintKey"],
  scan: [
    "FINGERPRINT_SCHEME",
    "ensureFingerprintKey",
    "loadFingerprintKey",
    "scanFiles",
    "scanHistory",
    "scanJsonl",
    "scanRange",
    "scanStaged",
    "scanString",
  ],
  report: ["WriterRegistry", "findingWriters"],
  audit: ["isReservedType", "openLedger"],
  policy: [
    "BUILTIN_PACKS",
    "CONTROLS",
    "PolicyTestFile",
    "compileRules",
    "complianceCheck",
    "complianceWriters",
    "decide",
    "effectivePack",
    "evaluatePolicy",
    "findControl",
    "loadBuiltinPack",
    "loadPack",
    "runPolicyTestFile",
  ],
  evidence: [
    "BUILTIN_CHECKS",
    "CheckResult",
    "checkStatement",
    "executeCheck",
    "producerTrust",
    "readCheckEvidence",
    "resolveCheckCommand",
    "runCheck",
    "signCheck",
    "verifyCheckEntry",
  ],
  risk: ["KAMEI", "buildDataset", "evaluateRiskModel", "extractFeatures", "scoreChange", "trainRiskModel"],
  forensics: ["CulpritSearch", "bisect"],
  commit: [
    "COMMIT_TYPES",
    "Vocabulary",
    "formatHeader",
    "formatMessage",
    "generateCommitMessages",
    "generateOffline",
    "lintMessage",
    "loadLintSetup",
    "parseCommitMessage",
    "parseHeader",
    "parseTrailers",
    "repairMessage",
  ],
  llm: [
    "LlmCallError",
    "LlmRefusedError",
    "callModel",
    "createLanguageModel",
    "redactWithPlaceholders",
    "resolveProviderSettings",
    "restorePlaceholders",
  ],
  guard: [
    "approveRun",
    "buildPlan",
    "evaluateRun",
    "executeRun",
    "guard",
    "listRuns",
    "planDigest",
    "readRun",
    "recordPlan",
    "verifiedRun",
  ],
  deploy: [
    "activeFreezes",
    "appendRecord",
    "applyRequested",
    "approvalGateStatus",
    "buildManifests",
    "checkWeights",
    "decideStrategy",
    "gateUrl",
    "impactOf",
    "manifestYaml",
    "planDeploy",
    "readDeployEvents",
    "readIncidents",
    "recordStatement",
    "validateFlaggerCanary",
  ],
  review: [
    "CODEOWNERS_LOCATIONS",
    "PullRecord",
    "REVIEW_ENTRY",
    "ReviewRecord",
    "TeamRecord",
    "approvalCurrency",
    "authorFingerprint",
    "deliverySeen",
    "fetchGithubReviews",
    "fetchGitlabReviews",
    "githubWebhookRecords",
    "gitlabWebhookRecords",
    "keyFileSigner",
    "mapCommitsToPulls",
    "noteSigner",
    "ownersOf",
    "parseCodeOwners",
    "pullReviewOfCommit",
    "pullReviews",
    "readReviewEvidence",
    "readSignedApprovals",
    "recordReviewDelivery",
    "recordReviewEvidence",
    "reviewCommits",
    "reviewStatement",
    "signedApprovalViews",
    "signedReviewEntry",
    "standingReviews",
    "teamsIn",
    "verifyGithubSignature",
    "verifyGitlabToken",
    "verifyReviewEntry",
  ],
  proxy: [
    "CallerLimits",
    "PlaceholderSession",
    "StreamGuard",
    "actionFor",
    "filterReply",
    "listModels",
    "policyFor",
    "proxyLedgerEntry",
    "resolveRoute",
    "sandboxResponse",
  ],
  pipeline: ["STAGES", "pipelineStatement", "progressOf", "readCulprits", "readPipeline", "resumePoint", "runPipeline"],
};

const built = existsSync(join(ROOT, "dist", "index.js"));

/** A consumer project with the package linked into node_modules, as an install would resolve it. */
function consumer(): string {
  const dir = makeTempDir("gh-consumer-");
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(ROOT, join(dir, "node_modules", "gitops-health"), "dir");
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "consumer", type: "module", private: true }));
  return dir;
}

describe("package exports (built package)", () => {
  it("package.json exports every subpath, and only those, each with types", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
      exports: Record<string, string | { types: string; import: string }>;
    };
    const subpaths = Object.keys(pkg.exports).filter((k) => k !== "." && k !== "./package.json");
    expect(subpaths.sort()).toEqual(
      Object.keys(API)
        .map((d) => `./${d}`)
        .sort(),
    );
    for (const d of Object.keys(API))
      expect(pkg.exports[`./${d}`]).toEqual({ types: `./dist/api/${d}.d.ts`, import: `./dist/api/${d}.js` });
  });

  it.skipIf(!built)(
    "each subpath gives exactly its names, and the root gives all of them without clashes (skipped without dist/: run npm run build)",
    () => {
      const dir = consumer();
      const script = `const subs = ${JSON.stringify(Object.keys(API))}; const out = {};
for (const s of subs) out[s] = Object.keys(await import("gitops-health/" + s)).sort();
out["."] = Object.keys(await import("gitops-health")).sort();
process.stdout.write(JSON.stringify(out));`;
      const got = JSON.parse(
        execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: dir, encoding: "utf8" }),
      ) as Record<string, string[]>;
      for (const [d, names] of Object.entries(API)) expect(got[d], d).toEqual([...names].sort());
      const all = Object.values(API).flat();
      expect(new Set(all).size).toBe(all.length); // one name, one meaning
      expect(got["."]).toEqual([...all].sort());
      expect(got["."]).not.toContain("evaluate");
    },
  );

  it.skipIf(!built)("the type declarations resolve for a TypeScript consumer (NodeNext)", () => {
    const dir = consumer();
    writeFileSync(
      join(dir, "main.ts"),
      `import { scanText, type Finding } from "gitops-health/phi";
import { evaluateRun, type RunEvaluation } from "gitops-health/guard";
import { evaluatePolicy, type PolicyEvaluation } from "gitops-health/policy";
import { findingWriters } from "gitops-health/report";
import { parseHeader, lintMessage } from "gitops-health/commit";
import { openLedger } from "gitops-health";
const f: Finding[] = scanText("x");
const header: string | undefined = parseHeader("fix: y")?.type;
export const used = [f, header, evaluateRun, evaluatePolicy, findingWriters.formats, lintMessage, openLedger] as const;
export type Both = [RunEvaluation, PolicyEvaluation];
`,
    );
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          module: "NodeNext",
          moduleResolution: "NodeNext",
          target: "ES2022",
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: [],
        },
        files: ["main.ts"],
      }),
    );
    execFileSync(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", dir], {
      cwd: dir,
      encoding: "utf8",
    });
  });
});
