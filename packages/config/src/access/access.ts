import { z } from 'zod';
import { ValidationError } from '../errors/strata-error';
import { userIdProblem } from '../names/names';

/** Permission bits on a server: VIEW = use it, EDIT = change its config, SHARE = change its access. */
export const PERMISSION = { VIEW: 1, EDIT: 2, SHARE: 4 } as const;
/** Every bit: what a server's owner holds. */
export const ALL_PERMISSIONS = PERMISSION.VIEW | PERMISSION.EDIT | PERMISSION.SHARE;

/** Group ids: letters, digits, `_`, `-`, `.`, `:`; at most 128 characters. */
export const GROUP_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

const userId = z.string().superRefine((value, context) => {
  const problem = userIdProblem(value);
  if (problem) context.addIssue({ code: 'custom', message: problem });
});

/** Who a grant is for: one user, the members of a group, or everyone (`public`: the shared tier). */
export const principalSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('user'), id: userId }),
  z.strictObject({ type: z.literal('group'), id: z.string().regex(GROUP_ID_PATTERN, 'must be a group id') }),
  z.strictObject({ type: z.literal('public') }),
]);
export type Principal = z.infer<typeof principalSchema>;

/** A principal and its permission bits (1-7). Without the VIEW bit the principal cannot use the server. */
export const grantSchema = z.strictObject({
  principal: principalSchema,
  bits: z.number().int().min(1).max(ALL_PERMISSIONS),
});
export type Grant = z.infer<typeof grantSchema>;

/** A stable string for a principal (`user:<id>`, `group:<id>`, `public`): a map key, never a Redis key. */
export function principalKey(principal: Principal): string {
  return principal.type === 'public' ? 'public' : `${principal.type}:${principal.id}`;
}

/** Validates a list of grants: one per principal; `INVALID_OPTIONS`-free typed errors name the field. */
export function parseGrants(input: unknown, path = 'grants'): Grant[] {
  const parsed = z.array(grantSchema).max(10_000).safeParse(input);
  if (!parsed.success) {
    throw new ValidationError(
      'INVALID_ACCESS',
      parsed.error.issues.map((issue) => ({
        path: [path, ...issue.path.map(String)].join('.'),
        message: issue.message,
      })),
    );
  }
  const seen = new Map<string, number>();
  parsed.data.forEach((grant, index) => {
    const key = principalKey(grant.principal);
    const first = seen.get(key);
    if (first !== undefined) {
      throw new ValidationError('INVALID_ACCESS', [
        { path: `${path}.${index}.principal`, message: `duplicates ${path}.${first} (${key})` },
      ]);
    }
    seen.set(key, index);
  });
  return parsed.data;
}

/** True when the grants make a server visible to everyone (the shared tier). */
export function isPublic(grants: readonly Grant[]): boolean {
  return grants.some((grant) => grant.principal.type === 'public' && (grant.bits & PERMISSION.VIEW) !== 0);
}
