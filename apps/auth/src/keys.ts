import { ConfigError } from '@hybrid/service-kit';
import { createLocalJWKSet, importJWK, type JWK, type JWTVerifyGetKey } from 'jose';

type PrivateKey = Awaited<ReturnType<typeof importJWK>>;

export type SigningAlg = 'EdDSA' | 'ES256';

export interface SigningKeys {
  /** The key that signs new tokens: the first of JWT_SIGNING_KEYS. */
  readonly signer: { readonly kid: string; readonly alg: SigningAlg; readonly key: PrivateKey };
  /** Public halves of every configured key, as served at /.well-known/jwks.json. */
  readonly jwks: { readonly keys: readonly JWK[] };
  /** The same public keys as a jose key set, for verifying our own tokens without HTTP. */
  readonly keySet: JWTVerifyGetKey;
}

const bad = (message: string) => new ConfigError([{ variable: 'JWT_SIGNING_KEYS', message }]);

function algOf(jwk: JWK): SigningAlg | undefined {
  if (
    jwk.kty === 'OKP' &&
    jwk.crv === 'Ed25519' &&
    (jwk.alg === undefined || jwk.alg === 'EdDSA' || jwk.alg === 'Ed25519')
  )
    return 'EdDSA';
  if (jwk.kty === 'EC' && jwk.crv === 'P-256' && (jwk.alg === undefined || jwk.alg === 'ES256'))
    return 'ES256';
  return undefined;
}

/**
 * Parses JWT_SIGNING_KEYS: a JSON array of private JWKs, each with a unique `kid`, Ed25519 (EdDSA)
 * or P-256 (ES256). The first signs; all are published, so tokens signed by a retiring key still
 * verify until they expire. Messages never quote key material.
 */
export async function loadSigningKeys(raw: string): Promise<SigningKeys> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw bad('must be a JSON array of private JWKs (it is not valid JSON)');
  }
  if (!Array.isArray(parsed) || parsed.length === 0)
    throw bad('must be a non-empty JSON array of private JWKs');
  const publics: JWK[] = [];
  const kids = new Set<string>();
  let signer: SigningKeys['signer'] | undefined;
  for (const [i, entry] of parsed.entries()) {
    const jwk = entry as JWK;
    if (typeof jwk !== 'object' || jwk === null) throw bad(`entry ${i} is not a JWK object`);
    if (typeof jwk.kid !== 'string' || !jwk.kid) throw bad(`entry ${i} has no "kid"`);
    if (kids.has(jwk.kid)) throw bad(`entry ${i} repeats kid "${jwk.kid}"`);
    kids.add(jwk.kid);
    const alg = algOf(jwk);
    if (!alg) throw bad(`key "${jwk.kid}" must be an Ed25519 (EdDSA) or P-256 (ES256) key`);
    if (typeof jwk.d !== 'string') throw bad(`key "${jwk.kid}" is not a private key (no "d")`);
    let key: PrivateKey;
    try {
      key = await importJWK({ ...jwk, alg }, alg);
    } catch {
      throw bad(`key "${jwk.kid}" could not be imported`);
    }
    const { d: _d, key_ops: _ops, ext: _ext, ...pub } = jwk;
    publics.push({ ...pub, kid: jwk.kid, alg, use: 'sig' });
    signer ??= { kid: jwk.kid, alg, key };
  }
  const jwks = { keys: publics };
  return { signer: signer!, jwks, keySet: createLocalJWKSet({ keys: publics }) };
}
