import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Scanner } from "../src/phi/scanner.js";
import { combine, shippedModel, tagText } from "../src/phi/tagger/model.js";
import {
  decodeSpanClassifier,
  propagateSpans,
  proposeSpans,
  shippedSpanClassifier,
  spanClassifierDigest,
  spanProbability,
  tagAndDecide,
  trainSpanClassifier,
  type SpanExample,
} from "../src/phi/tagger/spans.js";

const root = join(import.meta.dirname, "..");
const note = readFileSync(join(root, "test", "fixtures", "phi-tagger", "note.txt"), "utf8");
const TEXTS = [
  note,
  "Discussed with Kelvorn, RN, who agrees.\n",
  "Pt is a 67 yo man followed by Dr Brenwick and Harlowe for CHF.\n",
  "Transferred from Ostley General on 3/4. Call Dr. Ferrant at beeper 4471.\n",
];
const rules = new Scanner({ tagger: false });

describe("PHI tagger: the span classifier (second stage)", () => {
  it("proposes exactly the spans the union policy would add, at any bias", () => {
    const m = shippedModel();
    for (const text of TEXTS) {
      const resolved = rules.candidates(text, "prose");
      for (const bias of [0, 5, 20]) {
        const union = combine(resolved, tagText(m, text, resolved, bias));
        const proposed = proposeSpans(m, text, resolved, bias);
        expect(combine(resolved, proposed)).toEqual(union);
        for (const p of proposed) expect(p.ids.length).toBe(p.vals.length);
      }
    }
  });

  it("keeps or drops only the tagger's spans: the rules' findings stay whatever it decides", () => {
    const m = shippedModel();
    const clf = shippedSpanClassifier();
    for (const text of TEXTS) {
      const resolved = rules.candidates(text, "prose");
      expect(tagAndDecide(m, clf, text, resolved, 1.01)).toEqual(resolved);
      const all = tagAndDecide(m, clf, text, resolved, 0);
      const some = tagAndDecide(m, clf, text, resolved);
      for (const c of resolved) expect(some).toContainEqual(c);
      expect(some.length).toBeLessThanOrEqual(all.length);
    }
  });

  it("is the scanner's default on prose: a cue-less made-up name is kept, a tagged 'and' is not", () => {
    const ids = (s: Scanner, text: string) =>
      s.scan(text, { profile: "prose" }).map((f) => `${f.ruleId}:${text.slice(f.start, f.end)}`);
    expect(ids(new Scanner(), TEXTS[1]!)).toContain("phi-tagger-name:Kelvorn");
    const text = TEXTS[2]!;
    const p = proposeSpans(shippedModel(), text, rules.candidates(text, "prose"), 0);
    expect(p.map((x) => text.slice(x.start, x.end))).toEqual(["and"]);
    expect(spanProbability(shippedSpanClassifier(), p[0]!)).toBeLessThan(shippedSpanClassifier().header.threshold);
    expect(ids(new Scanner({ spanClassifier: false }), text)).toContain("phi-tagger-name:and");
    expect(ids(new Scanner(), text)).not.toContain("phi-tagger-name:and");
    expect(ids(new Scanner(), text).filter((x) => !x.startsWith("phi-tagger"))).toEqual(
      ids(new Scanner({ spanClassifier: false }), text).filter((x) => !x.startsWith("phi-tagger")),
    );
  });

  it("trains deterministically and its file round-trips", () => {
    const ex: SpanExample[] = [];
    for (let i = 0; i < 40; i++)
      ex.push({
        ids: Int32Array.from([i % 7, 100 + (i % 3), 5000]),
        vals: Float32Array.from([1, 1, (i % 5) / 5]),
        y: i % 3 === 0 ? 1 : 0,
      });
    const a = trainSpanClassifier(ex, { threshold: 0.6, proposerBias: 2, trainedOn: "test" });
    const b = trainSpanClassifier(ex, { threshold: 0.6, proposerBias: 2, trainedOn: "test" });
    expect(a.file.equals(b.file)).toBe(true);
    expect(spanClassifierDigest(a.file)).toBe(spanClassifierDigest(b.file));
    const back = decodeSpanClassifier(a.file);
    expect(back.header).toMatchObject({ threshold: 0.6, proposerBias: 2, trainedOn: "test" });
    for (const e of ex) expect(spanProbability(back, e)).toBeCloseTo(spanProbability(a.model, e), 6);
    // it learnt something: the positives score higher on average
    const mean = (y: number) =>
      ex.filter((e) => e.y === y).reduce((s, e) => s + spanProbability(back, e), 0) /
      ex.filter((e) => e.y === y).length;
    expect(mean(1)).toBeGreaterThan(mean(0));
  });

  it("ships a small classifier trained on out-of-fold proposals of folds 1-4", () => {
    const h = shippedSpanClassifier().header;
    expect(h.trainedOn).toMatch(/folds 1-4.*out-of-fold/);
    expect(h.features).toBeGreaterThan(50);
    expect(h.threshold).toBeGreaterThan(0);
  });

  it("propagates the tagger's kept names and places to their other mentions, nothing else", () => {
    const text = "son zorvik called. later Zorvik and the son came; zorviks dog, and vgh, VGH.\n";
    const tagger = (start: number, end: number, cls: "name" | "location") => ({
      ruleId: `phi-tagger-${cls}`,
      category: cls,
      hipaa: 1,
      kind: "phi" as const,
      start,
      end,
      severity: "medium" as const,
      confidence: 0.6,
    });
    const acr = text.lastIndexOf("VGH");
    const out = propagateSpans(text, [tagger(4, 10, "name"), tagger(acr, acr + 3, "location")]);
    const words = out.map((c) => `${c.ruleId}:${text.slice(c.start, c.end)}`);
    // every whole-word mention, any case, not inside a longer word ("zorviks"); an acronym in capitals only
    expect(words).toEqual(["phi-tagger-name:zorvik", "phi-tagger-name:Zorvik", "phi-tagger-location:VGH"]);
    // a rule's candidate does not travel here (the rules' own mentions detector does that)
    const rule = { ...tagger(4, 10, "name"), ruleId: "name-cue" };
    expect(propagateSpans(text, [rule])).toEqual([rule]);
  });

  it("reads the lower-case threshold and the propagation switch from the classifier's header", () => {
    const ex: SpanExample[] = [{ ids: Int32Array.from([1]), vals: Float32Array.from([1]), y: 1 }];
    const a = trainSpanClassifier(ex, { threshold: 0.7, thresholdLower: 0.2, propagate: true, proposerBias: 10 });
    expect(decodeSpanClassifier(a.file).header).toMatchObject({ threshold: 0.7, thresholdLower: 0.2, propagate: true });
    const b = trainSpanClassifier(ex, { threshold: 0.7 });
    expect(decodeSpanClassifier(b.file).header.thresholdLower).toBeUndefined();
    expect(decodeSpanClassifier(b.file).header.propagate).toBeUndefined();
  });
});
