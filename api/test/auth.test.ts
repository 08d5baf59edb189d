import { SignJWT } from 'jose';
import { readSettings, startApi } from '@strata/api';
import { call, startGroup, TEST_SECRET, tokenFor, type ApiGroup } from './support/instances';

describe('auth (one instance, memory Keyv, real MongoDB)', () => {
  let group: ApiGroup;
  let url: string;
  beforeAll(async () => {
    group = await startGroup(1, { redis: 'memory' });
    url = group.apis[0]!.url;
  });
  afterAll(() => group.close());

  it('answers 401 problem+json without a token', async () => {
    const response = await call(`${url}/api/servers`);
    expect(response.status).toBe(401);
    expect(response.type).toContain('application/problem+json');
    expect(response.body.code).toBe('UNAUTHORIZED');
  });

  it('answers 403 to a user on an admin route, 200 to an admin', async () => {
    const user = await call(`${url}/api/admin/servers`, { token: await tokenFor('carol') });
    expect(user.status).toBe(403);
    expect(user.body.code).toBe('FORBIDDEN');
    const admin = await call(`${url}/api/admin/servers`, { token: await tokenFor('root', 'admin') });
    expect(admin.status).toBe(200);
  });

  it('refuses an expired token and a tampered one with 401', async () => {
    const key = new TextEncoder().encode(TEST_SECRET);
    const expired = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('root')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
      .sign(key);
    const expiredAnswer = await call(`${url}/api/servers`, { token: expired });
    expect(expiredAnswer.status).toBe(401);
    expect(expiredAnswer.body.detail).toMatch(/expired/);

    // A user's valid token with the payload changed to claim admin: the signature no longer matches.
    const [header, , signature] = (await tokenFor('carol')).split('.');
    const forged = Buffer.from(JSON.stringify({ sub: 'carol', role: 'admin', exp: 9_999_999_999 })).toString(
      'base64url',
    );
    const tampered = await call(`${url}/api/admin/servers`, { token: `${header}.${forged}.${signature}` });
    expect(tampered.status).toBe(401);

    const otherKey = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('root')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('another-secret-of-at-least-thirty-two-bytes'));
    expect((await call(`${url}/api/servers`, { token: otherKey })).status).toBe(401);
  });

  it("dev sign-in answers a token that works, and the user's effective servers", async () => {
    const login = await call(`${url}/api/auth/dev-login`, { method: 'POST', body: { username: 'dave' } });
    expect(login.status).toBe(200);
    expect(login.body.user).toEqual({ id: 'dave', role: 'user' });
    expect(Array.isArray(login.body.servers)).toBe(true);
    const servers = await call(`${url}/api/servers`, { token: login.body.token });
    expect(servers.status).toBe(200);
    expect(servers.body.servers.map((s: { name: string }) => s.name)).toEqual(
      login.body.servers.map((s: { name: string }) => s.name),
    );
    // The sign-in stored the user (role user) in the database.
    const stored = await group.db.collection('users').findOne({ userId: 'dave' });
    expect(stored?.['role']).toBe('user');
  });

  it('dev sign-in is off in production whatever STRATA_DEV_LOGIN says', () => {
    const base = { STRATA_JWT_SECRET: TEST_SECRET, MONGO_URI: 'mongodb://127.0.0.1:1' };
    expect(readSettings({ ...base, NODE_ENV: 'production', STRATA_DEV_LOGIN: '1' }).devLogin).toBe(false);
    expect(readSettings({ ...base, NODE_ENV: 'production' }).devLogin).toBe(false);
    expect(readSettings({ ...base, NODE_ENV: 'development', STRATA_DEV_LOGIN: '1' }).devLogin).toBe(true);
    expect(readSettings({ NODE_ENV: 'development' }).devLogin).toBe(true); // the embedded default
  });

  it('a production server has no dev sign-in route', async () => {
    const production = await startGroup(1, { redis: 'memory', env: { NODE_ENV: 'production', STRATA_DEV_LOGIN: '1' } });
    try {
      const answer = await call(`${production.apis[0]!.url}/api/auth/dev-login`, {
        method: 'POST',
        body: { username: 'admin' },
      });
      expect(answer.status).toBe(401); // no such route: the request falls through to the signed-in routes
      expect(answer.body.code).toBe('UNAUTHORIZED');
      expect(await production.db.collection('users').countDocuments()).toBe(0);
    } finally {
      await production.close();
    }
  });

  it('production refuses to start without a JWT secret or JWKS URL', async () => {
    await expect(startApi({ NODE_ENV: 'production', MONGO_URI: 'mongodb://127.0.0.1:1' })).rejects.toThrow(
      /STRATA_JWT_SECRET/,
    );
  });
});
