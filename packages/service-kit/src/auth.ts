import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import {
  createRemoteJWKSet,
  errors as joseErrors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { denylistKey, type DenylistMirror } from './denylist';
import { ErrorResponse, HttpError } from './errors';

/** Signing algorithms accepted for access tokens; `none` and HMAC are never accepted. */
export const ACCESS_TOKEN_ALGORITHMS = ['EdDSA', 'ES256'] as const;
/** JOSE `typ` header of access tokens (RFC 9068); refresh tokens carry another. */
export const ACCESS_TOKEN_TYP = 'at+jwt';

export interface AuthUser {
  readonly id: string;
  readonly jti: string;
  readonly claims: JWTPayload;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified user, on routes that require or accept one. */
    user: AuthUser | null;
  }
  interface FastifyContextConfig {
    /** `required`: 401 without a valid access token; `optional`: verified when present. */
    auth?: 'required' | 'optional';
  }
}

export interface TokenVerifierOptions {
  /** Where the keys come from: a JWKS URL (cached, refetched on an unknown `kid`) or a key set function. */
  readonly jwks: string | JWTVerifyGetKey;
  readonly issuer: string;
  readonly audience: string;
  /** Redis holding the auth service's denylist (no key prefix applied), and the prefix the auth service writes with. */
  readonly denylist?: {
    readonly redis: Redis;
    readonly prefix: string;
    /** A local copy answering without a round trip while it is known to be complete. */
    readonly mirror?: DenylistMirror | undefined;
  };
}

/** How long a verified signature is trusted before it is checked again (the denylist is checked every time). */
const VERIFIED_CACHE_SEC = 60;
const VERIFIED_CACHE_MAX = 10_000;

export class TokenVerifier {
  private readonly keys: JWTVerifyGetKey;
  /** token -> verified user, until min(exp, verified + 60 s); bounded, oldest evicted first. */
  private readonly verified = new Map<string, { user: AuthUser; until: number }>();
  constructor(private readonly opts: TokenVerifierOptions) {
    this.keys =
      typeof opts.jwks === 'string'
        ? createRemoteJWKSet(new URL(opts.jwks), { cooldownDuration: 5_000, cacheMaxAge: 600_000 })
        : opts.jwks;
  }

  /**
   * Calls `fn` with each `jti` the auth service denylists from now on (through the local copy of
   * the denylist; without one, never). For connections that outlive a request. Returns the unsubscribe.
   */
  onRevoked(fn: (jti: string) => void): () => void {
    return this.opts.denylist?.mirror?.onRevoked(fn) ?? (() => undefined);
  }

  /** Verifies an access token: signature, pinned algorithm, `typ`, `iss`, `aud`, `exp`, and the denylist. */
  async verify(token: string): Promise<AuthUser> {
    const user = await this.verifySignature(token);
    await this.checkDenylist(user.jti);
    return user;
  }

  private async verifySignature(token: string): Promise<AuthUser> {
    const now = Date.now() / 1000;
    const hit = this.verified.get(token);
    if (hit && hit.until > now) return hit.user;
    if (hit) this.verified.delete(token);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        algorithms: [...ACCESS_TOKEN_ALGORITHMS],
        issuer: this.opts.issuer,
        audience: this.opts.audience,
        typ: ACCESS_TOKEN_TYP,
        requiredClaims: ['exp', 'sub', 'jti'],
      }));
    } catch (err) {
      if (err instanceof joseErrors.JWKSTimeout || (err as { code?: string }).code === 'ERR_JWKS_TIMEOUT') {
        throw new HttpError(503, 'token keys are unavailable');
      }
      const reason = err instanceof joseErrors.JWTExpired ? 'token expired' : 'invalid token';
      throw new HttpError(401, reason, { 'www-authenticate': `Bearer error="invalid_token"` });
    }
    const user = { id: String(payload.sub), jti: String(payload.jti), claims: payload };
    if (this.verified.size >= VERIFIED_CACHE_MAX) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, { user, until: Math.min(Number(payload.exp), now + VERIFIED_CACHE_SEC) });
    return user;
  }

  private async checkDenylist(jti: string): Promise<void> {
    const denylist = this.opts.denylist;
    if (!denylist) return;
    // The local copy answers while it is known complete; otherwise Redis is asked.
    const revoked = denylist.mirror?.revoked(jti) ?? (await this.askRedis(denylist, jti));
    if (revoked)
      throw new HttpError(401, 'token revoked', { 'www-authenticate': `Bearer error="invalid_token"` });
  }

  private async askRedis(denylist: NonNullable<TokenVerifierOptions['denylist']>, jti: string) {
    try {
      return (await denylist.redis.exists(`${denylist.prefix}${denylistKey(jti)}`)) > 0;
    } catch {
      // Fail closed: a token whose revocation cannot be checked is not accepted.
      throw new HttpError(503, 'token revocation check is unavailable');
    }
  }
}

function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  return m?.[1];
}

/** Checks tokens on routes whose config says `auth: 'required'` (or `'optional'`). */
export function installAuth(app: FastifyInstance, verifier: TokenVerifier): void {
  app.decorateRequest('user', null);
  app.addHook('onRoute', (route) => {
    if (route.config?.auth !== 'required') return;
    // Documented in OpenAPI as a bearer-protected route with its 401 answer.
    route.schema ??= {};
    const schema = route.schema as { security?: unknown; response?: Record<string, unknown> };
    schema.security ??= [{ bearerAuth: [] }];
    if (schema.response && !schema.response[401]) {
      schema.response[401] = ErrorResponse;
    }
  });
  app.addHook('onRequest', async (req) => {
    const mode = req.routeOptions.config?.auth;
    if (!mode) return;
    const token = bearer(req);
    if (!token) {
      if (mode === 'required')
        throw new HttpError(401, 'not authenticated', { 'www-authenticate': 'Bearer' });
      return;
    }
    req.user = await verifier.verify(token);
  });
}
