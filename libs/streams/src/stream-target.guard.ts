import { lookup as lookupCallback, type LookupAddress } from 'node:dns';
import { lookup } from 'node:dns/promises';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { StreamErrorCode, StreamException } from './stream.exception';

/** Why an address may not be a stream's target (its range), or undefined for a public unicast address. */
function refusal(address: string): string | undefined {
  const range = ipaddr.process(address).range();
  return range === 'unicast' ? undefined : range;
}

/**
 * Refuses a stream URL that points inside the platform's own network: a tenant admin could otherwise aim a stream at
 * 127.0.0.1:5432, a cloud metadata endpoint or an internal service and use Vigil to reach it (SSRF). Every address
 * the host resolves to must be public unicast. This is the early answer when a stream is saved; a host that does not
 * resolve yet is accepted here, because every connection the streams app opens is checked again (guardedLookup).
 */
export async function checkStreamTarget(url: string, allowPrivate: boolean): Promise<void> {
  if (allowPrivate || !URL.canParse(url)) return;
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = ipaddr.isValid(host) ? [host] : (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
  } catch {
    return;
  }
  for (const address of addresses) {
    const range = refusal(address);
    if (range !== undefined)
      throw new StreamException(
        StreamErrorCode.TARGET_REFUSED,
        `settings.url: ${host} resolves to ${address} (${range}); streams may only send to public addresses`,
      );
  }
}

/** The settings a sink connects to: every sink's `url`, Sentinel's `endpoint` and `authorityHost`. */
const TARGET_SETTINGS = ['url', 'endpoint', 'authorityHost'] as const;

/** Checks every address a stream's settings make Vigil connect to (checkStreamTarget on each). */
export async function checkStreamTargets(settings: unknown, allowPrivate: boolean): Promise<void> {
  const values = settings as Partial<Record<(typeof TARGET_SETTINGS)[number], unknown>>;
  for (const name of TARGET_SETTINGS) {
    const value = values[name];
    if (typeof value === 'string') await checkStreamTarget(value, allowPrivate);
  }
}

type AllCallback = (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void;

/**
 * A DNS lookup for the streams app's HTTP connections that fails when the host resolves to a private, loopback or
 * link-local address: checked at connection time, so a name re-pointed after it was saved (DNS rebinding) is caught.
 * Undefined when private targets are allowed (the default lookup is used).
 */
export function guardedLookup(allowPrivate: boolean): LookupFunction | undefined {
  if (allowPrivate) return undefined;
  return (hostname, options, callback) => {
    lookupCallback(hostname, { ...options, all: true }, (err, addresses) => {
      if (err !== null) return callback(err, '', 0);
      const bad = addresses.find((a) => refusal(a.address) !== undefined);
      if (bad !== undefined) {
        const reason = `${hostname} resolves to ${bad.address} (${refusal(bad.address) ?? ''}); streams may only send to public addresses`;
        return callback(Object.assign(new Error(reason), { code: 'ESTREAMTARGET' }), '', 0);
      }
      // Node asks for every address (happy eyeballs) or for one, and the callback's shape follows.
      if (options.all === true) return (callback as unknown as AllCallback)(null, addresses);
      const first = addresses[0];
      if (first === undefined) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
      return callback(null, first.address, first.family);
    });
  };
}
