import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { AccessRepository, Logger, Strata } from '@strata/registry';
import type { EventStreams } from '../events/event-stream';
import type { InstanceStore } from '../instances/instance-directory';

/** Everything the handlers use, built once per instance (standalone server or host router). */
export interface ApiContext {
  readonly strata: Strata;
  /** The database behind `strata` (permission bits are read from it). */
  readonly repository: AccessRepository;
  readonly logger: Logger;
  readonly events: EventStreams;
  readonly instances: InstanceStore;
  /** Deadline of a tool call when the server's config sets no `timeout`. */
  readonly toolTimeoutMs: number;
}

/** An async handler whose rejection reaches the error middleware (Express 5 does this itself; kept explicit). */
export function handle(fn: (req: Request, res: Response) => Promise<void>): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    fn(req, res).catch(next);
  };
}

/** A route parameter as a string (Express 5 params are strings; a wildcard would be a list). */
export function param(req: Request, name: string): string {
  const value: unknown = req.params[name];
  return typeof value === 'string' ? value : '';
}
