// The console inside a vendor's page (an iframe, with a viewer token). The parent page can hand it a fresh token
// before the current one expires, so an embedded session outlives a token's short life without a reload; the console
// tells the parent when it is ready and when its token is about to expire. Only a frame's own parent is listened to,
// and which sites may frame the console at all is the API's CSP (QUERY_API_CONSOLE_FRAME_ANCESTORS).

/** Sent by the parent: `{ type: 'vigil:viewer-token', token }`. */
export const TOKEN_MESSAGE = 'vigil:viewer-token';

/** What the console tells the parent. None of it is secret: the parent minted the token. */
export type ConsoleMessage =
  | { type: 'vigil:ready'; tenantId: string; expiresAt: string | null }
  | { type: 'vigil:token-expiring'; expiresAt: string }
  | { type: 'vigil:token-refused'; reason: string };

/** Warn the parent this long before the token expires. */
export const EXPIRY_WARNING_MS = 60_000;

/** The token of a parent's message, or null when the message is anything else. */
export function tokenOf(data: unknown): string | null {
  if (typeof data !== 'object' || data === null) return null;
  const message = data as { type?: unknown; token?: unknown };
  if (message.type !== TOKEN_MESSAGE || typeof message.token !== 'string') return null;
  const token = message.token.trim();
  // A compact JWS, bounded: anything else is not a viewer token.
  return token.length > 0 && token.length <= 4096 && /^[\w-]+\.[\w-]+\.[\w-]+$/.test(token) ? token : null;
}

/** Milliseconds until the parent should be told the token expires (0: now), or null without an expiry. */
export function expiryWarningIn(expiresAt: string | null, now: number): number | null {
  if (expiresAt === null) return null;
  const at = Date.parse(expiresAt);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - EXPIRY_WARNING_MS - now);
}

/**
 * Whether a credential is a viewer token, by its JWS header's `typ` (read, not verified: the API verifies). Only a
 * viewer token may arrive in the address or from a parent page; an API key or an identity provider's JWT never does,
 * so a link cannot sign someone in as another tenant's analyst.
 */
export function isViewerToken(credential: string): boolean {
  const header = credential.split('.')[0];
  if (header === undefined || credential.split('.').length !== 3) return false;
  try {
    const json = atob(
      header
        .replace(/-/g, '+')
        .replace(/_/g, '/')
        .padEnd(Math.ceil(header.length / 4) * 4, '='),
    );
    const parsed = JSON.parse(json) as { typ?: unknown };
    return parsed.typ === 'vigil-viewer+jwt';
  } catch {
    return false;
  }
}

/**
 * Which credential a tab starts with when the address carries `#token=`: a viewer token only, and only over no
 * session or another viewer's. A tab signed in with an analyst's own key or JWT keeps it: a page that sends the
 * analyst to `/console/#token=<a token of its own tenant>` would otherwise swap the analyst into that tenant's (the
 * sender's) events without a word. `save` says whether to store the fragment's token; `ignored` why it was not used.
 */
export function credentialOnArrival(
  token: string,
  stored: string | null,
): { credential: string | null; save: boolean; ignored: string | null } {
  if (!isViewerToken(token))
    return { credential: stored, save: false, ignored: 'The address carried a credential that is not a viewer token; it was ignored.' };
  if (stored !== null && !isViewerToken(stored))
    return {
      credential: stored,
      save: false,
      ignored: 'The address carried a viewer token; you are still signed in with your own credential. Sign out to use it.',
    };
  return { credential: token, save: true, ignored: null };
}
