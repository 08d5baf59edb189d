import { randomBytes } from 'node:crypto';

/** A new tier epoch: written by every whole replace, so readers can tell a rebuilt tier from the old one. */
export function newEpoch(): string {
  return randomBytes(8).toString('hex');
}
