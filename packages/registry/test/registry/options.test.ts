import {
  AccessAdmin,
  MemoryAccessRepository,
  createMemoryBackend,
  createRedisBackend,
  McpRegistry,
  PrivateTier,
  ValidationError,
} from '@strata/registry/internals';

/** The ValidationError `work` throws (sync or async). */
async function rejection(work: () => unknown): Promise<ValidationError> {
  try {
    await work();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

describe('options are range-checked; every error names its field', () => {
  const backend = createMemoryBackend();
  const privateTier = new PrivateTier({
    store: backend.privateStore,
    bus: backend.bus,
    loader: () => Promise.resolve([]),
  });

  it.each([
    ['nearCacheMaxStalenessMs', -1],
    ['appLeaseTtlMs', 1.5],
    ['appReadyTimeoutMs', 10_000_000],
  ])('McpRegistry %s = %p', async (field, value) => {
    const error = await rejection(() => new McpRegistry({ backend, [field]: value }));
    expect(error).toMatchObject({ code: 'INVALID_OPTIONS', issues: [{ path: field }] });
  });

  it.each([
    ['lockTtlMs', 0],
    ['dataTtlMs', Number.NaN],
    ['maxCommitAttempts', 0],
  ])('PrivateTier %s = %p', async (field, value) => {
    const error = await rejection(
      () =>
        new PrivateTier({
          store: backend.privateStore,
          bus: backend.bus,
          loader: () => Promise.resolve([]),
          [field]: value,
        }),
    );
    expect(error).toMatchObject({ code: 'INVALID_OPTIONS', issues: [{ path: field }] });
  });

  it('AccessAdmin moveSettleMs and createRedisBackend timeoutMs', async () => {
    const registry = new McpRegistry({ backend });
    const repository = new MemoryAccessRepository();
    await expect(
      rejection(() => new AccessAdmin({ registry, privateTier, repository, moveSettleMs: -5 })),
    ).resolves.toMatchObject({
      issues: [{ path: 'moveSettleMs' }],
    });
    // Refused before any connection is attempted (the address is never dialled).
    await expect(
      rejection(() => createRedisBackend({ connection: { url: 'redis://127.0.0.1:1' }, timeoutMs: 5 })),
    ).resolves.toMatchObject({
      issues: [{ path: 'timeoutMs' }],
    });
  });
});
