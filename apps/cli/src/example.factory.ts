import { randomInt } from 'node:crypto';
import type { UntypedAuditEventInput } from '@vigil/audit-sdk';
import { catalogEntry, suggestAction, type Category } from '@vigil/events';
import { CliError } from './cli.util';

const targetTypes: Record<Category, string> = {
  authentication: 'session',
  'account-management': 'user',
  'role-privilege': 'role',
  'user-activity': 'profile',
  'object-access': 'liveboard',
  'application-change': 'setting',
  'data-integration': 'connection',
  organisation: 'org',
  automation: 'flow',
};

/** A realistic event for any catalog action (`publish --example <action>`). */
export function exampleEvent(action: string, tenantId = 'acme'): UntypedAuditEventInput {
  const entry = catalogEntry(action);
  if (entry === undefined) {
    const suggestion = suggestAction(action);
    throw new CliError(
      `unknown action "${action}"${suggestion !== undefined ? `; did you mean "${suggestion}"?` : ''} (see docs/catalog.md)`,
    );
  }
  const n = randomInt(1000, 9999);
  return {
    action,
    tenantId,
    actor: { id: `user-${n}`, name: `analyst${n}@${tenantId}.example`, type: 'USER', roles: ['admin'] },
    client: {
      ip: `203.0.113.${randomInt(1, 254)}`,
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36',
    },
    targets: [{ type: targetTypes[entry.category], id: `${targetTypes[entry.category]}-${randomInt(100, 999)}`, name: null }],
    http: { method: 'POST', url: `/api/v1/${entry.category}`, operation: action, statusCode: entry.outcome === 'FAILURE' ? 403 : 200 },
    correlationId: `req-${randomInt(100000, 999999)}`,
    description: entry.description,
    attributes: { example: true, source: 'vigil-cli' },
  };
}
