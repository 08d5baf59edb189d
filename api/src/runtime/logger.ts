import winston from 'winston';
import type { Logger } from '@strata/registry';
import { scrubMessage } from './scrub';

/** Options of {@link createApiLogger}. */
export interface ApiLoggerOptions {
  /** winston level. @defaultValue 'info' */
  readonly level?: string;
  /** JSON lines (production) or readable lines (development). @defaultValue 'json' */
  readonly format?: 'json' | 'pretty';
  /** Where lines go. @defaultValue the console (stderr for every level, stdout stays for the start-up banner) */
  readonly transports?: winston.transport[];
}

/** Meta keys whose values never reach a log line, whatever logs them. */
const SECRET_KEYS = /^(authorization|cookie|set-cookie|token|access_token|id_token|password|secret|headers|env)$/i;

const redact = winston.format((info) => {
  for (const key of Object.keys(info)) {
    const value: unknown = info[key];
    if (SECRET_KEYS.test(key)) info[key] = '***';
    else if (typeof value === 'string') info[key] = scrubMessage(value);
  }
  if (typeof info.message === 'string') info.message = scrubMessage(info.message);
  return info;
});

/**
 * The API's winston logger: JSON lines in production, readable lines in development. It satisfies
 * the registry's `Logger` interface, so the library's own lines land in the same stream.
 */
export function createApiLogger(options: ApiLoggerOptions = {}): winston.Logger & Logger {
  const format =
    options.format === 'pretty'
      ? winston.format.combine(
          redact(),
          winston.format.timestamp({ format: 'HH:mm:ss.SSS' }),
          winston.format.printf(({ timestamp, level, message, ...meta }) => {
            const rest = Object.keys(meta).length > 0 ? ` ${JSON.stringify(meta)}` : '';
            return `${String(timestamp)} ${level} ${String(message)}${rest}`;
          }),
        )
      : winston.format.combine(redact(), winston.format.timestamp(), winston.format.json());
  return winston.createLogger({
    level: options.level ?? 'info',
    format,
    transports: options.transports ?? [
      new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] }),
    ],
  });
}
