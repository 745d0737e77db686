/**
 * A bounded cache of the scanner's findings by keyed hash of the text, for the prompt side of the
 * proxy: clients resend the same system prompt and the whole conversation so far with every call,
 * so most of a multi-turn request was scanned on the previous call.
 *
 * Safe because the scanner's verdict is a function of the text alone (each string is scanned on its
 * own, src/proxy/redact.ts): a hit returns the findings a fresh scan would return, so the redaction is
 * the same. What is kept: an HMAC-SHA256 of the text under a key drawn at random per process (it says
 * nothing about the text and cannot be precomputed) and the findings, which carry offsets, classes and
 * masked previews, never the text. Least recently used entries leave first.
 *
 * Short strings are cached too (issue 18): a system prompt of a sentence comes with every call, and in
 * the proxy, between HTTP, JSON and ledger work, the scanner's fixed cost per text is 0.06-0.14 ms (cold
 * caches; 0.02-0.05 ms in a loop of scans alone) against a few microseconds for the HMAC and a lookup.
 */
import { createHmac, randomBytes } from "node:crypto";
import type { Finding } from "../phi/types.js";
import type { Scanner } from "../llm/redaction.js";

export interface ScanCacheOptions {
  /** entries kept (0: no cache) */
  maxEntries?: number;
  /** strings shorter than this are scanned every time (default 1: all but the empty string) */
  minLength?: number;
  /** findings kept in all (memory bound: a long document can hold thousands); a result above an eighth of it is not kept */
  maxFindings?: number;
}

export class ScanCache {
  private readonly key = randomBytes(32);
  private readonly entries = new Map<string, readonly Finding[]>();
  private readonly maxEntries: number;
  private readonly minLength: number;
  private readonly maxFindings: number;
  private findings = 0;
  hits = 0;
  misses = 0;

  constructor(
    private readonly scanner: Scanner,
    options: ScanCacheOptions = {},
  ) {
    this.maxEntries = options.maxEntries ?? 1024;
    this.minLength = options.minLength ?? 1;
    this.maxFindings = options.maxFindings ?? 100_000;
  }

  /** The scanner, through the cache: a new array of the same findings (callers may sort it). */
  readonly scan: Scanner = (text) => {
    if (this.maxEntries <= 0 || text.length < this.minLength) return this.scanner(text);
    const k = createHmac("sha256", this.key).update(text).digest("base64");
    const hit = this.entries.get(k);
    if (hit) {
      this.hits++;
      // most recently used last
      this.entries.delete(k);
      this.entries.set(k, hit);
      return hit.map((f) => ({ ...f }));
    }
    this.misses++;
    const found = this.scanner(text);
    if (found.length > this.maxFindings / 8) return found;
    this.entries.set(
      k,
      found.map((f) => ({ ...f })),
    );
    this.findings += found.length;
    while (this.entries.size > this.maxEntries || this.findings > this.maxFindings) {
      const [oldest, kept] = this.entries.entries().next().value!;
      this.entries.delete(oldest);
      this.findings -= kept.length;
    }
    return found;
  };

  get size(): number {
    return this.entries.size;
  }
}
