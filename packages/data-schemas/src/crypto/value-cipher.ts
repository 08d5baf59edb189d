import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { StrataError, ValidationError } from '@strata/config';

/** The environment variable holding the current encryption key (32 bytes, base64 or hex). */
export const ENCRYPTION_KEY_ENV = 'STRATA_ENCRYPTION_KEY';
/** The current key's version (a positive integer), stored with every value. @defaultValue 1 */
export const ENCRYPTION_KEY_VERSION_ENV = 'STRATA_ENCRYPTION_KEY_VERSION';
/** Older keys still readable during a rotation: `version:key` pairs, comma-separated. */
export const ENCRYPTION_PREVIOUS_KEYS_ENV = 'STRATA_ENCRYPTION_PREVIOUS_KEYS';

const ALGORITHM = 'aes-256-gcm';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** One value encrypted at rest: AES-256-GCM, its own random 12-byte IV, the tag, the key's version. */
export interface EncryptedValue {
  /** Version of the key that encrypted it (rotation: older versions stay readable). */
  keyVersion: number;
  /** 12 random bytes, base64. */
  iv: string;
  /** GCM authentication tag (16 bytes), base64. */
  tag: string;
  /** Ciphertext, base64. */
  data: string;
}

/** A key and the version stored with what it encrypts. */
export interface VersionedKey {
  readonly version: number;
  /** Exactly 32 bytes. */
  readonly key: Uint8Array;
}

/** The stored value does not decrypt: tampered, bound to another record, or its key is unknown. */
export class DecryptError extends StrataError {
  constructor(message: string) {
    super('DECRYPT_FAILED', message);
  }
}

/**
 * 32 bytes from base64 (standard or URL-safe, padding optional) or hex text. Anything else throws
 * `ValidationError('INVALID_OPTIONS')` naming `field`; the message never holds the key.
 */
export function parseEncryptionKey(text: string | undefined, field = ENCRYPTION_KEY_ENV): Buffer {
  const problem = (message: string) => new ValidationError('INVALID_OPTIONS', [{ path: field, message }]);
  const value = text?.trim() ?? '';
  if (value === '') {
    throw problem('is missing: set it to 32 random bytes, base64 or hex (e.g. `openssl rand -base64 32`)');
  }
  let key: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(value)) key = Buffer.from(value, 'hex');
  else if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) key = Buffer.from(value, 'base64');
  if (key?.length !== KEY_BYTES) {
    throw problem(`must be ${KEY_BYTES} bytes, written as base64 (44 characters) or hex (64 characters)`);
  }
  return key;
}

/**
 * Encrypts and decrypts single values with AES-256-GCM (node:crypto). Every value gets its own
 * random 12-byte IV; `aad` (additional authenticated data) binds a ciphertext to the record it
 * belongs to, so a value copied to another user, server or name does not decrypt. Values written
 * with an older key stay readable while that key is listed in `previous`; {@link isCurrent} says
 * whether a value should be re-encrypted.
 */
export class ValueCipher {
  private readonly keys = new Map<number, Buffer>();
  readonly currentVersion: number;

  constructor(current: VersionedKey, previous: readonly VersionedKey[] = []) {
    for (const [index, entry] of [current, ...previous].entries()) {
      const field = index === 0 ? 'current' : `previous.${index - 1}`;
      if (!Number.isInteger(entry.version) || entry.version < 1) {
        throw new ValidationError('INVALID_OPTIONS', [
          { path: `${field}.version`, message: 'must be a positive integer' },
        ]);
      }
      if (entry.key.length !== KEY_BYTES) {
        throw new ValidationError('INVALID_OPTIONS', [{ path: `${field}.key`, message: `must be ${KEY_BYTES} bytes` }]);
      }
      if (this.keys.has(entry.version)) {
        throw new ValidationError('INVALID_OPTIONS', [{ path: `${field}.version`, message: 'is listed twice' }]);
      }
      this.keys.set(entry.version, Buffer.from(entry.key));
    }
    this.currentVersion = current.version;
  }

  /**
   * The cipher from the environment: `STRATA_ENCRYPTION_KEY` (required),
   * `STRATA_ENCRYPTION_KEY_VERSION` (default 1), `STRATA_ENCRYPTION_PREVIOUS_KEYS`
   * (`2:<key>,1:<key>`). Missing or malformed → `ValidationError('INVALID_OPTIONS')` naming the
   * variable: call it at start-up so a bad key stops the process before it serves anything.
   */
  static fromEnvironment(env: Readonly<Record<string, string | undefined>>): ValueCipher {
    const key = parseEncryptionKey(env[ENCRYPTION_KEY_ENV]);
    const versionText = env[ENCRYPTION_KEY_VERSION_ENV]?.trim();
    const version = versionText === undefined || versionText === '' ? 1 : Number(versionText);
    if (!Number.isInteger(version) || version < 1) {
      throw new ValidationError('INVALID_OPTIONS', [
        { path: ENCRYPTION_KEY_VERSION_ENV, message: 'must be a positive integer' },
      ]);
    }
    const previous = (env[ENCRYPTION_PREVIOUS_KEYS_ENV] ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '')
      .map((item, index) => {
        const field = `${ENCRYPTION_PREVIOUS_KEYS_ENV}.${index}`;
        const colon = item.indexOf(':');
        const older = Number(item.slice(0, colon));
        if (colon < 1 || !Number.isInteger(older) || older < 1) {
          throw new ValidationError('INVALID_OPTIONS', [{ path: field, message: 'must be `<version>:<key>`' }]);
        }
        return { version: older, key: parseEncryptionKey(item.slice(colon + 1), field) };
      });
    return new ValueCipher({ version, key }, previous);
  }

  encrypt(plaintext: string, aad: string): EncryptedValue {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.key(this.currentVersion), iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return {
      keyVersion: this.currentVersion,
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      data: data.toString('base64'),
    };
  }

  /** The plaintext, or `DecryptError` (`DECRYPT_FAILED`) when anything does not authenticate. */
  decrypt(value: EncryptedValue, aad: string): string {
    const key = this.keys.get(value.keyVersion);
    if (!key) throw new DecryptError(`no key of version ${value.keyVersion} is configured`);
    const iv = Buffer.from(value.iv, 'base64');
    const tag = Buffer.from(value.tag, 'base64');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new DecryptError('malformed encrypted value');
    try {
      const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(aad, 'utf8'));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(Buffer.from(value.data, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      throw new DecryptError('an encrypted value failed authentication (tampered, or not this record)');
    }
  }

  /** False when `value` was written with an older key and should be re-encrypted. */
  isCurrent(value: EncryptedValue): boolean {
    return value.keyVersion === this.currentVersion;
  }

  private key(version: number): Buffer {
    const key = this.keys.get(version);
    if (!key) throw new DecryptError(`no key of version ${version} is configured`);
    return key;
  }
}
