import { describeEachBackend, privateStoreContract } from '@strata/test-harness';

// The PrivateStore contract (packages/test-harness/src/contracts/private-store.contract.ts), run
// against every implementation: memory, Redis standalone, Redis cluster.
describeEachBackend('private store conformance', (ctx) => privateStoreContract(() => ctx.newBackend()));
