/** Writers for the compliance report: markdown, JUnit and SARIF 2.1.0 (text is printed by the CLI). */
import { sha256Hex } from "../core/hash.js";
import type { ComplianceReport } from "./check.js";
import { sarifLevel, sarifLog } from "../report/sarif.js";
import { WriterRegistry } from "../report/writers.js";

export const xmlEscape = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

export function complianceMarkdown(r: ComplianceReport): string {
  return [
    `# Compliance check: ${r.pack} pack`,
    "",
    `${r.range.commits} commit(s), ${r.violations.length} violation(s).${r.range.complete ? "" : " **Incomplete: the clone is shallow and the range was cut.**"}`,
    "",
    "| control | status | rules | failing commits |",
    "| --- | --- | --- | --- |",
    ...r.controls.map(
      (c) =>
        `| ${c.id} ${c.title} | ${c.status} | ${c.rules.join(", ")} | ${c.failedCommits.map((s) => s.slice(0, 10)).join(", ")} |`,
    ),
    "",
    ...r.violations.map(
      (v) => `- **${v.severity}** \`${v.rule}\`${v.commit ? ` at \`${v.commit.slice(0, 10)}\`` : ""}: ${v.message}`,
    ),
    ...reviewsMarkdown(r),
  ].join("\n");
}

/** Per change: its pull request, each approver and whether the approval was current and counted; trailers as unverified. */
function reviewsMarkdown(r: ComplianceReport): string[] {
  const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
  const rows = (r.reviews?.commits ?? []).map((c) => {
    const pr = c.pull ? `${c.pull.repo}#${c.pull.number} (${c.pull.how})` : "none recorded";
    const approvals =
      c.approvals.map((a) => `${a.counted ? "counted" : "not counted"}: ${a.reviewer} (${a.reason})`).join("; ") ||
      "none";
    return `| \`${c.commit.slice(0, 10)}\` | ${cell(pr)} | ${cell(approvals)} | ${cell(c.ownersMissing.join("; "))} | ${cell(c.unverifiedTrailers.join(", "))} |`;
  });
  if (!rows.length) return [];
  return [
    "",
    "## Reviews",
    "",
    "| commit | pull request | approvals | paths missing a code owner | unverified trailers |",
    "| --- | --- | --- | --- | --- |",
    ...rows,
  ];
}

/** One test case per evidenced control, so CI dashboards show controls as tests. */
export function complianceJunit(r: ComplianceReport): string {
  const cases = r.controls
    .filter((c) => c.status !== "not evidenced")
    .map(
      (c) =>
        `  <testcase classname="${xmlEscape(r.pack)}" name="${xmlEscape(`${c.id} ${c.title}`)}">${c.status === "failed" ? `<failure message="${xmlEscape(`rules ${c.rules.join(", ")} failed for ${c.failedCommits.join(", ")}`)}"/>` : ""}</testcase>`,
    );
  const extra = r.violations
    .filter((v) => v.controls.length === 0)
    .map(
      (v) =>
        `  <testcase classname="${xmlEscape(r.pack)}" name="${xmlEscape(v.rule)}"><failure message="${xmlEscape(v.message)}"/></testcase>`,
    );
  const failures = r.controls.filter((c) => c.status === "failed").length + extra.length;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="gitops-health compliance" tests="${cases.length + extra.length}" failures="${failures}">\n${[...cases, ...extra].join("\n")}\n</testsuite>`;
}

/**
 * SARIF 2.1.0: one result per violation. Commit rules are anchored on a file the commit
 * touched and range rules on the config file, because code-scanning uploads need a location.
 */
export function complianceSarif(r: ComplianceReport, version: string, configFile = ".gitops-health.yml"): string {
  const ruleIds = [...new Set([...r.rules.map((x) => x.id), ...r.violations.map((v) => v.rule)])];
  const ruleMeta = new Map(r.violations.map((v) => [v.rule, v]));
  const rules = ruleIds.map((id) => {
    const rr = r.rules.find((x) => x.id === id);
    const v = ruleMeta.get(id);
    return {
      id,
      shortDescription: { text: `${r.pack} policy rule ${id}` },
      defaultConfiguration: { level: sarifLevel(rr?.severity ?? v?.severity ?? "high") },
      properties: { tags: ["compliance", ...(v?.controls ?? [])], pack: r.pack },
    };
  });
  const results = r.violations.map((v) => ({
    ruleId: v.rule,
    ruleIndex: ruleIds.indexOf(v.rule),
    level: sarifLevel(v.severity),
    message: {
      text: `${v.commit ? `commit ${v.commit.slice(0, 12)}: ` : ""}${v.message}${v.controls.length ? ` (controls: ${v.controls.join(", ")})` : ""}`,
    },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: (v.file ?? configFile).replace(/\\/g, "/") },
          region: { startLine: 1 },
        },
        ...(v.commit ? { logicalLocations: [{ name: v.commit, kind: "commit" }] } : {}),
      },
    ],
    partialFingerprints: { "gitopsHealthCompliance/v1": sha256Hex(`${v.rule}\0${v.commit ?? r.range.from ?? ""}`) },
    properties: { severity: v.severity, controls: v.controls, ...(v.commit ? { commit: v.commit } : {}) },
  }));
  return sarifLog(version, rules, results, "gitops-health/compliance");
}

/** Machine formats of the compliance report (text is printed by the CLI). */
export const complianceWriters = new WriterRegistry<ComplianceReport, { version: () => string; configFile: string }>(
  "compliance report",
  {
    json: { stream: "stdout", mediaType: "application/json", write: (r) => JSON.stringify(r, null, 2) },
    markdown: { stream: "stdout", mediaType: "text/markdown", write: (r) => complianceMarkdown(r) },
    junit: { stream: "stdout", mediaType: "application/xml", write: (r) => complianceJunit(r) },
    sarif: {
      stream: "stdout",
      mediaType: "application/sarif+json",
      write: (r, c) => complianceSarif(r, c.version(), c.configFile),
    },
  },
);
