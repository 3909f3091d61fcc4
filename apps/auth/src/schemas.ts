import { Type } from '@hybrid/service-kit/schema';

export const User = Type.Object({
  id: Type.String({ format: 'uuid' }),
  email: Type.Union([Type.String(), Type.Null()]),
  emailVerified: Type.Boolean(),
  nickname: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  providers: Type.Array(Type.String(), { description: 'Linked OAuth providers.' }),
});

export const TokenPair = Type.Object({
  accessToken: Type.String(),
  refreshToken: Type.String(),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Type.Integer({ description: 'Seconds until the access token expires.' }),
});

const Email = Type.String({ format: 'email', maxLength: 254 });

export const RegisterBody = Type.Object(
  {
    email: Email,
    password: Type.String({ minLength: 1, maxLength: 1024 }),
    nickname: Type.String({ minLength: 1, maxLength: 40, pattern: '\\S' }),
  },
  { additionalProperties: false },
);

export const LoginBody = Type.Object(
  { email: Email, password: Type.String({ minLength: 1, maxLength: 1024 }) },
  { additionalProperties: false },
);

export const RefreshBody = Type.Object(
  { refreshToken: Type.String({ minLength: 1, maxLength: 512 }) },
  { additionalProperties: false },
);

export const Jwks = Type.Object({
  keys: Type.Array(
    Type.Object(
      {
        kty: Type.String(),
        kid: Type.String(),
        alg: Type.String(),
        use: Type.String(),
        crv: Type.String(),
        x: Type.String(),
        y: Type.Optional(Type.String()),
      },
      { additionalProperties: false },
    ),
  ),
});

export const ProviderName = Type.Object({ provider: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,31}$' }) });
