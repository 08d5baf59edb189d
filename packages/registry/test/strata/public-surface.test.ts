import * as root from '@strata/registry';
import * as internals from '@strata/registry/internals';

// The root export is the facade and what a user of it needs; a value added there is a decision
// (docs/decisions.md, "One front door"), so this list changes only on purpose.
describe('public surface', () => {
  it('the root exports exactly the facade values', () => {
    expect(Object.keys(root).sort()).toEqual(
      ['MemoryAccessRepository', 'Strata', 'StrataError', 'ValidationError', 'createStrata', 'parseStrataYaml'].sort(),
    );
  });

  it('every root value is the same object as in internals (one implementation)', () => {
    const all = internals as Record<string, unknown>;
    for (const [name, value] of Object.entries(root)) expect(all[name]).toBe(value);
  });
});
