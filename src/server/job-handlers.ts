/**
 * What a worker does for each job kind: the same domain functions the CLI's `scan --history` and
 * `risk train` call, on the repository path the job carries. Outputs are stored in PostgreSQL
 * and served over the API, so they hold counts, rule IDs, commits, fingerprints and masked
 * previews only: no matched value, no file path.
 */
import { JobData, type JobHandler, type JobKind } from "./jobs.js";

export interface HandlerOptions {
  /** recorded in each output: which worker produced it */
  workerId: string;
  /** test hook: wait this long before working (lets a test kill a worker mid-job) */
  startDelayMs?: number;
}

const MAX_LISTED = 500;

export function jobHandlers(o: HandlerOptions): Record<JobKind, JobHandler> {
  const delay = () => (o.startDelayMs ? new Promise((r) => setTimeout(r, o.startDelayMs)) : Promise.resolve());
  return {
    "scan.history": async (raw, job) => {
      const d = JobData["scan.history"].parse(raw);
      await delay();
      const { scanHistory } = await import("../scan/index.js");
      const report = await scanHistory({ cwd: d.path, rev: d.rev });
      const bySeverity: Record<string, number> = { high: 0, medium: 0, low: 0 };
      const byRule: Record<string, number> = {};
      for (const f of report.findings) {
        bySeverity[f.severity] = (bySeverity[f.severity] ?? 0) + 1;
        byRule[f.ruleId] = (byRule[f.ruleId] ?? 0) + 1;
      }
      return {
        repo: d.repo,
        worker: o.workerId,
        attempt: job.attempt,
        findings: report.findings.length,
        bySeverity,
        byRule,
        listed: report.findings.slice(0, MAX_LISTED).map((f) => ({
          ruleId: f.ruleId,
          category: f.category,
          severity: f.severity,
          commit: f.commit ?? null,
          line: f.line,
          preview: f.preview,
          fingerprint: f.fingerprint,
        })),
        stats: { commits: report.stats.files, bytes: report.stats.bytes, durationMs: report.stats.durationMs },
      };
    },
    "risk.train": async (raw, job) => {
      const d = JobData["risk.train"].parse(raw);
      await delay();
      const { buildDataset, train, usable, insufficientLabels } = await import("../risk/index.js");
      const ds = await buildDataset(d.path, { maxFixes: d.maxFixes });
      const keep = usable(ds);
      const commits = keep.map((i) => ds.commits[i]!);
      const labels = keep.map((i) => ds.labels[i]!);
      const buggy = labels.reduce((a, b) => a + b, 0);
      const base = {
        repo: d.repo,
        worker: o.workerId,
        attempt: job.attempt,
        commits: commits.length,
        buggy,
        fixes: ds.fixes,
        fixesFound: ds.fixesFound,
      };
      const short = insufficientLabels(buggy);
      if (short) return { ...base, trained: false, reason: short };
      return { ...base, trained: true, model: train(commits, labels) };
    },
  };
}
