import { assertServerName, assertUserId, checkIntegerRanges, ValidationError, type FieldIssue } from '@strata/config';
import type { Clock } from '@strata/registry';
import type { Connection } from 'mongoose';
import type { ValueCipher } from '../crypto/value-cipher';
import {
  userVariablesModel,
  type UserVariableEntry,
  type UserVariableKind,
  type UserVariablesDoc,
  type UserVariablesModel,
} from '../models/user-variables';
import { upsertWithRetry } from './duplicate-key';

/**
 * A user's values for one server, in the shape the connection layer takes them
 * (`UserConnectContext` minus the user): spread it into a `connections.get` context.
 */
export interface UserVariables {
  /** `customUserVars` values by name: `{{NAME}}` resolves to `vars.NAME`. */
  readonly vars: Readonly<Record<string, string>>;
  /** The user's key for an `apiKey: { source: user }` server. */
  readonly apiKey?: string;
}

export interface UserVariablesRepositoryOptions {
  /** Encrypts every value before it is written; from `ValueCipher.fromEnvironment(process.env)` at start-up. */
  readonly cipher: ValueCipher;
  /** `updatedAt`. @defaultValue the system clock */
  readonly clock?: Clock;
  /** Server-side deadline of each operation. @defaultValue 5000 */
  readonly maxTimeMs?: number;
}

/** Limits of one (user, server) record: a user cannot store megabytes through it. */
export const USER_VARIABLE_LIMITS = { maxVariables: 64, maxNameLength: 128, maxValueLength: 8_192 } as const;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Compiles the model on `connection`, waits for its collection and unique index, returns the repository. */
export async function createUserVariablesRepository(
  connection: Connection,
  options: UserVariablesRepositoryOptions,
): Promise<UserVariablesRepository> {
  const model = userVariablesModel(connection);
  await model.init();
  await model.createCollection();
  await model.createIndexes();
  return new UserVariablesRepository(model, options);
}

/**
 * Per-user variables (`customUserVars` values, `apiKey: { source: user }` keys) for (user, server
 * slug), encrypted at rest with AES-256-GCM: one random IV per value, the tag, the key version, and
 * the record's identity (user, server, kind, name) as authenticated data, so a ciphertext moved to
 * another user, server or name is refused like a tampered one (`DECRYPT_FAILED`). Names stay
 * readable; values never are, and no message or error carries one.
 */
export class UserVariablesRepository {
  private readonly clock: Clock;
  private readonly maxTimeMs: number;

  constructor(
    private readonly model: UserVariablesModel,
    private readonly options: UserVariablesRepositoryOptions,
  ) {
    checkIntegerRanges(options, [['maxTimeMs', 1, 600_000]]);
    this.clock = options.clock ?? { now: () => Date.now() };
    this.maxTimeMs = options.maxTimeMs ?? 5_000;
  }

  /**
   * The user's values for `server`, decrypted; undefined when none are stored. Values written with
   * an older key are re-encrypted with the current one (a write that changes nothing else).
   */
  async get(userId: string, server: string): Promise<UserVariables | undefined> {
    assertIds(userId, server);
    const doc = await this.model.findOne({ userId, server }).maxTimeMS(this.maxTimeMs).lean<UserVariablesDoc>().exec();
    if (!doc) return undefined;
    const vars: Record<string, string> = {};
    let apiKey: string | undefined;
    for (const entry of doc.entries) {
      const value = this.options.cipher.decrypt(entry, aad(userId, server, entry.kind, entry.name));
      if (entry.kind === 'apiKey') apiKey = value;
      else vars[entry.name] = value;
    }
    if (doc.entries.some((entry) => !this.options.cipher.isCurrent(entry))) {
      await this.model
        .updateOne(
          { userId, server, updatedAt: doc.updatedAt },
          { $set: { entries: this.encrypt(userId, server, vars, apiKey) } },
        )
        .maxTimeMS(this.maxTimeMs)
        .exec();
    }
    return apiKey === undefined ? { vars } : { vars, apiKey };
  }

  /** Replaces the user's values for `server` (one atomic upsert). Bad input writes nothing. */
  async set(userId: string, server: string, values: UserVariables): Promise<void> {
    assertIds(userId, server);
    checkValues(values);
    const entries = this.encrypt(userId, server, values.vars, values.apiKey);
    await upsertWithRetry(() =>
      this.model
        .updateOne({ userId, server }, { $set: { entries, updatedAt: new Date(this.clock.now()) } }, { upsert: true })
        .maxTimeMS(this.maxTimeMs)
        .exec(),
    );
  }

  /** Deletes the user's values for `server`; true when there were some. */
  async delete(userId: string, server: string): Promise<boolean> {
    assertIds(userId, server);
    const result = await this.model.deleteOne({ userId, server }).maxTimeMS(this.maxTimeMs).exec();
    return result.deletedCount > 0;
  }

  private encrypt(
    userId: string,
    server: string,
    vars: Readonly<Record<string, string>>,
    apiKey: string | undefined,
  ): UserVariableEntry[] {
    const entries: UserVariableEntry[] = Object.entries(vars).map(([name, value]) => ({
      kind: 'var',
      name,
      ...this.options.cipher.encrypt(value, aad(userId, server, 'var', name)),
    }));
    if (apiKey !== undefined) {
      entries.push({
        kind: 'apiKey',
        name: '',
        ...this.options.cipher.encrypt(apiKey, aad(userId, server, 'apiKey', '')),
      });
    }
    return entries;
  }
}

/** What a ciphertext is bound to (NUL cannot occur in validated ids and names). */
function aad(userId: string, server: string, kind: UserVariableKind, name: string): string {
  return ['strata:user-variable:v1', userId, server, kind, name].join('\0');
}

function assertIds(userId: string, server: string): void {
  assertUserId(userId);
  assertServerName(server);
}

function checkValues(values: UserVariables): void {
  const issues: FieldIssue[] = [];
  const names = Object.keys(values.vars);
  if (names.length > USER_VARIABLE_LIMITS.maxVariables) {
    issues.push({ path: 'vars', message: `at most ${USER_VARIABLE_LIMITS.maxVariables} variables` });
  }
  for (const name of names) {
    if (name.length > USER_VARIABLE_LIMITS.maxNameLength || !VARIABLE_NAME.test(name)) {
      issues.push({
        path: `vars.${name.slice(0, 64)}`,
        message: 'must be letters, digits and "_", not starting with a digit',
      });
    }
    const value: unknown = values.vars[name];
    if (typeof value !== 'string' || value.length > USER_VARIABLE_LIMITS.maxValueLength) {
      issues.push({
        path: `vars.${name.slice(0, 64)}`,
        message: `must be text of at most ${USER_VARIABLE_LIMITS.maxValueLength} characters`,
      });
    }
  }
  if (
    values.apiKey !== undefined &&
    (typeof values.apiKey !== 'string' || values.apiKey.length > USER_VARIABLE_LIMITS.maxValueLength)
  ) {
    issues.push({
      path: 'apiKey',
      message: `must be text of at most ${USER_VARIABLE_LIMITS.maxValueLength} characters`,
    });
  }
  if (issues.length > 0) throw new ValidationError('INVALID_CONFIG', issues);
}
