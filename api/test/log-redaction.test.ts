import { Writable } from 'node:stream';
import winston from 'winston';
import { DEMO_SERVER_CONFIG } from '../src/embedded/seed';
import { scrubMessage } from '@strata/api';
import { call, startGroup, TEST_SECRET, tokenFor, type ApiGroup } from './support/instances';
import { SseClient } from './support/sse-client';

/** Values that must never reach a log line, whatever route they travel through. */
const SECRETS = {
  header: 'sk-live-HEADERsecret0123456789',
  env: 'ENVsecret-9876543210-zyx',
  urlPassword: 'URLpassw0rd-secret-42',
  urlToken: 'QUERYtoken-secret-77',
  bodyExtra: 'BODYextra-secret-55',
};

describe('logs: winston JSON lines with request ids and user ids, never a token, header, env value or config secret', () => {
  let group: ApiGroup;
  const lines: string[] = [];
  beforeAll(async () => {
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    group = await startGroup(1, {
      env: { LOG_LEVEL: 'debug', LOG_FORMAT: 'json' },
      start: { logTransports: [new winston.transports.Stream({ stream })] },
    });
  }, 60_000);
  afterAll(() => group.close());

  it('feeds secrets through every kind of route and finds none in the captured log', async () => {
    const url = group.apis[0]!.url;
    const admin = await tokenFor('root', 'admin');
    const user = await tokenFor('tess');
    const secretUrl = `https://ops:${SECRETS.urlPassword}@127.0.0.1:1/mcp?token=${SECRETS.urlToken}`;
    const created = [
      await call(`${url}/api/admin/servers`, {
        method: 'POST',
        token: admin,
        body: {
          name: 'secret-http',
          config: { type: 'streamable-http', url: secretUrl, headers: { Authorization: `Bearer ${SECRETS.header}` } },
          access: { userIds: ['tess'] },
        },
      }),
      await call(`${url}/api/admin/servers`, {
        method: 'POST',
        token: admin,
        body: {
          name: 'secret-stdio',
          config: { ...DEMO_SERVER_CONFIG, env: { API_KEY: SECRETS.env } },
          access: { userIds: ['tess'] },
        },
      }),
    ];
    expect(created.map((answer) => answer.status)).toEqual([201, 201]);
    // Reads, tool calls (one works, one cannot connect), a bad body, an admin read, the event stream with a query token.
    await call(`${url}/api/servers`, { token: user });
    expect(
      (
        await call(`${url}/api/servers/secret-stdio/tools/echo/call`, {
          method: 'POST',
          token: user,
          body: { arguments: { text: 'hi' } },
        })
      ).status,
    ).toBe(200);
    const failing = await call(`${url}/api/servers/secret-http/tools/x/call`, {
      method: 'POST',
      token: user,
      body: {},
    });
    expect(failing.status).toBeGreaterThanOrEqual(400);
    await call(`${url}/api/admin/servers`, {
      method: 'POST',
      token: admin,
      body: {
        name: 'bad',
        config: { type: 'sse', url: secretUrl, headers: { a: SECRETS.header } },
        extra: SECRETS.bodyExtra,
      },
    });
    await call(`${url}/api/admin/servers`, { token: admin });
    await call(`${url}/api/admin/servers/secret-http`, { token: admin });
    const stream = await SseClient.open(`${url}/api/events?access_token=${user}`, 'not-used');
    await stream.close();
    await call(`${url}/api/servers`, { token: 'eyJhbGciOiJIUzI1NiJ9.forged.token' });

    expect(lines.length).toBeGreaterThan(10);
    // The library's own lines land in the same stream (createStrata got the API's winston logger).
    expect(lines.some((line) => line.includes('app tier written'))).toBe(true);
    const log = lines.join('\n');
    for (const [what, secret] of Object.entries({
      ...SECRETS,
      adminToken: admin,
      userToken: user,
      jwtSecret: TEST_SECRET,
    })) {
      expect({ what, leaked: log.includes(secret) }).toEqual({ what, leaked: false });
    }
    // What a log line does carry: the request id and the user id.
    const request = lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((entry) => entry['message'] === 'http request' && entry['userId'] === 'tess');
    expect(request).toMatchObject({
      requestId: expect.any(String),
      method: expect.any(String),
      status: expect.any(Number),
    });
    // Answers never carry the secrets either.
    const answers = JSON.stringify([created, failing, await call(`${url}/api/admin/servers`, { token: admin })]);
    for (const secret of Object.values(SECRETS)) expect(answers.includes(secret)).toBe(false);
  }, 60_000);
});

describe('scrubMessage', () => {
  it('masks URL credentials and queries, bearer values and JWT-shaped strings, and keeps the rest', () => {
    expect(scrubMessage('GET https://u:p@h.example:8443/x?token=abc#f failed')).toBe(
      'GET https://***@h.example:8443/x?*** failed',
    );
    expect(scrubMessage('Authorization: Bearer abc.def-ghi, next')).toBe('Authorization: Bearer ***, next');
    expect(scrubMessage('token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig here')).toBe('token *** here');
    expect(scrubMessage('could not connect to "demo": spawn ENOENT')).toBe('could not connect to "demo": spawn ENOENT');
  });
});
