/**
 * Freeze windows: plain ISO 8601 ranges, or RFC 5545 recurrences (the `rrule` package) each
 * starting a freeze of `duration`. Pure apart from loading `rrule` when a recurrence is configured.
 */
import type { DeployFreeze } from "../config/schema.js";
import { UserError } from "../core/errors.js";
import { parseDuration } from "../guard/plan.js";

export interface ActiveFreeze {
  name: string;
  from: string;
  until: string;
}

type RRuleStr = (s: string, o?: { forceset?: boolean }) => { before(d: Date, inclusive?: boolean): Date | null };

async function rrulestr(): Promise<RRuleStr> {
  const mod = (await import("rrule")) as unknown as { rrulestr?: RRuleStr; default?: { rrulestr: RRuleStr } };
  return mod.rrulestr ?? mod.default!.rrulestr;
}

function date(text: string, what: string): number {
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new UserError(`deploy.freezes: ${what} is not a date: ${text}`);
  return t;
}

/** The freezes in force at `now` (empty when none). Malformed entries are usage errors. */
export async function activeFreezes(freezes: DeployFreeze[], now = new Date()): Promise<ActiveFreeze[]> {
  const out: ActiveFreeze[] = [];
  const t = now.getTime();
  for (const f of freezes) {
    if (f.rrule) {
      if (!f.duration)
        throw new UserError(`deploy.freezes "${f.name}": a recurring freeze needs a duration (e.g. 64h)`);
      const len = parseDuration(f.duration);
      let rule;
      try {
        const text = f.rrule.includes("RRULE:") || f.rrule.includes("DTSTART") ? f.rrule : `RRULE:${f.rrule}`;
        rule = (await rrulestr())(
          f.start
            ? `DTSTART:${new Date(date(f.start, "start"))
                .toISOString()
                .replace(/[-:]/g, "")
                .replace(/\.\d{3}/, "")}\n${text}`
            : text,
        );
      } catch (err) {
        if (err instanceof UserError) throw err;
        throw new UserError(`deploy.freezes "${f.name}": invalid RRULE: ${(err as Error).message}`);
      }
      const last = rule.before(now, true);
      if (last && t < last.getTime() + len)
        out.push({ name: f.name, from: last.toISOString(), until: new Date(last.getTime() + len).toISOString() });
      continue;
    }
    if (!f.start || !f.end)
      throw new UserError(`deploy.freezes "${f.name}": give start and end, or rrule and duration`);
    const s = date(f.start, "start");
    const e = date(f.end, "end");
    if (e <= s) throw new UserError(`deploy.freezes "${f.name}": end is not after start`);
    if (t >= s && t < e) out.push({ name: f.name, from: new Date(s).toISOString(), until: new Date(e).toISOString() });
  }
  return out;
}
