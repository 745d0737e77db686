import type { Command } from "commander";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../../core/errors.js";
import { writeFileAtomic } from "../../core/fs.js";
import { repoRoot } from "../../git/exec.js";
import { say } from "../output.js";

/** `init`: a commented starter `.gitops-health.yml`. */
export function register(program: Command): void {
  program
    .command("init")
    .description("write a commented starter .gitops-health.yml")
    .option("--classification <c>", "personal | business | clinical", "personal")
    .option("--force", "overwrite an existing file")
    .action((o: { classification: string; force?: boolean }) => {
      if (!["personal", "business", "clinical"].includes(o.classification)) throw new UserError(`unknown classification "${o.classification}" (valid: personal, business, clinical)`);
      const file = join(repoRoot() ?? process.cwd(), ".gitops-health.yml");
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
  failOn: high
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
    });
}
