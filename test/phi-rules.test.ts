import { describe, expect, it } from "vitest";
import { Scanner } from "../src/phi/engine.js";
import { RULES } from "../src/phi/rules/index.js";
import { DETECTORS } from "../src/phi/detect/index.js";

// Every built-in rule carries its own true- and false-positive samples (src/phi/rules/*.ts, the
// gitleaks model): a true positive must be reported under that rule's id, a false positive must
// not be. Each sample runs in the rule's first profile, with the prefilters on and off.

const scanners = { prefiltered: new Scanner({ prefilter: true }), reference: new Scanner({ prefilter: false }) };

describe("rule samples", () => {
  it("every rule declares at least one true and one false positive", () => {
    const missing = RULES.filter((r) => !r.samples || r.samples.tp.length === 0 || r.samples.fp.length === 0).map(
      (r) => r.id,
    );
    expect(missing).toEqual([]);
  });

  for (const rule of RULES) {
    const profile = rule.profiles?.[0] ?? "prose";
    for (const [mode, scanner] of Object.entries(scanners)) {
      it(`${rule.id} (${profile}, ${mode})`, () => {
        for (const tp of rule.samples?.tp ?? []) {
          const ids = scanner.scan(tp, { profile }).map((f) => f.ruleId);
          expect(ids, `true positive ${JSON.stringify(tp)}`).toContain(rule.id);
        }
        for (const fp of rule.samples?.fp ?? []) {
          const ids = scanner.scan(fp, { profile }).map((f) => f.ruleId);
          expect(ids, `false positive ${JSON.stringify(fp)}`).not.toContain(rule.id);
        }
      });
    }
  }

  it("a sample fails when its rule is disabled (the samples exercise the rule, not a neighbour)", () => {
    for (const rule of RULES) {
      const without = new Scanner({ disabledRules: [rule.id] });
      for (const tp of rule.samples?.tp ?? [])
        expect(
          without.scan(tp, { profile: rule.profiles?.[0] ?? "prose" }).map((f) => f.ruleId),
          rule.id,
        ).not.toContain(rule.id);
    }
  });
});

describe("detector registry", () => {
  it("fixes the order detectors run in (overlap ties and mention spreading depend on it)", () => {
    expect(DETECTORS.map((d) => d.name)).toEqual(["dates", "names", "signatures", "places", "mentions"]);
  });

  it("a disabled rule id turns its detector off: no dates when `date` is disabled", () => {
    const text = "Admitted 03/14/2021, seen again on 2021-03-20.";
    expect(new Scanner().scan(text, { profile: "prose" }).some((f) => f.ruleId === "date")).toBe(true);
    expect(
      new Scanner({ disabledRules: ["date"] }).scan(text, { profile: "prose" }).some((f) => f.ruleId === "date"),
    ).toBe(false);
  });
});
