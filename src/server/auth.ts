/**
 * Who is calling: an API token (`Authorization: Bearer ghst_...`) or an OIDC JWT from a trusted
 * issuer, verified against the issuer's JWKS (signature, issuer, audience, expiry). The OIDC
 * config maps claims to scopes, so a GitHub Actions job can call the service with its OIDC
 * token and no stored secret. Nothing the caller sends besides a verified credential counts.
 */
import { z } from "zod";
import { SCOPES, verifyToken, type Scope, type TokenStore } from "./tokens.js";

export interface Principal {
  /** `token:<name>#<id>` or `oidc:<issuer>#<subject claim>` */
  id: string;
  kind: "token" | "oidc";
  scopes: Scope[];
}

const ClaimRule = z
  .object({
    /** every listed claim must equal the value (a trailing `*` matches a prefix) */
    claims: z.record(z.string(), z.string()).default({}),
    grant: z.array(z.enum(SCOPES)).min(1),
  })
  .strict();

export const OidcIssuer = z
  .object({
    issuer: z.string().url(),
    audience: z.string().min(1),
    /** default: discovered from <issuer>/.well-known/openid-configuration */
    jwksUri: z.string().url().optional(),
    /** claim that names the caller (default sub) */
    identityClaim: z.string().default("sub"),
    scopes: z.array(ClaimRule).min(1),
  })
  .strict();
export type OidcIssuer = z.infer<typeof OidcIssuer>;

export const AuthConfig = z
  .object({
    oidc: z.array(OidcIssuer).default([]),
    /** serve /metrics without a token */
    metricsPublic: z.boolean().default(false),
    /** serve GET/POST /v1/runs/{id}/gate without a token (Flagger webhooks cannot send one); still rate-limited */
    gatePublic: z.boolean().default(false),
  })
  .strict();
export type AuthConfig = z.infer<typeof AuthConfig>;

type Jose = typeof import("jose");
type KeySet = ReturnType<Jose["createRemoteJWKSet"]>;

export class Authenticator {
  private jose: Promise<Jose> | undefined;
  private readonly keySets = new Map<string, Promise<KeySet>>();

  constructor(
    private readonly tokens: TokenStore,
    private readonly config: AuthConfig,
  ) {}

  /** The principal for an Authorization header, or undefined when it proves nothing. */
  async authenticate(header: string | undefined): Promise<Principal | undefined> {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
    if (!m) return undefined;
    const credential = m[1]!;
    if (credential.startsWith("ghst_")) {
      const r = await verifyToken(this.tokens, credential);
      return r ? { id: `token:${r.name}#${r.id}`, kind: "token", scopes: r.scopes } : undefined;
    }
    if (credential.split(".").length === 3 && this.config.oidc.length > 0) return this.verifyJwt(credential);
    return undefined;
  }

  private async verifyJwt(jwt: string): Promise<Principal | undefined> {
    const jose = await (this.jose ??= import("jose"));
    let iss: string | undefined;
    try {
      iss = jose.decodeJwt(jwt).iss;
    } catch {
      return undefined;
    }
    // The unverified issuer only picks which trusted key set to verify against.
    const trusted = this.config.oidc.find((o) => o.issuer === iss);
    if (!trusted) return undefined;
    try {
      const { payload } = await jose.jwtVerify(jwt, await this.keySet(jose, trusted), {
        issuer: trusted.issuer,
        audience: trusted.audience,
        requiredClaims: ["exp"],
        clockTolerance: 30,
      });
      const claim = (k: string) =>
        typeof payload[k] === "string"
          ? (payload[k] as string)
          : typeof payload[k] === "number" || typeof payload[k] === "boolean"
            ? String(payload[k])
            : undefined;
      const scopes = new Set<Scope>();
      for (const rule of trusted.scopes) {
        const match = Object.entries(rule.claims).every(([k, want]) => {
          const v = claim(k);
          return v !== undefined && (want.endsWith("*") ? v.startsWith(want.slice(0, -1)) : v === want);
        });
        if (match) for (const s of rule.grant) scopes.add(s);
      }
      const who = claim(trusted.identityClaim);
      if (!who) return undefined;
      return { id: `oidc:${trusted.issuer}#${who}`, kind: "oidc", scopes: [...scopes] };
    } catch {
      return undefined;
    }
  }

  private keySet(jose: Jose, o: OidcIssuer): Promise<KeySet> {
    let p = this.keySets.get(o.issuer);
    if (!p) {
      p = (async () => {
        let uri = o.jwksUri;
        if (!uri) {
          const res = await fetch(
            new URL(".well-known/openid-configuration", o.issuer.endsWith("/") ? o.issuer : `${o.issuer}/`),
            { signal: AbortSignal.timeout(5000) },
          );
          if (!res.ok) throw new Error(`OIDC discovery for ${o.issuer}: HTTP ${res.status}`);
          uri = ((await res.json()) as { jwks_uri?: string }).jwks_uri;
          if (!uri) throw new Error(`OIDC discovery for ${o.issuer}: no jwks_uri`);
        }
        return jose.createRemoteJWKSet(new URL(uri), { timeoutDuration: 5000 });
      })();
      p.catch(() => this.keySets.delete(o.issuer));
      this.keySets.set(o.issuer, p);
    }
    return p;
  }
}
