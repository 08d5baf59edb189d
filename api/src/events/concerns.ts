import type { PublicEvent } from '@strata/config';

/**
 * Whether a public event concerns a user's page: tier-wide changes concern everyone; access,
 * load and per-user connection events only the users they name. Admins see every event.
 */
export function concerns(event: PublicEvent, user: { readonly id: string; readonly role: string }): boolean {
  if (user.role === 'admin') return true;
  switch (event.type) {
    case 'server.changed':
    case 'tier.replaced':
    case 'tools.changed':
      return true;
    case 'access.changed':
      return event.userIds.includes(user.id);
    case 'user.loaded':
    case 'user.load-failed':
      return event.userId === user.id;
    case 'connection.state':
      return event.scope.kind === 'app' || event.scope.userId === user.id;
  }
}
