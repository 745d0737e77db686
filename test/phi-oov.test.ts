import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { oovDoc, outOfLexicon, splicePools } from "../bench/lib/phi-oov.js";
import { recipeDocs } from "../bench/lib/phi-folds.js";
import type { Doc } from "../bench/lib/phi-corpora.js";
import { modelDigest, train, type TrainDoc } from "../src/phi/tagger/train.js";

// Notes made up for this test (no real person or place).
const text =
  "PT SEEN BY DR VARNAKIS AND Dr. Quillon, md. WIFE VARNAKIS CALLED 9/21.\n" +
  "Transferred from Braxford Memorial Hospital to GH on 3/14; daughter lives in Ostrelle.\n" +
  "Seen at Holy Cross before. Harbor rehab next.";
const at = (s: string, from = 0) => {
  const i = text.indexOf(s, from);
  if (i < 0) throw new Error(s);
  return { start: i, end: i + s.length };
};
const doc: Doc = {
  id: "t-1",
  group: "t",
  text,
  gold: [
    { ...at("VARNAKIS"), type: "HCPName" },
    { ...at("Quillon"), type: "HCPName" },
    { ...at("VARNAKIS", 30), type: "RelativeProxyName" },
    { ...at("9/21"), type: "Date" },
    { ...at("Braxford Memorial Hospital"), type: "Location" },
    { ...at("GH"), type: "Location" },
    { ...at("3/14"), type: "Date" },
    { ...at("Ostrelle"), type: "Location" },
    { ...at("Holy"), type: "Location" },
    { ...at("Cross"), type: "Location" },
    { ...at("Harbor"), type: "Location" },
  ],
};
const spans = (d: Doc, type?: string) =>
  d.gold.filter((g) => !type || g.type === type).map((g) => d.text.slice(g.start, g.end));

describe("OOV transform of labelled notes (bench/lib/phi-oov.ts)", () => {
  it("replaces names and places by values no lexicon holds, keeps dates, moves offsets", () => {
    const out = oovDoc(doc, { style: "eval", seed: 1 });
    expect(out.text).not.toBe(text);
    expect(spans(out, "Date")).toEqual(["9/21", "3/14"]);
    const names = spans(out, "HCPName");
    expect(names).toHaveLength(2);
    // the same word gets the same value in a note, in the original's case
    expect(spans(out, "RelativeProxyName")[0]).toBe(names[0]);
    expect(names[0]).toBe(names[0]!.toUpperCase());
    expect(names[1]![0]).toBe(names[1]![0]!.toUpperCase());
    for (const s of [...names, ...spans(out, "Location")])
      for (const w of s.split(/[^\p{L}]+/u).filter((x) => x.length > 1)) {
        const l = w.toLowerCase();
        if (["memorial", "hospital", "holy", "cross", "harbor"].includes(l)) continue;
        expect(outOfLexicon(l), w).toBe(true);
        expect(text.toLowerCase()).not.toContain(l);
      }
    // titles and credentials stay; text outside the spans is untouched
    expect(out.text).toMatch(/^PT SEEN BY DR \S+ AND Dr\. \S+, md\. WIFE \S+ CALLED 9\/21\.\n/);
    expect(out.text.endsWith(" rehab next.")).toBe(true);
    // an acronym becomes letters of its length and case
    const gh = spans(out, "Location").find((s) => /^[A-Z]{2}$/.test(s));
    expect(gh).toBeDefined();
    expect(gh).not.toBe("GH");
  });

  it("is deterministic, and the seed and style change the values", () => {
    const a = oovDoc(doc, { style: "eval", seed: 1 });
    expect(oovDoc(doc, { style: "eval", seed: 1 })).toEqual(a);
    expect(oovDoc(doc, { style: "eval", seed: 2 }).text).not.toBe(a.text);
    const pools = { name: ["martella", "healeyson", "brundage"], place: ["quartermain", "randallstown", "pikesville"] };
    const t = oovDoc(doc, { style: "train", seed: 1, pools });
    expect(t.text).not.toBe(a.text);
    expect(spans(t, "Date")).toEqual(["9/21", "3/14"]);
  });

  it("keeps a place's suffix words in about half the places and drops them in the other half", () => {
    let kept = 0;
    let dropped = 0;
    for (let seed = 0; seed < 200; seed++) {
      const out = oovDoc(doc, { style: "eval", seed });
      const place = out.gold.find((g) => g.type === "Location")!;
      const v = out.text.slice(place.start, place.end);
      if (v.endsWith(" Memorial Hospital")) kept++;
      else {
        expect(v).not.toMatch(/Memorial|Hospital/);
        dropped++;
      }
      // "Holy" "Cross" (ordinary words only): a made-up word, then "Cross" or nothing
      const hc = out.gold.filter((g) => g.type === "Location").map((g) => out.text.slice(g.start, g.end));
      expect(hc.some((s) => /^Holy$/.test(s))).toBe(false);
    }
    expect(kept + dropped).toBe(200);
    expect(kept).toBeGreaterThan(70);
    expect(dropped).toBeGreaterThan(70);
  });

  it("augments training notes: originals first, then copies with the rules' candidates on their own text", () => {
    const seen: string[] = [];
    const docs = recipeDocs([doc], 2, (t) => (seen.push(t), []));
    expect(docs).toHaveLength(3);
    expect(docs[0]!.text).toBe(text);
    expect(new Set(seen).size).toBe(3);
    expect(docs[1]!.gold.map((g) => docs[1]!.text.slice(g.start, g.end))).toContain("9/21");
    expect(splicePools([doc]).place).toContain("braxford");
  });

  it("adds case-augmented copies: an OOV copy in one case, its gold offsets unchanged", () => {
    const docs = recipeDocs([doc, { ...doc, id: "b" }], 0, () => [], 1);
    expect(docs).toHaveLength(4);
    const [lower, upper] = [docs[2]!, docs[3]!];
    expect(lower.text).toBe(lower.text.toLowerCase());
    expect(upper.text).toBe(upper.text.toUpperCase());
    expect(lower.text).not.toBe(text.toLowerCase()); // names and places replaced first
    expect(lower.gold.map((g) => lower.text.slice(g.start, g.end))).toContain("9/21");
  });
});

describe("tagger training: lexicon dropout and name/place-only rule dropout", () => {
  const docs: TrainDoc[] = (
    JSON.parse(readFileSync(join(import.meta.dirname, "fixtures", "phi-tagger", "train.json"), "utf8")) as {
      text: string;
      spans: { start: number; end: number; cls: "name" | "location" | "date" | "phone" }[];
    }[]
  ).map((d) => ({ text: d.text, rules: [], gold: d.spans }));

  it("0 leaves the weights of a run without it; above 0 changes them, deterministically", () => {
    const base = modelDigest(train(docs, { epochs: 4, seed: 3, ruleDropout: 0.3 }).file);
    expect(modelDigest(train(docs, { epochs: 4, seed: 3, ruleDropout: 0.3, lexDropout: 0 }).file)).toBe(base);
    const d1 = modelDigest(train(docs, { epochs: 4, seed: 3, ruleDropout: 0.3, lexDropout: 0.5 }).file);
    expect(d1).not.toBe(base);
    expect(modelDigest(train(docs, { epochs: 4, seed: 3, ruleDropout: 0.3, lexDropout: 0.5 }).file)).toBe(d1);
  });

  it("rule dropout limited to some categories keeps the others' detections as features", () => {
    // rule candidates on the gold spans: what a perfect rule engine would give
    const withRules: TrainDoc[] = docs.map((d) => ({
      ...d,
      rules: d.gold.map((g) => ({
        ruleId: `r-${g.cls}`,
        category: g.cls,
        hipaa: 1,
        kind: "phi" as const,
        start: g.start,
        end: g.end,
        severity: "medium" as const,
        confidence: 1,
      })),
    }));
    const all = modelDigest(train(withRules, { epochs: 4, seed: 3, ruleDropout: 0.5 }).file);
    const some = (cats?: string[]) =>
      modelDigest(train(withRules, { epochs: 4, seed: 3, ruleDropout: 0.5, ruleDropoutCategories: cats }).file);
    expect(some(undefined)).toBe(all);
    expect(some(["name", "location"])).not.toBe(all);
    expect(some(["name", "location"])).toBe(some(["name", "location"]));
  });
});
