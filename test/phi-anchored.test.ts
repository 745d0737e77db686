import { describe, expect, it } from "vitest";
import { ANCHORED, digitRunsBefore, matchesOf, quoteYearStarts } from "../src/phi/detect/anchored.js";
import { DETECTORS } from "../src/phi/detect/index.js";
import { Scanner } from "../src/phi/scanner.js";

// Anchored matching (src/phi/detect/anchored.ts): the dates and places detectors run their
// whole-text regexes sticky, only where a cheap scan says a match can start. Each must give the
// same matches (same offsets, same groups) as `matchAll` over the whole text, on any text.

/** One example a regex must match: each anchored regex is exercised by at least one. */
const EXAMPLES = [
  "seen on 3/4/2019 and 12.03.2021, then 11/2004, 10/15-10/16, 2019-03-04 and 3-4/10",
  "the 3rd of March 2019, 12-Jan-2020, CABG '79, CVA 74', Jan. 5, 2019; March 2019 and sept 3",
  "lives at 123 Main Street, Apt 4, Towson, MD 21204. 83393 Parna 33 and 137 Avenue Teboulbi",
  "20, Rue Hsine Eloued; P.O. Box 77; po box 12; Via Roma 3; Calle Mayor 12; av. Paulista 1000",
  "PSC 1437, Box 3833, APO AA 66791 and Unit 1009 Box 0219 DPO AP 51065",
  "zip code 21204, postal code 12345, Zipcode: 99999",
  "shows on Marina Fort Street. She had a transplant at Holy Cross in the spring",
  "University of Maryland, UNIVERSITY OF MD, univ. of Texas, U of Iowa, college of Ohio",
  "transferred to Johns Hopkins, came from the Glenmore, medflighted to GBMC, xfer back here to GH",
  "St. Agnes Hospital, ST. MARY, saint Joseph's; went to Holy Cross; at Union Memorial",
  "admitted to GBMC, tx'd from the GH, i'm at UMMS, she's still in the BWH, retired from GH",
  "from the GBMC, to THE UMMC, U Maryland, Towson, Maryland and Baltimore, MD; New York's",
  "transfer to Quartermain 2, FROM QUARTERMAIN 3, plan: Blake 12, to Ellison 11 mg",
  "since Christmas eve, on the 4th of July, Valentine's Day, St. Patrick's day and New Year's",
  "seen in GH E.R.2 then Kernan e.r.x and ABCDE CATH LAB, XY cath lab, QQ clinic; Mackerer campus, 1AB ER",
  "Kimbrough rehab, from kernan ew, Union emergency room, ABCDEF ICU, A ICU, Northwest building 3, Oak bldg",
  'He left. Ubul: "Who are you?" Mary: What!\nJohn: ok\rAnn\'s: x. ROB: no "Zed: yes\n\nO\'hara: hi?  \t\nBo:',
  "Hauptstr. 12a, Storgatan Nord 3 B, O'Briengasse 4, x-Ringweg 77, Am Ringweg\t 5, 1Kungsgatan 9, Bergweg 123456, 12 rue Hsine",
  "my name is vitoria; Call me bob smith, maiden Name: nyberg, named him jo-ann, xmy name is zed, calls me  al",
];

/** Tokens the random texts are made of: keywords, numbers, separators, capitals. */
const PIECES = [
  ...EXAMPLES.flatMap((e) => e.split(/(?<=[ ,.;:])/)),
  ...new Set(ANCHORED.flatMap((a) => a.words ?? [])),
  // every word written in the regexes themselves (a keyword missing from a word list shows here)
  ...new Set(ANCHORED.flatMap((a) => a.re.source.match(/[A-Za-z]{2,}/g) ?? [])),
  "1",
  "12",
  "123",
  "1234",
  "12345",
  "123456",
  "1234567",
  "2019",
  "/",
  "-",
  ".",
  ",",
  "'",
  "’",
  ":",
  " ",
  "  ",
  "\t",
  "\n",
  "\r\n",
  "_",
  "th",
  "st",
  "nd",
  "MD",
  "AA",
  "Box",
  "of",
  "the",
  "The",
  "Street",
  "Hauptstrasse",
  "Maryland",
  "new york",
  "Holy",
  "Cross",
  "x",
  "QT",
  '"',
  "!",
  "?",
  "\r",
  "\v",
];

/** Deterministic texts (xorshift32): pieces joined, some upper-cased or lower-cased whole. */
function randomTexts(n: number, seed = 0x9e3779b9): string[] {
  let x = seed | 0;
  const rnd = (k: number) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % k;
  };
  const out: string[] = [];
  for (let t = 0; t < n; t++) {
    let s = "";
    const len = 5 + rnd(60);
    for (let i = 0; i < len; i++) s += PIECES[rnd(PIECES.length)]! + (rnd(3) === 0 ? "" : " ");
    const c = rnd(5);
    out.push(c === 0 ? s.toUpperCase() : c === 1 ? s.toLowerCase() : s);
  }
  return out;
}

const shape = (ms: Iterable<RegExpExecArray>) =>
  [...ms].map((m) => ({ index: m.index, groups: [...m], indices: m.indices?.map((p) => p && [...p]) }));

describe("anchored whole-text regexes", () => {
  it("every detector that uses them is loaded, and there are some", () => {
    expect(DETECTORS.map((d) => d.name)).toEqual(expect.arrayContaining(["dates", "places"]));
    expect(ANCHORED.length).toBeGreaterThanOrEqual(25);
  });

  const texts = [...EXAMPLES, EXAMPLES.join("\n"), EXAMPLES.join(" ").toUpperCase(), ...randomTexts(1500)];
  for (const a of ANCHORED) {
    it(`${a.name}: same matches as matchAll`, () => {
      let found = 0;
      for (const text of texts) {
        const want = shape(text.matchAll(a.re));
        expect(shape(matchesOf(a, text)), text).toEqual(want);
        found += want.length;
      }
      // the comparison is not vacuous: the regex matches somewhere in these texts
      expect(found).toBeGreaterThan(0);
    });
  }

  it("a text with a non-ASCII character runs word-anchored regexes over the whole text", () => {
    // under the iu flags "ſ" (long s) matches "s": "tranſferred" is a cue the ASCII pass cannot see
    const text = "tranſferred to Glenmore, admitted to GBMC, ſaint Agnes";
    for (const a of ANCHORED.filter((x) => x.words)) {
      expect(a.starts(text)).toBeUndefined();
      expect(shape(matchesOf(a, text))).toEqual(shape(text.matchAll(a.re)));
    }
    expect(
      matchesOf(
        ANCHORED.find((x) => x.name === "transfer-place")!,
        text,
      )[0]?.index,
    ).toBe(0);
  });

  it("lists digit runs by length and next character, and quote positions in order", () => {
    expect(digitRunsBefore("a 12/3 4567-8 9", 1, 2, (c) => c === 47)).toEqual([2]);
    expect(digitRunsBefore("a 12/3 4567-8 9", 4, 4, (c) => c === 45)).toEqual([7]);
    expect(digitRunsBefore("9", 1, 2, (c) => c === -1)).toEqual([0]);
    // adjacent quotes: positions two before each, merged in order without repeats
    expect(quoteYearStarts("ab''cd’e'")).toEqual([0, 1, 2, 3, 4, 6, 8]);
    expect(quoteYearStarts("no quotes")).toEqual([]);
  });

  it("the scanner finds the same places and dates in a note as before anchoring (fixed expectations)", () => {
    const text =
      "Pt transferred to Glenmore Hospital on 3/4/2019. Lives at 123 Main Street, Towson, MD 21204. CABG '79.";
    const found = new Scanner({ tagger: false })
      .scan(text, { path: "note.txt" })
      .filter((f) => f.category === "location" || f.category === "date")
      .map((f) => text.slice(f.start, f.end));
    expect(found).toEqual(expect.arrayContaining(["3/4/2019", "123 Main Street", "Towson", "21204", "'79"]));
  });
});
