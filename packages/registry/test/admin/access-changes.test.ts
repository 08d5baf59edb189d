import { accessChangesSuite, describeEachBackend } from '@strata/test-harness';
import { MemoryAccessRepository } from '@strata/registry/internals';

describeEachBackend('access changes against the source of truth (memory repository)', (ctx) =>
  accessChangesSuite(ctx, () => ({ repository: new MemoryAccessRepository() })),
);
