// The guard's decision only: every resolver here is a function over a fixed table, so no test
// sends a packet anywhere (not even a DNS query).
import { AddressRefusedError } from '../src/errors/strata-error';
import { addressProblem, checkOutboundUrl, type HostResolver } from '../src/network/address-guard';

const DNS: Record<string, string[]> = {
  'public.example': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
  'loopback.example': ['127.0.0.1'],
  'private.example': ['10.0.0.1'],
  'metadata.example': ['169.254.169.254'],
  'v6loop.example': ['::1'],
  'mixed.example': ['93.184.215.14', '192.168.1.20'],
  'mapped.example': ['::ffff:127.0.0.1'],
  'internal.corp': ['10.20.30.40'],
  'api.internal.corp': ['10.20.30.41'],
};

const lookups: string[] = [];
const resolve: HostResolver = (host) => {
  lookups.push(host);
  const answer = DNS[host];
  return answer ? Promise.resolve(answer) : Promise.reject(new Error('ENOTFOUND'));
};

async function refusal(url: string, allow?: string[]): Promise<AddressRefusedError> {
  try {
    await checkOutboundUrl(url, { resolve, field: 'servers.s.url', ...(allow ? { allow } : {}) });
  } catch (error) {
    if (error instanceof AddressRefusedError) return error;
    throw error;
  }
  throw new Error(`expected ${url} to be refused`);
}

describe('outbound-address guard', () => {
  it.each([
    ['http://127.0.0.1/mcp', '127.0.0.1', 'loopback'],
    ['http://10.0.0.1/mcp', '10.0.0.1', 'private'],
    ['http://172.16.5.4/mcp', '172.16.5.4', 'private'],
    ['http://192.168.0.1/mcp', '192.168.0.1', 'private'],
    ['http://169.254.169.254/latest/meta-data', '169.254.169.254', 'cloud-metadata'],
    ['http://169.254.1.1/', '169.254.1.1', 'linkLocal'],
    ['http://100.64.0.1/', '100.64.0.1', 'carrierGradeNat'],
    ['http://100.100.100.200/', '100.100.100.200', 'cloud-metadata'],
    ['http://0.0.0.0:8080/', '0.0.0.0', 'unspecified'],
    ['http://[::1]/mcp', '::1', 'loopback'],
    ['http://[::]/mcp', '::', 'unspecified'],
    ['http://[fe80::1]/', 'fe80::1', 'linkLocal'],
    ['http://[fd12:3456::1]/', 'fd12:3456::1', 'uniqueLocal'],
    ['http://[fd00:ec2::254]/', 'fd00:ec2::254', 'cloud-metadata'],
    ['http://[::ffff:127.0.0.1]/', '::ffff:7f00:1', 'loopback'],
    ['http://[::ffff:169.254.169.254]/', '::ffff:a9fe:a9fe', 'cloud-metadata'],
    ['http://[::127.0.0.1]/', '::7f00:1', 'ipv4Compatible'],
    ['http://[64:ff9b::a00:1]/', '64:ff9b::a00:1', 'rfc6052'],
    ['http://2130706433/', '127.0.0.1', 'loopback'],
    ['http://0x7f.1/', '127.0.0.1', 'loopback'],
    ['ws://224.0.0.1/', '224.0.0.1', 'multicast'],
  ])('refuses the literal %s', async (url, address, range) => {
    const error = await refusal(url);
    expect(error.code).toBe('ADDRESS_REFUSED');
    expect(error.field).toBe('servers.s.url');
    expect(error.address).toBe(address);
    expect(error.range).toBe(range);
    expect(error.message).toContain('servers.s.url');
  });

  it.each([
    ['https://loopback.example/mcp', '127.0.0.1', 'loopback'],
    ['https://private.example/mcp', '10.0.0.1', 'private'],
    ['https://metadata.example/', '169.254.169.254', 'cloud-metadata'],
    ['https://v6loop.example/', '::1', 'loopback'],
    ['https://mapped.example/', '::ffff:127.0.0.1', 'loopback'],
    ['https://mixed.example/', '192.168.1.20', 'private'],
  ])('refuses %s after resolving it', async (url, address, range) => {
    const error = await refusal(url);
    expect(error).toMatchObject({ address, range, host: new URL(url).hostname });
    expect(error.message).toContain('resolves to it');
  });

  it('refuses metadata and localhost names before any lookup', async () => {
    lookups.length = 0;
    expect(await refusal('http://metadata.google.internal/computeMetadata/v1/')).toMatchObject({
      reason: 'cloud-metadata',
      address: 'metadata.google.internal',
    });
    expect(await refusal('http://LOCALHOST.:3000/')).toMatchObject({ reason: 'blocked-name', address: 'localhost' });
    expect(await refusal('http://app.localhost/')).toMatchObject({ reason: 'blocked-name' });
    expect(lookups).toEqual([]);
  });

  it('refuses hosts that do not resolve, other schemes and bad URLs', async () => {
    expect(await refusal('https://nowhere.example/')).toMatchObject({ reason: 'unresolvable' });
    expect(await refusal('file:///etc/passwd')).toMatchObject({ reason: 'scheme' });
    expect(await refusal('not a url')).toMatchObject({ reason: 'invalid-url' });
    const empty: HostResolver = () => Promise.resolve([]);
    await expect(checkOutboundUrl('https://public.example/', { resolve: empty })).rejects.toMatchObject({
      reason: 'unresolvable',
    });
  });

  it('lets public addresses through and returns what it checked', async () => {
    await expect(checkOutboundUrl('https://public.example/mcp', { resolve })).resolves.toEqual({
      host: 'public.example',
      addresses: DNS['public.example'],
      allowedByName: false,
    });
    await expect(checkOutboundUrl('wss://[2606:4700::1111]/ws', { resolve })).resolves.toMatchObject({
      addresses: ['2606:4700::1111'],
    });
  });

  it('follows the operator allow-list: names, wildcards, addresses and ranges', async () => {
    await expect(checkOutboundUrl('http://127.0.0.1:9000/', { resolve, allow: ['127.0.0.1'] })).resolves.toMatchObject({
      addresses: ['127.0.0.1'],
    });
    await expect(checkOutboundUrl('http://[::1]/', { resolve, allow: ['::1/128'] })).resolves.toBeDefined();
    await expect(
      checkOutboundUrl('https://api.internal.corp/', { resolve, allow: ['*.internal.corp'] }),
    ).resolves.toMatchObject({ allowedByName: true, addresses: ['10.20.30.41'] });
    await expect(checkOutboundUrl('https://internal.corp/', { resolve, allow: ['10.0.0.0/8'] })).resolves.toMatchObject(
      {
        allowedByName: false,
      },
    );
    // The list allows exactly what it lists.
    expect(await refusal('https://private.example/', ['10.20.0.0/16'])).toMatchObject({ address: '10.0.0.1' });
    expect(await refusal('http://127.0.0.2/', ['127.0.0.1'])).toMatchObject({ address: '127.0.0.2' });
    expect(await refusal('https://internal.corp/', ['api.internal.corp'])).toMatchObject({ address: '10.20.30.40' });
  });

  it('classifies addresses', () => {
    expect(addressProblem('8.8.8.8')).toBeUndefined();
    expect(addressProblem('2001:4860:4860::8888')).toBeUndefined();
    expect(addressProblem('[::1]')).toBe('loopback');
    expect(addressProblem('198.18.0.1')).toBe('reserved');
    expect(addressProblem('fec0::1')).toBeDefined();
    expect(addressProblem('203.0.113.9')).toBe('reserved');
    expect(addressProblem('999.1.1.1')).toBe('invalid');
  });
});
