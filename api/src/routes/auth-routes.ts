import { Router } from 'express';
import type { ApiUser } from '../http/auth';
import { devLoginBody } from '../http/schemas';
import { parseBody } from '../http/validate';
import { handle, type ApiContext } from './context';
import { loginHook } from './user-routes';

/** Options of the dev sign-in (`POST /api/auth/dev-login`), which exists only when given. */
export interface DevLoginOptions {
  /** Signs a token for the user. */
  sign(user: ApiUser): Promise<string>;
  /** The user as stored (created with the `user` role on first sign-in); their role decides admin. */
  findOrCreate(userId: string): Promise<ApiUser>;
}

/** `POST /auth/dev-login {username}` → a token, the user, and their effective servers (the login hook ran). */
export function devLoginRoutes(ctx: ApiContext, options: DevLoginOptions): Router {
  const router = Router();
  router.post(
    '/auth/dev-login',
    handle(async (req, res) => {
      const { username } = parseBody(devLoginBody, req.body);
      const user = await options.findOrCreate(username);
      const [token, servers] = await Promise.all([options.sign(user), loginHook(ctx, user.id)]);
      res.locals['user'] = user;
      res.json({ token, tokenType: 'Bearer', user, servers });
    }),
  );
  return router;
}
