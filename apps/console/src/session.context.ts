import { createContext, useContext } from 'react';
import type { GraphQLClient } from './api/graphql.client.ts';
import type { Me } from './auth/session.util.ts';

/** What every page needs: the API client with the signed-in credential, who that is, and navigation. */
export interface ConsoleSession {
  client: GraphQLClient;
  me: Me;
  /** The credential itself, for the live tail's connection_init and for downloads. */
  credential: string;
  navigate: (href: string, options?: { replace?: boolean }) => void;
  signOut: (reason?: string) => void;
}

export const SessionContext = createContext<ConsoleSession | null>(null);

export function useSession(): ConsoleSession {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession() outside a signed-in console');
  return session;
}
