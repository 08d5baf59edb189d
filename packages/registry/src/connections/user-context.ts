import { USER_API_KEY_VARIABLE, USER_CONTEXT_FIELDS } from '@strata/config';

/**
 * The signed-in user a user- or session-scope connection is made for (the API fills it from its
 * session). Field names follow LibreChat's `TUser`; each is what `{{LIBRECHAT_USER_<FIELD>}}`
 * resolves to (field name upper-cased: `{{LIBRECHAT_USER_EMAILVERIFIED}}` → `emailVerified`).
 */
export interface ConnectionUser {
  /** Must equal the scope's `userId`. */
  readonly id: string;
  readonly name?: string;
  readonly username?: string;
  readonly email?: string;
  readonly provider?: string;
  readonly role?: string;
  readonly googleId?: string;
  readonly facebookId?: string;
  readonly openidId?: string;
  readonly samlId?: string;
  readonly ldapId?: string;
  readonly githubId?: string;
  readonly discordId?: string;
  readonly appleId?: string;
  readonly emailVerified?: boolean;
  readonly twoFactorEnabled?: boolean;
  readonly termsAccepted?: boolean;
}

/**
 * The user fields a `{{LIBRECHAT_USER_*}}` placeholder may name (LibreChat's `ALLOWED_USER_FIELDS`):
 * `@strata/config`'s list, checked here to name only fields of {@link ConnectionUser}.
 */
export const USER_PLACEHOLDER_FIELDS: ReadonlyArray<keyof ConnectionUser> = USER_CONTEXT_FIELDS;

/**
 * What a caller passes with a user- or session-scope `get`: who the user is and their stored
 * variables for this server (`@strata/data-schemas` `UserVariablesRepository.get`). Used only to
 * build the connection; never stored, logged or published.
 */
export interface UserConnectContext {
  readonly user: ConnectionUser;
  /** Values of the server's `customUserVars`, by name: `{{NAME}}` resolves to `vars.NAME`. */
  readonly vars?: Readonly<Record<string, string>>;
  /** The user's key for an `apiKey: { source: user }` server. */
  readonly apiKey?: string;
}

export type { ServerOrigin } from '../model/stored-server';

/**
 * The variable a user's own API key may also be read from (`@strata/config`'s
 * `USER_API_KEY_VARIABLE`): `context.apiKey` wins, then `context.vars.MCP_API_KEY`.
 */
export { USER_API_KEY_VARIABLE };
