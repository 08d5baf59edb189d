/** MongoDB's duplicate-key error code (E11000), also returned by FerretDB for unique-index violations. */
export const DUPLICATE_KEY = 11000;

/** True for a unique-index violation: `MongoServerError` and `MongoBulkWriteError` alike carry code 11000. */
export function isDuplicateKeyError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === DUPLICATE_KEY;
}

/**
 * Runs an upsert, running it once more when it fails with E11000: two concurrent upserts of a
 * missing document can both try to insert, and the loser's retry then finds the winner's document
 * and updates it. (MongoDB ≥ 4.2 retries some such upserts itself; FerretDB never does.)
 */
export async function upsertWithRetry<T>(upsert: () => Promise<T>): Promise<T> {
  try {
    return await upsert();
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
    return upsert();
  }
}
