import { describeEachBackend, tierStoreContract } from '@strata/test-harness';

// The TierStore contract (packages/test-harness/src/contracts/tier-store.contract.ts), run against
// every implementation: memory, Redis standalone, Redis cluster.
describeEachBackend('tier store conformance', (ctx) => tierStoreContract(() => ctx.newBackend()));
