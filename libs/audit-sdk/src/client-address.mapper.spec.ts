import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClientAddressMapper } from './client-address.mapper';

describe(ClientAddressMapper.name, () => {
  describe('without trusted proxies', () => {
    const mapper = new ClientAddressMapper();

    it('uses the direct peer and ignores X-Forwarded-For, which anyone can write', () => {
      assert.equal(mapper.clientAddress('203.0.113.7', '198.51.100.1'), '203.0.113.7');
    });

    it('reports an IPv4 peer of a dual-stack socket as IPv4', () => {
      assert.equal(mapper.clientAddress('::ffff:203.0.113.7', undefined), '203.0.113.7');
    });

    it('keeps IPv6 peers and gives null when there is no peer', () => {
      assert.equal(mapper.clientAddress('2001:db8::1', undefined), '2001:db8::1');
      assert.equal(mapper.clientAddress(undefined, '198.51.100.1'), null);
    });
  });

  describe('behind trusted proxies', () => {
    const mapper = new ClientAddressMapper(['10.0.0.0/8', '192.0.2.10', '2001:db8:ffff::/48']);

    it('takes the client from X-Forwarded-For when the peer is a trusted proxy', () => {
      assert.equal(mapper.clientAddress('10.1.2.3', '198.51.100.23'), '198.51.100.23');
    });

    it('takes the right-most untrusted hop, so a forged left-most entry is ignored', () => {
      assert.equal(mapper.clientAddress('10.1.2.3', '6.6.6.6, 198.51.100.23, 10.9.9.9'), '198.51.100.23');
    });

    it('reads repeated X-Forwarded-For headers in order, and hops with ports or brackets', () => {
      assert.equal(mapper.clientAddress('192.0.2.10', ['6.6.6.6', '198.51.100.23:5123']), '198.51.100.23');
      assert.equal(mapper.clientAddress('2001:db8:ffff::2', '[2001:db8:1::5]:443'), '2001:db8:1::5');
    });

    it('ignores X-Forwarded-For from a peer that is not a trusted proxy', () => {
      assert.equal(mapper.clientAddress('203.0.113.7', '198.51.100.23'), '203.0.113.7');
    });

    it('stops at a malformed hop and reports the nearest proxy rather than anything left of it', () => {
      assert.equal(mapper.clientAddress('10.1.2.3', '198.51.100.23, unknown, 10.0.0.5'), '10.0.0.5');
    });

    it('reports the left-most proxy when every hop is trusted, and the peer when there is no header', () => {
      assert.equal(mapper.clientAddress('10.1.2.3', '10.0.0.9, 10.0.0.5'), '10.0.0.9');
      assert.equal(mapper.clientAddress('10.1.2.3', undefined), '10.1.2.3');
    });
  });

  it('rejects a trusted proxy entry that is not an address or range, naming it', () => {
    assert.throws(
      () => new ClientAddressMapper(['10.0.0.0/8', 'proxy.internal']),
      /trustedProxies: "proxy\.internal" is not an IP address or CIDR range/,
    );
  });
});
