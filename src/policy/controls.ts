/**
 * Control catalog: the regulatory controls that rules evidence and that commit
 * trailers may cite (`Compliance: HIPAA-164.312(b)`). IDs are stable; citations are
 * matched case-insensitively with optional spaces removed.
 */
export interface Control {
  id: string;
  framework: "HIPAA" | "21CFR11" | "SOX-ITGC" | "SOC2";
  title: string;
  citation: string;
}

export const CONTROLS: readonly Control[] = [
  {
    id: "HIPAA-164.308(a)(1)(ii)(D)",
    framework: "HIPAA",
    title: "Information system activity review",
    citation: "45 CFR 164.308(a)(1)(ii)(D)",
  },
  {
    id: "HIPAA-164.308(a)(3)",
    framework: "HIPAA",
    title: "Workforce security (authorization and supervision)",
    citation: "45 CFR 164.308(a)(3)",
  },
  {
    id: "HIPAA-164.308(a)(5)(ii)(B)",
    framework: "HIPAA",
    title: "Protection from malicious software",
    citation: "45 CFR 164.308(a)(5)(ii)(B)",
  },
  { id: "HIPAA-164.308(a)(8)", framework: "HIPAA", title: "Evaluation", citation: "45 CFR 164.308(a)(8)" },
  { id: "HIPAA-164.312(a)(1)", framework: "HIPAA", title: "Access control", citation: "45 CFR 164.312(a)(1)" },
  {
    id: "HIPAA-164.312(a)(2)(iv)",
    framework: "HIPAA",
    title: "Encryption and decryption",
    citation: "45 CFR 164.312(a)(2)(iv)",
  },
  { id: "HIPAA-164.312(b)", framework: "HIPAA", title: "Audit controls", citation: "45 CFR 164.312(b)" },
  { id: "HIPAA-164.312(c)(1)", framework: "HIPAA", title: "Integrity", citation: "45 CFR 164.312(c)(1)" },
  {
    id: "HIPAA-164.312(c)(2)",
    framework: "HIPAA",
    title: "Mechanism to authenticate ePHI",
    citation: "45 CFR 164.312(c)(2)",
  },
  {
    id: "HIPAA-164.312(d)",
    framework: "HIPAA",
    title: "Person or entity authentication",
    citation: "45 CFR 164.312(d)",
  },
  { id: "HIPAA-164.312(e)(1)", framework: "HIPAA", title: "Transmission security", citation: "45 CFR 164.312(e)(1)" },
  {
    id: "HIPAA-164.514(b)",
    framework: "HIPAA",
    title: "De-identification (Safe Harbor)",
    citation: "45 CFR 164.514(b)(2)",
  },
  {
    id: "HIPAA-164.316(b)(2)(i)",
    framework: "HIPAA",
    title: "Documentation retention (6 years)",
    citation: "45 CFR 164.316(b)(2)(i)",
  },
  { id: "21CFR11.10(a)", framework: "21CFR11", title: "System validation", citation: "21 CFR 11.10(a)" },
  {
    id: "21CFR11.10(d)",
    framework: "21CFR11",
    title: "Limiting system access to authorized individuals",
    citation: "21 CFR 11.10(d)",
  },
  {
    id: "21CFR11.10(e)",
    framework: "21CFR11",
    title: "Secure, computer-generated, time-stamped audit trails",
    citation: "21 CFR 11.10(e)",
  },
  {
    id: "21CFR11.10(f)",
    framework: "21CFR11",
    title: "Operational system checks (sequencing)",
    citation: "21 CFR 11.10(f)",
  },
  { id: "21CFR11.10(g)", framework: "21CFR11", title: "Authority checks", citation: "21 CFR 11.10(g)" },
  { id: "21CFR11.50", framework: "21CFR11", title: "Signature manifestations", citation: "21 CFR 11.50" },
  { id: "21CFR11.70", framework: "21CFR11", title: "Signature/record linking", citation: "21 CFR 11.70" },
  {
    id: "21CFR11.200",
    framework: "21CFR11",
    title: "Electronic signature components and controls",
    citation: "21 CFR 11.200",
  },
  {
    id: "SOX-ITGC-CM-1",
    framework: "SOX-ITGC",
    title: "Change management: changes are authorized and approved before production",
    citation: "SOX 404 ITGC change management",
  },
  {
    id: "SOX-ITGC-CM-2",
    framework: "SOX-ITGC",
    title: "Change management: segregation of duties (developer is not approver)",
    citation: "SOX 404 ITGC change management",
  },
  {
    id: "SOX-ITGC-CM-3",
    framework: "SOX-ITGC",
    title: "Change management: changes are tested before production",
    citation: "SOX 404 ITGC change management",
  },
  {
    id: "SOC2-CC8.1",
    framework: "SOC2",
    title: "Change management: authorize, design, develop, test, approve and implement changes",
    citation: "AICPA TSC 2017 CC8.1",
  },
  { id: "SOC2-CC6.1", framework: "SOC2", title: "Logical access security", citation: "AICPA TSC 2017 CC6.1" },
  { id: "SOC2-CC7.2", framework: "SOC2", title: "System monitoring for anomalies", citation: "AICPA TSC 2017 CC7.2" },
];

const BY_KEY = new Map(CONTROLS.map((c) => [normalizeControlId(c.id), c]));

export function normalizeControlId(code: string): string {
  return code
    .replace(/\s+/g, "")
    .toUpperCase()
    .replace(/^21CFR(PART)?11[.-]?/, "21CFR11.")
    .replace(/^21CFR11\.\./, "21CFR11.");
}

// Citations seen so far (bounded: they come from commit messages).
const FOUND = new Map<string, Control | null>();

/** Look up a cited control; undefined means an unknown (possibly invented) citation. */
export function findControl(code: string): Control | undefined {
  const hit = FOUND.get(code);
  if (hit !== undefined) return hit ?? undefined;
  const c = BY_KEY.get(normalizeControlId(code));
  if (FOUND.size >= 4096) FOUND.clear();
  FOUND.set(code, c ?? null);
  return c;
}
