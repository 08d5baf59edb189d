/**
 * Where config versions come from. The database's sequence in a deployment (so versions survive a
 * Redis flush and never go backwards); the backend's own counter only when there is no database.
 */
export interface VersionSource {
  nextVersion(): Promise<number>;
}
