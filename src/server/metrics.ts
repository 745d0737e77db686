import type { Registry, Histogram, Counter, Gauge } from "prom-client";

export interface Metrics {
  registry: Registry;
  requests: Histogram<"method" | "route" | "status">;
  findings: Counter<"category">;
  decisions: Counter<"pack" | "outcome">;
  ledgerSize: Gauge;
  pendingApprovals: Gauge;
}

/** One registry per app (tests run several apps in one process). */
export async function createMetrics(
  ledgerSize: () => Promise<number>,
  pendingApprovals: () => Promise<number> = async () => 0,
  ledger?: {
    durability: { level: string; syncIntervalMs: number };
    failure(): string | undefined;
    syncCount(): number | undefined;
  },
): Promise<Metrics> {
  const prom = (await import("prom-client")).default;
  const registry = new prom.Registry();
  prom.collectDefaultMetrics({ register: registry, prefix: "gitops_health_" });
  if (ledger) {
    // what an auditor asks of the ledger's acknowledgements: the level they were made at, and whether it still makes them
    new prom.Gauge({
      name: "gitops_health_ledger_durability_info",
      help: "when the ledger acknowledges an append: level disk (durable on disk first) or process (written, synced in the background within sync_interval_ms)",
      labelNames: ["level", "sync_interval_ms"],
      registers: [registry],
    }).set({ level: ledger.durability.level, sync_interval_ms: String(ledger.durability.syncIntervalMs) }, 1);
    new prom.Gauge({
      name: "gitops_health_ledger_fail_closed",
      help: "1 when the ledger refuses appends because a background sync failed (restart once the disk is fixed)",
      registers: [registry],
      collect() {
        this.set(ledger.failure() ? 1 : 0);
      },
    });
    if (ledger.syncCount() !== undefined)
      new prom.Counter({
        name: "gitops_health_ledger_fdatasyncs_total",
        help: "fdatasyncs of the directory ledger's two files (disk: two an append batch; process: two a background round)",
        registers: [registry],
        collect() {
          this.reset();
          this.inc(ledger.syncCount() ?? 0);
        },
      });
  }
  return {
    registry,
    requests: new prom.Histogram({
      name: "gitops_health_http_request_duration_seconds",
      help: "HTTP requests by route template and status",
      labelNames: ["method", "route", "status"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    findings: new prom.Counter({
      name: "gitops_health_findings_total",
      help: "PHI/secret findings returned by /v1/scan, by class",
      labelNames: ["category"],
      registers: [registry],
    }),
    decisions: new prom.Counter({
      name: "gitops_health_decisions_total",
      help: "policy decisions by pack and outcome",
      labelNames: ["pack", "outcome"],
      registers: [registry],
    }),
    ledgerSize: new prom.Gauge({
      name: "gitops_health_ledger_entries",
      help: "entries in the audit ledger",
      registers: [registry],
      async collect() {
        try {
          this.set(await ledgerSize());
        } catch {
          /* store unreachable: /ready says so */
        }
      },
    }),
    pendingApprovals: new prom.Gauge({
      name: "gitops_health_pending_approvals",
      help: "guarded runs not yet executed whose approval gate is pending (recomputed at most every 15 s)",
      registers: [registry],
      async collect() {
        try {
          this.set(await pendingApprovals());
        } catch {
          /* store unreachable: /ready says so */
        }
      },
    }),
  };
}
