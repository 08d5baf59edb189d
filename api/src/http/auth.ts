import { createRemoteJWKSet, errors as joseErrors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { userIdProblem } from '@strata/config';
import { ApiError } from './problem';

/** Roles the API knows: `admin` may use the admin routes. */
export type Role = 'user' | 'admin';

/** The signed-in user, as the auth middleware leaves it in `res.locals.user`. */
export interface ApiUser {
  readonly id: string;
  readonly role: Role;
}

/** How bearer tokens are verified: a shared HS256 secret, or a JWKS URL (asymmetric keys). */
export interface TokenVerifierOptions {
  /** HS256 shared secret (at least 32 bytes). */
  readonly secret?: string;
  /** A JWKS endpoint (RS256, ES256, EdDSA keys); fetched with a 5 s deadline and cached. */
  readonly jwksUrl?: string;
  /** Required `iss`, when set. */
  readonly issuer?: string;
  /** Required `aud`, when set. */
  readonly audience?: string;
}

export type TokenVerifier = (token: string) => Promise<ApiUser>;

/** The user a verified payload names: `sub` is the user id; `role: 'admin'` or `roles: ['admin']` makes an admin. */
function userOf(payload: JWTPayload): ApiUser {
  const id = payload.sub;
  if (typeof id !== 'string' || userIdProblem(id))
    throw new ApiError('UNAUTHORIZED', 'the token names no valid user (sub)');
  const roles = Array.isArray(payload['roles']) ? (payload['roles'] as unknown[]) : [];
  const admin = payload['role'] === 'admin' || roles.includes('admin');
  return { id, role: admin ? 'admin' : 'user' };
}

/** Verifies bearer JWTs with `jose`; every failure (expired, tampered, wrong key) is `UNAUTHORIZED`. */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const claims = {
    ...(options.issuer ? { issuer: options.issuer } : {}),
    ...(options.audience ? { audience: options.audience } : {}),
  };
  if (options.jwksUrl) {
    const jwks = createRemoteJWKSet(new URL(options.jwksUrl), { timeoutDuration: 5_000, cooldownDuration: 30_000 });
    return async (token) => userOf((await verifyOr401(() => jwtVerify(token, jwks, claims))).payload);
  }
  const secret = options.secret;
  if (!secret || Buffer.byteLength(secret) < 32) {
    throw new Error('STRATA_JWT_SECRET must hold at least 32 bytes (or set STRATA_JWKS_URL)');
  }
  const key = new TextEncoder().encode(secret);
  return async (token) =>
    userOf((await verifyOr401(() => jwtVerify(token, key, { ...claims, algorithms: ['HS256'] }))).payload);
}

async function verifyOr401<T>(verify: () => Promise<T>): Promise<T> {
  try {
    return await verify();
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) throw new ApiError('UNAUTHORIZED', 'the token has expired');
    if (error instanceof joseErrors.JOSEError || error instanceof TypeError) {
      throw new ApiError('UNAUTHORIZED', 'the token is not valid');
    }
    throw error;
  }
}

/** Signs HS256 tokens (the dev sign-in; tests). */
export function createTokenSigner(
  secret: string,
  options: { readonly ttlSeconds?: number; readonly issuer?: string; readonly audience?: string } = {},
): (user: ApiUser) => Promise<string> {
  const key = new TextEncoder().encode(secret);
  return (user) => {
    let jwt = new SignJWT({ role: user.role })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user.id)
      .setIssuedAt()
      .setExpirationTime(`${options.ttlSeconds ?? 12 * 3600}s`);
    if (options.issuer) jwt = jwt.setIssuer(options.issuer);
    if (options.audience) jwt = jwt.setAudience(options.audience);
    return jwt.sign(key);
  };
}

/** The signed-in user; `UNAUTHORIZED` when the auth middleware left none. */
export function currentUser(res: Response): ApiUser {
  const user = res.locals['user'] as ApiUser | undefined;
  if (!user) throw new ApiError('UNAUTHORIZED', 'sign in first (Authorization: Bearer <token>)');
  return user;
}

/** Auth middleware of the standalone server: a bearer token, or (SSE only) `?access_token=`. */
export function bearerAuth(verify: TokenVerifier): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const header = req.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    // EventSource cannot send headers: the event stream alone also takes the token as a query value.
    const query =
      req.path === '/events' && typeof req.query['access_token'] === 'string' ? req.query['access_token'] : undefined;
    const token = match?.[1] ?? query;
    if (!token) return next();
    verify(token).then(
      (user) => {
        res.locals['user'] = user;
        next();
      },
      (error: unknown) => next(error),
    );
  };
}

/** Refuses a request without a signed-in user (401). */
export const requireUser: RequestHandler = (_req, res, next) => {
  currentUser(res);
  next();
};

/** Refuses a request without an admin (401 signed out, 403 not admin). */
export const requireAdmin: RequestHandler = (_req, res, next) => {
  if (currentUser(res).role !== 'admin') throw new ApiError('FORBIDDEN', 'this route needs the admin role');
  next();
};
