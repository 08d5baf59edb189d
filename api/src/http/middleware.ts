import { randomUUID } from 'node:crypto';
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { Logger } from '@strata/registry';
import { ApiError, toProblem } from './problem';

/** Sends `error` as `application/problem+json` (unless the response has started). */
export function sendProblem(res: Response, error: unknown): void {
  if (res.headersSent) return;
  const problem = toProblem(error, res.locals['requestId'] as string | undefined);
  res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
}

/** A request id (the caller's `x-request-id` when it is safe, else a new one) on the response and every log line. */
export function requestContext(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const given = req.headers['x-request-id'];
    const requestId = typeof given === 'string' && /^[A-Za-z0-9_.:-]{1,64}$/.test(given) ? given : randomUUID();
    res.locals['requestId'] = requestId;
    res.setHeader('x-request-id', requestId);
    const started = process.hrtime.bigint();
    const path = req.path; // before routers rewrite req.url; never the query (it may hold a token)
    res.on('finish', () => {
      const user = res.locals['user'] as { id?: string } | undefined;
      logger.info('http request', {
        requestId,
        method: req.method,
        path,
        status: res.statusCode,
        ms: Number((process.hrtime.bigint() - started) / 1_000_000n),
        ...(user?.id ? { userId: user.id } : {}),
      });
    });
    next();
  };
}

/**
 * Every request answers within `timeoutMs`: a handler still working then gets a 504
 * `REQUEST_TIMEOUT` sent for it (its own late answer is dropped). Streams (`skip`) are exempt.
 */
export function requestDeadline(timeoutMs: number, skip: (path: string) => boolean): RequestHandler {
  return (req, res, next) => {
    if (skip(req.path)) return next();
    const timer = setTimeout(
      () => sendProblem(res, new ApiError('REQUEST_TIMEOUT', `the request took longer than ${timeoutMs} ms`)),
      timeoutMs,
    );
    const clear = () => clearTimeout(timer);
    res.on('finish', clear);
    res.on('close', clear);
    next();
  };
}

/** Errors of Express's JSON parser (body-parser) as the API's own. */
function fromParser(error: unknown): unknown {
  const type = (error as { type?: unknown } | null)?.type;
  if (type === 'entity.too.large')
    return new ApiError('BODY_TOO_LARGE', 'the request body is too large', [{ path: '(body)', message: 'too large' }]);
  if (type === 'entity.parse.failed')
    return new ApiError('INVALID_BODY', 'the request body is not valid JSON', [
      { path: '(body)', message: 'not valid JSON' },
    ]);
  if (type === 'charset.unsupported' || type === 'encoding.unsupported')
    return new ApiError('UNSUPPORTED_MEDIA_TYPE', 'unsupported body encoding');
  return error;
}

/** The error middleware: every error becomes a problem document; 5xx are logged (safely). */
export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, _req, res, _next) => {
    const mapped = fromParser(error);
    const problem = toProblem(mapped, res.locals['requestId'] as string | undefined);
    if (problem.status >= 500) {
      logger.warn('request failed', {
        requestId: res.locals['requestId'],
        code: problem.code,
        errorName: mapped instanceof Error ? mapped.name : typeof mapped,
        errorMessage: problem.detail,
      });
    }
    sendProblem(res, mapped);
  };
}

/** 404 for every path no route matched. */
export const routeNotFound: RequestHandler = (req, res) => {
  sendProblem(res, new ApiError('ROUTE_NOT_FOUND', `no route ${req.method} ${req.path}`));
};
