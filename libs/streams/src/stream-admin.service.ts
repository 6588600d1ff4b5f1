import type { Logger } from 'pino';
import type { AuditEvent } from '@vigil/events';
import { boundedReason, describeNetworkError, SinkHttpClient, type ConnectorDefinition, type Sink } from '@vigil/connector';
import { createSink } from '@vigil/sinks';
import { v7 as uuidv7 } from 'uuid';
import { streamConfigSchema, streamSecretsSchema, toConnectorDefinition, type StreamConfig } from './stream-definition.mapper';
import type { StreamSecretCipher, StreamSecrets } from './stream-secret.codec';
import { checkStreamTargets, guardedLookup } from './stream-target.guard';
import { StreamErrorCode, StreamException } from './stream.exception';
import type { StreamHealth, StreamRepository, StreamRow } from './stream.repository';

/** Who changes a stream: their tenant, whether they operate the platform (any tenant), and who they are for the audit log. */
export interface StreamActor {
  tenantId: string;
  platform: boolean;
  /** Stable id for the audit event's actor (`key:<id>`, `jwt:<iss>/<sub>`, `cli:<user>`). */
  id: string;
  role: string;
}

/** The audit events of stream changes go through Vigil's own SDK (AuditPublisher). */
export interface StreamAuditPublisher {
  publish(input: {
    action: string;
    tenantId: string;
    actor: { id: string; type: 'USER' | 'SERVICE'; roles: string[] };
    targets: { type: string; id: string; name: string }[];
    payload: { connectionId: string; connectionName: string; connectorType: string; changedFields: string[] | null };
    description?: string | null;
    outcome?: 'SUCCESS' | 'FAILURE';
  }): Promise<AuditEvent>;
}

export interface StreamPolicyOptions {
  allowInsecureHttp: boolean;
  allowPrivateTargets: boolean;
  maxPerTenant: number;
}

/** A stream as the API shows it: never a secret's value, only which secrets are set. */
export interface StreamView {
  id: string;
  tenantId: string;
  name: string;
  type: string;
  enabled: boolean;
  config: StreamConfig;
  secretNames: string[];
  version: number;
  suspendedAt: Date | undefined;
  suspendedReason: string | undefined;
  createdAt: Date;
  createdBy: string;
  updatedAt: Date;
  updatedBy: string;
  health: StreamHealth | undefined;
}

export interface StreamCreateInput {
  /** Platform operators name the tenant; a tenant's admin creates in their own tenant only. */
  tenantId?: string | undefined;
  name: string;
  type: string;
  enabled?: boolean | undefined;
  config: unknown;
  secrets?: unknown;
}

export interface StreamUpdateInput {
  name?: string | undefined;
  /** Fields of the config to change (categories, actions, minSeverity, format, extraFields, settings); the rest is kept. */
  config?: unknown;
  /** Secrets to set; a name with null removes that secret. Names not listed keep their value. */
  secrets?: Record<string, string | null> | undefined;
}

/** What the SIEM answered to a test event, as it said it (secrets redacted). */
export interface StreamTestResult {
  ok: boolean;
  /** ok, retryable, auth-failed, rejected or unreachable. */
  outcome: string;
  message: string;
  eventId: string;
}

const NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._-]{0,99}$/u;

/**
 * Creating, changing and deleting streams: validation (the same schemas as connectors), secrets sealed before they
 * are stored, the target checked against SSRF, and every change published as an audit event before it commits: a
 * change whose audit event Kafka did not acknowledge is rolled back.
 */
export class StreamAdminService {
  constructor(
    private readonly repository: StreamRepository,
    private readonly cipher: StreamSecretCipher,
    private readonly audit: StreamAuditPublisher,
    private readonly policy: StreamPolicyOptions,
    private readonly logger: Logger,
  ) {}

  async list(actor: StreamActor, tenantId?: string): Promise<StreamView[]> {
    const rows = await this.repository.list(this.readScope(actor, tenantId));
    return this.views(rows);
  }

  async get(actor: StreamActor, id: string): Promise<StreamView> {
    const [view] = await this.views([await this.find(actor, id)]);
    return view as StreamView;
  }

  async create(actor: StreamActor, input: StreamCreateInput): Promise<StreamView> {
    const tenantId = this.writeTenant(actor, input.tenantId);
    const name = checkName(input.name);
    const config = parseConfig(input.config);
    const secrets = parseSecrets(input.secrets ?? {});
    const id = uuidv7();
    const definition = this.validate({ id, tenantId, type: input.type, config, secrets });
    await this.checkTarget(definition);
    const row = await this.repository.transaction(async (db) => {
      if ((await this.repository.countForTenant(tenantId, db)) >= this.policy.maxPerTenant)
        throw new StreamException(StreamErrorCode.TOO_MANY, `tenant ${tenantId} has ${this.policy.maxPerTenant} streams, the most allowed`);
      const inserted = await this.insertUnique(db, {
        id,
        tenantId,
        name,
        type: input.type,
        enabled: input.enabled ?? true,
        config,
        secrets: Object.keys(secrets).length === 0 ? undefined : this.cipher.seal(id, secrets),
        createdBy: actor.id,
      });
      await this.publish('stream.created', actor, inserted, Object.keys({ ...config, ...prefixed(secrets) }).sort());
      return inserted;
    });
    return this.view(row, undefined);
  }

  async update(actor: StreamActor, id: string, input: StreamUpdateInput): Promise<StreamView> {
    const row = await this.repository.transaction(async (db) => {
      const current = await this.find(actor, id, db);
      const config = input.config === undefined ? current.config : parseConfig({ ...current.config, ...(input.config as object) });
      const secrets = { ...this.secretsOf(current) };
      const changedSecrets: string[] = [];
      for (const [key, value] of Object.entries(input.secrets ?? {})) {
        changedSecrets.push(`secrets.${key}`);
        if (value === null) delete secrets[key];
        else secrets[key] = value;
      }
      parseSecrets(secrets);
      const definition = this.validate({ id, tenantId: current.tenantId, type: current.type, config, secrets });
      await this.checkTarget(definition);
      const changed = [
        ...(input.name !== undefined && input.name !== current.name ? ['name'] : []),
        ...diffKeys(current.config, config),
        ...changedSecrets,
      ];
      const next: StreamRow = {
        ...current,
        name: input.name === undefined ? current.name : checkName(input.name),
        config,
        secrets: Object.keys(secrets).length === 0 ? undefined : this.cipher.seal(id, secrets),
        // A change (new credentials above all) is what lifts a suspension.
        suspendedAt: undefined,
        suspendedReason: undefined,
      };
      const saved = await this.saveUnique(db, next, actor.id);
      await this.publish('stream.updated', actor, saved, changed);
      return saved;
    });
    return (await this.views([row]))[0] as StreamView;
  }

  async setEnabled(actor: StreamActor, id: string, enabled: boolean): Promise<StreamView> {
    const row = await this.repository.transaction(async (db) => {
      const current = await this.find(actor, id, db);
      const saved = await this.repository.save({ ...current, enabled, suspendedAt: undefined, suspendedReason: undefined }, actor.id, db);
      await this.publish(enabled ? 'stream.enabled' : 'stream.disabled', actor, saved, ['enabled']);
      return saved;
    });
    return (await this.views([row]))[0] as StreamView;
  }

  async delete(actor: StreamActor, id: string): Promise<StreamView> {
    return this.repository.transaction(async (db) => {
      const current = await this.find(actor, id, db);
      await this.repository.delete(id, db);
      await this.publish('stream.deleted', actor, current, null);
      return this.view(current, undefined);
    });
  }

  /** Platform operators: re-deliver the stream's retained events from `from` (the stream catches up, then rejoins). */
  async requestReplay(actor: StreamActor, id: string, from: Date): Promise<StreamView> {
    if (!actor.platform) throw new StreamException(StreamErrorCode.NOT_FOUND, 'only platform operators may replay into a stream');
    if (Number.isNaN(from.getTime()) || from.getTime() > Date.now())
      throw new StreamException(StreamErrorCode.INVALID, 'invalid replay', ['from: must be a time in the past']);
    const row = await this.repository.transaction(async (db) => {
      const current = await this.find(actor, id, db);
      const saved = await this.repository.save({ ...current, replayFrom: from, replayRequestedAt: new Date() }, actor.id, db);
      await this.publish('stream.replay_requested', actor, saved, ['replayFrom'], `replay from ${from.toISOString()}`);
      return saved;
    });
    return (await this.views([row]))[0] as StreamView;
  }

  /**
   * Sends one synthetic `stream.tested` event, in the stream's format, straight to its SIEM (not through Kafka) and
   * reports the SIEM's answer. The test itself is audited (outcome SUCCESS or FAILURE).
   */
  async test(actor: StreamActor, id: string, signal: AbortSignal = AbortSignal.timeout(30_000)): Promise<StreamTestResult> {
    const row = await this.find(actor, id);
    const definition = this.validate({ id, tenantId: row.tenantId, type: row.type, config: row.config, secrets: this.secretsOf(row) });
    await this.checkTarget(definition);
    const event = await this.publish('stream.tested', actor, row, null, `test event sent to stream ${row.name}`);
    let sink: Sink | undefined;
    let result: StreamTestResult;
    const lookup = guardedLookup(this.policy.allowPrivateTargets);
    const http = new SinkHttpClient(lookup === undefined ? {} : { lookup });
    try {
      sink = createSink(definition, this.logger, http);
      const answer = await sink.deliver([{ event, bytes: Buffer.from(sink.encode(event)), whole: event }], signal);
      result =
        answer.kind === 'ok'
          ? { ok: true, outcome: 'ok', message: 'the SIEM accepted the test event', eventId: event.id }
          : { ok: false, outcome: answer.kind, message: boundedReason(answer.reason), eventId: event.id };
    } catch (err) {
      result = { ok: false, outcome: 'unreachable', message: boundedReason(describeNetworkError(err)), eventId: event.id };
    } finally {
      await sink?.close?.();
      await http.close();
    }
    return result;
  }

  /** Re-seals every stream's secrets with the current key (after a key rotation); returns how many changed key. */
  async resealAll(): Promise<{ resealed: number; total: number }> {
    const rows = await this.repository.list(undefined);
    let resealed = 0;
    for (const row of rows) {
      if (row.secrets === undefined || row.secrets.keyId === this.cipher.currentKeyId) continue;
      await this.repository.reseal(row.id, this.cipher.seal(row.id, this.cipher.open(row.id, row.secrets)));
      resealed++;
    }
    return { resealed, total: rows.length };
  }

  private validate(input: {
    id: string;
    tenantId: string;
    type: string;
    config: StreamConfig;
    secrets: StreamSecrets;
  }): ConnectorDefinition {
    return toConnectorDefinition(input, { allowInsecureHttp: this.policy.allowInsecureHttp });
  }

  private async checkTarget(definition: ConnectorDefinition): Promise<void> {
    await checkStreamTargets(definition.settings, this.policy.allowPrivateTargets);
  }

  private secretsOf(row: StreamRow): Record<string, string> {
    return row.secrets === undefined ? {} : { ...this.cipher.open(row.id, row.secrets) };
  }

  private readScope(actor: StreamActor, tenantId: string | undefined): string | undefined {
    if (actor.platform) return tenantId;
    if (tenantId !== undefined && tenantId !== actor.tenantId) throw notFound();
    return actor.tenantId;
  }

  private writeTenant(actor: StreamActor, tenantId: string | undefined): string {
    if (tenantId === undefined || tenantId === actor.tenantId) return actor.tenantId;
    // Another tenant's streams do not exist for a tenant admin: the same answer as a missing stream.
    if (!actor.platform) throw notFound();
    return tenantId;
  }

  private async find(actor: StreamActor, id: string, db?: Parameters<StreamRepository['get']>[2]): Promise<StreamRow> {
    if (!isUuid(id)) throw notFound();
    const row = await this.repository.get(id, actor.platform ? undefined : actor.tenantId, db, db !== undefined);
    if (row === undefined) throw notFound();
    return row;
  }

  private async insertUnique(
    db: Parameters<StreamRepository['insert']>[1],
    row: Parameters<StreamRepository['insert']>[0],
  ): Promise<StreamRow> {
    try {
      return await this.repository.insert(row, db);
    } catch (err) {
      throw nameTaken(err, row.name) ?? err;
    }
  }

  private async saveUnique(db: Parameters<StreamRepository['save']>[2], row: StreamRow, by: string): Promise<StreamRow> {
    try {
      return await this.repository.save(row, by, db);
    } catch (err) {
      throw nameTaken(err, row.name) ?? err;
    }
  }

  private async publish(
    action: string,
    actor: StreamActor,
    row: StreamRow,
    changed: string[] | null,
    description?: string,
  ): Promise<AuditEvent> {
    try {
      return await this.audit.publish({
        action,
        tenantId: row.tenantId,
        actor: { id: actor.id, type: actor.id.startsWith('cli:') ? 'SERVICE' : 'USER', roles: [actor.role] },
        targets: [{ type: 'stream', id: row.id, name: row.name }],
        payload: { connectionId: row.id, connectionName: row.name, connectorType: row.type, changedFields: changed },
        description: description ?? null,
      });
    } catch (err) {
      this.logger.error(
        { stream: row.id, action, err: (err as Error).message },
        'the audit event of a stream change was not published; the change is rolled back',
      );
      throw new StreamException(
        StreamErrorCode.AUDIT_FAILED,
        // The underlying error (logged above) names Kafka's or the registry's address: not for a tenant's admin.
        'the change was not made: its audit event could not be published; try again',
      );
    }
  }

  private async views(rows: readonly StreamRow[]): Promise<StreamView[]> {
    const health = await this.repository.health(rows.map((r) => r.id));
    return rows.map((row) => this.view(row, health.get(row.id)));
  }

  private view(row: StreamRow, health: StreamHealth | undefined): StreamView {
    let secretNames: string[] = [];
    try {
      secretNames = Object.keys(this.secretsOf(row)).sort();
    } catch {
      secretNames = []; // a key that no longer opens: the stream shows no secrets set, and its health says why
    }
    return {
      id: row.id,
      tenantId: row.tenantId,
      name: row.name,
      type: row.type,
      enabled: row.enabled,
      config: row.config,
      secretNames,
      version: row.version,
      suspendedAt: row.suspendedAt,
      suspendedReason: row.suspendedReason,
      createdAt: row.createdAt,
      createdBy: row.createdBy,
      updatedAt: row.updatedAt,
      updatedBy: row.updatedBy,
      health,
    };
  }
}

function notFound(): StreamException {
  return new StreamException(StreamErrorCode.NOT_FOUND, 'no such stream');
}

function nameTaken(err: unknown, name: string): StreamException | undefined {
  const pg = err as { code?: string; constraint?: string };
  return pg.code === '23505' && pg.constraint === 'vigil_stream_name_unique'
    ? new StreamException(StreamErrorCode.NAME_TAKEN, `the tenant already has a stream named ${name}`)
    : undefined;
}

function checkName(name: string): string {
  if (!NAME.test(name))
    throw new StreamException(StreamErrorCode.INVALID, 'invalid stream', [
      'name: must be 1 to 100 letters, digits, spaces, dots, dashes or underscores, starting with a letter or digit',
    ]);
  return name;
}

function parseConfig(config: unknown): StreamConfig {
  const parsed = streamConfigSchema.safeParse(config);
  if (parsed.success) return parsed.data;
  throw new StreamException(
    StreamErrorCode.INVALID,
    'invalid stream',
    parsed.error.issues.map((i) => `${[...i.path].join('.') || 'config'}: ${i.message}`),
  );
}

function parseSecrets(secrets: unknown): StreamSecrets {
  const parsed = streamSecretsSchema.safeParse(secrets);
  if (parsed.success) return parsed.data;
  // Issues name the secret, never its value.
  throw new StreamException(
    StreamErrorCode.INVALID,
    'invalid stream',
    parsed.error.issues.map((i) => `secrets${i.path.length > 0 ? `.${String(i.path[0])}` : ''}: ${i.message}`),
  );
}

function prefixed(secrets: StreamSecrets): Record<string, true> {
  return Object.fromEntries(Object.keys(secrets).map((k) => [`secrets.${k}`, true]));
}

function diffKeys(before: StreamConfig, after: StreamConfig): string[] {
  const keys = new Set([
    ...Object.keys(before),
    ...Object.keys(after),
    ...Object.keys(before.settings).map((k) => `settings.${k}`),
    ...Object.keys(after.settings).map((k) => `settings.${k}`),
  ]);
  const get = (config: StreamConfig, key: string): unknown =>
    key.startsWith('settings.') ? config.settings[key.slice('settings.'.length)] : (config as Record<string, unknown>)[key];
  return [...keys].filter((k) => k !== 'settings' && JSON.stringify(get(before, k)) !== JSON.stringify(get(after, k))).sort();
}

function isUuid(id: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
}
