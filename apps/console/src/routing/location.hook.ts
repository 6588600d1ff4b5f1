import { useCallback, useEffect, useState } from 'react';
import { parseRoute, type Route } from './route.util.ts';

/** The current route, re-rendered on back/forward and on navigate(). */
export function useRoute(): { route: Route; navigate: (href: string, options?: { replace?: boolean }) => void } {
  const [route, setRoute] = useState<Route>(() => parseRoute(window.location.pathname, window.location.search));
  useEffect(() => {
    const onPop = (): void => setRoute(parseRoute(window.location.pathname, window.location.search));
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const navigate = useCallback((href: string, options?: { replace?: boolean }) => {
    const current = `${window.location.pathname}${window.location.search}`;
    if (href === current) return;
    if (options?.replace === true) window.history.replaceState(null, '', href);
    else window.history.pushState(null, '', href);
    setRoute(parseRoute(window.location.pathname, window.location.search));
  }, []);
  return { route, navigate };
}
