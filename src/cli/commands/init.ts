import type { Command } from "commander";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../../core/errors.js";
import { writeFileAtomic } from "../../core/fs.js";
import { repoRoot } from "../../git/exec.js";
import { say } from "../output.js";
import { ensureFingerprintKey } from "../../scan/fingerprint-key.js";
import { parseClassification } from "../../core/vocabulary.js";

/** What `init` makes git ignore: anything secret this tool may write inside a repository. */
export const SECRET_IGNORES = [".gitops-health/keys/", "*.key"];

/** Append the secret ignores missing from `<root>/.gitignore` (atomically); returns those added. */
export function ignoreSecrets(root: string): string[] {
  const file = join(root, ".gitignore");
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch {
    /* none yet */
  }
  const have = new Set(text.split(/\r?\n/).map((l) => l.trim()));
  const add = SECRET_IGNORES.filter((p) => !have.has(p) && !have.has(`/${p}`));
  if (add.length === 0) return [];
  writeFileAtomic(
    file,
    `${text}${text && !text.endsWith("\n") ? "\n" : ""}# gitops-health: signing keys are secret, never commit them\n${add.join("\n")}\n`,
  );
  return add;
}

/** `init`: a commented starter `.gitops-health.yml`, and .gitignore entries for secrets. */
export function register(program: Command): void {
  program
    .command("init")
    .description("write a commented starter .gitops-health.yml")
    .option("--classification <c>", "personal | business | clinical", "personal")
    .option("--force", "overwrite an existing file")
    .action((o: { classification: string; force?: boolean }) => {
      parseClassification(o.classification);
      const root = repoRoot() ?? process.cwd();
      const file = join(root, ".gitops-health.yml");
      if (existsSync(file) && !o.force) throw new UserError(`${file} exists; use --force to overwrite`);
      writeFileAtomic(
        file,
        `# gitops-health configuration. Editor schema: https://gitops-health.dev/schema/gitops-health.schema.json
# personal: lint/test/security checks, no approval. business: + compliance, one approval.
# clinical: + PHI/DLP, two approvals, signed commits, the audit ledger.
classification: ${o.classification}

# Paths whose changes matter most (tier 1 = most critical); used by risk scoring and PHI-Impact.
criticalPaths:
  - pattern: "src/**/patient*/**"
    tier: 1
    reason: patient data

# SSH allowed-signers file (git's gpg.ssh.allowedSignersFile format) for signed commits and approvals.
# allowedSignersFile: .github/allowed_signers

scan:
  # failOn: lowest severity that fails a scan (default: medium when clinical, else high)
  allowlist:
    paths: ["test/fixtures/**"]

policy:
  # rules: [{ id: my-rule, expr: 'commit.files.size() < 50', severity: medium, controls: [SOC2-CC8.1] }]
  disable: []

environments:
  production:
    allowed: false

ledger:
  retentionYears: 6
`,
      );
      say(`wrote ${file}`);
      const added = ignoreSecrets(root);
      if (added.length > 0) say(`added ${added.join(", ")} to ${join(root, ".gitignore")}`);
      // the secret that keys finding fingerprints: outside git, one per repository (docs/SECURITY.md)
      const key = ensureFingerprintKey(root);
      if (key.created)
        say(
          `created the fingerprint key ${key.created} (0600; keep it out of git, share it with CI as GITOPS_HEALTH_FINGERPRINT_KEY or scan.fingerprintKeyFile)`,
        );
      else
        say(
          `finding fingerprints use the key from ${key.source === "env" ? "GITOPS_HEALTH_FINGERPRINT_KEY" : key.file}`,
        );
    });
}
