import { sign, verify } from "node:crypto";
import type { NoteSigner, NoteVerifier } from "../core/note-key.js";

/**
 * C2SP signed notes (signed-note.md) with Ed25519 signatures, and C2SP tlog-checkpoint bodies.
 *   note      = text "\n" 1*signature-line ; text ends in "\n"
 *   sig line  = "— " name " " base64(keyid[4] || signature[64]) "\n"
 */
const SIG_PREFIX = "\u2014 ";

export function signNote(text: string, signer: NoteSigner): string {
  if (!text.endsWith("\n")) throw new Error("note text must end with a newline");
  const sig = sign(null, Buffer.from(text, "utf8"), signer.privateKey);
  return `${text}\n${SIG_PREFIX}${signer.name} ${Buffer.concat([signer.keyId, sig]).toString("base64")}\n`;
}

export interface NoteVerification {
  ok: boolean;
  text?: string;
  /** Names of verifiers whose signatures verified. */
  verifiedBy: string[];
  reason?: string;
}

/** Verify a signed note: at least one signature by a known verifier must verify, none may be bad. */
export function verifyNote(note: string, verifiers: NoteVerifier[]): NoteVerification {
  const split = note.lastIndexOf("\n\n");
  if (split < 0) return { ok: false, verifiedBy: [], reason: "malformed note: no signature block" };
  const text = note.slice(0, split + 1);
  const sigBlock = note.slice(split + 2);
  if (!sigBlock.endsWith("\n"))
    return { ok: false, verifiedBy: [], reason: "malformed note: signature block must end with a newline" };
  const verifiedBy: string[] = [];
  for (const line of sigBlock.slice(0, -1).split("\n")) {
    if (!line.startsWith(SIG_PREFIX)) return { ok: false, verifiedBy: [], reason: "malformed signature line" };
    const rest = line.slice(SIG_PREFIX.length);
    const sp = rest.lastIndexOf(" ");
    if (sp <= 0) return { ok: false, verifiedBy: [], reason: "malformed signature line" };
    const name = rest.slice(0, sp);
    const raw = Buffer.from(rest.slice(sp + 1), "base64");
    if (raw.length < 5) return { ok: false, verifiedBy: [], reason: "malformed signature" };
    const keyId = raw.subarray(0, 4);
    const v = verifiers.find((k) => k.name === name && k.keyId.equals(keyId));
    if (!v) continue; // unknown signers are ignored, as the spec requires
    if (raw.length !== 68 || !verify(null, Buffer.from(text, "utf8"), v.publicKey, raw.subarray(4))) {
      return { ok: false, verifiedBy: [], reason: `bad signature by ${name}` };
    }
    verifiedBy.push(name);
  }
  if (verifiedBy.length === 0) return { ok: false, verifiedBy, reason: "no signature by a known key" };
  return { ok: true, text, verifiedBy };
}

export interface Checkpoint {
  origin: string;
  size: number;
  rootHash: Buffer;
  extensions: string[];
}

export function formatCheckpoint(c: Checkpoint): string {
  return `${c.origin}\n${c.size}\n${c.rootHash.toString("base64")}\n${c.extensions.map((e) => e + "\n").join("")}`;
}

export function parseCheckpoint(text: string): Checkpoint {
  const lines = text.split("\n");
  if (lines.length < 4 || lines[lines.length - 1] !== "") throw new Error("malformed checkpoint");
  const [origin, sizeText, rootText] = lines as [string, string, string];
  if (!origin || !/^(0|[1-9][0-9]*)$/.test(sizeText)) throw new Error("malformed checkpoint size");
  const rootHash = Buffer.from(rootText, "base64");
  if (rootHash.length !== 32 || rootHash.toString("base64") !== rootText)
    throw new Error("malformed checkpoint root hash");
  return { origin, size: Number(sizeText), rootHash, extensions: lines.slice(3, -1) };
}
