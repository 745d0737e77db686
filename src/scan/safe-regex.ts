import { UserError } from "../core/errors.js";

/**
 * Reject user-supplied patterns that can backtrack catastrophically: a quantified group
 * that itself contains an unbounded quantifier (star height > 1, e.g. `(a+)+`, `(\w*)*`),
 * or a quantified alternation whose branches can match the same text (`(a|a)*`, `(a|ab)+`).
 * Execution is bounded too: user rules only run on lines up to MAX_USER_RULE_LINE chars.
 */


export function compileUserPattern(ruleId: string, source: string, flags = ""): RegExp {
  let src = source;
  let f = flags;
  // RE2/PCRE inline flags at the start (gitleaks rules use them)
  const inline = /^\(\?([imsx]+)\)/.exec(src);
  if (inline) {
    src = src.slice(inline[0].length);
    for (const c of inline[1]!) if (c !== "x" && !f.includes(c)) f += c;
  }
  if (/\(\?[imsx-]+[):]/.test(src)) throw new UserError(`rule "${ruleId}": inline flag groups inside the pattern are not supported`);
  const problem = catastrophic(src);
  if (problem) throw new UserError(`rule "${ruleId}": pattern can backtrack catastrophically (${problem}); rewrite it without nested quantifiers`);
  try {
    return new RegExp(src, f.includes("g") ? f : f + "g");
  } catch (err) {
    throw new UserError(`rule "${ruleId}": invalid regular expression: ${(err as Error).message}`);
  }
}

/** Returns a description of the first dangerous construct, or undefined. */
export function catastrophic(src: string): string | undefined {
  interface Group { start: number; hasUnbounded: boolean; alternation: string[]; branchStart: number }
  const stack: Group[] = [{ start: -1, hasUnbounded: false, alternation: [], branchStart: 0 }];
  let inClass = false;
  const quantAt = (i: number): { unbounded: boolean; len: number } | undefined => {
    const c = src[i];
    if (c === "*" || c === "+") return { unbounded: true, len: 1 + (src[i + 1] === "?" || src[i + 1] === "+" ? 1 : 0) };
    if (c === "?") return { unbounded: false, len: 1 };
    if (c === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(src.slice(i));
      if (m) return { unbounded: m[2] !== undefined && (m[3] === "" || Number(m[3]) > 16), len: m[0].length };
    }
    return undefined;
  };
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === "\\") {
      i++;
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      continue;
    }
    if (c === "[") {
      inClass = true;
      continue;
    }
    const top = stack[stack.length - 1]!;
    if (c === "(") {
      stack.push({ start: i, hasUnbounded: false, alternation: [], branchStart: i + 1 + (src[i + 1] === "?" ? (src[i + 2] === "<" && src[i + 3] !== "=" && src[i + 3] !== "!" ? src.indexOf(">", i) - i : 2) : 0) });
      continue;
    }
    if (c === "|") {
      top.alternation.push(src.slice(top.branchStart, i));
      top.branchStart = i + 1;
      continue;
    }
    if (c === ")") {
      const g = stack.pop()!;
      if (!g || stack.length === 0) return undefined;
      g.alternation.push(src.slice(g.branchStart, i));
      const q = quantAt(i + 1);
      if (q?.unbounded) {
        if (g.hasUnbounded) return `nested quantifier at ${g.start}`;
        const b = g.alternation;
        if (b.length > 1 && b.some((x, k) => b.some((y, l) => k !== l && (x === y || (x.length > 0 && y.startsWith(x)))))) return `overlapping alternation under a quantifier at ${g.start}`;
      }
      const parent = stack[stack.length - 1]!;
      if (g.hasUnbounded || q?.unbounded) parent.hasUnbounded = true;
      if (q) i += q.len;
      continue;
    }
    const q = quantAt(i);
    if (q) {
      if (q.unbounded) top.hasUnbounded = true;
      i += q.len - 1;
    }
  }
  return undefined;
}
