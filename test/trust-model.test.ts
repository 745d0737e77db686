import { describe, expect, it, beforeAll } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeRepo, makeTempDir, runCli, type TempRepo } from "./helpers/repo.js";
import { openLedger } from "../src/audit/index.js";
import { approvalMessage, approveRun, eventMessage, readRun } from "../src/guard/index.js";
import { signApproval } from "../src/core/signing.js";

/**
 * The trust model under attack: a developer who holds one key (the "requester" key) tries every way
 * to get a business or clinical run executed, or shown as executed, without the required distinct
 * approvers. Every attack ends with the approved-content marker absent and the edited one never run.
 *
 * The attacks are written to also run against builds whose `run` has no --key option (they retry
 * without it), so the same file shows which attacks succeeded there.
 */

const keys = makeTempDir("gh-trust-keys-");
function sshKey(name: string): { priv: string; pub: string } {
  const priv = join(keys, name);
  if (!existsSync(priv)) execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", priv]);
  return { priv, pub: readFileSync(`${priv}.pub`, "utf8").trim() };
}

beforeAll(() => {
  for (const k of ["alice", "bob", "requester", "stranger"]) sshKey(k);
});

interface World {
  repo: TempRepo;
  ledgerDir: string;
  out: string;
  cli(args: string[], env?: Record<string, string>): ReturnType<typeof runCli>;
  /** record the plan of `sh <script>` (or another command), signed by the requester key when the build supports it */
  request(cls: string, id: string, command?: string[], env?: Record<string, string>): ReturnType<typeof runCli>;
  /** run --approve, as the requester */
  execute(cls: string, id: string, command?: string[], env?: Record<string, string>): ReturnType<typeof runCli>;
  approve(id: string, key: string, extra?: string[]): ReturnType<typeof runCli>;
  ran(): string;
}

/**
 * allowed_signers lists alice's key twice (alice, alice-alt) and the requester's key twice
 * (author-ci first, then author, the requester's git user.email): one person, two names.
 */
function world(): World {
  const repo = makeRepo();
  const out = join(makeTempDir("gh-trust-out-"), "out.txt");
  const alice = sshKey("alice");
  const bob = sshKey("bob");
  const self = sshKey("requester");
  const line = (who: string, pub: string) => `${who} namespaces="gitops-health" ${pub}`;
  repo.write(
    "allowed_signers",
    [
      line("alice@example.com", alice.pub),
      line("alice-alt@example.com", alice.pub),
      line("bob@example.com", bob.pub),
      line("author-ci@example.invalid", self.pub),
      line("author@example.invalid", self.pub),
    ].join("\n") + "\n",
  );
  repo.write(".gitops-health.yml", "allowedSignersFile: allowed_signers\npolicy:\n  requiredChecks: []\n");
  repo.write(".gitignore", "ledger/\n");
  repo.commit("chore: init", { "src/run.sh": `echo approved >> ${out}\n` });
  const ledgerDir = join(repo.dir, "ledger");
  const cli = (args: string[], env: Record<string, string> = {}) =>
    runCli(args, { cwd: repo.dir, env: { GITOPS_HEALTH_LEDGER: ledgerDir, ...env } });
  const withKey = (args: string[], env?: Record<string, string>) => {
    const i = args.indexOf("--");
    const r = cli([...args.slice(0, i), "--key", self.priv, ...args.slice(i)], env);
    return /unknown option '--key'/.test(r.stderr) ? cli(args, env) : r;
  };
  const script = ["sh", "src/run.sh"];
  return {
    repo,
    ledgerDir,
    out,
    cli,
    request: (cls, id, command = script, env) =>
      withKey(["run", "--classification", cls, "--run-id", id, "--", ...command], env),
    execute: (cls, id, command = script, env) =>
      withKey(["run", "--classification", cls, "--run-id", id, "--approve", "--", ...command], env),
    approve: (id, key, extra = []) => cli(["approve", id, "--key", key, ...extra]),
    ran: () => (existsSync(out) ? readFileSync(out, "utf8") : ""),
  };
}

/** Append raw entries through the library's ledger API (what anyone who can write the ledger can do). */
async function append(
  w: World,
  entries: { type: string; subject: string; payload: unknown; actor?: string }[],
): Promise<void> {
  const ledger = await openLedger(w.ledgerDir);
  try {
    for (const e of entries) await ledger.append(e);
  } finally {
    await ledger.close();
  }
}

async function recordedRun(w: World, id: string) {
  const ledger = await openLedger(w.ledgerDir);
  try {
    return await readRun(ledger, id);
  } finally {
    await ledger.close();
  }
}

describe("trust model: no run without the required distinct approvers", () => {
  it("control: a clinical run approved by two distinct keys other than the requester's runs and shows as completed", () => {
    const w = world();
    expect(w.request("clinical", "ok-1").code).toBe(0);
    expect(w.approve("ok-1", sshKey("alice").priv).code).toBe(0);
    expect(w.approve("ok-1", sshKey("bob").priv).code).toBe(0);
    expect(w.execute("clinical", "ok-1").code).toBe(0);
    expect(w.ran()).toBe("approved\n");
    const show = JSON.parse(w.cli(["runs", "show", "ok-1", "--format", "json"]).stdout);
    expect(show.state).toBe("completed");
    expect(show.approvals.valid.sort()).toEqual(["alice@example.com", "bob@example.com"]);
  });

  it("spoofing git user.email for one command (GIT_CONFIG_COUNT) does not make the requester someone else", () => {
    const w = world();
    const spoof = { GIT_CONFIG_COUNT: "1", GIT_CONFIG_KEY_0: "user.email", GIT_CONFIG_VALUE_0: "bob@example.com" };
    const id = "spoof-1";
    // Without a key the requester is not established at all.
    const unsigned = w.cli(["run", "--classification", "business", "--run-id", id, "--", "sh", "src/run.sh"], spoof);
    if (unsigned.code === 2) expect(unsigned.stderr).toMatch(/requester must sign/);
    // The attacker approves with their own key and executes, still claiming to be bob.
    w.approve(id, sshKey("requester").priv);
    w.cli(["run", "--classification", "business", "--run-id", id, "--approve", "--", "sh", "src/run.sh"], spoof);
    // With their key the requester is who the key proves, whatever git config says.
    w.request("business", id, undefined, spoof);
    w.approve(id, sshKey("requester").priv);
    const r = w.execute("business", id, undefined, spoof);
    expect(r.code).not.toBe(0);
    expect(w.ran()).toBe("");
  });

  it("the same key approving twice under different names counts once", async () => {
    const w = world();
    const id = "twice-1";
    expect(w.request("clinical", id).code).toBe(0);
    expect(w.approve(id, sshKey("alice").priv).code).toBe(0);
    const mine = (await recordedRun(w, id)).approvals[0]!;
    // alice's approval again, now claiming her second allowed-signers name: the key verifies for both.
    const { seq: _seq, ...payload } = mine;
    await append(w, [
      {
        type: "run.approval",
        subject: id,
        actor: "alice-alt@example.com",
        payload: { ...payload, keyId: "alice-alt@example.com", approver: "alice-alt@example.com" },
      },
    ]);
    const r = w.execute("clinical", id);
    expect(r.code).toBe(1);
    expect(w.ran()).toBe("");
    const show = JSON.parse(w.cli(["runs", "show", id, "--format", "json"]).stdout);
    expect(show.approvals.valid).toEqual(["alice@example.com"]);
  });

  it("the requester's key does not count, under any of its names, through the CLI or written straight to the ledger", async () => {
    const w = world();
    const id = "self-1";
    expect(w.request("business", id).code).toBe(0);
    // Through the CLI: the key's first allowed-signers name (author-ci) differs from git user.email (author).
    w.approve(id, sshKey("requester").priv);
    // Straight to the ledger, bypassing approve's own check.
    const state = await recordedRun(w, id);
    const expiresAt = new Date(Date.now() + 3600e3).toISOString();
    const ctx = { allowedSignersFile: join(w.repo.dir, "allowed_signers"), noteApprovers: [] };
    const sig = signApproval(approvalMessage(id, state.plan!.digest, expiresAt), sshKey("requester").priv, ctx);
    await append(w, [
      {
        type: "run.approval",
        subject: id,
        payload: { ...sig, digest: state.plan!.digest, expiresAt, signedAt: new Date().toISOString() },
      },
    ]);
    const r = w.execute("business", id);
    expect(r.code).toBe(1);
    expect(w.ran()).toBe("");
  });

  it("an approver key that is not configured does not count, whatever name its record claims", async () => {
    const w = world();
    const id = "stranger-1";
    expect(w.request("business", id).code).toBe(0);
    const refused = w.approve(id, sshKey("stranger").priv);
    expect(refused.code).toBe(2);
    // Signed by the stranger's key over the right message, recorded as alice.
    const state = await recordedRun(w, id);
    const expiresAt = new Date(Date.now() + 3600e3).toISOString();
    const tmp = makeTempDir();
    writeFileSync(join(tmp, "allowed"), `alice@example.com ${sshKey("stranger").pub}\n`);
    const sig = signApproval(approvalMessage(id, state.plan!.digest, expiresAt), sshKey("stranger").priv, {
      allowedSignersFile: join(tmp, "allowed"),
      noteApprovers: [],
    });
    await append(w, [
      {
        type: "run.approval",
        subject: id,
        actor: "alice@example.com",
        payload: { ...sig, digest: state.plan!.digest, expiresAt, signedAt: new Date().toISOString() },
      },
    ]);
    expect(w.execute("business", id).code).toBe(1);
    expect(w.ran()).toBe("");
  });

  it("an expired approval does not count, nor one whose expiry was edited", async () => {
    const w = world();
    const id = "expired-1";
    expect(w.request("business", id).code).toBe(0);
    const ledger = await openLedger(w.ledgerDir);
    try {
      const ctx = { allowedSignersFile: join(w.repo.dir, "allowed_signers"), noteApprovers: [] };
      await approveRun(ledger, id, sshKey("bob").priv, "1h", ctx, new Date(Date.now() - 2 * 3600e3));
    } finally {
      await ledger.close();
    }
    const r = w.execute("business", id);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/expired/);
    const { seq: _seq, ...old } = (await recordedRun(w, id)).approvals[0]!;
    await append(w, [
      {
        type: "run.approval",
        subject: id,
        payload: { ...old, expiresAt: new Date(Date.now() + 3600e3).toISOString() },
      },
    ]);
    expect(w.execute("business", id).code).toBe(1);
    expect(w.ran()).toBe("");
  });

  it("an approval for another digest does not count, nor one whose digest was edited", async () => {
    const w = world();
    const id = "digest-1";
    expect(w.request("business", id).code).toBe(0);
    expect(w.approve(id, sshKey("bob").priv).code).toBe(0);
    const other = ["sh", "-c", `echo other >> ${w.out}`];
    const r = w.execute("business", id, other);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/different plan/);
    const state = await recordedRun(w, id);
    const { seq: _seq, ...approval } = state.approvals[0]!;
    const newDigest = state.plan!.digest; // the latest recorded plan: the other command
    expect(newDigest).not.toBe(approval.digest);
    await append(w, [{ type: "run.approval", subject: id, payload: { ...approval, digest: newDigest } }]);
    expect(w.execute("business", id, other).code).toBe(1);
    expect(w.ran()).toBe("");
  });

  it("a hand-appended plan showing one command with the digest of another is not what approvers approve", async () => {
    const w = world();
    const id = "swap-1";
    const evil = ["sh", "-c", `echo evil >> ${w.out}`];
    // The requester records the evil plan (to learn its digest), then the harmless one.
    expect(w.request("business", id, evil).code).toBe(0);
    const evilPlan = (await recordedRun(w, id)).plan!;
    expect(w.request("business", id).code).toBe(0);
    const harmless = (await recordedRun(w, id)).plan!;
    // A last plan entry shows the harmless command but carries the evil digest (and its signature, if any).
    const { digest: _d, ...shown } = harmless;
    await append(w, [
      {
        type: "run.plan",
        subject: id,
        payload: { ...shown, requesterSig: evilPlan.requesterSig, digest: evilPlan.digest },
      },
    ]);
    const approval = w.approve(id, sshKey("bob").priv);
    expect(approval.stderr).not.toContain(evilPlan.digest.slice(0, 16));
    const r = w.execute("business", id, evil);
    expect(r.code).toBe(1);
    expect(w.ran()).toBe("");
  });

  it("hand-appended run.started / run.completed and approval entries do not make a clinical run approved or completed", async () => {
    const w = world();
    const id = "forged-1";
    expect(w.request("clinical", id).code).toBe(0);
    const state = await recordedRun(w, id);
    const digest = state.plan!.digest;
    const fakeSig = {
      method: "ssh",
      signature: "-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n",
      keyId: "alice@example.com",
      approver: "alice@example.com",
    };
    const expiresAt = new Date(Date.now() + 3600e3).toISOString();
    await append(w, [
      {
        type: "run.approval",
        subject: id,
        actor: "alice@example.com",
        payload: { ...fakeSig, digest, expiresAt, signedAt: new Date().toISOString() },
      },
      {
        type: "run.approval",
        subject: id,
        actor: "bob@example.com",
        payload: {
          ...fakeSig,
          keyId: "bob@example.com",
          approver: "bob@example.com",
          digest,
          expiresAt,
          signedAt: new Date().toISOString(),
        },
      },
      { type: "run.started", subject: id, payload: { digest, approvers: ["alice@example.com", "bob@example.com"] } },
      {
        type: "run.completed",
        subject: id,
        payload: { digest, exitCode: 0, durationMs: 5, outputSha256: "0".repeat(64) },
      },
    ]);
    const show = JSON.parse(w.cli(["runs", "show", id, "--format", "json"]).stdout);
    expect(show.state).not.toBe("completed");
    expect(show.approvals.valid).toEqual([]);
    const list = JSON.parse(w.cli(["runs", "list", "--format", "json"]).stdout);
    expect(list.find((r: { runId: string }) => r.runId === id).state).not.toBe("completed");
    // Events signed by a trusted key (the requester's own) still do not count for a plan nobody approved.
    const ctx = { allowedSignersFile: join(w.repo.dir, "allowed_signers"), noteApprovers: [] };
    const started = { approvers: [], requester: null, digest };
    const completed = { exitCode: 0, durationMs: 5, outputSha256: "0".repeat(64), digest };
    await append(w, [
      {
        type: "run.started",
        subject: id,
        payload: {
          ...started,
          sig: signApproval(eventMessage("run.started", id, digest, started), sshKey("requester").priv, ctx),
        },
      },
      {
        type: "run.completed",
        subject: id,
        payload: {
          ...completed,
          sig: signApproval(eventMessage("run.completed", id, digest, completed), sshKey("requester").priv, ctx),
        },
      },
    ]);
    const again = JSON.parse(w.cli(["runs", "show", id, "--format", "json"]).stdout);
    expect(again.state).not.toBe("completed");
    // Real approvals recorded after the start do not approve it retroactively.
    const ledger = await openLedger(w.ledgerDir);
    try {
      for (const who of ["alice", "bob"]) {
        const exp = new Date(Date.now() + 3600e3).toISOString();
        const s = signApproval(approvalMessage(id, digest, exp), sshKey(who).priv, ctx);
        await ledger.append({
          type: "run.approval",
          subject: id,
          payload: { ...s, digest, expiresAt: exp, signedAt: new Date().toISOString() },
        });
      }
    } finally {
      await ledger.close();
    }
    const late = JSON.parse(w.cli(["runs", "show", id, "--format", "json"]).stdout);
    expect(late.state).not.toBe("completed");
    expect(w.ran()).toBe("");
  });
});

describe("trust model: the approved plan covers what runs", () => {
  const edited = (w: World) => `echo edited >> ${w.out}\n`;

  it("a tracked script edited after approval (uncommitted) does not run", () => {
    const w = world();
    expect(w.request("business", "edit-1").code).toBe(0);
    expect(w.approve("edit-1", sshKey("bob").priv).code).toBe(0);
    w.repo.write("src/run.sh", edited(w));
    w.execute("business", "edit-1");
    expect(w.ran()).not.toMatch(/edited/);
    w.repo.git("checkout", "--", "src/run.sh");
    if (!w.ran()) expect(w.execute("business", "edit-1").code).toBe(0);
    expect(w.ran()).toBe("approved\n");
  });

  it("a script edited and committed on a new HEAD after approval does not run", () => {
    const w = world();
    expect(w.request("business", "edit-2").code).toBe(0);
    expect(w.approve("edit-2", sshKey("bob").priv).code).toBe(0);
    w.repo.commit("chore: edit", { "src/run.sh": edited(w) });
    expect(w.execute("business", "edit-2").code).toBe(1);
    expect(w.ran()).toBe("");
  });

  it("an untracked script named in the command is part of the plan: edited, it does not run; restored, the approved content runs", () => {
    const w = world();
    const approved = `echo approved-untracked >> ${w.out}\n`;
    w.repo.write("src/new.sh", approved);
    const cmd = ["sh", "src/new.sh"];
    expect(w.request("business", "edit-3", cmd).code).toBe(0);
    expect(w.approve("edit-3", sshKey("bob").priv).code).toBe(0);
    w.repo.write("src/new.sh", edited(w));
    expect(w.execute("business", "edit-3", cmd).code).not.toBe(0);
    expect(w.ran()).toBe("");
    w.repo.write("src/new.sh", approved);
    const r = w.execute("business", "edit-3", cmd);
    expect(r.stderr).toMatch(/COMPLETED/);
    expect(w.ran()).toBe("approved-untracked\n");
  });

  it("a tracked script named by absolute path: edited, the run is refused; restored, the approved content runs", () => {
    const w = world();
    const cmd = ["sh", join(w.repo.dir, "src", "run.sh")];
    expect(w.request("business", "abs-1", cmd).code).toBe(0);
    expect(w.approve("abs-1", sshKey("bob").priv).code).toBe(0);
    w.repo.write("src/run.sh", edited(w));
    expect(w.execute("business", "abs-1", cmd).code).toBe(2);
    w.repo.git("checkout", "--", "src/run.sh");
    expect(w.execute("business", "abs-1", cmd).code).toBe(0);
    expect(w.ran()).toBe("approved\n");
  });

  it("an untracked script named inside a shell string is part of the plan too", () => {
    const w = world();
    w.repo.write("src/inner.sh", `echo approved-inner >> ${w.out}\n`);
    const cmd = ["sh", "-c", "sh src/inner.sh"];
    expect(w.request("business", "edit-4", cmd).code).toBe(0);
    expect(w.approve("edit-4", sshKey("bob").priv).code).toBe(0);
    w.repo.write("src/inner.sh", edited(w));
    w.execute("business", "edit-4", cmd);
    expect(w.ran()).not.toMatch(/edited/);
  });
});
