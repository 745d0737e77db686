import { Option } from "commander";
import { UserError } from "../core/errors.js";
import { readEnv } from "../config/env.js";
import type { Config } from "../config/schema.js";
import { intOption } from "./options.js";

/** `--ledger-durability` and `--ledger-sync-interval`, for every front that appends to a ledger (serve, proxy). */
export function ledgerDurabilityOptions(): [Option, Option] {
  return [
    new Option(
      "--ledger-durability <level>",
      "when an append is acknowledged: disk (durable first; default) or process (written first, synced in the background: survives a killed service, not a power loss); also GITOPS_HEALTH_LEDGER_DURABILITY, config ledger.durability",
    ),
    new Option(
      "--ledger-sync-interval <ms>",
      "process durability: least time between background syncs (default 10; GITOPS_HEALTH_LEDGER_SYNC_INTERVAL_MS, config ledger.syncIntervalMs)",
    ).argParser(intOption("--ledger-sync-interval")),
  ];
}

/** The durability level and sync interval: flag, then environment, then configuration; disk when none says. */
export function ledgerDurabilityFrom(
  o: { ledgerDurability?: string; ledgerSyncInterval?: number },
  config: Config,
): { durability: "disk" | "process"; syncIntervalMs?: number } {
  const env = readEnv();
  const durability = o.ledgerDurability ?? env.ledgerDurability ?? config.ledger.durability ?? "disk";
  if (durability !== "disk" && durability !== "process")
    throw new UserError(`ledger durability must be disk or process, not "${durability}"`);
  const syncIntervalMs = o.ledgerSyncInterval ?? env.ledgerSyncIntervalMs ?? config.ledger.syncIntervalMs;
  if (
    syncIntervalMs !== undefined &&
    (!Number.isInteger(syncIntervalMs) || syncIntervalMs < 1 || syncIntervalMs > 1000)
  )
    throw new UserError(`ledger sync interval must be an integer of 1-1000 ms, not ${syncIntervalMs}`);
  return { durability, syncIntervalMs };
}

/** The start line's account of when appends are acknowledged. */
export function durabilityText(
  d: { level: "disk" | "process"; syncIntervalMs: number },
  kind: "postgres" | "directory",
): string {
  if (d.level === "disk") return "disk (each append on disk before it is acknowledged)";
  return kind === "postgres"
    ? "process (synchronous_commit off: a crash of PostgreSQL or its host can lose the last acknowledged appends)"
    : `process (appends written before they are acknowledged, synced every ${d.syncIntervalMs} ms: a power loss can lose the last ${d.syncIntervalMs} ms plus the disk's sync time)`;
}
