import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { APP_CONFIG } from '@vigil/config';
import { ApiKeyRepository, PG_POOL, type ApiKeyInfo } from '@vigil/store';
import { IngestRefusal } from './ingest-body.util';
import type { IngestGatewayConfig } from './ingest-gateway.config';

/** Who publishes: a producer key and the one tenant it writes for. */
export interface Producer {
  keyId: string;
  tenantId: string;
}

/** How long a verified key is trusted without asking PostgreSQL again: a revocation takes effect within this. */
export const KEY_CACHE_MS = 10_000;
const MAX_CACHED = 10_000;

/** The credential: `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
function credentialOf(req: IncomingMessage): string | undefined {
  const authorization = req.headers['authorization'];
  if (authorization !== undefined) return /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
  const key = req.headers['x-api-key'];
  return (Array.isArray(key) ? key[0] : key)?.trim() || undefined;
}

/** Producer API keys (role `producer`), verified against the store and cached briefly by their hash. */
@Injectable()
export class ProducerAuthenticator {
  private readonly cache = new Map<string, { key: ApiKeyInfo | null; until: number }>();

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(APP_CONFIG) private readonly config: IngestGatewayConfig,
    private readonly keys: ApiKeyRepository,
  ) {}

  async authenticate(req: IncomingMessage): Promise<Producer> {
    const credential = credentialOf(req);
    if (credential === undefined)
      throw new IngestRefusal(
        401,
        'UNAUTHENTICATED',
        'send a producer API key: Authorization: Bearer <key> (vigil apikeys create --role producer)',
      );
    const key = await this.verify(credential);
    if (key === null) throw new IngestRefusal(401, 'UNAUTHENTICATED', 'the API key is unknown or revoked');
    if (key.role !== 'producer')
      throw new IngestRefusal(403, 'FORBIDDEN', `the ${key.role} role cannot publish events; create a key with --role producer`);
    return { keyId: key.id, tenantId: key.tenantId };
  }

  private async verify(credential: string): Promise<ApiKeyInfo | null> {
    const hash = createHash('sha256').update(credential).digest('hex');
    const now = Date.now();
    const cached = this.cache.get(hash);
    if (cached !== undefined && cached.until > now) return cached.key;
    const key = await this.keys.verify(this.pool, credential, this.config.VIGIL_API_KEY_PEPPER);
    this.cache.delete(hash);
    this.cache.set(hash, { key, until: now + KEY_CACHE_MS });
    if (this.cache.size > MAX_CACHED) this.cache.delete(this.cache.keys().next().value ?? '');
    return key;
  }
}
