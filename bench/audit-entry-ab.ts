// CPU and allocation of an entry's preparation for the ledger, two source trees in one process:
// `npx tsx bench/audit-entry-ab.ts <src root A> [src root B] [blocks]`. For a decision-shaped and a
// proxy-call-shaped entry, and a decision with a new input digest each time: screenEntry (PHI screen, memo warm) then canonical JSON of the screened
// entry (A's `canonicalize` call or B's `canonicalJson`, whichever the tree's ledger uses), in alternating
// blocks of 2,000 (time) and 50 (allocation); prints the median µs per entry and bytes allocated per entry (heap growth between
// forced GCs, `node --expose-gc` needed for it; else only time).
import { createHmac } from "node:crypto";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import canonicalize from "canonicalize";

const roots = [resolve(process.argv[2]!), resolve(process.argv[3] ?? join(import.meta.dirname, "..", "src"))];
const BLOCKS = Number(process.argv[4] ?? 20);
type Screen = typeof import("../src/audit/screen.js");
const sides = await Promise.all(
  roots.map(async (r) => {
    const screen = (await import(join(r, "audit/screen.ts"))) as Screen;
    const canon = existsSync(join(r, "audit/canonical.ts"))
      ? ((await import(join(r, "audit/canonical.ts"))) as { canonicalJson: (v: unknown) => string | undefined })
          .canonicalJson
      : (v: unknown) => canonicalize(v);
    return { screen, canon };
  }),
);
const decision = {
  time: "",
  type: "decision",
  actor: "token:bench",
  subject: "pack:business",
  payload: {
    decision: "fail",
    failOn: "high",
    inputDigest: `hmac-sha256:${"ab".repeat(32)}`,
    violations: [
      { rule: "commit-signed", severity: "high", controls: ["hipaa-164.312(c)(1)", "soc2-cc8.1"] },
      { rule: "review-approved", severity: "medium", controls: ["soc2-cc8.1"] },
    ],
    caller: { id: "token:bench", kind: "token", scopes: ["decide"] },
  },
};
const proxy = {
  time: "",
  type: "llm.proxy",
  actor: "token:bench",
  subject: "/v1/chat/completions",
  payload: {
    classification: "business",
    decision: "redacted",
    upstream: "fake",
    model: { requested: "gpt-4o-mini", resolved: "gpt-4o-mini", version: "v3" },
    tokens: { prompt: 512, completion: 12, total: 524 },
    latencyMs: 3,
    findings: { prompt: { name: 4, date: 3, phone: 1, mrn: 1 }, completion: {} },
    promptSha256: "cd".repeat(32),
    completionSha256: "ef".repeat(32),
    sandbox: false,
    stream: false,
  },
};
/** One entry prepared by a side (its length), or 0 when that side's screen refuses it (counted). */
const refused = [0, 0];
const prep = (side: number, e: typeof decision | typeof proxy, seq: number): number => {
  const s = sides[side]!;
  try {
    return s.canon({ seq, ...s.screen.screenEntry(e, { mode: "refuse" }) })!.length;
  } catch {
    refused[side]!++;
    return 0;
  }
};
const gc = (globalThis as { gc?: () => void }).gc;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
// a decision whose input differs every time (as in service use): its keyed digest is new text for the screen
let fresh = 0;
const freshDecision = () => ({
  ...decision,
  payload: {
    ...decision.payload,
    inputDigest: `hmac-sha256:${createHmac("sha256", "bench").update(String(fresh++)).digest("hex")}`,
  },
});
for (const [name, make] of [
  ["decision", () => decision],
  ["decision, a new input each time", freshDecision],
  ["proxy call", () => proxy],
] as const) {
  const us: number[][] = [[], []];
  const bytes: number[][] = [[], []];
  for (const side of [0, 1]) for (let i = 0; i < 2000; i++) prep(side, make(), i);
  refused.fill(0);
  for (let b = 0; b < BLOCKS; b++)
    for (const side of b % 2 ? [1, 0] : [0, 1]) {
      // allocation: 50 entries between forced GCs (fewer than fill the young generation, so none is collected)
      gc?.();
      const h0 = process.memoryUsage().heapUsed;
      for (let i = 0; i < 50; i++) prep(side, make(), i);
      const h1 = process.memoryUsage().heapUsed;
      const c0 = process.cpuUsage();
      let n = 0;
      for (let i = 0; i < 2000; i++) n += prep(side, make(), i);
      const c = process.cpuUsage(c0);
      if (n === 0) throw new Error("empty");
      us[side]!.push((c.user + c.system) / 2000);
      if (gc) bytes[side]!.push((h1 - h0) / 50);
    }
  console.log(
    `${name}: ${roots.map((r, i) => `${r}: ${median(us[i]!).toFixed(2)} µs${gc ? `, ${median(bytes[i]!).toFixed(0)} B allocated` : ""}, ${refused[i]} refused`).join(" | ")} per entry`,
  );
}
