import { accessChangesSuite, describeEachBackend } from '@strata/test-harness';
import { createMongoAccessRepository } from '@strata/data-schemas';
import { openTestDatabase } from './support/test-database';

// The same end-to-end access-change suite as the memory repository's, on MongoDB (FerretDB in CI):
// a fresh database per test, shared by the test's Strata instances.
describeEachBackend('access changes against the source of truth (MongoDB repository)', (ctx) =>
  accessChangesSuite(ctx, async () => {
    const database = await openTestDatabase();
    return { repository: await createMongoAccessRepository(database.connection), close: () => database.drop() };
  }),
);
