import { z } from 'zod';
import { grantSchema, userIdProblem } from '@strata/config';

/** Sizes the API accepts: bodies are capped by the JSON parser, lists and strings here. */
export const LIMITS = { userIds: 10_000, grants: 10_000, importText: 512 * 1024, toolArgs: 256 * 1024 } as const;

export const userIdSchema = z.string().superRefine((value, context) => {
  const problem = userIdProblem(value);
  if (problem) context.addIssue({ code: 'custom', message: problem });
});

/** A server config is validated by `parseServerConfig` (the shared schema); here only its shape. */
const configObject = z.record(z.string(), z.unknown());

/** Who may use a server, as `StrataAdmin` takes it. */
export const accessSchema = z.union([
  z.strictObject({ everyone: z.literal(true) }),
  z.strictObject({ userIds: z.array(userIdSchema).max(LIMITS.userIds) }),
  z.strictObject({ grants: z.array(grantSchema).max(LIMITS.grants) }),
]);

export const createServerBody = z.strictObject({
  name: z.string(),
  config: configObject,
  /** @defaultValue private to nobody yet: `{ userIds: [] }` */
  access: accessSchema.optional(),
});

export const updateServerBody = z.strictObject({ config: configObject });

export const grantsBody = z.strictObject({ grants: z.array(grantSchema).max(LIMITS.grants) });

export const demoteBody = z.strictObject({ userIds: z.array(userIdSchema).max(LIMITS.userIds) });

export const emptyBody = z.strictObject({});

export const IMPORT_FORMATS = ['librechat', 'claude-desktop', 'strata'] as const;

export const importBody = z.strictObject({
  format: z.enum(IMPORT_FORMATS),
  /** The file's text (`librechat.yaml`, `claude_desktop_config.json`, `strata.yaml`). */
  content: z.string().max(LIMITS.importText),
  /** Who may use the servers the import creates. @defaultValue `{ userIds: [] }` */
  access: accessSchema.optional(),
  dryRun: z.boolean().optional(),
});

export const callToolBody = z.strictObject({
  arguments: z.record(z.string(), z.unknown()).optional(),
});

export const devLoginBody = z.strictObject({
  username: userIdSchema,
});
