import { describe, expect, it, beforeAll } from "vitest";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeRepo, makeTempDir, runCli, type TempRepo } from "./helpers/repo.js";
import { makeProducer } from "./helpers/producer.js";
import { openLedger } from "../src/audit/index.js";
import { guard } from "../src/guard/index.js";
import { parseConfigText } from "../src/config/load.js";
import { generateNoteSigner } from "../src/core/note-key.js";

const keys = makeTempDir("gh-keys-");
function sshKey(name: string): { priv: string; pub: string } {
  const priv = join(keys, name);
  if (!existsSync(priv)) execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", priv]);
  return { priv, pub: readFileSync(`${priv}.pub`, "utf8").trim() };
}

interface Ctx {
  repo: TempRepo;
  env: Record<string, string>;
  out: string;
  cli(args: string[]): ReturnType<typeof runCli>;
}

/** A repository with an allowed-signers file (alice, bob, and the requester's own key) and passed checks. */
function setup(extraConfig = ""): Ctx {
  const repo = makeRepo();
  const alice = sshKey("alice");
  const bob = sshKey("bob");
  const self = sshKey("requester");
  repo.write(
    "allowed_signers",
    [
      `alice@example.com namespaces="gitops-health" ${alice.pub}`,
      `bob@example.com namespaces="gitops-health" ${bob.pub}`,
      `author@example.invalid namespaces="gitops-health" ${self.pub}`,
    ].join("\n") + "\n",
  );
  const producer = makeProducer();
  repo.write(
    ".gitops-health.yml",
    `allowedSignersFile: allowed_signers\npolicy:\n  requiredChecks: [test]\n${producer.yaml}${extraConfig}`,
  );
  repo.commit("chore: init", { "README.md": "x\n" });
  const env = { GITOPS_HEALTH_LEDGER: join(repo.dir, "ledger") };
  const cli = (args: string[]) => runCli(args, { cwd: repo.dir, env });
  // The required check passed, signed by the trusted producer (CI's key).
  expect(cli(["check", "run", "test", "--key", producer.keyFile, "--", "true"]).code).toBe(0);
  // Commands run in a throwaway worktree of the approved commit, so their output goes outside the repository.
  return { repo, env, out: join(makeTempDir("gh-out-"), "out.txt"), cli };
}

const REQUESTER = ["--key", join(keys, "requester")];
const runArgs = (cls: string, id: string, file: string) => [
  "run",
  "--classification",
  cls,
  "--run-id",
  id,
  ...(cls === "personal" ? [] : REQUESTER),
  "--",
  "sh",
  "-c",
  `echo ran >> ${file}`,
];
const approveArgs = (cls: string, id: string, file: string, cmd = `echo ran >> ${file}`) => [
  "run",
  "--classification",
  cls,
  "--run-id",
  id,
  "--approve",
  ...(cls === "personal" ? [] : REQUESTER),
  "--",
  "sh",
  "-c",
  cmd,
];

beforeAll(() => {
  sshKey("alice");
  sshKey("bob");
  sshKey("requester");
  sshKey("stranger");
});

describe("guarded runs", () => {
  it("a dry run never executes, prints the plan and records it", () => {
    const { out, cli } = setup();
    const r = cli(runArgs("personal", "dry-1", out));
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/Would run sh -c "echo ran >> .*out.txt" \(DRY RUN\)/);
    expect(r.stderr).toMatch(/digest:\s+[0-9a-f]{64}/);
    expect(existsSync(out)).toBe(false);
    const show = JSON.parse(cli(["runs", "show", "dry-1", "--format", "json"]).stdout);
    expect(show.state).toBe("planned");
  });

  it("personal runs with --approve once checks passed; the same run ID cannot execute twice", () => {
    const { out, cli } = setup();
    expect(cli(runArgs("personal", "p-1", out)).code).toBe(0);
    const args = approveArgs("personal", "p-1", out);
    expect(cli(args).code).toBe(0);
    expect(readFileSync(out, "utf8")).toBe("ran\n");
    const again = cli(args);
    expect(again.code).toBe(1);
    expect(readFileSync(out, "utf8")).toBe("ran\n");
  });

  it("clinical: one approval is refused, two distinct approvers run it; the requester and a repeated approver do not count", () => {
    const { out, cli } = setup();
    const id = "clin-1";
    expect(cli(runArgs("clinical", id, out)).code).toBe(0);
    const approve = approveArgs("clinical", id, out);
    expect(cli(["approve", id, "--key", sshKey("alice").priv]).code).toBe(0);
    const one = cli(approve);
    expect(one.code).toBe(1);
    expect(one.stderr).toMatch(/1 more approval/);
    // same approver again counts once
    expect(cli(["approve", id, "--key", sshKey("alice").priv]).code).toBe(0);
    expect(cli(approve).code).toBe(1);
    // the requester cannot approve
    const selfApprove = cli(["approve", id, "--key", sshKey("requester").priv]);
    expect(selfApprove.code).toBe(1);
    expect(selfApprove.stderr).toMatch(/cannot approve/);
    expect(existsSync(out)).toBe(false);
    expect(cli(["approve", id, "--key", sshKey("bob").priv]).code).toBe(0);
    const ok = cli(approve);
    expect(ok.code).toBe(0);
    expect(readFileSync(out, "utf8")).toBe("ran\n");
    const show = JSON.parse(cli(["runs", "show", id, "--format", "json"]).stdout);
    expect(show.state).toBe("completed");
    expect(show.approvals.valid.sort()).toEqual(["alice@example.com", "bob@example.com"]);
  });

  it("approvals for another digest, from an unknown key, or expired do not count", async () => {
    const { out, cli } = setup();
    expect(cli(runArgs("business", "b-1", out)).code).toBe(0);
    expect(cli(["approve", "b-1", "--key", sshKey("alice").priv]).code).toBe(0);
    // a changed command is a different plan: the approval does not carry over
    const changed = cli(approveArgs("business", "b-1", out, `echo other >> ${out}`));
    expect(changed.code).toBe(1);
    expect(changed.stderr).toMatch(/different plan/);
    const stranger = cli(["approve", "b-1", "--key", sshKey("stranger").priv]);
    expect(stranger.code).toBe(2);
    expect(stranger.stderr).toMatch(/not listed in the allowed-signers/);
    expect(cli(runArgs("business", "b-2", out)).code).toBe(0);
    expect(cli(["approve", "b-2", "--key", sshKey("bob").priv, "--ttl", "1s"]).code).toBe(0);
    await new Promise((r) => setTimeout(r, 1500));
    const expired = cli(approveArgs("business", "b-2", out));
    expect(expired.code).toBe(1);
    expect(expired.stderr).toMatch(/expired/);
    expect(existsSync(out)).toBe(false);
  });

  it("approve --ttl refuses 0 and more than the configured maximum (default 30d), one line, exit 2", () => {
    const { out, cli } = setup();
    expect(cli(runArgs("business", "ttl-1", out)).code).toBe(0);
    for (const ttl of ["0s", "0d", "31d", "721h"]) {
      const r = cli(["approve", "ttl-1", "--key", sshKey("alice").priv, "--ttl", ttl]);
      expect(r.code, ttl).toBe(2);
      expect(r.stderr.trim().split("\n"), ttl).toHaveLength(1);
    }
    expect(cli(["approve", "ttl-1", "--key", sshKey("alice").priv, "--ttl", "30d"]).code).toBe(0);
    const strict = setup("approvals:\n  maxTtl: 1h\n");
    expect(strict.cli(runArgs("business", "ttl-2", strict.out)).code).toBe(0);
    const long = strict.cli(["approve", "ttl-2", "--key", sshKey("alice").priv, "--ttl", "2h"]);
    expect(long.code).toBe(2);
    expect(long.stderr).toMatch(/maximum 1h/);
    expect(strict.cli(["approve", "ttl-2", "--key", sshKey("alice").priv, "--ttl", "1h"]).code).toBe(0);
  });

  it("runs show without allowed signers says it cannot verify approvals, not that the run is unapproved", () => {
    const { repo, out, cli } = setup();
    expect(cli(runArgs("clinical", "nosig-1", out)).code).toBe(0);
    expect(cli(["approve", "nosig-1", "--key", sshKey("alice").priv]).code).toBe(0);
    expect(cli(["approve", "nosig-1", "--key", sshKey("bob").priv]).code).toBe(0);
    expect(cli(approveArgs("clinical", "nosig-1", out)).code).toBe(0);
    repo.write("bare.yml", "policy:\n  requiredChecks: [test]\n");
    const text = cli(["--config", "bare.yml", "runs", "show", "nosig-1"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/cannot verify approvals without allowed signers/);
    expect(text.stdout).not.toMatch(/none of 2 required/);
    const json = JSON.parse(cli(["--config", "bare.yml", "runs", "show", "nosig-1", "--format", "json"]).stdout);
    expect(json.state).toBe("unverified");
    expect(JSON.parse(cli(["runs", "show", "nosig-1", "--format", "json"]).stdout).state).toBe("completed");
  });

  it("production is refused unless the environment policy allows it", () => {
    const { cli } = setup();
    const r = cli([
      "run",
      "--classification",
      "personal",
      "--env",
      "production",
      "--run-id",
      "prod-1",
      "--approve",
      "--",
      "true",
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/production is not allowed/);
  });

  it("two concurrent run --approve with one run ID execute once; the ledger verifies", async () => {
    const { repo, cli, env, out } = setup();
    expect(cli(runArgs("personal", "race-1", out)).code).toBe(0);
    const cliPath = join(__dirname, "..", "dist", "cli.js");
    const args = [cliPath, ...approveArgs("personal", "race-1", out)];
    const codes = await Promise.all(
      [0, 1, 2].map(
        () =>
          new Promise<number>((res) => {
            const c = spawn(process.execPath, args, {
              cwd: repo.dir,
              env: { ...process.env, ...env },
              stdio: "ignore",
            });
            c.on("exit", (code) => res(code ?? -1));
          }),
      ),
    );
    expect(codes.filter((c) => c === 0)).toHaveLength(1);
    expect(readFileSync(out, "utf8")).toBe("ran\n");
    expect(cli(["audit", "verify"]).code).toBe(0);
    const types: string[] = JSON.parse(cli(["audit", "log", "--format", "json"]).stdout).map(
      (e: { type: string }) => e.type,
    );
    expect(types.filter((t) => t === "run.started")).toHaveLength(1);
    expect(types).toContain("run.completed");
  });

  it("bad input exits 2 with one line and runs nothing", () => {
    const { repo, cli } = setup();
    for (const args of [
      ["run", "--classification", "personal", "--approve"],
      ["run", "--classification", "secret", "--", "touch", "x"],
      ["run", "--classification", "personal", "--env", "mars", "--", "touch", "x"],
      ["run", "--classification", "personal", "--run-id", "../bad id", "--", "touch", "x"],
      ["run", "--classification", "business", "--", "touch", "x"],
      ["run", "--classification", "clinical", "--approve", "--", "touch", "x"],
      ["approve", "nope-1", "--key", "/does/not/exist"],
    ]) {
      const r = cli(args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr.trim().split("\n"), args.join(" ")).toHaveLength(1);
    }
    expect(existsSync(join(repo.dir, "x"))).toBe(false);
  });
});

describe("guarded runs with signed-note keys (approvers[].key)", () => {
  it("the requester signs with a note key; its own approval does not count, another approver's does; runs show verifies without allowed signers", () => {
    const repo = makeRepo();
    const dir = makeTempDir("gh-note-");
    const key = (name: string) => {
      const k = generateNoteSigner(name);
      writeFileSync(join(dir, name), `${k.signerKey}\n`, { mode: 0o600 });
      return { file: join(dir, name), vkey: k.verifierKey };
    };
    const req = key("dana");
    const ann = key("ann");
    repo.write(
      ".gitops-health.yml",
      `policy:\n  requiredChecks: []\napprovers:\n  - name: dana\n    email: dana@example.invalid\n    key: ${req.vkey}\n  - name: ann\n    email: ann@example.invalid\n    key: ${ann.vkey}\n`,
    );
    repo.commit("chore: init", { "README.md": "x\n" });
    const out = join(makeTempDir("gh-out-"), "out.txt");
    const cli = (args: string[]) =>
      runCli(args, { cwd: repo.dir, env: { GITOPS_HEALTH_LEDGER: join(repo.dir, "ledger") } });
    const cmd = ["--", "sh", "-c", `echo ran >> ${out}`];
    const plan = cli(["run", "--classification", "business", "--run-id", "n-1", "--key", req.file, ...cmd]);
    expect(plan.code).toBe(0);
    const self = cli(["approve", "n-1", "--key", req.file]);
    expect(self.code).toBe(1);
    expect(self.stderr).toMatch(/dana@example.invalid requested run n-1 and cannot approve it/);
    expect(
      cli(["run", "--classification", "business", "--run-id", "n-1", "--approve", "--key", req.file, ...cmd]).code,
    ).toBe(1);
    expect(cli(["approve", "n-1", "--key", ann.file]).code).toBe(0);
    expect(
      cli(["run", "--classification", "business", "--run-id", "n-1", "--approve", "--key", req.file, ...cmd]).code,
    ).toBe(0);
    expect(readFileSync(out, "utf8")).toBe("ran\n");
    const show = JSON.parse(cli(["runs", "show", "n-1", "--format", "json"]).stdout);
    expect(show).toMatchObject({
      state: "completed",
      requester: "dana@example.invalid",
      executedBy: "dana@example.invalid",
      approvals: { valid: ["ann@example.invalid"] },
    });
    expect(show.outcome).toMatchObject({ exitCode: 0 });
  });
});

describe("guard() library API", () => {
  it("dry run by default, executes with approve, records everything", async () => {
    const repo = makeRepo();
    repo.commit("chore: init", { a: "1\n" });
    const ledger = await openLedger(join(repo.dir, "ledger"));
    const config = parseConfigText("policy:\n  requiredChecks: []\n");
    let calls = 0;
    const op = async () => ++calls;
    const cwd = process.cwd();
    process.chdir(repo.dir);
    try {
      const dry = await guard(op, {
        classification: "personal",
        ledger,
        config,
        description: "weekly client report",
        runId: "lib-1",
      });
      expect(dry.executed).toBe(false);
      expect(calls).toBe(0);
      const real = await guard(op, {
        classification: "personal",
        ledger,
        config,
        description: "weekly client report",
        runId: "lib-1",
        approve: true,
      });
      expect(real).toMatchObject({ executed: true, result: 1 });
      const again = await guard(op, {
        classification: "personal",
        ledger,
        config,
        description: "weekly client report",
        runId: "lib-1",
        approve: true,
      });
      expect(again.executed).toBe(false);
      // a run that needs approvals needs a requester key: the requester is who the key proves
      await expect(
        guard(op, {
          classification: "business",
          ledger,
          config,
          description: "billing export",
          runId: "lib-2",
          approve: true,
        }),
      ).rejects.toThrow(/requester must sign/);
      expect(calls).toBe(1);
      expect((await ledger.verify({})).ok).toBe(true);
    } finally {
      process.chdir(cwd);
    }
    writeFileSync(join(repo.dir, "done"), "");
  });
});
