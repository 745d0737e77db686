import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash, sign, verify } from "node:crypto";
import { UserError } from "./errors.js";
import { parseSignerKey, parseVerifierKey, formatVerifierKey } from "./note-key.js";

export const SSH_NAMESPACE = "gitops-health";
export const NO_ALLOWED_SIGNERS =
  "cannot verify SSH signatures without allowed signers (allowedSignersFile in .gitops-health.yml, or --allowed-signers)";

export interface Signature {
  method: "ssh" | "note";
  /** approver identity established from the key (allowed-signers principal or configured approver) */
  approver: string;
  signature: string;
  keyId: string;
  /** SHA256 fingerprint of the signing public key, as `ssh-keygen -l` prints it (informational: verification recomputes it) */
  fingerprint?: string;
}

export type Verified = { ok: true; approver: string; fingerprint: string } | { ok: false; reason: string };

function sshString(b: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
}

function fingerprintOfBlob(blob: Buffer): string {
  return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

/** Fingerprint of an Ed25519 public key: the same value for a signed-note key and an SSH key holding the same key. */
export function ed25519Fingerprint(publicRaw: Buffer): string {
  return fingerprintOfBlob(Buffer.concat([sshString(Buffer.from("ssh-ed25519")), sshString(publicRaw)]));
}

/** Fingerprint of the public key embedded in an armored SSHSIG signature (PROTOCOL.sshsig), or undefined if malformed. */
export function sshSignatureFingerprint(armored: string): string | undefined {
  const body = armored.replace(/-----(BEGIN|END) SSH SIGNATURE-----/g, "").replace(/\s+/g, "");
  const raw = Buffer.from(body, "base64");
  if (raw.length < 14 || raw.subarray(0, 6).toString("latin1") !== "SSHSIG") return undefined;
  const len = raw.readUInt32BE(10);
  if (len === 0 || 14 + len > raw.length) return undefined;
  return fingerprintOfBlob(raw.subarray(14, 14 + len));
}

export interface VerifyContext {
  allowedSignersFile?: string;
  /** configured approvers with signed-note verifier keys */
  noteApprovers: { identity: string; vkey: string }[];
}

function run(args: string[], input?: string) {
  return spawnSync("ssh-keygen", args, { input, encoding: "utf8" });
}

/** Sign with an SSH private key (ssh-keygen -Y sign) or a signed-note Ed25519 key from `audit keygen`. */
export function signApproval(message: string, keyFile: string, ctx: VerifyContext): Signature {
  const keyText = readKeyText(keyFile);
  if (keyText.startsWith("PRIVATE+KEY+")) {
    const signer = parseSignerKey(keyText.trim());
    const vkey = formatVerifierKey(signer);
    const known = ctx.noteApprovers.find((a) => a.vkey === vkey);
    if (!known)
      throw new UserError(
        `key ${signer.name}+${signer.keyId.toString("hex")} is not a configured approver (approvers[].key in .gitops-health.yml)`,
      );
    return {
      method: "note",
      approver: known.identity,
      signature: sign(null, Buffer.from(message), signer.privateKey).toString("base64"),
      keyId: vkey,
      fingerprint: ed25519Fingerprint(signer.publicRaw),
    };
  }
  if (!ctx.allowedSignersFile)
    throw new UserError(
      "SSH approvals need an allowed-signers file (allowedSignersFile in .gitops-health.yml, or --allowed-signers)",
    );
  const sig = sshSign(message, keyFile, SSH_NAMESPACE);
  const approver = sshPrincipal(sig, ctx.allowedSignersFile);
  if (!approver)
    throw new UserError(`the key ${keyFile} is not listed in the allowed-signers file ${ctx.allowedSignersFile}`);
  return { method: "ssh", approver, signature: sig, keyId: approver, fingerprint: sshSignatureFingerprint(sig) };
}

function readKeyText(keyFile: string): string {
  try {
    return readFileSync(keyFile, "utf8");
  } catch {
    throw new UserError(`cannot read key ${keyFile}`);
  }
}

/** `ssh-keygen -Y sign` of `message` in `namespace`; returns the armoured signature. */
function sshSign(message: string, keyFile: string, namespace: string): string {
  const dir = mkdtempSync(join(tmpdir(), "gh-sign-"));
  try {
    const msgFile = join(dir, "statement");
    writeFileSync(msgFile, message);
    const r = run(["-Y", "sign", "-q", "-f", keyFile, "-n", namespace, msgFile]);
    if (r.status !== 0)
      throw new UserError(`ssh-keygen could not sign with ${keyFile}: ${(r.stderr || "").trim().split("\n")[0]}`);
    return readFileSync(`${msgFile}.sig`, "utf8");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function sshPrincipal(sig: string, allowedSigners: string): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), "gh-verify-"));
  try {
    writeFileSync(join(dir, "sig"), sig);
    const r = run(["-Y", "find-principals", "-s", join(dir, "sig"), "-f", allowedSigners]);
    if (r.status !== 0) return undefined;
    return r.stdout.trim().split("\n")[0] || undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Verify a stored approval; returns the identity the key proves, or a reason it does not count. */
export function verifyApproval(message: string, s: Signature, ctx: VerifyContext): Verified {
  if (!s || typeof s !== "object" || typeof s.signature !== "string" || typeof s.keyId !== "string")
    return { ok: false, reason: "no signature" };
  if (s.method === "note") {
    const a = ctx.noteApprovers.find((x) => x.vkey === s.keyId);
    if (!a) return { ok: false, reason: "signed with a key that is not a configured approver" };
    const v = parseVerifierKey(a.vkey);
    let good = false;
    try {
      good = verify(null, Buffer.from(message), v.publicKey, Buffer.from(s.signature, "base64"));
    } catch {
      good = false; // malformed signature bytes
    }
    return good
      ? { ok: true, approver: a.identity, fingerprint: ed25519Fingerprint(v.publicRaw) }
      : { ok: false, reason: "signature does not match this plan" };
  }
  if (s.method !== "ssh") return { ok: false, reason: "unknown signature method" };
  if (!ctx.allowedSignersFile) return { ok: false, reason: NO_ALLOWED_SIGNERS };
  // After a successful `-Y verify` the key embedded in the signature is the one that verified.
  const fingerprint = sshSignatureFingerprint(s.signature);
  if (!fingerprint) return { ok: false, reason: "malformed SSH signature" };
  // The recorded principal is only a hint: `-Y verify -I` succeeds only if the allowed-signers file
  // lists the signing key for that principal, so the identity still comes from the key. One
  // ssh-keygen process in the common case; the principal is looked up only when the hint fails.
  if (s.keyId && sshVerify(message, s.signature, ctx.allowedSignersFile, s.keyId))
    return { ok: true, approver: s.keyId, fingerprint };
  const principal = sshPrincipal(s.signature, ctx.allowedSignersFile);
  if (!principal) return { ok: false, reason: "signing key is not in the allowed-signers file" };
  if (principal === s.keyId) return { ok: false, reason: "signature does not match this plan" };
  return sshVerify(message, s.signature, ctx.allowedSignersFile, principal)
    ? { ok: true, approver: principal, fingerprint }
    : { ok: false, reason: "signature does not match this plan" };
}

function sshVerify(
  message: string,
  signature: string,
  allowedSigners: string,
  principal: string,
  namespace = SSH_NAMESPACE,
): boolean {
  const dir = mkdtempSync(join(tmpdir(), "gh-verify-"));
  try {
    writeFileSync(join(dir, "sig"), signature);
    return (
      run(["-Y", "verify", "-f", allowedSigners, "-I", principal, "-n", namespace, "-s", join(dir, "sig")], message)
        .status === 0
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A signature over any statement (not only approvals), by whoever holds the key; who that is
 * is decided when verifying, against the verifier's own trust list. Used for signed evidence
 * (check results): `namespace` keeps SSH signatures for one purpose from verifying for another.
 */
export interface KeySignature {
  method: "ssh" | "note";
  signature: string;
  /** signed-note verifier key, or the SSH public key's fingerprint (informational: trust comes from the verifier's list) */
  keyId: string;
}

export interface TrustList {
  allowedSignersFile?: string;
  /** signed-note verifier keys with the identity each proves */
  notes: { identity: string; vkey: string }[];
}

export function signWithKey(message: string, keyFile: string, namespace: string): KeySignature {
  const keyText = readKeyText(keyFile);
  if (keyText.startsWith("PRIVATE+KEY+")) {
    const signer = parseSignerKey(keyText.trim());
    return {
      method: "note",
      signature: sign(null, Buffer.from(message), signer.privateKey).toString("base64"),
      keyId: formatVerifierKey(signer),
    };
  }
  const signature = sshSign(message, keyFile, namespace);
  const fp = run(["-l", "-f", keyFile]);
  return { method: "ssh", signature, keyId: fp.status === 0 ? (fp.stdout.split(" ")[1] ?? "") : "" };
}

/** Verify a KeySignature against a trust list; the identity comes from the list, never from the signature. */
export function verifyWithKey(
  message: string,
  s: KeySignature,
  trust: TrustList,
  namespace: string,
): { ok: true; identity: string } | { ok: false; reason: string } {
  if (s.method === "note") {
    const t = trust.notes.find((x) => x.vkey === s.keyId);
    if (!t) return { ok: false, reason: "signed with a key that is not in the trusted list" };
    const v = parseVerifierKey(t.vkey);
    let good = false;
    try {
      good = verify(null, Buffer.from(message), v.publicKey, Buffer.from(s.signature, "base64"));
    } catch {
      good = false;
    }
    return good
      ? { ok: true, identity: t.identity }
      : { ok: false, reason: "signature does not match the recorded statement" };
  }
  if (s.method !== "ssh") return { ok: false, reason: "unknown signature method" };
  if (!trust.allowedSignersFile) return { ok: false, reason: "SSH-signed, and no allowed-signers file to verify it" };
  const principal = sshPrincipal(s.signature, trust.allowedSignersFile);
  if (!principal) return { ok: false, reason: "signing key is not in the allowed-signers file" };
  return sshVerify(message, s.signature, trust.allowedSignersFile, principal, namespace)
    ? { ok: true, identity: principal }
    : { ok: false, reason: `signature does not verify for ${principal} in namespace ${namespace}` };
}
