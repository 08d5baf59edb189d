export { ERROR_CODES, StrataError, ValidationError, isStrataError } from './errors/strata-error';
export type { ErrorCode, FieldIssue } from './errors/strata-error';
