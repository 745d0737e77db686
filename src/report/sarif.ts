/** Shared SARIF 2.1.0 envelope for every gitops-health report (scan findings, compliance violations). */
export type SarifLevel = "error" | "warning" | "note";

export function sarifLevel(severity: string): SarifLevel {
  return severity === "high" ? "error" : severity === "medium" ? "warning" : "note";
}

/**
 * A SARIF log with one run of the gitops-health driver. `category` becomes `automationDetails.id`
 * ("category/"): code scanning keeps one alert set per category, so the scan and the compliance
 * gate never close each other's alerts, and every push of the same analysis replaces the last.
 */
export function sarifLog(version: string, rules: object[], results: object[], category?: string): string {
  const log = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "gitops-health",
            version,
            informationUri: "https://github.com/gitops-health/gitops-health",
            rules,
          },
        },
        ...(category ? { automationDetails: { id: `${category}/` } } : {}),
        results,
      },
    ],
  };
  return JSON.stringify(log, null, 2);
}
