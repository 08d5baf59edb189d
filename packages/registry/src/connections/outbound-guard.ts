import { promises as dns, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { addressProblem, AddressRefusedError, StrataError, ValidationError } from '@strata/config';

/** Resolves a host name to every address it has (`dns.lookup` with `all: true`). */
export type AddressResolver = (hostname: string) => Promise<readonly LookupAddress[]>;

/** `dns.lookup(hostname, { all: true })`: what the operating system would connect to. */
export const systemResolver: AddressResolver = (hostname) => dns.lookup(hostname, { all: true, verbatim: true });

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
  private readonly allowed = new BlockList();
  private readonly resolver: AddressResolver;
  private readonly resolveTimeoutMs: number;

  constructor(options: OutboundGuardOptions = {}) {
    this.resolver = options.resolver ?? systemResolver;
    this.resolveTimeoutMs = options.resolveTimeoutMs ?? 5_000;
    (options.allow ?? []).forEach((entry, index) => this.addAllowed(entry, index));
  }

  /**
   * Why `address` is refused (the address class, as `@strata/config`'s `addressProblem` names it:
   * `loopback`, `private`, `cloud-metadata`, …), or undefined when it may be reached. The operator's
   * allow-list is checked first.
   */
  refusal(address: string): string | undefined {
    const family = isIP(address);
    if (family === 0) return 'not an IP address';
    if (this.allowed.check(address, family === 6 ? 'ipv6' : 'ipv4')) return undefined;
    return addressProblem(address);
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
      if (reason) throw refused(host, address, reason);
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
            callback(refused(host, address, reason), '', 0);
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

function refused(host: string, address: string, range: string): AddressRefusedError {
  return new AddressRefusedError({
    field: 'url',
    host,
    address,
    reason: range === 'cloud-metadata' ? 'cloud-metadata' : 'special-address',
    range,
    message: `${host} resolves to ${address} (${range}): user-supplied servers may not reach it`,
  });
}
