import type { z } from 'zod';
import type { FieldIssue } from '@strata/config';
import { ApiError } from './problem';

/** Zod issues as field issues with dotted paths; an unknown key is named by its own path. */
export function fieldIssues(issues: readonly z.core.$ZodIssue[], prefix: string): FieldIssue[] {
  const join = (segments: readonly PropertyKey[]) => [prefix, ...segments.map(String)].filter(Boolean).join('.');
  return issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: join([...issue.path, key]), message: 'unknown field' }))
      : [{ path: join(issue.path), message: issue.message }],
  );
}

/** Parses `input` with `schema`, or throws `INVALID_BODY` naming every bad field (paths under `prefix`). */
export function parseBody<S extends z.ZodType>(schema: S, input: unknown, prefix = ''): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = fieldIssues(result.error.issues, prefix);
  throw new ApiError(
    'INVALID_BODY',
    issues.map((issue) => `${issue.path || '(body)'}: ${issue.message}`).join('; '),
    issues,
  );
}
