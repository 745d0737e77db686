import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeTempDir } from "./helpers/repo.js";
import { ed25519Fingerprint, signApproval, verifyApproval } from "../src/core/signing.js";
import { generateNoteSigner } from "../src/core/note-key.js";

function sshKey(dir: string, name: string): string {
  const file = join(dir, name);
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", file]);
  return file;
}

describe("SSH approval signatures", () => {
  it("take the identity from the key, whatever principal the stored record claims", () => {
    const dir = makeTempDir();
    const alice = sshKey(dir, "alice");
    const mallory = sshKey(dir, "mallory");
    const allowed = join(dir, "allowed_signers");
    const line = (who: string, key: string) =>
      `${who}@example.invalid ${readFileSync(`${key}.pub`, "utf8").trim().split(" ").slice(0, 2).join(" ")}`;
    writeFileSync(allowed, `${line("alice", alice)}\n${line("mallory", mallory)}\n`);
    const ctx = { allowedSignersFile: allowed, noteApprovers: [] };
    const plan = "run mig-1 digest 4e3f expires 2026-12-01";

    const good = signApproval(plan, alice, ctx);
    expect(good.approver).toBe("alice@example.invalid");
    expect(verifyApproval(plan, good, ctx)).toMatchObject({
      ok: true,
      approver: "alice@example.invalid",
      fingerprint: good.fingerprint,
    });
    // The fingerprint is the signing key's, as ssh-keygen prints it.
    expect(good.fingerprint).toBe(
      execFileSync("ssh-keygen", ["-l", "-f", `${alice}.pub`], { encoding: "utf8" }).split(" ")[1],
    );
    // Another plan, same signature: refused.
    expect(verifyApproval(`${plan}!`, good, ctx)).toMatchObject({ ok: false });

    // Mallory signs and edits the record to claim Alice: the key still says Mallory.
    const forged = {
      ...signApproval(plan, mallory, ctx),
      keyId: "alice@example.invalid",
      approver: "alice@example.invalid",
    };
    expect(verifyApproval(plan, forged, ctx)).toMatchObject({ ok: true, approver: "mallory@example.invalid" });

    // A key missing from the allowed-signers file does not count, whatever it claims.
    const stranger = sshKey(dir, "stranger");
    writeFileSync(allowed, `${line("alice", alice)}\n${line("stranger", stranger)}\n`);
    const strangerSig = signApproval(plan, stranger, ctx);
    writeFileSync(allowed, `${line("alice", alice)}\n`);
    expect(verifyApproval(plan, { ...strangerSig, keyId: "alice@example.invalid" }, ctx)).toEqual({
      ok: false,
      reason: "signing key is not in the allowed-signers file",
    });
  });
});

describe("key fingerprints", () => {
  it("a signed-note key and an SSH key holding the same Ed25519 key have the same fingerprint, the one ssh-keygen prints", () => {
    const dir = makeTempDir();
    const { signer } = generateNoteSigner("ci-bot");
    const blob = Buffer.concat([
      Buffer.from([0, 0, 0, 11]),
      Buffer.from("ssh-ed25519"),
      Buffer.from([0, 0, 0, 32]),
      signer.publicRaw,
    ]);
    writeFileSync(join(dir, "k.pub"), `ssh-ed25519 ${blob.toString("base64")} ci-bot\n`);
    const printed = execFileSync("ssh-keygen", ["-l", "-f", join(dir, "k.pub")], { encoding: "utf8" }).split(" ")[1];
    expect(ed25519Fingerprint(signer.publicRaw)).toBe(printed);
    expect(ed25519Fingerprint(generateNoteSigner("ci-bot").signer.publicRaw)).not.toBe(printed);
  });
});
