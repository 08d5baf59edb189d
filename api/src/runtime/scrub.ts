/**
 * Masks what can hold a credential in an error message before it is answered or logged: URL
 * user-info and query strings, `Bearer`/`Basic` values and JWT-shaped strings. (The MCP transports'
 * errors quote the server URL as configured, credentials included; the library passes them on.)
 */
export function scrubMessage(message: string): string {
  return message
    .replace(/([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/\s@]*@/g, '$1***@')
    .replace(/([A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s?#]*)[?#][^\s"']*/g, '$1?***')
    .replace(/\b(Bearer|Basic)\s+[^\s"',]+/gi, '$1 ***')
    .replace(/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, '***');
}
