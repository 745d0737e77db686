/** A half-open span of a text: [start, end). */
export interface Span {
  start: number;
  end: number;
}

/**
 * Intervals sorted by start with the running maximum of their ends: "does any interval with
 * start < s (or <= s) end after e" in O(log n), whether or not the intervals overlap each other.
 */
export class StartIndex {
  private readonly starts: Float64Array;
  private readonly maxEnd: Float64Array;
  constructor(items: readonly Span[]) {
    const sorted = [...items].sort((a, b) => a.start - b.start);
    this.starts = new Float64Array(sorted.length);
    this.maxEnd = new Float64Array(sorted.length);
    let m = -Infinity;
    sorted.forEach((c, i) => {
      this.starts[i] = c.start;
      m = Math.max(m, c.end);
      this.maxEnd[i] = m;
    });
  }
  /** Largest end among intervals whose start is < s (inclusive: <= s); -Infinity when none. */
  maxEndBefore(s: number, inclusive: boolean): number {
    let lo = 0;
    let hi = this.starts.length; // first index whose start is not before s
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid]! < s || (inclusive && this.starts[mid] === s)) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? -Infinity : this.maxEnd[lo - 1]!;
  }
}
