import { createRequire } from "node:module";

/** Finding fingerprints (keyed HMACs) and masked previews: what a finding may carry instead of its value. */

let crypto: typeof import("node:crypto") | undefined;
let fingerprintKey: Uint8Array | (() => Uint8Array) | undefined;
let resolvedKey: Uint8Array | undefined;

/**
 * The secret that keys finding fingerprints (HMAC-SHA256), or a function giving it, called once on
 * the first finding (so a clean run never looks for it). Without one a random key is made per
 * process: fingerprints then hide the value but match nothing across runs. See docs/SECURITY.md.
 */
export function setFingerprintKey(key: Uint8Array | (() => Uint8Array) | undefined): void {
  fingerprintKey = key;
  resolvedKey = undefined;
  pads = undefined;
}

/**
 * HMAC-SHA256 (RFC 2104) from the key's two padded blocks, computed once per key, and the one-shot
 * `crypto.hash` (Node >= 20.12): the same bytes as `createHmac`, without an Hmac object and its key
 * schedule per finding. `buf` holds ipad || message (grown as needed), `outer` opad || inner digest.
 */
let pads: { buf: Buffer; outer: Buffer } | undefined;
function hmacHex(key: Uint8Array, message: string): string {
  const c = crypto!;
  if (typeof c.hash !== "function") return c.createHmac("sha256", key).update(message).digest("hex");
  if (!pads) {
    const k0 = Buffer.alloc(64);
    if (key.length > 64) c.createHash("sha256").update(key).digest().copy(k0);
    else k0.set(key);
    const buf = Buffer.alloc(64 + 1024);
    const outer = Buffer.alloc(96);
    for (let i = 0; i < 64; i++) {
      buf[i] = k0[i]! ^ 0x36;
      outer[i] = k0[i]! ^ 0x5c;
    }
    pads = { buf, outer };
  }
  const max = Buffer.byteLength(message, "utf8");
  if (64 + max > pads.buf.length) {
    const grown = Buffer.alloc(64 + 2 * max);
    pads.buf.copy(grown, 0, 0, 64);
    pads.buf = grown;
  }
  const n = pads.buf.write(message, 64, "utf8");
  const inner = c.hash("sha256", pads.buf.subarray(0, 64 + n), "buffer") as unknown as Buffer;
  inner.copy(pads.outer, 64);
  return c.hash("sha256", pads.outer, "hex");
}

const normalise = (value: string) => value.replace(/\s+/g, " ").trim().toLowerCase();

/** Fingerprint scheme "hmac-sha256/v2": HMAC of rule, path and normalised value under the fingerprint key. */
export function fingerprint(ruleId: string, path: string | undefined, value: string): string {
  // node:crypto loads on the first finding only: a clean hook run never pays for it
  crypto ??= createRequire(import.meta.url)("node:crypto") as typeof import("node:crypto");
  if (!resolvedKey) {
    resolvedKey = typeof fingerprintKey === "function" ? fingerprintKey() : (fingerprintKey ?? crypto.randomBytes(32));
    pads = undefined;
  }
  return hmacHex(resolvedKey, `${ruleId}\0${path ?? ""}\0${normalise(value)}`).slice(0, 32);
}

/**
 * The unkeyed fingerprint of earlier versions (scheme v1: SHA-256 of the same input). Brute-forceable
 * for low-entropy values: computed only to match an old baseline until it is migrated, never written.
 */
export function legacyFingerprint(ruleId: string, path: string | undefined, value: string): string {
  crypto ??= createRequire(import.meta.url)("node:crypto") as typeof import("node:crypto");
  return crypto
    .createHash("sha256")
    .update(`${ruleId}\0${path ?? ""}\0${normalise(value)}`)
    .digest("hex")
    .slice(0, 32);
}

/** Mask a value for display: keep at most the first and last character of long values. */
export function maskValue(value: string): string {
  const flat = value.replace(/\s+/g, " ");
  if (flat.length <= 4) return "*".repeat(flat.length);
  if (flat.length <= 8) return flat[0] + "*".repeat(flat.length - 1);
  return flat[0] + "*".repeat(Math.min(flat.length - 2, 24)) + flat[flat.length - 1];
}
