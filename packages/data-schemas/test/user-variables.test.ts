import {
  createUserVariablesRepository,
  ENCRYPTION_KEY_ENV,
  USER_VARIABLES,
  ValueCipher,
  type UserVariablesRepository,
} from '@strata/data-schemas';
import { randomBytes } from 'node:crypto';
import { openTestDatabase, type TestDatabase } from './support/test-database';

/** Per-user variables encrypted at rest (AES-256-GCM), against the harness's MongoDB-protocol server. */

const KEY_1 = randomBytes(32);
const KEY_2 = randomBytes(32);
const SECRET_VAR = 'team-token-81c0f3e2';
const SECRET_KEY = 'sk-user-5d2a77b1c9';

describe('user variables: encrypted at rest', () => {
  let database: TestDatabase;
  let repository: UserVariablesRepository;
  const cipher = new ValueCipher({ version: 1, key: KEY_1 });

  beforeEach(async () => {
    database = await openTestDatabase();
    repository = await createUserVariablesRepository(database.connection, { cipher });
  });

  afterEach(async () => {
    await database.drop();
  });

  const raw = () => database.connection.collection(USER_VARIABLES.collection).find({}).toArray();

  it('stores values encrypted (no plaintext anywhere in the document) and reads them back', async () => {
    await repository.set('alice', 'crm', { vars: { TEAM: SECRET_VAR, ALSO: SECRET_VAR }, apiKey: SECRET_KEY });
    expect(await repository.get('alice', 'crm')).toEqual({
      vars: { TEAM: SECRET_VAR, ALSO: SECRET_VAR },
      apiKey: SECRET_KEY,
    });
    const docs = await raw();
    expect(docs).toHaveLength(1);
    const text = JSON.stringify(docs);
    for (const secret of [SECRET_VAR, SECRET_KEY]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(Buffer.from(secret).toString('base64'));
      expect(text).not.toContain(Buffer.from(secret).toString('hex'));
    }
    const entries = docs[0]?.['entries'] as Array<Record<string, unknown>>;
    expect(entries.map((entry) => [entry['kind'], entry['name'], entry['keyVersion']])).toEqual([
      ['var', 'TEAM', 1],
      ['var', 'ALSO', 1],
      ['apiKey', '', 1],
    ]);
    for (const entry of entries) {
      expect(Buffer.from(String(entry['iv']), 'base64')).toHaveLength(12);
      expect(Buffer.from(String(entry['tag']), 'base64')).toHaveLength(16);
    }
    // The same value twice: two random IVs, two different ciphertexts.
    expect(entries[0]?.['iv']).not.toBe(entries[1]?.['iv']);
    expect(entries[0]?.['data']).not.toBe(entries[1]?.['data']);
  });

  it('a tampered ciphertext, tag or IV is refused (DECRYPT_FAILED), never returned', async () => {
    await repository.set('alice', 'crm', { vars: { TEAM: SECRET_VAR } });
    const collection = database.connection.collection(USER_VARIABLES.collection);
    const [doc] = await raw();
    const entry = (doc?.['entries'] as Array<Record<string, string>>)[0]!;
    const flip = (base64: string) => {
      const bytes = Buffer.from(base64, 'base64');
      bytes[0] = bytes[0]! ^ 0x01;
      return bytes.toString('base64');
    };
    for (const field of ['data', 'tag', 'iv'] as const) {
      await collection.updateOne(
        { userId: 'alice' },
        { $set: { entries: [{ ...entry, [field]: flip(entry[field]!) }] } },
      );
      await expect(repository.get('alice', 'crm')).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
    }
    await collection.updateOne({ userId: 'alice' }, { $set: { entries: [entry] } });
    await expect(repository.get('alice', 'crm')).resolves.toEqual({ vars: { TEAM: SECRET_VAR } });
  });

  it("a ciphertext copied to another user's record (or another name) does not decrypt", async () => {
    await repository.set('alice', 'crm', { vars: { TEAM: SECRET_VAR } });
    await repository.set('mallory', 'crm', { vars: { TEAM: 'mine' } });
    const collection = database.connection.collection(USER_VARIABLES.collection);
    const alices = await collection.findOne({ userId: 'alice' });
    await collection.updateOne({ userId: 'mallory' }, { $set: { entries: alices?.['entries'] as unknown[] } });
    await expect(repository.get('mallory', 'crm')).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
    const renamed = (alices?.['entries'] as Array<Record<string, unknown>>).map((entry) => ({
      ...entry,
      name: 'OTHER',
    }));
    await collection.updateOne({ userId: 'alice' }, { $set: { entries: renamed } });
    await expect(repository.get('alice', 'crm')).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
  });

  it('is per (user, server): set replaces, delete removes, others are untouched', async () => {
    await repository.set('alice', 'crm', { vars: { A: '1', B: '2' } });
    await repository.set('alice', 'wiki', { vars: { A: 'w' } });
    await repository.set('bob', 'crm', { vars: { A: 'b' } });
    await repository.set('alice', 'crm', { vars: { C: '3' } });
    expect(await repository.get('alice', 'crm')).toEqual({ vars: { C: '3' } });
    expect(await repository.get('alice', 'wiki')).toEqual({ vars: { A: 'w' } });
    expect(await repository.delete('alice', 'crm')).toBe(true);
    expect(await repository.delete('alice', 'crm')).toBe(false);
    expect(await repository.get('alice', 'crm')).toBeUndefined();
    expect(await repository.get('bob', 'crm')).toEqual({ vars: { A: 'b' } });
  });

  it('bad input is a typed error naming the field and writes nothing', async () => {
    await expect(repository.set('alice', 'crm', { vars: { 'bad name': 'x' } })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      issues: [expect.objectContaining({ path: 'vars.bad name' })],
    });
    await expect(repository.set('alice', 'crm', { vars: { BIG: 'x'.repeat(9_000) } })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
    });
    await expect(repository.set('bad user!', 'crm', { vars: {} })).rejects.toMatchObject({ code: 'INVALID_USER_ID' });
    expect(await raw()).toEqual([]);
  });

  it('key rotation: values of an older key stay readable and are re-encrypted with the current one', async () => {
    await repository.set('alice', 'crm', { vars: { TEAM: SECRET_VAR } });
    const rotated = await createUserVariablesRepository(database.connection, {
      cipher: new ValueCipher({ version: 2, key: KEY_2 }, [{ version: 1, key: KEY_1 }]),
    });
    expect(await rotated.get('alice', 'crm')).toEqual({ vars: { TEAM: SECRET_VAR } });
    const [doc] = await raw();
    expect((doc?.['entries'] as Array<Record<string, unknown>>)[0]?.['keyVersion']).toBe(2);
    // Once re-encrypted, the old key is no longer needed...
    const onlyNew = await createUserVariablesRepository(database.connection, {
      cipher: new ValueCipher({ version: 2, key: KEY_2 }),
    });
    expect(await onlyNew.get('alice', 'crm')).toEqual({ vars: { TEAM: SECRET_VAR } });
    // ...and the old key alone cannot read it.
    await expect(repository.get('alice', 'crm')).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
  });
});

describe('encryption key from the environment', () => {
  it.each([
    ['missing', {}],
    ['empty', { [ENCRYPTION_KEY_ENV]: '  ' }],
    ['too short', { [ENCRYPTION_KEY_ENV]: randomBytes(16).toString('base64') }],
    ['not base64 or hex', { [ENCRYPTION_KEY_ENV]: 'this is not a key!' }],
    ['a bad version', { [ENCRYPTION_KEY_ENV]: KEY_1.toString('hex'), STRATA_ENCRYPTION_KEY_VERSION: '0' }],
    ['a bad previous key', { [ENCRYPTION_KEY_ENV]: KEY_1.toString('hex'), STRATA_ENCRYPTION_PREVIOUS_KEYS: '1:short' }],
  ])('%s → INVALID_OPTIONS naming the variable, without echoing it', (_, env: Record<string, string>) => {
    let caught: unknown;
    try {
      ValueCipher.fromEnvironment(env);
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'INVALID_OPTIONS' });
    expect(String(caught)).toMatch(/STRATA_ENCRYPTION_/);
    for (const value of Object.values(env)) if (value.trim().length > 2) expect(String(caught)).not.toContain(value);
  });

  it('accepts 32 bytes as base64 or hex, and both encrypt to what the other decrypts', () => {
    const fromBase64 = ValueCipher.fromEnvironment({ [ENCRYPTION_KEY_ENV]: KEY_1.toString('base64') });
    const fromHex = ValueCipher.fromEnvironment({ [ENCRYPTION_KEY_ENV]: KEY_1.toString('hex') });
    expect(fromHex.decrypt(fromBase64.encrypt('hello', 'aad'), 'aad')).toBe('hello');
    expect(() => fromHex.decrypt(fromBase64.encrypt('hello', 'aad'), 'other aad')).toThrow(
      expect.objectContaining({ code: 'DECRYPT_FAILED' }) as Error,
    );
  });
});
