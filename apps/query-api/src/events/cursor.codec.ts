import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { QueryException } from '../query.exception';
import type { EventFilter, EventOrder, Keyset, TenantScope } from '@vigil/store';

/** What a cursor holds: the last row's key, the pinned upper bound, and digests of what it was issued for. */
interface CursorBody {
  t: string;
  id: string;
  /** `to` of the first page (epoch µs) when the caller let it default to now: later pages keep the same window. */
  u: number;
  s: string;
  f: string;
}

export interface DecodedCursor {
  after: Keyset;
  toMicros: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MICROS = /^-?\d{1,17}$/;

function isBody(value: unknown): value is CursorBody {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v['t'] === 'string' &&
    MICROS.test(v['t']) &&
    typeof v['id'] === 'string' &&
    UUID.test(v['id']) &&
    Number.isSafeInteger(v['u']) &&
    typeof v['s'] === 'string' &&
    typeof v['f'] === 'string'
  );
}

/**
 * Opaque, signed pagination cursors: base64url(JSON).base64url(HMAC-SHA256). The signature covers the
 * position, the tenant scope and the filter, so a cursor that was edited, or replayed by another tenant
 * or with another filter or order, is rejected (BAD_USER_INPUT on `after`) instead of leaking rows.
 */
export class CursorCodec {
  constructor(private readonly secret: string) {}

  /** Digest of what a page depends on; a defaulted `to` is left out (it is pinned in the cursor instead). */
  static filterDigest(filter: EventFilter, order: EventOrder): string {
    const { toMicros, toGiven, ...rest } = filter;
    const canonical = JSON.stringify(
      { ...rest, ...(toGiven ? { toMicros } : {}), order },
      Object.keys({ ...rest, toMicros, order }).sort(),
    );
    return createHash('sha256').update(canonical).digest('base64url').slice(0, 22);
  }

  encode(last: Keyset, toMicros: number, scope: TenantScope, filter: EventFilter, order: EventOrder): string {
    const body: CursorBody = {
      t: last.timeMicros,
      id: last.id,
      u: toMicros,
      s: scope.digest(),
      f: CursorCodec.filterDigest(filter, order),
    };
    const payload = Buffer.from(JSON.stringify(body)).toString('base64url');
    return `${payload}.${this.sign(payload)}`;
  }

  decode(cursor: string, scope: TenantScope, filter: EventFilter, order: EventOrder): DecodedCursor {
    const [payload, signature, extra] = cursor.split('.');
    if (payload === undefined || signature === undefined || extra !== undefined || cursor.length > 1024) throw this.invalid();
    const expected = Buffer.from(this.sign(payload));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw this.invalid();
    let body: unknown;
    try {
      body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      throw this.invalid();
    }
    if (!isBody(body)) throw this.invalid();
    if (body.s !== scope.digest() || body.f !== CursorCodec.filterDigest(filter, order)) {
      throw QueryException.badInput('after', 'the cursor belongs to another query (filter, order or tenant); start again without `after`');
    }
    return { after: { timeMicros: body.t, id: body.id }, toMicros: body.u };
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.secret).update(payload).digest('base64url').slice(0, 32);
  }

  private invalid(): QueryException {
    return QueryException.badInput('after', 'is not a cursor this API issued');
  }
}
