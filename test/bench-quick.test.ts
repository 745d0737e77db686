import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain ES module of the benchmark runner, without types
import { compareQuick } from "../bench/lib/quick-compare.mjs";

type Row = string[];
const compare = compareQuick as (
  figures: object[],
  baseline: { figures: Record<string, object> },
) => { rows: Row[]; flagged: string[] };
const fig = (key: string, value: number, better: "higher" | "lower", ratio?: number) => ({
  key,
  label: key,
  value,
  unit: "u",
  better,
  ...(ratio !== undefined ? { ratio, reference: "ref" } : {}),
});

describe("quick check comparison (npm run bench -- --quick)", () => {
  it("flags a figure that fell more than 25% in either direction of better, and only those", () => {
    const baseline = {
      figures: {
        a: fig("a", 100, "higher"),
        b: fig("b", 100, "higher"),
        c: fig("c", 10, "lower"),
        d: fig("d", 10, "lower"),
      },
    };
    const { rows, flagged } = compare(
      [fig("a", 76, "higher"), fig("b", 74, "higher"), fig("c", 13.3, "lower"), fig("d", 13.4, "lower")],
      baseline,
    );
    expect(rows.map((r) => r.at(-1))).toEqual(["ok", "FLAG", "ok", "FLAG"]);
    expect(flagged).toHaveLength(2);
    expect(flagged[0]).toMatch(/^FLAG b: .*26% worse/);
    expect(flagged[1]).toMatch(/^FLAG d: /);
  });

  it("compares by the ratio to the in-run reference when there is one, not by the absolute value", () => {
    // A busy machine halves the absolute rate, but the ratio to the reference held: not flagged.
    const baseline = { figures: { l: fig("l", 50_000, "lower", 8) } };
    expect(compare([fig("l", 20_000, "lower", 8.5)], baseline).flagged).toEqual([]);
    // The ratio doubled (the code got slower relative to SHA-256): flagged although the rate held.
    expect(compare([fig("l", 50_000, "lower", 16)], baseline).flagged).toHaveLength(1);
  });

  it("shows new and skipped figures without flagging them", () => {
    const { rows, flagged } = compare([fig("new", 1, "higher"), { ...fig("s", NaN, "higher"), skipped: "no data" }], {
      figures: {},
    });
    expect(rows.map((r) => r.at(-1))).toEqual(["new", "skipped"]);
    expect(flagged).toEqual([]);
  });
});
