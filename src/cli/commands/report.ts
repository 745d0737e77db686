import type { Command } from "commander";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { loadConfigFast } from "../../config/fast.js";
import { UserError } from "../../core/errors.js";
import { writeFileAtomic } from "../../core/fs.js";
import { say, writeOut } from "../output.js";

interface ReportOpts {
  from: string;
  to: string;
  controls?: string;
  format: string;
  out?: string;
  ledger?: string;
  key?: string;
  keyFile?: string;
  maxCited: string;
  chromium?: string;
}

/** `report`: the auditor's self-verifying evidence report (HTML) or OSCAL assessment results (JSON). */
export function register(program: Command): void {
  program
    .command("report")
    .description(
      "evidence report for a period: controls, cited ledger entries with inclusion proofs, the signed checkpoint and DORA metrics (self-verifying HTML or OSCAL JSON)",
    )
    .requiredOption("--from <date>", "start of the period (YYYY-MM-DD or ISO time, inclusive)")
    .requiredOption("--to <date>", "end of the period (a bare date includes that day)")
    .option("--controls <list>", "control sets: hipaa,part11,sox,soc2 (default: all)")
    .option(
      "--format <fmt>",
      "html | oscal | pdf (the HTML printed by headless Chromium, after it verified itself)",
      "html",
    )
    .option("--out <file>", "write to FILE (default: stdout)")
    .option("--ledger <dir|url>", "ledger directory or postgres:// URL")
    .option(
      "--key <vkey>",
      "verifier key of the checkpoint (name+id+key, or @file; default: the .pub beside the signer key)",
    )
    .option("--key-file <file>", "signer key whose .pub is the default verifier key")
    .option("--max-cited <n>", "entries cited per control (newest first)", "200")
    .option(
      "--chromium <path>",
      "Chromium for --format pdf (default: GITOPS_HEALTH_CHROMIUM, else /usr/bin/chromium; needs playwright-core)",
    )
    .action(async (o: ReportOpts) => {
      if (o.format !== "html" && o.format !== "oscal" && o.format !== "pdf")
        throw new UserError(`--format must be html, oscal or pdf, got "${o.format}"`);
      if (o.format === "pdf" && !o.out) throw new UserError("--format pdf needs --out FILE");
      const chromium = o.chromium || process.env.GITOPS_HEALTH_CHROMIUM || "/usr/bin/chromium";
      if (o.format === "pdf" && !existsSync(chromium))
        throw new UserError(
          `--format pdf needs Chromium: ${chromium} is missing (apt-get install chromium, or --chromium PATH)`,
        );
      if (!/^[1-9][0-9]{0,5}$/.test(o.maxCited)) throw new UserError("--max-cited must be a positive integer");
      const { config } = await loadConfigFast({ file: program.opts().config as string | undefined });
      const { frameworksOf } = await import("../../metrics/index.js");
      const { collectEvidence, parsePeriod } = await import("../../evidence-report/collect.js");
      const period = parsePeriod(o.from, o.to);
      const frameworks = frameworksOf(o.controls?.split(",").filter(Boolean));
      const { loadVerifier, signerKeyFile } = await import("../../audit/keys.js");
      let keySpec = o.key;
      if (!keySpec) {
        const pub = `${signerKeyFile(process.cwd(), o.keyFile ?? config.ledger.keyFile).file}.pub`;
        if (!existsSync(pub))
          throw new UserError(
            `the checkpoint's verifier key is needed: pass --key (name+id+key or @file); no ${pub} either`,
          );
        keySpec = `@${pub}`;
      }
      const verifier = loadVerifier(keySpec);
      const { openLedger } = await import("../../audit/index.js");
      const ledger = await openLedger(o.ledger ?? process.env.GITOPS_HEALTH_LEDGER ?? config.ledger.location, {
        readOnly: true,
      });
      try {
        const note = await ledger.latestCheckpoint();
        if (!note)
          throw new UserError("the ledger has no signed checkpoint: run 'gitops-health audit checkpoint' first");
        const data = await collectEvidence(ledger, {
          ...period,
          frameworks,
          checkpointNote: note,
          verifier,
          maxCitedPerControl: Number(o.maxCited),
          commitTimes: commitTimesFromGit,
          reviews: {
            trust: (await import("../../evidence/checks.js")).producerTrust(config, process.cwd()),
            namespace: config.evidence.namespace,
          },
        });
        if (o.format === "pdf") {
          const html = (await import("../../evidence-report/html.js")).renderHtml(data);
          const verdict = await printPdf(html, resolve(o.out!), chromium);
          say(
            `wrote ${o.out}: ${data.controls.length} controls, ${data.entries.length} cited entries, checkpoint size ${data.checkpoint.size}; in Chromium: ${verdict}`,
          );
          return;
        }
        const text =
          o.format === "html"
            ? (await import("../../evidence-report/html.js")).renderHtml(data)
            : (await import("../../evidence-report/oscal.js")).renderOscal(data);
        if (o.out) {
          writeFileAtomic(resolve(o.out), text);
          say(
            `wrote ${o.out}: ${data.controls.length} controls, ${data.entries.length} cited entries, checkpoint size ${data.checkpoint.size}`,
          );
        } else writeOut(text.trimEnd());
      } finally {
        await ledger.close();
      }
    });
}

/** Commit times from the repository here, when there is one (lead time for changes): one git process for all. */
async function commitTimesFromGit(commits: string[]): Promise<ReadonlyMap<string, number>> {
  const { git, repoRoot } = await import("../../git/exec.js");
  const cwd = repoRoot(process.cwd());
  const out = new Map<string, number>();
  if (!cwd) return out;
  const text = await git(["log", "--no-walk=unsorted", "--ignore-missing", "--stdin", "--format=%H %ct"], {
    cwd,
    input: commits.join("\n") + "\n",
  }).catch(() => "");
  for (const line of text.split("\n")) {
    const m = /^([0-9a-f]{40,64}) (\d+)$/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]) * 1000);
  }
  return out;
}

/**
 * `--format pdf`: the same self-verifying HTML, opened in headless Chromium (playwright-core, no
 * network: the page is served from the string by a route), printed once its own verification has run, so the PDF
 * shows the verdict. The PDF is a rendering for reading; the HTML is the evidence that verifies itself.
 */
async function printPdf(html: string, out: string, executablePath: string): Promise<string> {
  let chromium: typeof import("playwright-core").chromium;
  try {
    ({ chromium } = await import("playwright-core"));
  } catch {
    throw new UserError("--format pdf needs the playwright-core package (npm install playwright-core)");
  }
  const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
  try {
    const page = await browser.newPage();
    // served from an https URL that never reaches the network (WebCrypto needs a secure context)
    const url = "https://evidence-report.invalid/report.html";
    await page.route("**/*", (route) =>
      route.request().url() === url
        ? route.fulfill({ status: 200, contentType: "text/html; charset=utf-8", body: html })
        : route.abort(),
    );
    await page.goto(url, { waitUntil: "load" });
    let state = "pending";
    for (let i = 0; i < 600 && state === "pending"; i++) {
      state = await page.evaluate<string>(`document.documentElement.getAttribute("data-verified") || "pending"`);
      if (state === "pending") await page.waitForTimeout(50);
    }
    const verdict = (await page.textContent("#verification"))?.trim() ?? state;
    const pdf = await page.pdf({ format: "A4", printBackground: true, margin: { top: "12mm", bottom: "12mm" } });
    writeFileAtomic(out, pdf);
    return verdict;
  } finally {
    await browser.close();
  }
}
