/** Shared SARIF 2.1.0 envelope for every gitops-health report (scan findings, compliance violations). */
export type SarifLevel = "error" | "warning" | "note";

export function sarifLevel(severity: string): SarifLevel {
  return severity === "high" ? "error" : severity === "medium" ? "warning" : "note";
}

/** A SARIF log with one run of the gitops-health driver. */
export function sarifLog(version: string, rules: object[], results: object[]): string {
  const log = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [{ tool: { driver: { name: "gitops-health", version, informationUri: "https://github.com/gitops-health/gitops-health", rules } }, results }],
  };
  return JSON.stringify(log, null, 2);
}
