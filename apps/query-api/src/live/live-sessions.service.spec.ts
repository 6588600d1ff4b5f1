import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PinoLogger } from 'nestjs-pino';
import type { Authenticator } from '../auth/authenticator.service';
import type { Principal } from '../auth/principal.types';
import type { QueryApiConfig } from '../query-api.config';
import { LiveSessions, type LiveContext } from './live-sessions.service';

/** An authenticator whose answers the test releases, as a key lookup in PostgreSQL takes its time. */
class HeldAuthenticator {
  private readonly waiting: (() => void)[] = [];

  authenticate(): Promise<Principal> {
    return new Promise((resolve) => {
      this.waiting.push(() => resolve({ tenantId: 'tenant-a', role: 'analyst', subject: 'key:1', credential: 'API_KEY' }));
    });
  }

  answerAll(): void {
    for (const answer of this.waiting.splice(0)) answer();
  }
}

function connection(): { ctx: LiveContext; closes: number[] } {
  const closes: number[] = [];
  const ctx = {
    connectionParams: { authorization: 'Bearer vigil_key' },
    extra: { socket: { close: (code: number) => closes.push(code) } },
  } as unknown as LiveContext;
  return { ctx, closes };
}

describe(LiveSessions.name, () => {
  it('does not count a connection whose client left while its key was being checked', async () => {
    const authenticator = new HeldAuthenticator();
    const config = {
      QUERY_API_LIVE_MAX_PER_KEY: 5,
      QUERY_API_LIVE_MAX_CONNECTIONS_PER_KEY: 2,
      QUERY_API_LIVE_RECHECK_SECONDS: 60,
    } as QueryApiConfig;
    const logger = { setContext: () => undefined, warn: () => undefined, info: () => undefined } as unknown as PinoLogger;
    const sessions = new LiveSessions(config, authenticator as unknown as Authenticator, { now: () => new Date() }, logger);
    try {
      // Two clients send connection_init and close before the key lookup answers (graphql-ws calls onClose either way).
      const left = [connection(), connection()];
      const pending = left.map(({ ctx }) => sessions.connect(ctx));
      for (const { ctx } of left) sessions.disconnect(ctx);
      authenticator.answerAll();
      assert.deepEqual(await Promise.all(pending), [false, false]);
      assert.equal(sessions.connectionCount, 0);
      // The key's places are all still free.
      const staying = [connection(), connection()];
      const accepted = staying.map(({ ctx }) => sessions.connect(ctx));
      authenticator.answerAll();
      assert.deepEqual(await Promise.all(accepted), [true, true]);
      const extra = connection();
      const refused = sessions.connect(extra.ctx);
      authenticator.answerAll();
      assert.equal(await refused, false);
      assert.deepEqual(extra.closes, [4429]);
    } finally {
      sessions.onModuleDestroy();
    }
  });
});
