import ipaddr from 'ipaddr.js';
import { AddressRefusedError } from '../errors/strata-error';

/**
 * The outbound-address guard's decision, without I/O: the caller injects the resolver, so the same
 * code runs in a browser form (a resolver that answers nothing useful: only literal addresses and
 * names are judged) and at connect time (`node:dns` `lookup(host, { all: true })`).
 */

/** Resolves a host name to its addresses (IPv4 dotted or IPv6 text). */
export type HostResolver = (host: string) => Promise<readonly string[]>;

/** Options of {@link checkOutboundUrl}. */
export interface OutboundGuardOptions {
  /** Resolves host names; every address it returns is checked. */
  readonly resolve: HostResolver;
  /**
   * The operator's allow-list: host names (exact, case-insensitive; `*.example.internal` for
   * subdomains), addresses or CIDR ranges (`10.1.0.0/16`, `fd12::/16`). A listed name is allowed
   * whatever it resolves to; a listed address or range allows exactly those addresses.
   */
  readonly allow?: readonly string[];
  /** The config field the URL came from, named in errors. @defaultValue 'url' */
  readonly field?: string;
}

/** What the guard let through: connect to these addresses (not to a new lookup of `host`). */
export interface OutboundDecision {
  readonly host: string;
  readonly addresses: readonly string[];
  /** True when the host name itself was on the allow-list. */
  readonly allowedByName: boolean;
}

/** Host names of cloud metadata services, refused by name before any lookup. */
export const METADATA_HOST_NAMES: ReadonlySet<string> = new Set([
  'metadata.google.internal',
  'metadata.goog',
  'metadata',
  'instance-data',
  'instance-data.ec2.internal',
  'metadata.azure.com',
  'metadata.platformequinix.com',
]);

/** Cloud metadata addresses (AWS, GCP, Azure, OpenStack; AWS IPv6; Alibaba; Oracle). */
export const METADATA_ADDRESSES: ReadonlySet<string> = new Set([
  '169.254.169.254',
  '169.254.170.2',
  'fd00:ec2::254',
  '100.100.100.200',
  '192.0.0.192',
]);

/** Ranges refused on top of every non-unicast class ipaddr.js knows. */
const EXTRA_REFUSED: ReadonlyArray<readonly [string, string]> = [
  ['::/96', 'ipv4Compatible'],
  ['fec0::/10', 'siteLocal'],
  ['100::/64', 'discard'],
  ['2001::/23', 'ietfProtocol'],
];

const SCHEMES = new Set(['http:', 'https:', 'ws:', 'wss:']);

/**
 * Why an address must not be reached, or undefined when it is public unicast: its class
 * (`loopback`, `private`, `linkLocal`, `carrierGradeNat`, `uniqueLocal`, `unspecified`,
 * `multicast`, `reserved`, `cloud-metadata`, …). An IPv4-mapped IPv6 address (`::ffff:127.0.0.1`)
 * is judged as the IPv4 address it carries. Text that is not an address is `invalid`.
 */
export function addressProblem(text: string): string | undefined {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (!ipaddr.isValid(bare)) return 'invalid';
  let address = ipaddr.parse(bare);
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
    address = (address as ipaddr.IPv6).toIPv4Address();
  }
  const normal = address.toString();
  if (METADATA_ADDRESSES.has(normal)) return 'cloud-metadata';
  const range = address.range();
  if (range !== 'unicast') return range;
  for (const [cidr, name] of EXTRA_REFUSED) {
    const [network, bits] = ipaddr.parseCIDR(cidr);
    if (network.kind() === address.kind() && address.match(network, bits)) return name;
  }
  return undefined;
}

function normalHost(host: string): string {
  const lower = host.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

function nameAllowed(host: string, allow: readonly string[]): boolean {
  return allow.some((entry) => {
    const pattern = normalHost(entry);
    if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1));
    return pattern === host;
  });
}

function addressAllowed(text: string, allow: readonly string[]): boolean {
  if (!ipaddr.isValid(text)) return false;
  const address = ipaddr.process(text);
  return allow.some((entry) => {
    try {
      if (entry.includes('/')) {
        const [network, bits] = ipaddr.parseCIDR(entry);
        const candidate =
          network.kind() === address.kind()
            ? address
            : address.kind() === 'ipv4'
              ? (address as ipaddr.IPv4).toIPv4MappedAddress()
              : undefined;
        return candidate !== undefined && candidate.match(network, bits);
      }
      return ipaddr.isValid(entry) && ipaddr.process(entry).toString() === address.toString();
    } catch {
      return false;
    }
  });
}

/** Why a URL's host is refused without a lookup, as {@link literalHostRefusal} reports it. */
export interface HostRefusal {
  readonly host: string;
  readonly address: string;
  readonly reason: 'blocked-name' | 'special-address' | 'cloud-metadata';
  readonly range: string;
  readonly message: string;
}

/**
 * What can be judged without DNS: a URL whose host is an address literal (`127.0.0.1`, `[::1]`,
 * `2130706433`), a cloud-metadata name or `localhost`, and that the allow-list does not cover.
 * Undefined when the host is fine, needs a lookup, holds a placeholder, or the URL does not parse
 * (the schema reports that). Synchronous: the user-supplied schema uses it so a form shows the
 * error at once; {@link checkOutboundUrl} applies the same rules and then resolves.
 */
export function literalHostRefusal(url: string, allow: readonly string[] = []): HostRefusal | undefined {
  if (/\$\{|\{\{/.test(url) || !URL.canParse(url)) return undefined;
  const host = normalHost(new URL(url).hostname.replace(/^\[|\]$/g, ''));
  if (host === '') return undefined;
  if (!ipaddr.isValid(host)) {
    if (nameAllowed(host, allow)) return undefined;
    if (METADATA_HOST_NAMES.has(host)) {
      const message = `host ${host} is a cloud metadata service`;
      return { host, address: host, reason: 'cloud-metadata', range: 'cloud-metadata', message };
    }
    if (host === 'localhost' || host.endsWith('.localhost')) {
      return {
        host,
        address: host,
        reason: 'blocked-name',
        range: 'loopback',
        message: `host ${host} is the local machine`,
      };
    }
    return undefined;
  }
  if (addressAllowed(host, allow)) return undefined;
  const problem = addressProblem(host);
  if (problem === undefined || problem === 'invalid') return undefined;
  return problem === 'cloud-metadata'
    ? {
        host,
        address: host,
        reason: 'cloud-metadata',
        range: problem,
        message: `address ${host} is a cloud metadata service`,
      }
    : {
        host,
        address: host,
        reason: 'special-address',
        range: problem,
        message: `address ${host} is in a ${problem} range; only public addresses may be reached`,
      };
}

/**
 * Decides whether a connection may go to `url`. Refuses (throws {@link AddressRefusedError},
 * `ADDRESS_REFUSED`, naming the field and the address) a scheme other than http(s)/ws(s), a
 * cloud-metadata host name, `localhost`/`*.localhost`, and — after resolving the host with the
 * injected resolver — any address that is not public unicast: loopback, RFC 1918 private,
 * link-local, CGNAT, unique-local IPv6, `0.0.0.0`/`::`, multicast, reserved and documentation
 * ranges, IPv4-mapped or IPv4-compatible forms of any of them, and cloud-metadata addresses. A
 * host that resolves to nothing, or whose lookup fails, is refused too. Every address must pass,
 * since a client may use any of them.
 *
 * The operator's `allow` list overrides: a listed name, address or range passes.
 *
 * Returns the checked addresses: the caller should connect to one of them, not look the name up
 * again (a second lookup may answer differently — DNS rebinding).
 */
export async function checkOutboundUrl(url: string, options: OutboundGuardOptions): Promise<OutboundDecision> {
  const field = options.field ?? 'url';
  const allow = options.allow ?? [];
  const refuse = (
    reason: AddressRefusedError['reason'],
    host: string,
    address: string,
    message: string,
    range?: string,
  ): never => {
    throw new AddressRefusedError({ field, host, address, reason, message, ...(range ? { range } : {}) });
  };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return refuse('invalid-url', '', '', 'is not a valid URL');
  }
  if (!SCHEMES.has(parsed.protocol)) {
    refuse('scheme', parsed.hostname, '', `scheme ${parsed.protocol} is not allowed (http, https, ws, wss)`);
  }
  // WHATWG URL parsing already turned `2130706433`, `0x7f.1` and `127.1` into `127.0.0.1`.
  const host = normalHost(parsed.hostname.replace(/^\[|\]$/g, ''));
  if (host === '') return refuse('invalid-url', '', '', 'has no host');
  const literal = ipaddr.isValid(host);
  const early = literalHostRefusal(url, allow);
  if (early) refuse(early.reason, host, early.address, early.message, early.range);
  if (!literal && nameAllowed(host, allow)) {
    const addresses = await lookup(host, options.resolve, refuse);
    return { host, addresses, allowedByName: true };
  }
  const addresses = literal ? [host] : await lookup(host, options.resolve, refuse);
  for (const address of addresses) {
    if (addressAllowed(address, allow)) continue;
    const problem = addressProblem(address);
    if (problem === undefined) continue;
    const via = literal ? '' : ` (${host} resolves to it)`;
    if (problem === 'invalid') refuse('unresolvable', host, address, `resolver returned a non-address${via}`);
    refuse(
      problem === 'cloud-metadata' ? 'cloud-metadata' : 'special-address',
      host,
      address,
      `address ${address}${via} is ${problem === 'cloud-metadata' ? 'a cloud metadata service' : `in a ${problem} range`}; only public addresses may be reached`,
      problem,
    );
  }
  return { host, addresses, allowedByName: false };
}

async function lookup(
  host: string,
  resolve: HostResolver,
  refuse: (reason: 'unresolvable', host: string, address: string, message: string) => never,
): Promise<readonly string[]> {
  let answer: unknown;
  try {
    answer = await resolve(host);
  } catch {
    return refuse('unresolvable', host, host, `host ${host} could not be resolved`);
  }
  if (!Array.isArray(answer) || answer.length === 0) {
    return refuse('unresolvable', host, host, `host ${host} resolves to no address`);
  }
  // Anything that is not a string becomes '' and is refused as a non-address.
  return (answer as unknown[]).map((address) => (typeof address === 'string' ? address : ''));
}
