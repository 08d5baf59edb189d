import type { FieldIssue } from '@strata/config';

/** An API error answer (application/problem+json): stable code, safe detail, field issues. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly issues: readonly FieldIssue[] = [],
  ) {
    super(`${code}: ${detail}`);
    this.name = 'ApiProblem';
  }
}

/** Reads an error answer; a body that is not a problem document still becomes an ApiProblem. */
export async function problemFrom(response: Response): Promise<ApiProblem> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { code?: unknown; detail?: unknown; title?: unknown; issues?: unknown };
    const issues = Array.isArray(body.issues)
      ? (body.issues as unknown[]).filter(
          (issue): issue is FieldIssue =>
            typeof issue === 'object' &&
            issue !== null &&
            typeof (issue as FieldIssue).path === 'string' &&
            typeof (issue as FieldIssue).message === 'string',
        )
      : [];
    return new ApiProblem(
      response.status,
      typeof body.code === 'string' ? body.code : `HTTP_${response.status}`,
      typeof body.detail === 'string' ? body.detail : typeof body.title === 'string' ? body.title : response.statusText,
      issues,
    );
  } catch {
    return new ApiProblem(response.status, `HTTP_${response.status}`, response.statusText || 'request failed');
  }
}

/** A one-line message for any error (problem code and detail, or a network failure). */
export function describeError(error: unknown): string {
  if (error instanceof ApiProblem) return `${error.code}: ${error.detail}`;
  if (error instanceof Error) return error.message;
  return 'unknown error';
}
