import * as v from "../validators.js";
import { ASSIGN, literalStarts, markerStarts, sortUnique, type TextIndex } from "../prefilter.js";
import type { Rule } from "./rule.js";

/** Secrets: cloud and service credentials by their own formats, then passwords in URLs and assignments. */

const CTX_SECRET =
  /(?:api[_-]?key|apikey|secret|token|passw(?:or)?d|pwd|client[_-]?secret|access[_-]?key|private[_-]?key|auth|credential|bearer)/i;
const WORD = /[A-Za-z0-9_]/;

function jwtHeaderValid(token: string): boolean {
  try {
    const h = JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString("utf8")) as { alg?: unknown };
    return typeof h.alg === "string";
  } catch {
    return false;
  }
}

/** scheme://user:pass@ : the scheme is letters, '+' and ':' right before "://". */
function connectionStringStarts(t: string, idx: TextIndex): number[] {
  const out: number[] = [];
  for (const i of idx.schemeSeparators()) {
    let s = i;
    while (s > 0 && /[A-Za-z+:]/.test(t[s - 1]!)) s--;
    for (let p = s; p < i; p++) if (p === s || !WORD.test(t[p - 1]!)) out.push(p);
  }
  return sortUnique(out);
}

const SPACE = /\s/;
const RUN = /[\w.-]/;
const CONTEXT_GI = new Map<string, RegExp>();

/**
 * `generic-secret` matches `<identifier><quote?> <op> "<16+ chars>"` right after a secret
 * word inside the identifier. Find the assignments first (rare), then the secret words only
 * in the identifier run before each: positions of context matches, sorted.
 */
export function genericSecretAnchors(text: string, context: RegExp, idx?: TextIndex): number[] {
  const out: number[] = [];
  let re = CONTEXT_GI.get(context.source);
  if (!re) CONTEXT_GI.set(context.source, (re = new RegExp(context.source, "gi")));
  let prevRun = -1;
  for (const o of idx ? idx.assignments() : markerStarts(text, ASSIGN)) {
    let k = o;
    while (k > 0 && SPACE.test(text[k - 1]!)) k--;
    if (k > 0 && (text[k - 1] === '"' || text[k - 1] === "'")) k--;
    const r1 = k;
    let r0 = r1;
    while (r0 > 0 && RUN.test(text[r0 - 1]!)) r0--;
    if (r0 === r1 || r0 === prevRun) continue;
    prevRun = r0;
    // The run is delimited by characters no context match can contain, so scanning it alone is exact.
    const run = text.slice(r0, r1);
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(run)) !== null) {
      out.push(r0 + m.index);
      if (m[0].length === 0) re.lastIndex++;
    }
  }
  return out;
}

// --- secrets (identifier-specific formats first)
// AKIA, ASIA, ABIA, ACCA: from the shared number pass
export const awsAccessKeyId: Rule = {
  id: "aws-access-key-id",
  category: "secret",
  kind: "secret",
  re: /\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b/g,
  severity: "high",
  confidence: 0.95,
  gate: (t) => /A[KSBC][IC]A/.test(t),
  validate: (s) => (/EXAMPLE$/.test(s) ? "sample" : true),
  starts: (t, idx) => idx.awsKeyPrefixes(),
  impliesGate: true,
  derivedFrom: "9cf780ed",
  samples: { tp: ["AWS_ACCESS_KEY_ID=AKIA2E0A8F3B244C9986"], fp: ["AKIA2E0A8F3B244C998", "AKIA-ROTATED-KEY"] },
};

// \baws, case-insensitive: from the shared keyword pass
export const awsSecretAccessKey: Rule = {
  id: "aws-secret-access-key",
  category: "secret",
  kind: "secret",
  re: /\baws.{0,20}?(?:secret|sk).{0,20}?['"=:\s]([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])/gi,
  group: 1,
  severity: "high",
  confidence: 0.85,
  gate: (t) => /aws/i.test(t),
  validate: (s) => (/EXAMPLEKEY/.test(s) ? "sample" : v.shannonEntropy(s) > 4),
  keywords: ["aws"],
  starts: (t, idx) => idx.anchors("aws-secret-access-key")!,
  impliesGate: true,
  derivedFrom: "58aa68f2",
  samples: {
    tp: ['aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYzQ8xv1Ab3d"'],
    fp: ['aws_secret_access_key = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"'],
  },
};

// "AIza": search the rarer "Iza"
export const gcpApiKey: Rule = {
  id: "gcp-api-key",
  category: "secret",
  kind: "secret",
  re: /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g,
  severity: "high",
  confidence: 0.9,
  gate: (t) => t.includes("AIza"),
  starts: (t) => literalStarts(t, ["Iza"], 1),
  impliesGate: true,
  derivedFrom: "bd4ce765",
  samples: { tp: ["key=AIzaSyD4x7Qm2Lk9Pz8Rt6Vw3Yb1Nc5Hj0Fg2Ke"], fp: ["AIzaShort"] },
};

export const privateKey: Rule = {
  id: "private-key",
  category: "secret",
  kind: "secret",
  re: /-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY(?: BLOCK)?-----[\s\S]{32,}?-----END (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY(?: BLOCK)?-----/g,
  severity: "high",
  confidence: 0.99,
  gate: (t) => t.includes("PRIVATE KEY"),
  literals: ["-----BEGIN "],
  impliesGate: true,
  derivedFrom: "a4382269",
  samples: {
    tp: [
      "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7Mz\n-----END RSA PRIVATE KEY-----",
    ],
    fp: ["-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----"],
  },
};

// signed-note signer keys (C2SP signed-note, written by `audit keygen`): PRIVATE+KEY+<name>+<hex id>+<base64 key>
export const signedNotePrivateKey: Rule = {
  id: "signed-note-private-key",
  category: "secret",
  kind: "secret",
  re: /PRIVATE\+KEY\+[^\s+]+\+[0-9a-f]{8}\+[A-Za-z0-9+/]{43,}={0,2}/g,
  severity: "high",
  confidence: 0.99,
  gate: (t) => t.includes("PRIVATE+KEY+"),
  samples: {
    tp: ["PRIVATE+KEY+example.com+0a1b2c3d+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"],
    fp: ["PRIVATE+KEY+example.com+0a1b2c3d+short"],
  },
};

export const gcpServiceAccountKey: Rule = {
  id: "gcp-service-account-key",
  category: "secret",
  kind: "secret",
  re: /"private_key"\s*:\s*"-----BEGIN PRIVATE KEY-----\\n[A-Za-z0-9+/=\\n]{64,}/g,
  severity: "high",
  confidence: 0.99,
  gate: (t) => t.includes('"private_key"'),
  literals: ['"private_key"'],
  impliesGate: true,
  derivedFrom: "5dec7e66",
  samples: {
    tp: [
      '{"private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKjMzEfYyjiWA4R4\\n"}',
    ],
    fp: ['{"private_key": null}'],
  },
};

export const azureStorageKey: Rule = {
  id: "azure-storage-key",
  category: "secret",
  kind: "secret",
  re: /\bAccountKey=([A-Za-z0-9+/]{86}==)/g,
  group: 1,
  severity: "high",
  confidence: 0.95,
  gate: (t) => t.includes("AccountKey="),
  starts: (t) => literalStarts(t, ["Key="], 7),
  impliesGate: true,
  derivedFrom: "595f5c5f",
  samples: {
    tp: [
      "AccountName=x;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;",
    ],
    fp: ["AccountKey=short=="],
  },
};

// [?&]sig= : the gate also asks for an sv/sp/se parameter, so it still runs
export const azureSasToken: Rule = {
  id: "azure-sas-token",
  category: "secret",
  kind: "secret",
  re: /[?&]sig=([A-Za-z0-9%+/]{43,}(?:%3D|=))/g,
  group: 1,
  severity: "high",
  confidence: 0.8,
  gate: (t) => t.includes("sig=") && /[?&]s[vpe]=/.test(t),
  starts: (t) => literalStarts(t, ["?sig=", "&sig="]),
  impliesGate: false,
  derivedFrom: "d79e87ca",
  samples: {
    tp: ["https://a.blob.core.windows.net/c?sv=2020-08-04&sig=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2U%3D"],
    fp: ["https://a.example.org/c?sig=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2U%3D"],
  },
};

export const githubToken: Rule = {
  id: "github-token",
  category: "secret",
  kind: "secret",
  re: /\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})\b/g,
  severity: "high",
  confidence: 0.97,
  gate: (t) => /gh[pousr]_|github_pat_/.test(t),
  literals: ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
  impliesGate: true,
  derivedFrom: "83c1bcda",
  samples: { tp: ["token ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"], fp: ["ghp_short"] },
};

export const gitlabToken: Rule = {
  id: "gitlab-token",
  category: "secret",
  kind: "secret",
  re: /\bgl(?:pat|dt|ptt|rt)-[A-Za-z0-9_-]{20,}\b/g,
  severity: "high",
  confidence: 0.95,
  gate: (t) => /gl(?:pat|dt|ptt|rt)-/.test(t),
  literals: ["glpat-", "gldt-", "glptt-", "glrt-"],
  impliesGate: true,
  derivedFrom: "da3c62ba",
  samples: { tp: ["glpat-abcdefghijklmnopqrst1234"], fp: ["glpat-short"] },
};

export const slackToken: Rule = {
  id: "slack-token",
  category: "secret",
  kind: "secret",
  re: /\bxox[baprs]-\d{8,}-[A-Za-z0-9-]{8,}\b/g,
  severity: "high",
  confidence: 0.95,
  gate: (t) => t.includes("xox"),
  literals: ["xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-"],
  impliesGate: true,
  derivedFrom: "54924371",
  samples: { tp: ["xoxb-123456789012-abcdefghijkl"], fp: ["xoxb-123-abc"] },
};

export const slackWebhook: Rule = {
  id: "slack-webhook",
  category: "secret",
  kind: "secret",
  re: /https:\/\/hooks\.slack\.com\/services\/T[A-Z0-9]{6,}\/B[A-Z0-9]{6,}\/[A-Za-z0-9]{20,}/g,
  severity: "high",
  confidence: 0.97,
  gate: (t) => t.includes("hooks.slack.com"),
  starts: (t, idx) =>
    idx
      .schemeSeparators()
      .filter((i) => t.startsWith("https://hooks.slack.com/", i - 5))
      .map((i) => i - 5),
  impliesGate: true,
  derivedFrom: "fd437203",
  samples: {
    tp: ["https://hooks.slack.com/services/T01ABCDEF/B02GHIJKL/abcdefghijklmnopqrstuvwx"],
    fp: ["https://hooks.slack.com/services/"],
  },
};

export const stripeKey: Rule = {
  id: "stripe-key",
  category: "secret",
  kind: "secret",
  re: /\b(?:sk|rk)_live_[A-Za-z0-9]{20,}\b/g,
  severity: "high",
  confidence: 0.97,
  gate: (t) => t.includes("_live_"),
  literals: ["sk_live_", "rk_live_"],
  impliesGate: true,
  derivedFrom: "6189a284",
  samples: { tp: ["sk_live_4eC39HqLyjWDarjtT1zdp7dc"], fp: ["sk_test_4eC39HqLyjWDarjtT1zdp7dc"] },
};

export const anthropicKey: Rule = {
  id: "anthropic-key",
  category: "secret",
  kind: "secret",
  re: /\bsk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_-]{80,}/g,
  severity: "high",
  confidence: 0.98,
  gate: (t) => t.includes("sk-ant-"),
  literals: ["sk-ant-"],
  impliesGate: true,
  derivedFrom: "5817caac",
  samples: {
    tp: ["sk-ant-api03-Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2Yz3Ab4Cd5Ef6Gh7Ij8Kl9Mn0Op1Qr2St3Uv4Wx5Yz6AbCd"],
    fp: ["sk-ant-api03-short"],
  },
};

export const openaiKey: Rule = {
  id: "openai-key",
  category: "secret",
  kind: "secret",
  re: /\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}|\bsk-[A-Za-z0-9]{48}\b/g,
  severity: "high",
  confidence: 0.95,
  gate: (t) => t.includes("sk-"),
  literals: ["sk-"],
  impliesGate: true,
  derivedFrom: "0effc594",
  samples: { tp: ["OPENAI_API_KEY=sk-Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2Yz3Ab4Cd5Ef6"], fp: ["sk-short"] },
};

export const npmToken: Rule = {
  id: "npm-token",
  category: "secret",
  kind: "secret",
  re: /\bnpm_[A-Za-z0-9]{36}\b/g,
  severity: "high",
  confidence: 0.95,
  gate: (t) => t.includes("npm_"),
  literals: ["npm_"],
  impliesGate: true,
  derivedFrom: "7e2a982c",
  samples: { tp: ["//registry.npmjs.org/:_authToken=npm_abcdefghijklmnopqrstuvwxyz0123456789"], fp: ["npm_install"] },
};

export const twilioKey: Rule = {
  id: "twilio-key",
  category: "secret",
  kind: "secret",
  re: /\bSK[0-9a-f]{32}\b/g,
  severity: "medium",
  confidence: 0.6,
  gate: (t) => t.includes("SK"),
  context: /twilio/i,
  window: 200,
  samples: { tp: ["twilio api key SK0123456789abcdef0123456789abcdef"], fp: ["SK0123456789abcdef0123456789abcdef"] },
};

// "eyJ": search the rare capital J
export const jwt: Rule = {
  id: "jwt",
  category: "secret",
  kind: "secret",
  re: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/g,
  severity: "high",
  confidence: 0.9,
  gate: (t) => t.includes("eyJ"),
  validate: (s) => jwtHeaderValid(s),
  starts: (t) => literalStarts(t, ["J"], 2).filter((i) => t.charCodeAt(i) === 101 && t.charCodeAt(i + 1) === 121),
  impliesGate: true,
  derivedFrom: "d7a644bc",
  samples: {
    tp: [
      "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    ],
    fp: ["eyJub3Rqc29uAAAA.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_X"],
  },
};

export const connectionStringPassword: Rule = {
  id: "connection-string-password",
  category: "secret",
  kind: "secret",
  re: /\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|redis|rediss|amqps?|mssql|sqlserver|jdbc:[a-z]+):\/\/[^\s:/@'"]+:([^\s@/'"]{3,})@[^\s'"]+/gi,
  group: 1,
  severity: "high",
  confidence: 0.9,
  gate: (t) => t.includes("://"),
  validate: (pw) => !v.looksLikePlaceholder(pw) && !/^\$|^%|^\{/.test(pw),
  starts: connectionStringStarts,
  impliesGate: true,
  derivedFrom: "176fc26d",
  samples: {
    tp: ["DATABASE_URL=postgres://admin:s3cr3tP4ss@db:5432/app"],
    fp: ["DATABASE_URL=postgres://admin:${DB_PASSWORD}@db.internal/app"],
  },
};

export const genericSecret: Rule = {
  id: "generic-secret",
  category: "secret",
  kind: "secret",
  re: /^[\w.-]*["']?\s*(?::|=|=>|:=)\s*["']([A-Za-z0-9_\-+/=.~!@#$%^&*]{16,})["']/g,
  group: 1,
  severity: "high",
  confidence: 0.7,
  gate: (t) => CTX_SECRET.test(t),
  context: /(?:api[_-]?key|apikey|secret|token|passw(?:or)?d|pwd|client[_-]?secret|access[_-]?key)/,
  window: 40,
  validate: (s) => !v.looksLikePlaceholder(s) && v.shannonEntropy(s) >= 3.5 && /\d/.test(s) && /[A-Za-z]/.test(s),
  anchorStarts: genericSecretAnchors,
  derivedFrom: "428a7070",
  samples: { tp: ['api_key = "a8F3kL9qZ2xW7vB1nM4cR6tY0uI5oP"'], fp: ['api_key = "your-api-key-goes-here"'] },
};
