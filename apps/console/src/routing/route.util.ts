// The console's pages and their addresses. Everything a view shows lives in the path and the query string, so a
// URL copied from the address bar opens the same view for a colleague (who signs in with their own credential).

export const BASE_PATH = '/console';

export type Page = 'events' | 'streams' | 'integrity';

export interface Route {
  page: Page | 'not-found';
  params: URLSearchParams;
}

const PAGES: Record<string, Page> = { '': 'events', events: 'events', streams: 'streams', integrity: 'integrity' };

export function parseRoute(pathname: string, search: string): Route {
  const rest = pathname.startsWith(BASE_PATH) ? pathname.slice(BASE_PATH.length) : pathname;
  const segment = rest.replace(/^\/+|\/+$/g, '');
  return { page: PAGES[segment] ?? 'not-found', params: new URLSearchParams(search) };
}

export function hrefFor(page: Page, params?: URLSearchParams): string {
  const query = params?.toString() ?? '';
  const path = page === 'events' ? `${BASE_PATH}/` : `${BASE_PATH}/${page}`;
  return query.length > 0 ? `${path}?${query}` : path;
}
