import { render } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import "./styles.css";
import type { ChangeSummary, DoraGroup, ScopePosture, TrendBucket } from "../../src/metrics/index.js";

// ------------------------------------------------------------------ routing and filters (in the URL)

const PAGES = [
  ["overview", "Overview"],
  ["delivery", "Delivery"],
  ["changes", "Changes"],
  ["runs", "Runs & approvals"],
  ["findings", "Findings"],
  ["llm", "LLM calls"],
] as const;
type Page = (typeof PAGES)[number][0];
const FILTERS = ["from", "to", "repo", "classification", "service", "env"] as const;

function currentPage(): Page {
  const p = location.pathname.replace(/^\/+/, "") || "overview";
  return (PAGES.find(([id]) => id === p)?.[0] ?? "overview") as Page;
}
function currentQuery(): Record<string, string> {
  const q = new URLSearchParams(location.search);
  return Object.fromEntries(FILTERS.flatMap((k) => (q.get(k) ? [[k, q.get(k)!]] : [])));
}
function go(page: Page, query: Record<string, string>) {
  const qs = new URLSearchParams(query).toString();
  history.pushState(null, "", `/${page}${qs ? `?${qs}` : ""}`);
  dispatchEvent(new PopStateEvent("popstate"));
}

// ------------------------------------------------------------------ API (bearer token kept for this tab only)

class Unauthorized extends Error {}
async function api<T>(path: string, query: Record<string, string> = {}): Promise<T> {
  const qs = new URLSearchParams(query).toString();
  const res = await fetch(`/v1/dashboard/${path}${qs ? `?${qs}` : ""}`, {
    headers: { authorization: `Bearer ${sessionStorage.getItem("gh-token") ?? ""}` },
  });
  if (res.status === 401) throw new Unauthorized();
  if (!res.ok)
    throw new Error(((await res.json().catch(() => ({}))) as { detail?: string }).detail ?? `HTTP ${res.status}`);
  return (await res.json()) as T;
}

function useApi<T>(
  path: string,
  query: Record<string, string>,
  onUnauthorized: () => void,
): { data?: T; error?: string } {
  const [state, setState] = useState<{ data?: T; error?: string }>({});
  const key = path + JSON.stringify(query);
  useEffect(() => {
    let live = true;
    setState({});
    api<T>(path, query).then(
      (data) => live && setState({ data }),
      (err: Error) => {
        if (err instanceof Unauthorized) onUnauthorized();
        else if (live) setState({ error: err.message });
      },
    );
    return () => {
      live = false;
    };
  }, [key]);
  return state;
}

// ------------------------------------------------------------------ formatting

const duration = (ms: number | null | undefined) => {
  if (ms === null || ms === undefined) return "n/a";
  const h = ms / 3_600_000;
  return h < 1 ? `${Math.round(ms / 60_000)} min` : h < 48 ? `${h.toFixed(1)} h` : `${(h / 24).toFixed(1)} d`;
};
const pct = (x: number | null) => (x === null ? "n/a" : `${(x * 100).toFixed(1)}%`);

function Stat(props: { label: string; id: string; value: string | number; hint?: string }) {
  return (
    <div class="stat">
      <dt>{props.label}</dt>
      <dd data-metric={props.id}>{props.value}</dd>
      {props.hint && <small>{props.hint}</small>}
    </div>
  );
}

function Plot(props: {
  title: string;
  x: number[];
  series: { label: string; values: (number | null)[]; color: string }[];
}) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!ref.current) return;
    const width = Math.min(ref.current.clientWidth || 600, 900);
    const plot = new uPlot(
      {
        width,
        height: 220,
        title: props.title,
        scales: { x: { time: true } },
        axes: [{ stroke: "currentColor" }, { stroke: "currentColor" }],
        series: [
          {},
          ...props.series.map((s) => ({ label: s.label, stroke: s.color, width: 2, points: { show: true } })),
        ],
      },
      [props.x, ...props.series.map((s) => s.values)] as uPlot.AlignedData,
      ref.current,
    );
    return () => plot.destroy();
  }, [JSON.stringify(props)]);
  return <div class="plot" ref={ref} role="img" aria-label={props.title} />;
}

const weeks = (list: { start: string }[]) => list.map((b) => Date.parse(b.start) / 1000);

// ------------------------------------------------------------------ pages

interface Posture {
  id: string;
  framework: string;
  title: string;
  status: string;
  met: number;
  failed: number;
}
interface Verification {
  state: "scheduled" | "running" | "done";
  at: string | null;
  ok: boolean | null;
  size: number | null;
  problem: string | null;
}
interface Overview {
  repositories: string[];
  ledger: {
    size: number;
    checkpoint: { size: number; rootHash: string; origin: string; time: string | null } | null;
    lastVerification: Verification;
  };
  compliance: { met: number; failed: number; notEvidenced: number; controls: Posture[]; byScope: ScopePosture[] };
}
function verificationText(v: Verification): { value: string; hint: string } {
  if (v.at === null)
    return v.state === "scheduled"
      ? { value: "scheduled", hint: "the service verifies the whole ledger shortly after it starts, then hourly" }
      : { value: "running", hint: "the service is verifying the whole ledger now" };
  return v.ok
    ? { value: "passed", hint: `${v.size ?? 0} entries, at ${v.at}${v.state === "running" ? " (re-running)" : ""}` }
    : { value: "FAILED", hint: `at ${v.at}: ${v.problem ?? ""}` };
}
function OverviewPage(p: { q: Record<string, string>; auth: () => void }) {
  const { data, error } = useApi<Overview>("overview", p.q, p.auth);
  if (error) return <p role="alert">{error}</p>;
  if (!data) return <p aria-busy="true">Loading...</p>;
  const cp = data.ledger.checkpoint;
  const v = verificationText(data.ledger.lastVerification);
  return (
    <section data-loaded="overview">
      <datalist id="repositories">
        {data.repositories.map((r) => (
          <option key={r} value={r} />
        ))}
      </datalist>
      <h2>Compliance posture</h2>
      <dl class="stats">
        <Stat label="Controls met" id="controls-met" value={data.compliance.met} />
        <Stat label="Controls failed" id="controls-failed" value={data.compliance.failed} />
        <Stat label="Not evidenced" id="controls-not-evidenced" value={data.compliance.notEvidenced} />
        <Stat label="Ledger entries" id="ledger-size" value={data.ledger.size} />
        <Stat
          label="Last signed checkpoint"
          id="checkpoint-size"
          value={cp ? cp.size : "none"}
          hint={cp?.time ? `at ${cp.time}` : "run: gitops-health audit checkpoint"}
        />
        <Stat label="Last full verification (by this service)" id="last-verification" value={v.value} hint={v.hint} />
      </dl>
      <table>
        <caption>Per repository and classification (latest compliance check of each control in the range)</caption>
        <thead>
          <tr>
            <th scope="col">Repository</th>
            <th scope="col">Classification</th>
            <th scope="col">Met</th>
            <th scope="col">Failed</th>
            <th scope="col">Not evidenced</th>
            <th scope="col">Failing controls</th>
          </tr>
        </thead>
        <tbody>
          {data.compliance.byScope.map((s) => (
            <tr data-scope={`${s.repo}|${s.classification}`} key={`${s.repo}|${s.classification}`}>
              <td>
                {s.repo ? (
                  <a
                    href={`/overview?${new URLSearchParams({ ...p.q, repo: s.repo }).toString()}`}
                    onClick={(ev) => {
                      ev.preventDefault();
                      go("overview", { ...p.q, repo: s.repo });
                    }}
                  >
                    {s.repo}
                  </a>
                ) : (
                  <small>not recorded</small>
                )}
              </td>
              <td>{s.classification || <small>not recorded</small>}</td>
              <td class="status met">{s.met}</td>
              <td class={s.failed ? "status failed" : ""}>{s.failed}</td>
              <td>{s.notEvidenced}</td>
              <td>
                {s.failing.map((id) => (
                  <code key={id}>{id} </code>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <table>
        <caption>
          Controls{p.q.repo ? ` of ${p.q.repo}` : ""}
          {p.q.classification ? ` (${p.q.classification})` : ""} (latest compliance check in the range decides)
        </caption>
        <thead>
          <tr>
            <th scope="col">Control</th>
            <th scope="col">Framework</th>
            <th scope="col">Title</th>
            <th scope="col">Status</th>
            <th scope="col">Checks met / failed</th>
          </tr>
        </thead>
        <tbody>
          {data.compliance.controls.map((c) => (
            <tr data-control={c.id} key={c.id}>
              <td>
                <code>{c.id}</code>
              </td>
              <td>{c.framework}</td>
              <td>{c.title}</td>
              <td class={`status ${c.status.replace(" ", "-")}`}>{c.status}</td>
              <td>
                {c.met} / {c.failed}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

// the API's shapes, from the metrics domain (types only: nothing of src/ is bundled)
type Group = DoraGroup;
interface Delivery {
  days: number;
  total: Group;
  groups: Group[];
  trend: TrendBucket[];
}
function DeliveryPage(p: { q: Record<string, string>; auth: () => void }) {
  const { data, error } = useApi<Delivery>("delivery", p.q, p.auth);
  if (error) return <p role="alert">{error}</p>;
  if (!data) return <p aria-busy="true">Loading...</p>;
  const t = data.total;
  return (
    <section data-loaded="delivery">
      <h2>Software delivery performance (DORA)</h2>
      <dl class="stats">
        <Stat
          label="Deployments"
          id="deployments"
          value={t.deployments}
          hint={`${t.successful} successful, ${t.failed} failed`}
        />
        <Stat
          label="Deployment frequency"
          id="deployment-frequency"
          value={`${t.deploymentFrequencyPerDay.toFixed(3)}/day`}
        />
        <Stat label="Change lead time (median)" id="lead-time" value={duration(t.leadTimeMedianMs)} />
        <Stat label="Change failure rate" id="change-failure-rate" value={pct(t.changeFailureRate)} />
        <Stat
          label="Failed deployment recovery time (median)"
          id="recovery-time"
          value={duration(t.recoveryMedianMs)}
          hint={t.unrecovered ? `${t.unrecovered} not recovered` : undefined}
        />
      </dl>
      <Plot
        title="Deployments per week"
        x={weeks(data.trend)}
        series={[
          { label: "successful", values: data.trend.map((b) => b.successful), color: "#2da44e" },
          { label: "failed", values: data.trend.map((b) => b.failed), color: "#cf222e" },
        ]}
      />
      <Plot
        title="Change lead time per week (median, hours)"
        x={weeks(data.trend)}
        series={[
          {
            label: "lead time (h)",
            values: data.trend.map((b) => (b.leadTimeMedianMs === null ? null : b.leadTimeMedianMs / 3_600_000)),
            color: "#0969da",
          },
        ]}
      />
      <table>
        <caption>Per service and environment</caption>
        <thead>
          <tr>
            <th scope="col">Service</th>
            <th scope="col">Environment</th>
            <th scope="col">Deployments</th>
            <th scope="col">Per day</th>
            <th scope="col">Lead time</th>
            <th scope="col">Failure rate</th>
            <th scope="col">Recovery</th>
          </tr>
        </thead>
        <tbody>
          {data.groups.map((g) => (
            <tr data-group={`${g.service}@${g.env}`} key={`${g.service}@${g.env}`}>
              <td>{g.service}</td>
              <td>{g.env}</td>
              <td>{g.deployments}</td>
              <td>{g.deploymentFrequencyPerDay.toFixed(3)}</td>
              <td>{duration(g.leadTimeMedianMs)}</td>
              <td>{pct(g.changeFailureRate)}</td>
              <td>{duration(g.recoveryMedianMs)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <details open>
        <summary>Definitions (DORA)</summary>
        <ul>
          <li>Deployment frequency: successful deployments per day in the range.</li>
          <li>
            Change lead time: from the commit (its commit time, else the first ledger entry about it) to its successful
            deployment.
          </li>
          <li>
            Change failure rate: deployments that failed, were rolled back, or were followed by a rollback or an
            incident for the same service and environment before the next deployment, over all deployments.
          </li>
          <li>
            Failed deployment recovery time: from a failed deployment to the first rollback, next successful deployment,
            or resolution of the incident it caused.
          </li>
        </ul>
      </details>
    </section>
  );
}

const likelihoodText = (c: ChangeSummary) =>
  c.likelihood === null ? "n/a" : `${c.likelihood}/100${c.level ? ` (${c.level})` : ""}`;
/** whether the risk shown is signed evidence; unsigned or untrusted records are never shown as risk */
const evidenceText = (c: ChangeSummary) =>
  [c.verified ? "signed" : "", c.unverified ? `${c.unverified} unverified ignored` : ""].filter(Boolean).join("; ");
function ChangesPage(p: { q: Record<string, string>; auth: () => void }) {
  const { data, error } = useApi<{ changes: ChangeSummary[] }>("changes", p.q, p.auth);
  if (error) return <p role="alert">{error}</p>;
  if (!data) return <p aria-busy="true">Loading...</p>;
  return (
    <section data-loaded="changes">
      <h2>Changes: risk and gate outcomes</h2>
      <p>
        <span data-metric="changes-count">{data.changes.length}</span> change(s), newest first;{" "}
        <span data-metric="changes-failed">{data.changes.filter((c) => c.outcome === "failed").length}</span> failed the
        compliance gate. Likelihood is the risk model&apos;s defect likelihood, impact the tier of the configured
        critical paths the change touches (both from the pipeline&apos;s risk and plan stages, counted only when a
        trusted producer signed the record; unverified records are ignored and counted).
      </p>
      <table>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Commit</th>
            <th scope="col">Repository</th>
            <th scope="col">Likelihood</th>
            <th scope="col">Impact</th>
            <th scope="col">Strategy</th>
            <th scope="col">Risk evidence</th>
            <th scope="col">Pack</th>
            <th scope="col">Violations</th>
            <th scope="col">Gate</th>
          </tr>
        </thead>
        <tbody>
          {data.changes.map((c) => (
            <tr key={c.seq} data-change={c.commit}>
              <td>{c.time}</td>
              <td>
                <code>{c.commit.slice(0, 12)}</code>
              </td>
              <td>{c.repo}</td>
              <td data-col="likelihood">{likelihoodText(c)}</td>
              <td data-col="impact">
                {c.impactTier === null ? (c.strategy ? "none declared" : "n/a") : `tier ${c.impactTier}`}
              </td>
              <td data-col="strategy">{c.strategy ?? ""}</td>
              <td data-col="risk-evidence" class={c.unverified ? "status failed" : ""}>
                {evidenceText(c)}
              </td>
              <td>{c.pack ?? ""}</td>
              <td>{c.violations ?? ""}</td>
              <td class={`status ${c.outcome}`} data-col="gate">
                {c.outcome}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

interface Run {
  runId: string;
  digest: string;
  command: string;
  environment: string;
  classification: string;
  requester: string;
  plannedAt: string;
  state: string;
  approvals: { approver: string; seq: number; time: string }[];
  approveCommand: string;
}
function RunsPage(p: { auth: () => void }) {
  const { data, error } = useApi<{ runs: Run[] }>("runs", {}, p.auth);
  if (error) return <p role="alert">{error}</p>;
  if (!data) return <p aria-busy="true">Loading...</p>;
  const pending = data.runs.filter((r) => r.state === "planned");
  return (
    <section data-loaded="runs">
      <h2>Pending approvals</h2>
      <p>
        <span data-metric="pending-approvals">{pending.length}</span> run(s) waiting. Entries as written;{" "}
        <code>/v1/runs</code> shows what the signatures prove.
      </p>
      <ul class="runs">
        {pending.map((r) => (
          <li data-run={r.runId} key={r.runId}>
            <strong>{r.runId}</strong> ({r.classification}, {r.environment}) by {r.requester}: <code>{r.command}</code>
            <br />
            plan digest <code data-digest>{r.digest}</code>
            <br />
            sign it: <code data-approve>{r.approveCommand}</code>
          </li>
        ))}
      </ul>
      <h2>Who approved what</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col">State</th>
            <th scope="col">Approvals</th>
          </tr>
        </thead>
        <tbody>
          {data.runs
            .filter((r) => r.approvals.length)
            .map((r) => (
              <tr key={r.runId}>
                <td>{r.runId}</td>
                <td>{r.state}</td>
                <td>{r.approvals.map((a) => `${a.approver} (${a.time})`).join(", ")}</td>
              </tr>
            ))}
        </tbody>
      </table>
    </section>
  );
}

function FindingsPage(p: { q: Record<string, string>; auth: () => void }) {
  const { data, error } = useApi<{ weeks: { start: string; byClass: Record<string, number> }[] }>(
    "findings",
    p.q,
    p.auth,
  );
  if (error) return <p role="alert">{error}</p>;
  if (!data) return <p aria-busy="true">Loading...</p>;
  const classes = [...new Set(data.weeks.flatMap((w) => Object.keys(w.byClass)))].sort();
  const colors = ["#cf222e", "#0969da", "#bf8700", "#8250df", "#1a7f37", "#57606a"];
  const totals = classes.map((c) => [c, data.weeks.reduce((s, w) => s + (w.byClass[c] ?? 0), 0)] as const);
  return (
    <section data-loaded="findings">
      <h2>PHI and secret findings over time (counts by class, never values){p.q.repo ? ` (${p.q.repo})` : ""}</h2>
      <Plot
        title="Findings per week"
        x={weeks(data.weeks)}
        series={classes.map((c, i) => ({
          label: c,
          values: data.weeks.map((w) => w.byClass[c] ?? 0),
          color: colors[i % colors.length]!,
        }))}
      />
      <table>
        <thead>
          <tr>
            <th scope="col">Class</th>
            <th scope="col">Count</th>
          </tr>
        </thead>
        <tbody>
          {totals.map(([c, n]) => (
            <tr key={c}>
              <td>{c}</td>
              <td data-metric={`findings-${c}`}>{n}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function LlmPage(p: { q: Record<string, string>; auth: () => void }) {
  const { data, error } = useApi<{
    calls: number;
    refused: number;
    byModel: { model: string; calls: number; refused: number }[];
  }>("llm", p.q, p.auth);
  if (error) return <p role="alert">{error}</p>;
  if (!data) return <p aria-busy="true">Loading...</p>;
  return (
    <section data-loaded="llm">
      <h2>LLM calls through the gateway and the proxy{p.q.repo ? ` (${p.q.repo})` : ""}</h2>
      <dl class="stats">
        <Stat label="Calls" id="llm-calls" value={data.calls} />
        <Stat label="Refused" id="llm-refused" value={data.refused} />
      </dl>
      <table>
        <thead>
          <tr>
            <th scope="col">Model</th>
            <th scope="col">Calls</th>
            <th scope="col">Refused</th>
          </tr>
        </thead>
        <tbody>
          {data.byModel.map((m) => (
            <tr data-model={m.model} key={m.model}>
              <td>{m.model}</td>
              <td>{m.calls}</td>
              <td>{m.refused}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

// ------------------------------------------------------------------ shell

function Filters(p: { page: Page; q: Record<string, string> }) {
  const submit = (ev: Event) => {
    ev.preventDefault();
    const form = new FormData(ev.currentTarget as HTMLFormElement);
    const q: Record<string, string> = {};
    for (const k of FILTERS) {
      const v = String(form.get(k) ?? "").trim();
      if (v) q[k] = v;
    }
    go(p.page, q);
  };
  return (
    <form class="filters" onSubmit={submit} aria-label="Filters">
      <label>
        From <input type="date" name="from" value={p.q.from?.slice(0, 10) ?? ""} />
      </label>
      <label>
        Until (exclusive) <input type="date" name="to" value={p.q.to?.slice(0, 10) ?? ""} />
      </label>
      <label>
        Repository <input name="repo" size={16} list="repositories" value={p.q.repo ?? ""} />
      </label>
      <label>
        Classification{" "}
        <select name="classification" value={p.q.classification ?? ""}>
          <option value="">any</option>
          <option value="personal">personal</option>
          <option value="business">business</option>
          <option value="clinical">clinical</option>
        </select>
      </label>
      {p.page === "delivery" ? (
        <>
          <label>
            Service <input name="service" size={10} value={p.q.service ?? ""} />
          </label>
          <label>
            Environment <input name="env" size={8} value={p.q.env ?? ""} />
          </label>
        </>
      ) : (
        // only deployments have a service and environment: kept in the URL for the delivery page
        <>
          <input type="hidden" name="service" value={p.q.service ?? ""} />
          <input type="hidden" name="env" value={p.q.env ?? ""} />
        </>
      )}
      <button type="submit">Apply</button>
    </form>
  );
}

function Login(p: { done: () => void }) {
  return (
    <form
      class="login"
      onSubmit={(ev) => {
        ev.preventDefault();
        sessionStorage.setItem(
          "gh-token",
          String(new FormData(ev.currentTarget as HTMLFormElement).get("token") ?? ""),
        );
        p.done();
      }}
    >
      <h2>Sign in</h2>
      <label>
        API token (<code>gitops-health token create</code>){" "}
        <input type="password" name="token" autocomplete="off" required />
      </label>
      <button type="submit">Open the dashboard</button>
    </form>
  );
}

function App() {
  const [page, setPage] = useState(currentPage());
  const [q, setQ] = useState(currentQuery());
  const [authed, setAuthed] = useState(Boolean(sessionStorage.getItem("gh-token")));
  const [theme, setTheme] = useState(localStorage.getItem("gh-theme") ?? "auto");
  useEffect(() => {
    const on = () => {
      setPage(currentPage());
      setQ(currentQuery());
    };
    addEventListener("popstate", on);
    return () => removeEventListener("popstate", on);
  }, []);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem("gh-theme", theme);
  }, [theme]);
  const auth = () => {
    sessionStorage.removeItem("gh-token");
    setAuthed(false);
  };
  const href = (id: Page) => {
    const qs = new URLSearchParams(q).toString();
    return `/${id}${qs ? `?${qs}` : ""}`;
  };
  return (
    <>
      <header>
        <h1>gitops-health</h1>
        <nav aria-label="Pages">
          {PAGES.map(([id, label]) => (
            <a
              key={id}
              href={href(id)}
              aria-current={id === page ? "page" : undefined}
              onClick={(ev) => {
                if (ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
                ev.preventDefault();
                go(id, q);
              }}
            >
              {label}
            </a>
          ))}
        </nav>
        <button
          type="button"
          class="theme"
          aria-label="Switch light and dark theme"
          onClick={() => setTheme(theme === "dark" ? "light" : "dark")}
        >
          {theme === "dark" ? "Light" : "Dark"}
        </button>
      </header>
      <main>
        {!authed ? (
          <Login done={() => setAuthed(true)} />
        ) : (
          <>
            {page !== "runs" && <Filters page={page} q={q} />}
            {page === "overview" && <OverviewPage q={q} auth={auth} />}
            {page === "delivery" && <DeliveryPage q={q} auth={auth} />}
            {page === "changes" && <ChangesPage q={q} auth={auth} />}
            {page === "runs" && <RunsPage auth={auth} />}
            {page === "findings" && <FindingsPage q={q} auth={auth} />}
            {page === "llm" && <LlmPage q={q} auth={auth} />}
          </>
        )}
      </main>
    </>
  );
}

render(<App />, document.getElementById("app")!);
