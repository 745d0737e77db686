import { UserError } from "../core/errors.js";
import { hmacSha256Hex } from "../core/hash.js";
import { Scanner, type Finding } from "../phi/index.js";
import type { LedgerEntry } from "./types.js";

/*
 * PHI screening of audit ledger entries, with a cost that follows the content.
 *
 * The verdict on a string is exactly what the prose scanner says about that string alone
 * (findings above "low" severity), as it always was. What changed is how often the scanner
 * runs: values whose shape cannot hold an identifier (hex digests, UUIDs, generated run IDs)
 * skip it, and a string the scanner found clean is remembered (bounded), so the check names,
 * statuses, types and actors that recur in every entry cost one scan per process, not one per
 * entry. Joining an entry's strings into one scan was measured and rejected: the scanner reads
 * whole-text context (a name alone on the last line, JSON or HL7 at the start, upper-case
 * blocks, clinical-note density), so a joined scan misses findings that the same strings
 * scanned alone produce (test/audit-screen.test.ts shows one).
 */

/** Entry types name a kind of event ("run.started", "compliance.check"): a fixed charset. */
export const ENTRY_TYPE = /^[a-z][a-z0-9._-]{0,63}$/;

/**
 * Workforce identities (who acted, approved, signed), system timestamps and cryptographic
 * values are accountability data the audit controls require, not patient data, so payload
 * values under these keys are stored as given.
 */
export const WORKFORCE_IDENTITY_KEYS =
  /^(actor|approver|approvers|login|requester|signer|author|committer|identity|principal|[a-z]*(?:At|Time|Timestamp)|time|timestamp|digest|signature|keyId|head|commit|sha)$/;

/**
 * Shapes that cannot hold an identifier: a hex digest with at least one letter (all-digit
 * strings could be phone numbers or SSNs), bare or named (`sha256:`, or `hmac-sha256:` as the
 * service writes a decision input's keyed digest), a UUID, a run ID as `newRunId` makes them.
 * test/audit-screen.test.ts checks on random values of each shape that the scanner agrees.
 */
const SAFE_SHAPE =
  /^(?:(?:(?:hmac-)?sha(?:1|256|384|512):)?(?=[0-9]*[a-f])[0-9a-f]{7,128}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|run-\d{8}T\d{6}-[0-9a-f]{6})$/;

/** A field name: lower-case first letter, then letters, digits or '_' (camelCase or snake_case). */
const IDENTIFIER_KEY = /^[a-z][A-Za-z0-9_]{0,39}$/;

const EMAIL = /^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$/;
const GIT_IDENTITY = /^([^<>]*?)[ \t]*<([^<>\s]+)>$/;

const MEMO_MAX = 20_000;
const MEMO_MAX_LENGTH = 256;
/** Strings the scanner found clean (never a string with a finding). */
let clean = new Set<string>();

let screener: Scanner | undefined;
/** What the scanner finds in `value` alone (above low severity). */
export function screenFindings(value: string): Finding[] {
  if (value.length === 0 || SAFE_SHAPE.test(value) || clean.has(value)) return [];
  // rules only: the statistical tagger (src/phi/tagger) would load every lexicon in each short
  // CLI process that appends an entry (about a second), for strings the rules already cover
  screener ??= new Scanner({ tagger: false });
  const findings = screener.scan(value, { path: "ledger-entry.txt" }).filter((f) => f.severity !== "low");
  if (findings.length === 0 && value.length <= MEMO_MAX_LENGTH) {
    if (clean.size >= MEMO_MAX) clean = new Set();
    clean.add(value);
  }
  return findings;
}

/** Forget remembered verdicts (tests and benchmarks measure the cold path with it). */
export function resetScreenMemo(): void {
  clean = new Set();
}

export interface ScreenOptions {
  mode: "refuse" | "hash";
  /** HMAC key for mode "hash". */
  key?: string;
}

type Entry = Omit<LedgerEntry, "seq">;

/**
 * PHI is refused, or replaced by a keyed hash, before anything is written. Screened: the type
 * (always refused: it names a kind of event, so a hash of it would mean nothing), the actor
 * (unless it is exactly one workforce identity), the subject, and every payload key and
 * string value (except identity, time and digest keys, as before).
 */
export function screenEntry(entry: Entry, options: ScreenOptions): Entry {
  const refuse = (f: Finding, where: string): never => {
    throw new UserError(
      `refusing to write PHI/secret to the ledger: ${f.category} (${f.preview}) at ${where}; record a reference instead, or use keyed hashing`,
    );
  };
  // Where a value sits ("payload.checks[0]"; "a key of payload.checks") is only written into an error:
  // the walk keeps the path as a stack of parts and formats it when a message needs it.
  const trail: (string | number)[] = [];
  const pathOf = (): string => {
    let p = "";
    for (const part of trail) p += typeof part === "number" ? `[${part}]` : p === "" ? part : `.${part}`;
    return p;
  };
  const screen = (value: string, where: string | (() => string), isKey = false): string => {
    let findings = screenFindings(value);
    // A payload key in identifier shape ("sig", "exitCode") names a field: the prose scanner reads a
    // lone lower-case word as a possible name or place, which says nothing here. Identifiers with
    // structure (SSN, phone, e-mail, MRN, secrets) are still refused in keys.
    if (isKey && IDENTIFIER_KEY.test(value))
      findings = findings.filter((f) => f.category !== "name" && f.category !== "location");
    if (findings.length === 0) return value;
    if (options.mode === "refuse") refuse(findings[0]!, typeof where === "string" ? where : where());
    if (!options.key) throw new UserError("ledger PHI hashing needs a key (GITOPS_HEALTH_LEDGER_HMAC_KEY)");
    let out = value;
    for (const f of [...findings].sort((a, b) => b.start - a.start)) {
      out =
        out.slice(0, f.start) +
        `[${f.category}:hmac:${hmacSha256Hex(options.key, value.slice(f.start, f.end)).slice(0, 16)}]` +
        out.slice(f.end);
    }
    return out;
  };
  const keyWhere = () => `a key of ${pathOf()}`;
  const visit = (value: unknown): unknown => {
    if (typeof value === "string") return screen(value, pathOf);
    if (Array.isArray(value)) {
      const out = new Array<unknown>(value.length);
      for (let i = 0; i < value.length; i++) {
        if (!(i in value)) continue; // a hole stays a hole, as with map
        trail.push(i);
        out[i] = visit(value[i]);
        trail.pop();
      }
      return out;
    }
    if (value && typeof value === "object") {
      const out: Record<string, unknown> = {};
      const o = value as Record<string, unknown>;
      for (const k of Object.keys(o)) {
        const v = o[k];
        if (v === undefined) continue;
        // A key is screened before a path names it, and paths name the screened (hashed) key.
        const key = screen(k, keyWhere, true);
        if (WORKFORCE_IDENTITY_KEYS.test(k) && typeof v === "string") out[key] = v;
        else {
          trail.push(key);
          out[key] = visit(v);
          trail.pop();
        }
      }
      return out;
    }
    if (typeof value === "number" && !Number.isFinite(value))
      throw new UserError(`ledger payload has a non-finite number at ${pathOf()}`);
    return value;
  };

  if (!ENTRY_TYPE.test(entry.type))
    throw new UserError(
      "ledger entry type must be 1-64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter",
    );
  const typeFindings = screenFindings(entry.type);
  if (typeFindings.length > 0)
    refuse(typeFindings[0]!, "type (an entry type names a kind of event, so it is refused even with keyed hashing)");
  return {
    time: entry.time,
    type: entry.type,
    actor: screenActor(entry.actor, screen),
    ...(entry.subject !== undefined ? { subject: screen(entry.subject, "subject") } : {}),
    payload: (trail.push("payload"), visit(entry.payload)),
  };
}

/**
 * The actor is stored as given when it is exactly one workforce identity: an e-mail address,
 * a name the scanner sees as nothing but that name, or git's "Name <email>". Anything else in
 * it (an SSN, a phone number, "patient John Smith") is screened like any other value.
 */
function screenActor(actor: string, screen: (value: string, where: string) => string): string {
  const git = GIT_IDENTITY.exec(actor);
  if (git && EMAIL.test(git[2]!) && (git[1] === "" || identityName(git[1]!) || screenFindings(git[1]!).length === 0))
    return actor;
  if (EMAIL.test(actor) || identityName(actor)) return actor;
  return screen(actor, "actor");
}

/** A value whose only findings are names covering all of it ("Jane Doe"). */
function identityName(value: string): boolean {
  const findings = screenFindings(value);
  const trimmed = value.trim();
  const from = value.indexOf(trimmed);
  return (
    findings.length === 1 &&
    findings[0]!.category === "name" &&
    findings[0]!.start === from &&
    findings[0]!.end === from + trimmed.length
  );
}
