import { lookup as lookupCallback, type LookupAddress } from 'node:dns';
import { lookup, Resolver } from 'node:dns/promises';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { StreamErrorCode, StreamException } from './stream.exception';

/** Why an address may not be a stream's target (its range), or undefined for a public unicast address. */
function refusal(address: string): string | undefined {
  const range = ipaddr.process(address).range();
  return range === 'unicast' ? undefined : range;
}

/** Resolves a host to its addresses; undefined when it was not looked up (see boundedLookup). */
export type Resolve = (host: string) => Promise<string[] | undefined>;

/** Save-time lookups in flight at once in this process, and how long one is waited for. */
export const SAVE_LOOKUPS = { concurrency: 2, timeoutMs: 2_000 };

/** Every address of a host (dns.lookup with all). */
export type LookupAll = (host: string) => Promise<string[]>;

const dnsLookupAll: LookupAll = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/**
 * `dns.lookup` runs on libuv's threadpool (4 threads), which file, crypto and zlib work share, and waits as long as the
 * host's name server takes: a tenant admin saving streams aimed at a name server that never answers could hold every
 * thread. The save-time check is an early answer only (every connection is checked again), so past `concurrency`
 * lookups in flight, or after `timeoutMs`, the name is left unchecked here. A lookup given up on still counts until
 * it returns, as its thread is still held.
 */
export class SaveTimeLookup {
  private inFlight = 0;

  constructor(
    private readonly bounds: { concurrency: number; timeoutMs: number } = SAVE_LOOKUPS,
    private readonly lookupAll: LookupAll = dnsLookupAll,
  ) {}

  readonly resolve: Resolve = async (host) => {
    if (this.inFlight >= this.bounds.concurrency) return undefined;
    this.inFlight++;
    const pending = this.lookupAll(host).finally(() => this.inFlight--);
    pending.catch(() => undefined); // one given up on may still fail later
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), this.bounds.timeoutMs);
    });
    try {
      return await Promise.race([pending, gaveUp]);
    } finally {
      clearTimeout(timer);
    }
  };
}

/** The process's save-time lookups. */
export const boundedLookup: Resolve = new SaveTimeLookup().resolve;

/**
 * Refuses a stream URL that points inside the platform's own network: a tenant admin could otherwise aim a stream at
 * 127.0.0.1:5432, a cloud metadata endpoint or an internal service and use Vigil to reach it (SSRF). Every address
 * the host resolves to must be public unicast. This is the early answer when a stream is saved; a host that does not
 * resolve yet is accepted here, because every connection the streams app opens is checked again (guardedLookup).
 */
export async function checkStreamTarget(url: string, allowPrivate: boolean, resolve: Resolve = boundedLookup): Promise<void> {
  if (allowPrivate || !URL.canParse(url)) return;
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  let addresses: string[] | undefined;
  try {
    addresses = ipaddr.isValid(host) ? [host] : await resolve(host);
  } catch {
    return;
  }
  if (addresses === undefined) return;
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
export async function checkStreamTargets(settings: unknown, allowPrivate: boolean, resolve: Resolve = boundedLookup): Promise<void> {
  const values = settings as Partial<Record<(typeof TARGET_SETTINGS)[number], unknown>>;
  for (const name of TARGET_SETTINGS) {
    const value = values[name];
    if (typeof value === 'string') await checkStreamTarget(value, allowPrivate, resolve);
  }
}

type AllCallback = (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void;

/** The part of `dns.promises.Resolver` the connection-time check uses. */
export interface DnsResolver {
  resolve4(hostname: string): Promise<string[]>;
  resolve6(hostname: string): Promise<string[]>;
}

/**
 * c-ares, which sends its queries from the event loop, never from libuv's threadpool, and gives up after its timeout:
 * `dns.lookup` (getaddrinfo) holds one of the pool's four threads for as long as a name server takes, so a tenant's
 * streams aimed at a name server that never answers could hold every thread, and with them every tenant's gzip and
 * file work and every other stream's new connections.
 */
const C_ARES: DnsResolver = new Resolver({ timeout: 2_000, tries: 2 });

/** c-ares answers that end the lookup: the name server did not answer in time (the caller retries later). */
const GAVE_UP = new Set(['ETIMEOUT', 'ECANCELLED']);

/**
 * Every address of `hostname` for a connection: DNS through `resolver` (A and AAAA at once); a name DNS does not know
 * (one in /etc/hosts, say) through the system's lookup, as before. A name server that does not answer fails the
 * lookup with ETIMEOUT rather than waiting on a thread.
 */
export async function connectionAddresses(hostname: string, resolver: DnsResolver = C_ARES): Promise<LookupAddress[]> {
  const [v4, v6] = await Promise.allSettled([resolver.resolve4(hostname), resolver.resolve6(hostname)]);
  const addresses: LookupAddress[] = [
    ...(v4.status === 'fulfilled' ? v4.value.map((address) => ({ address, family: 4 })) : []),
    ...(v6.status === 'fulfilled' ? v6.value.map((address) => ({ address, family: 6 })) : []),
  ];
  if (addresses.length > 0) return addresses;
  const failed = [v4, v6].flatMap((r) => (r.status === 'rejected' ? [r.reason as NodeJS.ErrnoException] : []));
  const gaveUp = failed.find((err) => GAVE_UP.has(err.code ?? ''));
  if (gaveUp !== undefined)
    throw Object.assign(new Error(`${hostname}: its name server did not answer (${gaveUp.code ?? ''})`), { code: gaveUp.code });
  return new Promise((resolve, reject) => {
    lookupCallback(hostname, { all: true }, (err, found) => (err === null ? resolve(found) : reject(err)));
  });
}

/**
 * A DNS lookup for the streams app's HTTP connections that fails when the host resolves to a private, loopback or
 * link-local address: checked at connection time, so a name re-pointed after it was saved (DNS rebinding) is caught.
 * Resolved through c-ares (connectionAddresses). Undefined when private targets are allowed (the default lookup is used).
 */
export function guardedLookup(allowPrivate: boolean, resolver: DnsResolver = C_ARES): LookupFunction | undefined {
  if (allowPrivate) return undefined;
  return (hostname, options, callback) => {
    const fail = (err: NodeJS.ErrnoException): void => callback(err, '', 0);
    connectionAddresses(hostname, resolver).then((all) => {
      const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
      const addresses = family === 4 || family === 6 ? all.filter((a) => a.family === family) : all;
      const bad = addresses.find((a) => refusal(a.address) !== undefined);
      if (bad !== undefined) {
        const reason = `${hostname} resolves to ${bad.address} (${refusal(bad.address) ?? ''}); streams may only send to public addresses`;
        return fail(Object.assign(new Error(reason), { code: 'ESTREAMTARGET' }));
      }
      // Node asks for every address (happy eyeballs) or for one, and the callback's shape follows.
      if (options.all === true) return (callback as unknown as AllCallback)(null, addresses);
      const first = addresses[0];
      if (first === undefined) return fail(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }));
      return callback(null, first.address, first.family);
    }, fail);
  };
}
