import { accessRepositoryContract } from '@strata/test-harness';
import { MemoryAccessRepository } from '@strata/registry/internals';

// The AccessRepository contract (packages/test-harness/src/contracts/access-repository.contract.ts);
// a database-backed repository runs the same suite.
describe('memory access repository conformance', () => {
  accessRepositoryContract(() => new MemoryAccessRepository());
});
