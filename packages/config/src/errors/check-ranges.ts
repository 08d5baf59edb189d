import { ValidationError } from './strata-error';

/** `[field, min, max]`: the field, when set, must be an integer in the range. */
export type IntegerRange<T> = readonly [keyof T & string, number, number];

/** Range-checks numeric options; one `INVALID_OPTIONS` error names every bad field. */
export function checkIntegerRanges<T extends object>(options: T, ranges: ReadonlyArray<IntegerRange<T>>): void {
  const issues = ranges.flatMap(([field, min, max]) => {
    const value: unknown = options[field];
    if (value === undefined) return [];
    return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
      ? []
      : [{ path: field, message: `must be an integer from ${min} to ${max}` }];
  });
  if (issues.length > 0) throw new ValidationError('INVALID_OPTIONS', issues);
}
