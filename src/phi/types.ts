import type { Severity } from "../config/schema.js";

export type { Severity };

/** One PHI/PII or secret finding. Never carries the raw matched value. */
export interface Finding {
  ruleId: string;
  /** e.g. "name", "ssn", "date", "phone", "email", "mrn", "secret" */
  category: string;
  /** HIPAA Safe Harbor identifier 1-18 (45 CFR 164.514(b)(2)(i)(A-R)) where one applies. */
  hipaaIdentifier?: number;
  severity: Severity;
  /** 0..1 */
  confidence: number;
  file?: string;
  /** 1-based line and column in the scanned file or text. */
  line: number;
  column: number;
  /** Character offsets (UTF-16 code units, end exclusive) in the scanned text. */
  start: number;
  end: number;
  commit?: string;
  /** Masked preview, safe to print and store ("" when scanned with `offsetsOnly`). */
  preview: string;
  /** Stable across rebases: hash of rule, path and normalized value, never a commit SHA ("" with `offsetsOnly`). */
  fingerprint: string;
  /** Known synthetic/test value (reported at low severity). */
  synthetic?: boolean;
}

export interface ScanTextOptions {
  /** Path used for format detection (HL7, FHIR JSON, CSV) and in findings. */
  path?: string;
  /** Line number of the first line of `text` (for diff hunks); default 1. */
  firstLine?: number;
  commit?: string;
  /** Restrict to "phi", "secret" or both (default). */
  kinds?: ("phi" | "secret")[];
  /**
   * Findings for redaction only (the LLM proxy): `preview` and `fingerprint` are left empty, which
   * saves the masking and the keyed hash of every value. Never for findings that are reported or stored.
   */
  offsetsOnly?: boolean;
}
