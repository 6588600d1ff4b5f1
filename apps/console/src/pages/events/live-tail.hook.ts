import { createClient, type Client } from 'graphql-ws';
import { useEffect, useRef, useState } from 'react';
import { LIVE_SUBSCRIPTION, type AuditEventNode } from './queries.util.ts';

export type LiveState = { status: 'off' } | { status: 'connecting' } | { status: 'connected' } | { status: 'error'; message: string };

/** The API's WebSocket address for this page's origin (ws:// beside http://, wss:// beside https://). */
export function liveUrl(location: { protocol: string; host: string }): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
}

/** Why the server ended the connection, in words (graphql-ws close codes and Vigil's own). */
function closeReason(code: number, reason: string): string {
  if (code === 4401) return `Signed out of the live tail: ${reason || 'the credential is no longer valid'}`;
  if (code === 4403) return `The live tail is not allowed: ${reason || 'forbidden'}`;
  return reason || `The live tail closed (${code})`;
}

/**
 * Subscribes to eventAdded with the view's filter while `enabled`, handing each event to onEvent. Reconnects (with
 * graphql-ws' backoff) after a network drop, but not after the server refused the credential.
 */
export function useLiveTail(
  enabled: boolean,
  credential: string,
  filterKey: string,
  filter: Record<string, unknown>,
  onEvent: (event: AuditEventNode) => void,
): LiveState {
  const [state, setState] = useState<LiveState>({ status: 'off' });
  const onEventRef = useRef(onEvent);
  useEffect(() => {
    onEventRef.current = onEvent;
  }, [onEvent]);
  const filterRef = useRef(filter);
  useEffect(() => {
    filterRef.current = filter;
  }, [filter]);

  useEffect(() => {
    if (!enabled) {
      setState({ status: 'off' });
      return;
    }
    setState({ status: 'connecting' });
    let refused = false;
    const client: Client = createClient({
      url: liveUrl(window.location),
      connectionParams: { Authorization: `Bearer ${credential}` },
      retryAttempts: 20,
      shouldRetry: () => !refused,
      on: {
        connected: () => setState({ status: 'connected' }),
        closed: (event) => {
          const close = event as CloseEvent;
          if (close.code === 4401 || close.code === 4403) {
            refused = true;
            setState({ status: 'error', message: closeReason(close.code, close.reason) });
          } else if (!refused) setState({ status: 'connecting' });
        },
      },
    });
    const dispose = client.subscribe<{ eventAdded: AuditEventNode }>(
      { query: LIVE_SUBSCRIPTION, variables: { filter: filterRef.current } },
      {
        next: (result) => {
          if (result.data?.eventAdded) onEventRef.current(result.data.eventAdded);
          if (result.errors?.[0]) setState({ status: 'error', message: result.errors[0].message });
        },
        error: (err: unknown) => {
          if (Array.isArray(err)) {
            const first: unknown = err[0];
            const message =
              typeof first === 'object' && first !== null && 'message' in first ? String(first.message) : 'The live tail failed';
            setState({ status: 'error', message });
          } else if (err instanceof CloseEvent) setState({ status: 'error', message: closeReason(err.code, err.reason) });
          else setState({ status: 'error', message: err instanceof Error ? err.message : 'The live tail failed' });
        },
        complete: () => undefined,
      },
    );
    return () => {
      dispose();
      void client.dispose();
    };
  }, [enabled, credential, filterKey]);

  return state;
}
