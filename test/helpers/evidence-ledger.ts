/**
 * A real ledger (directory store, real Merkle tree, real Ed25519 checkpoint) holding a known delivery
 * and compliance history, written through the domain functions the CLI uses (appendRecord for
 * deploy/incident records, AuditLedger for the rest). The scenario is plain data, so tests compute the
 * expected numbers from it independently of src/metrics.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { AuditLedger } from "../../src/audit/ledger.js";
import { DirStore } from "../../src/audit/dir-store.js";
import { generateNoteSigner } from "../../src/core/note-key.js";
import { appendRecord } from "../../src/deploy/events.js";

export const BASE = Date.parse("2026-11-02T00:00:00.000Z"); // a Monday
export const DAY = 86_400_000;
export const HOUR = 3_600_000;

export interface ScenarioDeploy {
  service: string;
  env: string;
  day: number;
  status: "succeeded" | "failed" | "rolled-back";
  commit: string;
  /** an incident opened 1 h after the deployment and resolved `resolvedAfterH` h after it */
  incident?: { resolvedAfterH: number };
}

const sha = (n: number) => n.toString(16).padStart(40, "0");

export function scenario(): ScenarioDeploy[] {
  const out: ScenarioDeploy[] = [];
  for (let day = 0; day < 20; day++) {
    const status = day === 3 ? "failed" : day === 11 ? "rolled-back" : "succeeded";
    out.push({
      service: "api",
      env: "prod",
      day,
      status,
      commit: sha(1000 + day),
      ...(day === 7 ? { incident: { resolvedAfterH: 3 } } : {}),
    });
  }
  for (const day of [0, 2, 4, 6, 8])
    out.push({ service: "web", env: "staging", day, status: "succeeded", commit: sha(2000 + day) });
  return out;
}

/** Controls judged by the daily compliance.check: SOX-ITGC-CM-1 always met, HIPAA-164.312(b) failed on days 4, 9, 14, 19. */
export const controlStatus = (day: number): Record<string, "met" | "failed"> => ({
  "SOX-ITGC-CM-1": "met",
  "HIPAA-164.312(b)": day % 5 === 4 ? "failed" : "met",
});

export interface SeededLedger {
  dir: string;
  ledger: AuditLedger;
  verifierKey: string;
  verifierKeyFile: string;
  deploys: ScenarioDeploy[];
  llm: { model: string; refused: boolean }[];
}

/** Build the ledger in `dir`/ledger; every entry's time is set by a clock that follows the scenario. */
export async function seedLedger(dir: string, options: { padding?: number } = {}): Promise<SeededLedger> {
  let clock = BASE;
  const ledger = new AuditLedger(await DirStore.open(join(dir, "ledger")), { now: () => new Date(clock) });
  const deploys = scenario();
  const llm = [
    { model: "gpt-x", refused: false },
    { model: "gpt-x", refused: true },
    { model: "claude-y", refused: false },
  ];
  const days = [...new Set(deploys.map((d) => d.day))].sort((a, b) => a - b);
  for (const day of days) {
    // a compliance check of each deployed commit at 09:00 (the first ledger entry about that commit)
    clock = BASE + day * DAY + 9 * HOUR;
    for (const d of deploys.filter((x) => x.day === day)) {
      await ledger.append({
        type: "compliance.check",
        actor: "ci@example.invalid",
        subject: d.commit,
        payload: {
          pack: "clinical",
          repo: "acme/api",
          classification: "clinical",
          violations: 0,
          failing: 0,
          controls: controlStatus(day),
        },
      });
    }
    for (const d of deploys.filter((x) => x.day === day)) {
      clock = BASE + day * DAY + 12 * HOUR;
      await appendRecord(ledger, "deploy", {
        service: d.service,
        env: d.env,
        version: `1.0.${day}`,
        status: d.status,
        commit: d.commit,
        image: null,
        occurredAt: new Date(clock).toISOString(),
      });
      if (d.incident) {
        clock += HOUR;
        await appendRecord(ledger, "incident", {
          id: `INC-${day}`,
          service: d.service,
          env: d.env,
          status: "open",
          severity: "sev2",
          occurredAt: new Date(clock).toISOString(),
        });
        clock = BASE + day * DAY + (12 + d.incident.resolvedAfterH) * HOUR;
        await appendRecord(ledger, "incident", {
          id: `INC-${day}`,
          service: d.service,
          env: d.env,
          status: "resolved",
          severity: "sev2",
          occurredAt: new Date(clock).toISOString(),
        });
      }
    }
  }
  clock = BASE + 20 * DAY;
  for (const c of llm) {
    await ledger.append({
      type: "llm.call",
      actor: "dev@example.invalid",
      subject: "commit-message",
      payload: {
        provider: "test",
        model: c.model,
        classification: "internal",
        outcome: c.refused ? "refused" : "ok",
        redactions: { EMAIL: 1 },
      },
    });
  }
  if (options.padding) {
    const batch = 1000;
    for (let i = 0; i < options.padding; i += batch) {
      await ledger.appendBatch(
        Array.from({ length: Math.min(batch, options.padding - i) }, (_, k) => ({
          type: "note",
          actor: "bench@example.invalid",
          subject: `n${i + k}`,
          payload: { n: i + k },
        })),
      );
    }
  }
  const { signer, verifierKey } = generateNoteSigner("gitops-health/test-ledger");
  clock = BASE + 21 * DAY;
  await ledger.checkpoint(signer);
  const verifierKeyFile = join(dir, "ledger.pub");
  writeFileSync(verifierKeyFile, verifierKey + "\n");
  return { dir, ledger, verifierKey, verifierKeyFile, deploys, llm };
}
