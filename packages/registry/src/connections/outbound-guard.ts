import { promises as dns, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { StrataError, ValidationError } from '@strata/config';

/** Resolves a host name to every address it has (`dns.lookup` with `all: true`). */
export type AddressResolver = (hostname: string) => Promise<readonly LookupAddress[]>;

/** `dns.lookup(hostname, { all: true })`: what the operating system would connect to. */
export const systemResolver: AddressResolver = (hostname) => dns.lookup(hostname, { all: true, verbatim: true });

/**
 * Ranges a user-supplied server may never reach. IPv4-mapped IPv6 (`::ffff:a.b.c.d`) is checked
 * against the IPv4 rules by `BlockList` itself; NAT64 and 6to4, which embed an IPv4 address, are
 * refused whole.
 */
const REFUSED_RANGES: ReadonlyArray<readonly [string, number, 'ipv4' | 'ipv6', string]> = [
  ['0.0.0.0', 8, 'ipv4', '"this network" (0.0.0.0/8)'],
  ['10.0.0.0', 8, 'ipv4', 'private (RFC 1918)'],
  ['100.64.0.0', 10, 'ipv4', 'carrier-grade NAT (RFC 6598)'],
  ['127.0.0.0', 8, 'ipv4', 'loopback'],
  ['169.254.0.0', 16, 'ipv4', 'link-local (cloud metadata)'],
  ['172.16.0.0', 12, 'ipv4', 'private (RFC 1918)'],
  ['192.0.0.0', 24, 'ipv4', 'IETF protocol assignments'],
  ['192.168.0.0', 16, 'ipv4', 'private (RFC 1918)'],
  ['198.18.0.0', 15, 'ipv4', 'benchmarking (RFC 2544)'],
  ['224.0.0.0', 4, 'ipv4', 'multicast'],
  ['240.0.0.0', 4, 'ipv4', 'reserved'],
  ['::', 96, 'ipv6', 'unspecified, loopback or IPv4-compatible'],
  ['64:ff9b::', 96, 'ipv6', 'NAT64 (embeds an IPv4 address)'],
  ['64:ff9b:1::', 48, 'ipv6', 'local-use NAT64'],
  ['2002::', 16, 'ipv6', '6to4 (embeds an IPv4 address)'],
  ['fc00::', 7, 'ipv6', 'unique local (includes fd00:ec2::254, cloud metadata)'],
  ['fe80::', 10, 'ipv6', 'link-local'],
  ['ff00::', 8, 'ipv6', 'multicast'],
];
/** Metadata endpoints outside the ranges above (Alibaba's 100.100.100.200 is inside CGNAT). */
const METADATA_ADDRESSES = ['169.254.169.254', '169.254.170.2', '100.100.100.200', 'fd00:ec2::254'];

/** The connect-time guard refused a destination; `address` is the address it refused. */
export class AddressRefusedError extends StrataError {
  constructor(
    readonly host: string,
    readonly address: string,
    readonly reason: string,
  ) {
    super('ADDRESS_REFUSED', `${host} resolves to ${address} (${reason}): user-supplied servers may not reach it`);
  }
}

export interface OutboundGuardOptions {
  /** @defaultValue {@link systemResolver} */
  readonly resolver?: AddressResolver;
  /**
   * Operator allow-list: addresses (`10.0.0.5`) or CIDR ranges (`10.1.0.0/16`, `fd12::/64`) that
   * user-supplied servers may reach although they are refused by default.
   * @defaultValue `[]`
   */
  readonly allow?: readonly string[];
  /** Deadline of one resolution. @defaultValue 5000 */
  readonly resolveTimeoutMs?: number;
}

/**
 * Decides where a user-supplied server may connect: the URL's host is resolved (every address)
 * and refused when any address is loopback, private, link-local, CGNAT, unique-local, multicast,
 * reserved, IPv4-mapped/embedded forms of those, or a cloud-metadata address — unless the
 * operator's allow-list covers it. {@link lookup} applies the same decision to every socket an HTTP
 * transport opens, so the address checked is the address connected (no DNS-rebinding window).
 */
export class OutboundGuard {
  private readonly refused = new BlockList();
  private readonly metadata = new BlockList();
  private readonly allowed = new BlockList();
  private readonly resolver: AddressResolver;
  private readonly resolveTimeoutMs: number;

  constructor(options: OutboundGuardOptions = {}) {
    this.resolver = options.resolver ?? systemResolver;
    this.resolveTimeoutMs = options.resolveTimeoutMs ?? 5_000;
    for (const [network, prefix, type] of REFUSED_RANGES) this.refused.addSubnet(network, prefix, type);
    for (const address of METADATA_ADDRESSES) this.metadata.addAddress(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
    (options.allow ?? []).forEach((entry, index) => this.addAllowed(entry, index));
  }

  /** Why `address` is refused, or undefined when it may be reached. */
  refusal(address: string): string | undefined {
    const family = isIP(address);
    if (family === 0) return 'not an IP address';
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (this.allowed.check(address, type)) return undefined;
    if (this.metadata.check(address, type)) return 'cloud metadata';
    if (!this.refused.check(address, type)) return undefined;
    const mapped = family === 6 ? mappedIpv4(address) : undefined;
    const probe = mapped ?? address;
    const probeType = mapped ? 'ipv4' : type;
    const range = REFUSED_RANGES.find(([network, prefix, rangeType]) => {
      if (rangeType !== probeType) return false;
      const one = new BlockList();
      one.addSubnet(network, prefix, rangeType);
      return one.check(probe, probeType);
    });
    return (mapped ? 'IPv4-mapped ' : '') + (range?.[3] ?? 'refused range');
  }

  /**
   * Resolves the URL's host and checks every address; returns them (all allowed) or throws
   * `AddressRefusedError` naming the first refused one. A resolution failure is `CONNECT_FAILED`.
   */
  async check(url: string): Promise<readonly LookupAddress[]> {
    const host = hostOf(url);
    const addresses = await this.resolve(host);
    for (const { address } of addresses) {
      const reason = this.refusal(address);
      if (reason) throw new AddressRefusedError(host, address, reason);
    }
    return addresses;
  }

  /** A `net` lookup function that resolves through the guard and refuses what it refuses. */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    const host = hostname.replace(/^\[|\]$/g, '');
    this.resolve(host).then(
      (addresses) => {
        for (const { address } of addresses) {
          const reason = this.refusal(address);
          if (reason) {
            callback(new AddressRefusedError(host, address, reason), '', 0);
            return;
          }
        }
        const wanted = typeof options === 'object' && options.family ? Number(options.family) : 0;
        const usable = wanted === 4 || wanted === 6 ? addresses.filter((a) => a.family === wanted) : addresses;
        if (typeof options === 'object' && options.all) {
          (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, [...usable]);
          return;
        }
        const first = usable[0];
        if (!first) callback(new StrataError('CONNECT_FAILED', `${host} has no usable address`), '', 0);
        else callback(null, first.address, first.family);
      },
      (error: unknown) => callback(error as NodeJS.ErrnoException, '', 0),
    );
  };

  private async resolve(host: string): Promise<readonly LookupAddress[]> {
    if (isIP(host)) return [{ address: host, family: isIP(host) }];
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new StrataError('TIMEOUT', `resolving ${host} took longer than ${this.resolveTimeoutMs} ms`)),
        this.resolveTimeoutMs,
      );
    });
    try {
      const addresses = await Promise.race([this.resolver(host), deadline]);
      if (addresses.length === 0) throw new StrataError('CONNECT_FAILED', `${host} has no address`);
      return addresses;
    } catch (error) {
      if (error instanceof StrataError) throw error;
      throw new StrataError('CONNECT_FAILED', `could not resolve ${host}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  private addAllowed(entry: string, index: number): void {
    const [network = '', prefixText] = entry.split('/');
    const family = isIP(network);
    const prefix = prefixText === undefined ? (family === 6 ? 128 : 32) : Number(prefixText);
    const max = family === 6 ? 128 : 32;
    if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > max) {
      throw new ValidationError('INVALID_OPTIONS', [
        { path: `outbound.allow.${index}`, message: 'must be an IP address or a CIDR range (e.g. 10.1.0.0/16)' },
      ]);
    }
    this.allowed.addSubnet(network, prefix, family === 6 ? 'ipv6' : 'ipv4');
  }
}

/** The host of a URL as `dns.lookup` wants it (IPv6 literals without brackets). */
export function hostOf(url: string): string {
  return new URL(url).hostname.replace(/^\[|\]$/g, '');
}

/** `a.b.c.d` of an IPv4-mapped IPv6 address (`::ffff:7f00:1`, `::ffff:127.0.0.1`), else undefined. */
function mappedIpv4(address: string): string | undefined {
  const match = /^(?:0{0,4}:){0,5}:?ffff:(.+)$/i.exec(address);
  const rest = match?.[1];
  if (!rest) return undefined;
  if (isIP(rest) === 4) return rest;
  const parts = rest.split(':');
  if (parts.length !== 2) return undefined;
  const [high, low] = parts.map((part) => parseInt(part, 16));
  if (high === undefined || low === undefined || Number.isNaN(high) || Number.isNaN(low)) return undefined;
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}
