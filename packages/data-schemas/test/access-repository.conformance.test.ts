import { createMongoAccessRepository } from '@strata/data-schemas';
import { accessRepositoryContract } from '@strata/test-harness';
import { openTestDatabase, type TestDatabase } from './support/test-database';

// The shared AccessRepository contract (packages/test-harness/src/contracts/access-repository.contract.ts)
// on the mongoose repository: a fresh database per test, dropped after it.
describe(`mongo access repository conformance (${process.env['MONGO_SERVER_NAME'] ?? 'MongoDB'})`, () => {
  let database: TestDatabase | undefined;

  afterEach(async () => {
    await database?.drop();
    database = undefined;
  });

  accessRepositoryContract(async () => {
    database = await openTestDatabase();
    return createMongoAccessRepository(database.connection);
  });
});
