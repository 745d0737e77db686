/** Per-caller request rate (sliding minute) and token budget (per UTC day), in memory. */
export class CallerLimits {
  private readonly calls = new Map<string, number[]>();
  private readonly tokens = new Map<string, { day: string; used: number }>();

  constructor(
    private readonly requestsPerMinute: number,
    private readonly tokensPerDay: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** undefined when the call may proceed (and is counted), else the rule that refuses it. */
  admit(caller: string): { rule: string; message: string; retryAfterS: number } | undefined {
    const t = this.now();
    if (this.tokensPerDay > 0) {
      const b = this.tokens.get(caller);
      if (b && b.day === day(t) && b.used >= this.tokensPerDay)
        return {
          rule: "tokensPerDay",
          message: `token budget of ${this.tokensPerDay} per day used up`,
          retryAfterS: Math.ceil((86400_000 - (t % 86400_000)) / 1000),
        };
    }
    if (this.requestsPerMinute > 0) {
      const list = (this.calls.get(caller) ?? []).filter((x) => x > t - 60_000);
      if (list.length >= this.requestsPerMinute) {
        this.calls.set(caller, list);
        return {
          rule: "requestsPerMinute",
          message: `rate limit of ${this.requestsPerMinute} requests per minute`,
          retryAfterS: Math.max(1, Math.ceil((list[0]! + 60_000 - t) / 1000)),
        };
      }
      list.push(t);
      this.calls.set(caller, list);
    }
    return undefined;
  }

  /** Count the tokens a call used. */
  spend(caller: string, n: number): void {
    if (this.tokensPerDay <= 0 || !(n > 0)) return;
    const d = day(this.now());
    const b = this.tokens.get(caller);
    if (!b || b.day !== d) this.tokens.set(caller, { day: d, used: n });
    else b.used += n;
  }
}

const day = (t: number) => new Date(t).toISOString().slice(0, 10);
