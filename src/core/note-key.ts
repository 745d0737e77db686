import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { UserError } from "./errors.js";

/**
 * Ed25519 keys in the signed-note formats (C2SP signed-note; golang.org/x/mod/sumdb/note):
 *   signer key:   PRIVATE+KEY+<name>+<hex keyid>+<base64(0x01 || 32-byte seed)>
 *   verifier key: <name>+<hex keyid>+<base64(0x01 || 32-byte public key)>
 *   keyid = first 4 bytes of SHA-256(<name> || "\n" || 0x01 || public key)
 */
export interface NoteSigner {
  name: string;
  keyId: Buffer; // 4 bytes
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicRaw: Buffer; // 32 bytes
}

export interface NoteVerifier {
  name: string;
  keyId: Buffer;
  publicKey: KeyObject;
  publicRaw: Buffer;
}

const ED25519_ALG = 0x01;
const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_ED25519_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

// base64 may itself contain '+', so only the first n-1 separators count.
function splitPlus(text: string, n: number): string[] {
  const out: string[] = [];
  let rest = text;
  while (out.length < n - 1) {
    const i = rest.indexOf("+");
    if (i < 0) break;
    out.push(rest.slice(0, i));
    rest = rest.slice(i + 1);
  }
  out.push(rest);
  return out;
}

export function noteKeyId(name: string, publicRaw: Buffer): Buffer {
  return createHash("sha256")
    .update(Buffer.concat([Buffer.from(name + "\n"), Buffer.from([ED25519_ALG]), publicRaw]))
    .digest()
    .subarray(0, 4);
}

function validName(name: string): boolean {
  return name.length > 0 && !/[\s+]/.test(name) && !/[\x00-\x1f]/.test(name);
}

export function generateNoteSigner(name: string): { signer: NoteSigner; signerKey: string; verifierKey: string } {
  if (!validName(name)) throw new UserError(`invalid key name "${name}": no spaces or '+'`);
  const { privateKey } = generateKeyPairSync("ed25519");
  const seed = privateKey.export({ format: "der", type: "pkcs8" }).subarray(-32);
  const signerKey = `PRIVATE+KEY+${name}+${"00000000"}+${Buffer.concat([Buffer.from([ED25519_ALG]), seed]).toString("base64")}`;
  const signer = parseSignerKey(
    signerKey.replace("+00000000+", `+${noteKeyId(name, publicFromSeed(seed)).toString("hex")}+`),
  );
  return { signer, signerKey: formatSignerKey(signer, seed), verifierKey: formatVerifierKey(signer) };
}

function publicFromSeed(seed: Buffer): Buffer {
  const priv = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: "der", type: "pkcs8" });
  return createPublicKey(priv).export({ format: "der", type: "spki" }).subarray(-32);
}

function formatSignerKey(s: NoteSigner, seed: Buffer): string {
  return `PRIVATE+KEY+${s.name}+${s.keyId.toString("hex")}+${Buffer.concat([Buffer.from([ED25519_ALG]), seed]).toString("base64")}`;
}

export function formatVerifierKey(v: { name: string; keyId: Buffer; publicRaw: Buffer }): string {
  return `${v.name}+${v.keyId.toString("hex")}+${Buffer.concat([Buffer.from([ED25519_ALG]), v.publicRaw]).toString("base64")}`;
}

export function parseSignerKey(text: string): NoteSigner {
  const parts = splitPlus(text.trim(), 5);
  if (parts.length !== 5 || parts[0] !== "PRIVATE" || parts[1] !== "KEY")
    throw new UserError("not a signed-note signer key (PRIVATE+KEY+name+id+key)");
  const [, , name, idHex, b64] = parts as [string, string, string, string, string];
  const raw = Buffer.from(b64, "base64");
  if (!validName(name) || !/^[0-9a-f]{8}$/.test(idHex) || raw.length !== 33 || raw[0] !== ED25519_ALG)
    throw new UserError("malformed signed-note signer key");
  const seed = raw.subarray(1);
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
    format: "der",
    type: "pkcs8",
  });
  const publicKey = createPublicKey(privateKey);
  const publicRaw = publicKey.export({ format: "der", type: "spki" }).subarray(-32);
  const keyId = noteKeyId(name, publicRaw);
  if (keyId.toString("hex") !== idHex) throw new UserError("signed-note signer key: key ID does not match the key");
  return { name, keyId, privateKey, publicKey, publicRaw };
}

export function parseVerifierKey(text: string): NoteVerifier {
  const parts = splitPlus(text.trim(), 3);
  if (parts.length !== 3) throw new UserError("not a signed-note verifier key (name+id+key)");
  const [name, idHex, b64] = parts as [string, string, string];
  const raw = Buffer.from(b64, "base64");
  if (!validName(name) || !/^[0-9a-f]{8}$/.test(idHex) || raw.length !== 33 || raw[0] !== ED25519_ALG)
    throw new UserError("malformed signed-note verifier key");
  const publicRaw = raw.subarray(1);
  const keyId = noteKeyId(name, publicRaw);
  if (keyId.toString("hex") !== idHex) throw new UserError("signed-note verifier key: key ID does not match the key");
  const publicKey = createPublicKey({
    key: Buffer.concat([SPKI_ED25519_PREFIX, publicRaw]),
    format: "der",
    type: "spki",
  });
  return { name, keyId, publicKey, publicRaw };
}
