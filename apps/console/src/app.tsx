import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ApiError, GraphQLClient } from './api/graphql.client.ts';
import { credentialOnArrival, expiryWarningIn, isViewerToken, tokenOf, type ConsoleMessage } from './auth/embedding.util.ts';
import {
  capabilities,
  clearCredential,
  loadCredential,
  ME_QUERY,
  saveCredential,
  takeFragmentToken,
  type Me,
} from './auth/session.util.ts';
import { EventsPage } from './pages/events/events-page.tsx';
import { SignIn } from './pages/sign-in.tsx';
import { useRoute } from './routing/location.hook.ts';
import { hrefFor } from './routing/route.util.ts';
import { SessionContext, type ConsoleSession } from './session.context.ts';
import { Link } from './ui/link.tsx';
import { EmptyState, LoadingState } from './ui/states.tsx';

// Pages most users never open are loaded on demand, keeping the first download small.
const StreamsPage = lazy(() => import('./pages/streams/streams-page.tsx').then((m) => ({ default: m.StreamsPage })));
const IntegrityPage = lazy(() => import('./pages/integrity/integrity-page.tsx').then((m) => ({ default: m.IntegrityPage })));

/** A viewer token passed in the address's fragment, or the tab's stored credential; and why a fragment was ignored. */
function initialCredential(): { credential: string | null; ignored: string | null } {
  const fromFragment = takeFragmentToken(window.location.hash);
  if (fromFragment) {
    // Out of the address bar (and history) before anything else runs: the token must not be shared with the URL.
    window.history.replaceState(null, '', `${window.location.pathname}${window.location.search}${fromFragment.rest}`);
    // Only a viewer token, and never over an analyst's own key or JWT (credentialOnArrival says why).
    const arrival = credentialOnArrival(fromFragment.token, loadCredential(window.sessionStorage));
    if (arrival.save) saveCredential(window.sessionStorage, fromFragment.token);
    return { credential: arrival.credential, ignored: arrival.ignored };
  }
  return { credential: loadCredential(window.sessionStorage), ignored: null };
}

export function App() {
  const { route, navigate } = useRoute();
  const [initial] = useState(initialCredential);
  const [credential, setCredential] = useState<string | null>(initial.credential);
  const [me, setMe] = useState<Me | null>(null);
  const [message, setMessage] = useState<string | null>(initial.ignored);

  const signOut = useCallback((reason?: string) => {
    clearCredential(window.sessionStorage);
    setCredential(null);
    setMe(null);
    setMessage(reason ?? null);
  }, []);

  // One client for the session: it reads the credential when it sends, so a fresh viewer token from the embedding
  // page takes effect without the pages reloading what they show.
  const credentialRef = useRef(credential);
  useEffect(() => {
    credentialRef.current = credential;
  }, [credential]);
  const client = useMemo(
    () =>
      new GraphQLClient({
        credential: () => credentialRef.current,
        onAuthFailure: (error) => signOut(`Signed out: ${error.message}`),
      }),
    [signOut],
  );

  // Embedded (docs/console.md): the parent page may hand over a fresh viewer token, and hears when this one expires.
  const framed = window.parent !== window;
  const handOvers = useRef(0);
  const tell = useCallback((message: ConsoleMessage) => window.parent.postMessage(message, '*'), []);
  useEffect(() => {
    if (!framed) return;
    const onMessage = (event: MessageEvent): void => {
      if (event.source !== window.parent) return;
      const token = tokenOf(event.data);
      if (token === null) return;
      // Only a viewer session (or none) gives way to the parent's token, and only to a viewer token: never an
      // analyst's own key or JWT, even while it is still signing in.
      const current = credentialRef.current;
      if (current !== null && !isViewerToken(current))
        return tell({ type: 'vigil:token-refused', reason: 'signed in with another credential' });
      if (!isViewerToken(token)) return tell({ type: 'vigil:token-refused', reason: 'not a viewer token' });
      // Hand-overs may answer out of order: only the latest one applies.
      const sequence = ++handOvers.current;
      new GraphQLClient({ credential: () => token })
        .request<{ me: Me }>(ME_QUERY)
        .then(({ me: next }) => {
          if (sequence !== handOvers.current) return;
          if (next.credential !== 'VIEWER_TOKEN') return tell({ type: 'vigil:token-refused', reason: 'not a viewer token' });
          saveCredential(window.sessionStorage, token);
          credentialRef.current = token;
          setCredential(token);
          setMe(next);
          setMessage(null);
        })
        .catch((err: unknown) => {
          if (sequence === handOvers.current)
            tell({ type: 'vigil:token-refused', reason: err instanceof Error ? err.message : String(err) });
        });
    };
    window.addEventListener('message', onMessage);
    return () => window.removeEventListener('message', onMessage);
  }, [framed, tell]);
  useEffect(() => {
    if (!framed || me === null) return;
    tell({ type: 'vigil:ready', tenantId: me.tenantId, expiresAt: me.expiresAt });
    const warnIn = expiryWarningIn(me.expiresAt, Date.now());
    if (warnIn === null || me.expiresAt === null) return;
    const expiresAt = me.expiresAt;
    const timer = setTimeout(() => tell({ type: 'vigil:token-expiring', expiresAt }), warnIn);
    return () => clearTimeout(timer);
  }, [framed, me, tell]);

  useEffect(() => {
    if (credential === null || me !== null) return;
    let cancelled = false;
    client
      .request<{ me: Me }>(ME_QUERY)
      .then((data) => {
        if (!cancelled) setMe(data.me);
      })
      .catch((err: unknown) => {
        if (cancelled) return;
        if (err instanceof ApiError && err.isAuthFailure) return; // onAuthFailure already signed out
        setMessage(err instanceof Error ? err.message : String(err));
        clearCredential(window.sessionStorage);
        setCredential(null);
      });
    return () => {
      cancelled = true;
    };
  }, [client, credential, me]);

  const submit = (value: string): void => {
    saveCredential(window.sessionStorage, value);
    setMessage(null);
    setCredential(value);
  };

  const session = useMemo<ConsoleSession | null>(
    () => (me && credential ? { client, me, credential, navigate, signOut } : null),
    [client, me, credential, navigate, signOut],
  );

  if (!session) {
    if (credential !== null && message === null) return <LoadingState label="Signing in…" />;
    return <SignIn onSubmit={submit} busy={credential !== null} message={message} />;
  }
  const caps = capabilities(session.me);
  const nav = [
    { page: 'events' as const, label: 'Events', show: true },
    { page: 'streams' as const, label: 'Streams', show: caps.streams },
    { page: 'integrity' as const, label: 'Integrity', show: caps.integrity },
  ].filter((item) => item.show);

  return (
    <SessionContext.Provider value={session}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Vigil</span>
        <nav aria-label="Console">
          <ul>
            {nav.map((item) => (
              <li key={item.page}>
                <Link href={hrefFor(item.page)} aria-current={route.page === item.page ? 'page' : undefined}>
                  {item.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <Who me={session.me} />
        <button type="button" className="ghost" onClick={() => signOut()}>
          Sign out
        </button>
      </header>
      {/* A token of another restriction (handed over by an embedding page) starts the pages afresh; a renewed one does not. */}
      <main
        id="main"
        tabIndex={-1}
        key={[session.me.tenantId, session.me.actorId, session.me.targetType, session.me.targetId].join('\u001f')}
      >
        <Suspense fallback={<LoadingState />}>
          {route.page === 'events' && <EventsPage params={route.params} />}
          {route.page === 'streams' && (caps.streams ? <StreamsPage /> : <NotAllowed />)}
          {route.page === 'integrity' && (caps.integrity ? <IntegrityPage params={route.params} /> : <NotAllowed />)}
          {route.page === 'not-found' && (
            <EmptyState title="No such page">
              <Link href={hrefFor('events')}>Go to events</Link>
            </EmptyState>
          )}
        </Suspense>
      </main>
    </SessionContext.Provider>
  );
}

function NotAllowed() {
  return <EmptyState title="Your credential does not open this page" />;
}

function Who({ me }: { me: Me }) {
  const scope = [me.actorId ? `actor ${me.actorId}` : null, me.targetId ? `target ${me.targetType ?? ''}:${me.targetId}` : null].filter(
    Boolean,
  );
  const expires = me.expiresAt ? new Date(me.expiresAt) : null;
  return (
    <p className="who" aria-label="Signed in as">
      <span className="tenant">{me.tenantId}</span> · <span>{me.role}</span>
      {scope.length > 0 && <span> · {scope.join(', ')}</span>}
      {expires && <span className="muted"> · until {expires.toLocaleTimeString()}</span>}
    </p>
  );
}
