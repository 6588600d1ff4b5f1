// Who is signed in. The credential (an API key, a JWT or a viewer token) lives in sessionStorage: it survives a
// reload of the tab but not the tab itself, and other sites cannot read it. A viewer token can arrive in the URL's
// fragment (#token=...), which browsers never send to a server; the console takes it out of the address bar at once.

export type CredentialKind = 'API_KEY' | 'JWT' | 'VIEWER_TOKEN';

/** What `me` answers. */
export interface Me {
  tenantId: string;
  role: string;
  credential: CredentialKind;
  expiresAt: string | null;
  actorId: string | null;
  targetType: string | null;
  targetId: string | null;
}

export const ME_QUERY = `query Me { me { tenantId role credential expiresAt actorId targetType targetId } }`;

const STORAGE_KEY = 'vigil.console.credential';

export interface CredentialStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export function loadCredential(store: CredentialStore): string | null {
  const value = store.getItem(STORAGE_KEY);
  return value && value.trim().length > 0 ? value : null;
}

export function saveCredential(store: CredentialStore, credential: string): void {
  store.setItem(STORAGE_KEY, credential.trim());
}

export function clearCredential(store: CredentialStore): void {
  store.removeItem(STORAGE_KEY);
}

/**
 * A token passed in the fragment (`#token=<viewer token>`), and the fragment without it; null when there is none.
 * Other fragment parameters are kept.
 */
export function takeFragmentToken(hash: string): { token: string; rest: string } | null {
  const params = new URLSearchParams(hash.startsWith('#') ? hash.slice(1) : hash);
  const token = params.get('token');
  if (!token || token.trim().length === 0) return null;
  params.delete('token');
  const rest = params.toString();
  return { token: token.trim(), rest: rest.length > 0 ? `#${rest}` : '' };
}

/** Which pages a principal may open: streams are for admins, integrity for anyone reading a whole tenant. */
export function capabilities(me: Me): { streams: boolean; integrity: boolean; allTenants: boolean } {
  const admin = me.role === 'admin' || me.role === 'platform-admin';
  const wholeTenant = me.credential !== 'VIEWER_TOKEN';
  return { streams: admin && wholeTenant, integrity: wholeTenant && me.role !== 'ops', allTenants: me.role === 'platform-admin' };
}
