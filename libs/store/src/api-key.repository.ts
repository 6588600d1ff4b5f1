import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { ClientBase } from 'pg';
import { z } from 'zod';

/**
 * The pepper of API key hashes, for the config schema of every app that creates or checks keys (the query
 * API and the CLI must agree). The default only suits development: set a secret in production.
 */
export const apiKeyEnv = {
  VIGIL_API_KEY_PEPPER: z.string().min(16, 'must be at least 16 characters').default('vigil-development-pepper'),
};

/**
 * `analyst` reads its tenant's events, `ops` runs connectors and replays, `admin` administers its own tenant,
 * `platform-admin` operates the installation: the only role that may read across tenants.
 */
/** `producer` keys publish through the ingest gateway for their tenant and read nothing; the others read and manage. */
export const API_KEY_ROLES = ['analyst', 'ops', 'admin', 'platform-admin', 'producer'] as const;
export type ApiKeyRole = (typeof API_KEY_ROLES)[number];

/** An API key's row, without its hash. */
export interface ApiKeyInfo {
  id: string;
  prefix: string;
  tenantId: string;
  role: ApiKeyRole;
  name: string | null;
  createdAt: Date;
  revokedAt: Date | null;
}

interface ApiKeyRecord {
  id: string;
  prefix: string;
  key_hash: string;
  tenant_id: string;
  role: ApiKeyRole;
  name: string | null;
  created_at: Date;
  revoked_at: Date | null;
}

/** `vigil_<12 hex prefix>_<43 base64url chars: 32 random bytes>`. */
const KEY = /^vigil_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

/** Whether a credential has the shape of a Vigil API key (anything else is tried as a JWT). */
export function looksLikeApiKey(credential: string): boolean {
  return credential.startsWith('vigil_');
}

/**
 * HMAC-SHA256 of the key under a server-side pepper. The key holds 256 random bits, so a slow hash would
 * add nothing against guessing; the pepper means a leaked table alone cannot even confirm a key.
 */
export function hashApiKey(key: string, pepper: string): string {
  return createHmac('sha256', pepper).update(key).digest('hex');
}

function toInfo(r: ApiKeyRecord): ApiKeyInfo {
  return {
    id: r.id,
    prefix: r.prefix,
    tenantId: r.tenant_id,
    role: r.role,
    name: r.name,
    createdAt: r.created_at,
    revokedAt: r.revoked_at,
  };
}

type Db = Pick<ClientBase, 'query'>;

/** The `api_key` table: creation (the key is returned once), lookup with a constant-time check, listing and revocation. */
@Injectable()
export class ApiKeyRepository {
  async create(
    db: Db,
    input: { tenantId: string; role: ApiKeyRole; name?: string | null },
    pepper: string,
  ): Promise<{ key: string; info: ApiKeyInfo }> {
    const prefix = randomBytes(6).toString('hex');
    const key = `vigil_${prefix}_${randomBytes(32).toString('base64url')}`;
    const result = await db.query<ApiKeyRecord>(
      `INSERT INTO api_key (prefix, key_hash, tenant_id, role, name) VALUES ($1, $2, $3, $4, $5) RETURNING *`,
      [prefix, hashApiKey(key, pepper), input.tenantId, input.role, input.name ?? null],
    );
    const row = result.rows[0];
    if (!row) throw new Error('INSERT ... RETURNING returned no row');
    return { key, info: toInfo(row) };
  }

  /** The active key a credential names, or null (unknown, malformed, wrong secret or revoked). */
  async verify(db: Db, credential: string, pepper: string): Promise<ApiKeyInfo | null> {
    const match = KEY.exec(credential);
    if (!match?.[1]) return null;
    const result = await db.query<ApiKeyRecord>(`SELECT * FROM api_key WHERE prefix = $1 AND revoked_at IS NULL`, [match[1]]);
    const row = result.rows[0];
    if (!row) return null;
    const expected = Buffer.from(row.key_hash, 'hex');
    const given = Buffer.from(hashApiKey(credential, pepper), 'hex');
    return expected.length === given.length && timingSafeEqual(expected, given) ? toInfo(row) : null;
  }

  async list(db: Db, tenantId?: string): Promise<ApiKeyInfo[]> {
    const result = tenantId
      ? await db.query<ApiKeyRecord>(`SELECT * FROM api_key WHERE tenant_id = $1 ORDER BY created_at`, [tenantId])
      : await db.query<ApiKeyRecord>(`SELECT * FROM api_key ORDER BY tenant_id, created_at`);
    return result.rows.map(toInfo);
  }

  /** Revokes a key by id; false when no active key has that id. */
  async revoke(db: Db, id: string): Promise<boolean> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return false;
    const result = await db.query(`UPDATE api_key SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`, [id]);
    return (result.rowCount ?? 0) > 0;
  }
}
