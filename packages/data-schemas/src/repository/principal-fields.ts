import type { Principal } from '@strata/config';
import { PUBLIC_PRINCIPAL_ID, type PrincipalType } from '../models/acl-entry';

/** A principal as an access entry stores it. */
export interface PrincipalFields {
  readonly principalType: PrincipalType;
  readonly principalId: string;
}

/** The entry fields of a principal (`public` ↦ id {@link PUBLIC_PRINCIPAL_ID}). */
export function toPrincipalFields(principal: Principal): PrincipalFields {
  return principal.type === 'public'
    ? { principalType: 'public', principalId: PUBLIC_PRINCIPAL_ID }
    : { principalType: principal.type, principalId: principal.id };
}

/** The principal an entry names. */
export function fromPrincipalFields(fields: PrincipalFields): Principal {
  return fields.principalType === 'public'
    ? { type: 'public' }
    : { type: fields.principalType, id: fields.principalId };
}
