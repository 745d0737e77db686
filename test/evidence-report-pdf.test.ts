/**
 * `report --format pdf`: the self-verifying HTML printed by headless Chromium (playwright-core,
 * /usr/bin/chromium) after it ran its own verification, on a real seeded ledger.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";
import { makeTempDir } from "./helpers/repo.js";
import { seedLedger, type SeededLedger } from "./helpers/evidence-ledger.js";

const CLI = resolve("dist/cli.js");
const CHROMIUM = "/usr/bin/chromium";
const missing = existsSync(CHROMIUM) ? "" : "no /usr/bin/chromium (apt-get install chromium)";
if (missing) console.warn(`report --format pdf tests skipped: ${missing}`);

let dir: string;
let seeded: SeededLedger;
const report = (...args: string[]) =>
  spawnSync(
    process.execPath,
    [CLI, "report", "--ledger", join(dir, "ledger"), "--key", `@${seeded.verifierKeyFile}`, ...args],
    { cwd: dir, encoding: "utf8", env: { ...process.env, GITOPS_HEALTH_LEDGER: "", GITOPS_HEALTH_CHROMIUM: "" } },
  );

beforeAll(async () => {
  dir = makeTempDir("gh-report-pdf-");
  seeded = await seedLedger(dir);
  await seeded.ledger.close();
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("report --format pdf", () => {
  it("refuses without --out or without Chromium, exit 2 and one line", () => {
    const a = report("--from", "2026-11-02", "--to", "2026-11-29", "--format", "pdf");
    expect(a.status).toBe(2);
    expect(a.stderr).toContain("--format pdf needs --out FILE");
    const b = report(
      "--from",
      "2026-11-02",
      "--to",
      "2026-11-29",
      "--format",
      "pdf",
      "--out",
      join(dir, "x.pdf"),
      "--chromium",
      join(dir, "no-such-chromium"),
    );
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/needs Chromium: .*no-such-chromium is missing/);
    expect(existsSync(join(dir, "x.pdf"))).toBe(false);
  });

  it.skipIf(Boolean(missing))(
    "prints the report after its verification passed in the browser",
    () => {
      const out = join(dir, "r.pdf");
      const r = report("--from", "2026-11-02", "--to", "2026-11-29", "--format", "pdf", "--out", out);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toContain(`verified against key ${seeded.verifierKey}`);
      const pdf = readFileSync(out);
      expect(pdf.subarray(0, 5).toString("latin1")).toBe("%PDF-");
      expect(pdf.length).toBeGreaterThan(10_000);
    },
    120_000,
  );
});
