import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import { StreamErrorCode, StreamException } from './stream.exception';

/**
 * Refuses a stream URL that points inside the platform's own network: a tenant admin could otherwise aim a stream at
 * 127.0.0.1:5432, a cloud metadata endpoint or an internal service and use Vigil to reach it (SSRF). Every address
 * the host resolves to must be public unicast. Checked when a stream is saved and again before each start.
 */
export async function checkStreamTarget(url: string, allowPrivate: boolean): Promise<void> {
  if (allowPrivate || !URL.canParse(url)) return;
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = ipaddr.isValid(host) ? [host] : (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
  } catch (err) {
    throw new StreamException(
      StreamErrorCode.TARGET_REFUSED,
      `settings.url: host ${host} does not resolve (${(err as { code?: string }).code ?? 'error'})`,
    );
  }
  for (const address of addresses) {
    const parsed = ipaddr.process(address);
    const range = parsed.range();
    if (range !== 'unicast')
      throw new StreamException(
        StreamErrorCode.TARGET_REFUSED,
        `settings.url: ${host} resolves to ${address} (${range}); streams may only send to public addresses`,
      );
  }
}
