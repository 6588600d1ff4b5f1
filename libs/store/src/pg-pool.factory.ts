import pg from 'pg';

/**
 * A pg pool that survives PostgreSQL going away. node-postgres emits 'error' on a client whose connection drops
 * (a restart, a failover, a network cut); with no listener, Node turns that into an uncaught exception and the process
 * dies. The pool listens on idle clients itself only: a client checked out mid-query (a COPY of a batch) had none,
 * so one PostgreSQL restart killed the materializer (the chaos suite's postgres-outage found it). The query in
 * flight still fails, and is retried by its caller; the pool drops the broken client when it is released.
 */
export function createPgPool(config: pg.PoolConfig): pg.Pool {
  const pool = new pg.Pool(config);
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/**
 * `fn` on a connection of the pool, inside BEGIN … COMMIT; rolled back whole, and the error rethrown, when anything in
 * it fails.
 */
export async function inTransaction<T>(pool: Pick<pg.Pool, 'connect'>, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
