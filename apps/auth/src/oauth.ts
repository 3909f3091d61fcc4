import { createHash, randomBytes } from 'node:crypto';
import { ConfigError, HttpError } from '@hybrid/service-kit';
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';

/** One configured provider, as written in OAUTH_PROVIDERS. */
export interface ProviderInput {
  readonly name: string;
  readonly preset?: 'google' | 'kakao' | 'naver';
  readonly clientId: string;
  readonly clientSecret?: string;
  /** OIDC issuer; endpoints missing below are read from its discovery document. */
  readonly issuer?: string;
  readonly authorizationEndpoint?: string;
  readonly tokenEndpoint?: string;
  readonly userinfoEndpoint?: string;
  readonly jwksUri?: string;
  readonly scopes?: readonly string[];
  readonly tokenAuthMethod?: 'client_secret_post' | 'client_secret_basic';
  /** Treat the provider's email as verified even without an `email_verified` claim. @default false */
  readonly trustEmail?: boolean;
}

type ProfileFormat = 'oidc' | 'naver';

interface Preset {
  readonly issuer?: string;
  /** Other `iss` values the provider's ID tokens carry. */
  readonly issuerAliases?: readonly string[];
  readonly authorizationEndpoint: string;
  readonly tokenEndpoint: string;
  readonly userinfoEndpoint?: string;
  readonly jwksUri?: string;
  readonly scopes: readonly string[];
  readonly tokenAuthMethod: 'client_secret_post' | 'client_secret_basic';
  readonly profile: ProfileFormat;
}

/** Endpoints of the three providers the app supports out of the box (from their public docs). */
export const PRESETS: Record<'google' | 'kakao' | 'naver', Preset> = {
  google: {
    issuer: 'https://accounts.google.com',
    issuerAliases: ['accounts.google.com'],
    authorizationEndpoint: 'https://accounts.google.com/o/oauth2/v2/auth',
    tokenEndpoint: 'https://oauth2.googleapis.com/token',
    userinfoEndpoint: 'https://openidconnect.googleapis.com/v1/userinfo',
    jwksUri: 'https://www.googleapis.com/oauth2/v3/certs',
    scopes: ['openid', 'email', 'profile'],
    tokenAuthMethod: 'client_secret_post',
    profile: 'oidc',
  },
  kakao: {
    issuer: 'https://kauth.kakao.com',
    authorizationEndpoint: 'https://kauth.kakao.com/oauth/authorize',
    tokenEndpoint: 'https://kauth.kakao.com/oauth/token',
    userinfoEndpoint: 'https://kapi.kakao.com/v1/oidc/userinfo',
    jwksUri: 'https://kauth.kakao.com/.well-known/jwks.json',
    scopes: ['openid', 'account_email', 'profile_nickname'],
    tokenAuthMethod: 'client_secret_post',
    profile: 'oidc',
  },
  naver: {
    authorizationEndpoint: 'https://nid.naver.com/oauth2.0/authorize',
    tokenEndpoint: 'https://nid.naver.com/oauth2.0/token',
    userinfoEndpoint: 'https://openapi.naver.com/v1/nid/me',
    scopes: [],
    tokenAuthMethod: 'client_secret_post',
    profile: 'naver',
  },
};

/** What a provider tells us about the person who logged in. */
export interface ExternalProfile {
  readonly subject: string;
  readonly email: string | undefined;
  readonly emailVerified: boolean;
  readonly name: string | undefined;
}

interface Endpoints {
  authorizationEndpoint: string;
  tokenEndpoint: string;
  userinfoEndpoint: string | undefined;
  jwksUri: string | undefined;
  issuer: string | undefined;
}

const HTTP_TIMEOUT_MS = 5000;
const ID_TOKEN_ALGS = ['RS256', 'PS256', 'ES256', 'EdDSA'];

const badConfig = (message: string) => new ConfigError([{ variable: 'OAUTH_PROVIDERS', message }]);
const upstream = (what: string) => new HttpError(502, `login provider ${what}`);

async function getJson(url: string, init: RequestInit = {}): Promise<{ status: number; body: unknown }> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(HTTP_TIMEOUT_MS), redirect: 'error' });
  } catch {
    throw upstream('is unreachable');
  }
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) as unknown };
  } catch {
    throw upstream('answered with something that is not JSON');
  }
}

const b64url = (b: Buffer) => b.toString('base64url');
export const pkceChallenge = (verifier: string) => b64url(createHash('sha256').update(verifier).digest());

/** A configured OAuth 2.0 / OIDC provider: authorization URL with PKCE, code exchange, profile. */
export class OAuthProvider {
  private endpoints: Promise<Endpoints> | undefined;
  private jwks: JWTVerifyGetKey | undefined;
  readonly scopes: readonly string[];
  readonly profileFormat: ProfileFormat;
  readonly tokenAuthMethod: 'client_secret_post' | 'client_secret_basic';

  constructor(
    readonly input: ProviderInput,
    private readonly preset: Preset | undefined,
  ) {
    this.scopes = input.scopes ?? preset?.scopes ?? ['openid', 'email', 'profile'];
    this.profileFormat = preset?.profile ?? 'oidc';
    this.tokenAuthMethod = input.tokenAuthMethod ?? preset?.tokenAuthMethod ?? 'client_secret_basic';
  }

  get name(): string {
    return this.input.name;
  }

  private resolve(): Promise<Endpoints> {
    this.endpoints ??= (async () => {
      const i = this.input;
      const p = this.preset;
      let e: Endpoints = {
        issuer: i.issuer ?? p?.issuer,
        authorizationEndpoint: i.authorizationEndpoint ?? p?.authorizationEndpoint ?? '',
        tokenEndpoint: i.tokenEndpoint ?? p?.tokenEndpoint ?? '',
        userinfoEndpoint: i.userinfoEndpoint ?? p?.userinfoEndpoint,
        jwksUri: i.jwksUri ?? p?.jwksUri,
      };
      if (i.issuer && (!e.authorizationEndpoint || !e.tokenEndpoint || !e.jwksUri)) {
        const url = `${i.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
        const { status, body } = await getJson(url);
        const d = body as Record<string, unknown>;
        if (
          status !== 200 ||
          typeof d.authorization_endpoint !== 'string' ||
          typeof d.token_endpoint !== 'string'
        )
          throw upstream('discovery document is unusable');
        if (d.issuer !== i.issuer) throw upstream('discovery document names another issuer');
        e = {
          issuer: i.issuer,
          authorizationEndpoint: e.authorizationEndpoint || d.authorization_endpoint,
          tokenEndpoint: e.tokenEndpoint || d.token_endpoint,
          userinfoEndpoint:
            e.userinfoEndpoint ?? (typeof d.userinfo_endpoint === 'string' ? d.userinfo_endpoint : undefined),
          jwksUri: e.jwksUri ?? (typeof d.jwks_uri === 'string' ? d.jwks_uri : undefined),
        };
      }
      return e;
    })().catch((err: unknown) => {
      this.endpoints = undefined; // try discovery again next time
      throw err;
    });
    return this.endpoints;
  }

  /** The provider's authorization URL for a new login, with state, nonce and an S256 PKCE challenge. */
  async authorizationUrl(p: {
    redirectUri: string;
    state: string;
    nonce: string;
    verifier: string;
  }): Promise<string> {
    const e = await this.resolve();
    const url = new URL(e.authorizationEndpoint);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', this.input.clientId);
    url.searchParams.set('redirect_uri', p.redirectUri);
    if (this.scopes.length) url.searchParams.set('scope', this.scopes.join(' '));
    url.searchParams.set('state', p.state);
    if (this.scopes.includes('openid')) url.searchParams.set('nonce', p.nonce);
    url.searchParams.set('code_challenge', pkceChallenge(p.verifier));
    url.searchParams.set('code_challenge_method', 'S256');
    return url.toString();
  }

  /** Exchanges the code (with the PKCE verifier) and returns who logged in. */
  async complete(p: {
    code: string;
    redirectUri: string;
    verifier: string;
    nonce: string;
  }): Promise<ExternalProfile> {
    const e = await this.resolve();
    const form = new URLSearchParams({
      grant_type: 'authorization_code',
      code: p.code,
      redirect_uri: p.redirectUri,
      code_verifier: p.verifier,
    });
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    const secret = this.input.clientSecret;
    if (secret && this.tokenAuthMethod === 'client_secret_basic') {
      const enc = (s: string) => encodeURIComponent(s);
      headers.authorization = `Basic ${Buffer.from(`${enc(this.input.clientId)}:${enc(secret)}`).toString('base64')}`;
    } else {
      form.set('client_id', this.input.clientId);
      if (secret) form.set('client_secret', secret);
    }
    const { status, body } = await getJson(e.tokenEndpoint, {
      method: 'POST',
      headers,
      body: form.toString(),
    });
    const tok = body as Record<string, unknown>;
    if (status >= 400 || typeof tok.access_token !== 'string') {
      if (status === 400 || typeof tok.error === 'string')
        throw new HttpError(400, 'the login provider rejected the authorization code');
      throw upstream('token exchange failed');
    }

    let claims: Record<string, unknown> = {};
    if (typeof tok.id_token === 'string') {
      if (!e.jwksUri || !e.issuer)
        throw upstream('sent an ID token that cannot be checked (no issuer or JWKS)');
      this.jwks ??= createRemoteJWKSet(new URL(e.jwksUri));
      try {
        const { payload } = await jwtVerify(tok.id_token, this.jwks, {
          issuer: [e.issuer, ...(this.preset?.issuerAliases ?? [])],
          audience: this.input.clientId,
          algorithms: ID_TOKEN_ALGS,
          requiredClaims: ['sub', 'exp', 'iat'],
        });
        claims = payload as Record<string, unknown>;
      } catch {
        throw upstream('sent an invalid ID token');
      }
      if (this.scopes.includes('openid') && claims.nonce !== p.nonce)
        throw upstream('sent an ID token with a wrong nonce');
    } else if (this.scopes.includes('openid')) {
      throw upstream('sent no ID token');
    }

    if (e.userinfoEndpoint) {
      const { status: us, body: ub } = await getJson(e.userinfoEndpoint, {
        headers: { authorization: `Bearer ${tok.access_token}`, accept: 'application/json' },
      });
      if (us !== 200 || typeof ub !== 'object' || ub === null) throw upstream('userinfo request failed');
      const info =
        this.profileFormat === 'naver'
          ? (((ub as { response?: unknown }).response ?? {}) as Record<string, unknown>)
          : (ub as Record<string, unknown>);
      if (this.profileFormat === 'naver') info.sub = info.id;
      if (claims.sub !== undefined && info.sub !== claims.sub)
        throw upstream('userinfo names another subject');
      claims = {
        ...info,
        ...claims,
        email: claims.email ?? info.email,
        email_verified: claims.email_verified ?? info.email_verified,
      };
    }
    const subject = claims.sub;
    if (typeof subject !== 'string' && typeof subject !== 'number')
      throw upstream('did not say who logged in');
    const email = typeof claims.email === 'string' ? claims.email.trim().toLowerCase() : undefined;
    const verifiedClaim = claims.email_verified === true || claims.email_verified === 'true';
    const name = [claims.nickname, claims.name, claims.preferred_username].find(
      (v) => typeof v === 'string',
    ) as string | undefined;
    return {
      subject: String(subject),
      email,
      emailVerified: email !== undefined && (verifiedClaim || this.input.trustEmail === true),
      name,
    };
  }
}

const NAME = /^[a-z0-9][a-z0-9-]{0,31}$/;

/** Parses OAUTH_PROVIDERS; every problem is reported at boot, naming the variable. */
export function loadProviders(raw: string): Map<string, OAuthProvider> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw badConfig('must be a JSON array of providers (it is not valid JSON)');
  }
  if (!Array.isArray(parsed)) throw badConfig('must be a JSON array of providers');
  const out = new Map<string, OAuthProvider>();
  for (const [i, item] of parsed.entries()) {
    const p = item as ProviderInput;
    if (typeof p !== 'object' || p === null) throw badConfig(`entry ${i} is not an object`);
    if (typeof p.name !== 'string' || !NAME.test(p.name))
      throw badConfig(`entry ${i} needs a "name" of lowercase letters, digits and dashes`);
    if (out.has(p.name)) throw badConfig(`provider "${p.name}" is configured twice`);
    if (typeof p.clientId !== 'string' || !p.clientId)
      throw badConfig(`provider "${p.name}" needs a "clientId"`);
    if (p.preset !== undefined && !(p.preset in PRESETS))
      throw badConfig(`provider "${p.name}": preset must be one of ${Object.keys(PRESETS).join(', ')}`);
    for (const k of [
      'issuer',
      'authorizationEndpoint',
      'tokenEndpoint',
      'userinfoEndpoint',
      'jwksUri',
    ] as const) {
      const v = p[k];
      if (v === undefined) continue;
      try {
        new URL(v);
      } catch {
        throw badConfig(`provider "${p.name}": ${k} must be a URL`);
      }
    }
    const preset = p.preset ? PRESETS[p.preset] : undefined;
    if (!preset && !p.issuer && (!p.authorizationEndpoint || !p.tokenEndpoint))
      throw badConfig(
        `provider "${p.name}" needs a preset, an issuer, or authorizationEndpoint and tokenEndpoint`,
      );
    out.set(p.name, new OAuthProvider(p, preset));
  }
  return out;
}

export const randomToken = (bytes = 32) => b64url(randomBytes(bytes));
