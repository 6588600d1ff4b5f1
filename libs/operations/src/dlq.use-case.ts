import { Injectable } from '@nestjs/common';
import { EventCodec, EventDecodeException } from '@vigil/events';
import { connectorOfGroup } from '@vigil/kafka';
import { ConnectorCatalog } from './connector-catalog.service';
import { DeadLetterRepository, type DeadLetterEntry } from './dead-letter.repository';
import { DlqRedriveService, type RedriveResult } from './dlq-redrive.service';
import { untilAborted } from './interruption.util';
import { OperationsErrorCode, OperationsException } from './operations.exception';
import type { OperationObserver } from './operations.types';

export interface DeadLetterListing {
  /** The latest `limit` letters matching the filter, oldest first. */
  shown: DeadLetterEntry[];
  /** How many matched in all. */
  total: number;
}

export interface DeadLetterDetail {
  entry: DeadLetterEntry;
  /** The decoded event, or null when it does not decode (then `decodeError` says why). */
  event: unknown;
  decodeError: string | null;
}

export interface RedriveRequest {
  refs: readonly string[];
  all?: boolean | undefined;
  connector?: string | undefined;
  reason?: string | undefined;
}

export interface RedriveOutcome {
  letters: number;
  results: RedriveResult[];
}

const INTERRUPTED = 'interrupted; letters not yet delivered are still in audit.dlq: redrive them again';

const invalid = (message: string): OperationsException => new OperationsException(OperationsErrorCode.INVALID_ARGUMENT, message);

/** Dead letters in audit.dlq: list, show, and redrive them to their connector once the cause is fixed. */
@Injectable()
export class DlqUseCase {
  constructor(
    private readonly letters: DeadLetterRepository,
    private readonly catalog: ConnectorCatalog,
    private readonly redriver: DlqRedriveService,
    private readonly codec: EventCodec,
  ) {}

  async list(filter: { connector?: string | undefined; reason?: string | undefined; limit: string }): Promise<DeadLetterListing> {
    const limit = Number(filter.limit);
    if (!Number.isInteger(limit) || limit < 1) throw invalid(`--limit must be a positive whole number, not "${filter.limit}"`);
    const entries = await this.letters.list(filter);
    return { shown: entries.slice(-limit), total: entries.length };
  }

  async show(ref: string): Promise<DeadLetterDetail> {
    const [entry] = await this.letters.byRefs([ref]);
    if (entry === undefined) throw new OperationsException(OperationsErrorCode.DEAD_LETTER_NOT_FOUND, `no dead letter ${ref}`);
    try {
      return { entry, event: await this.codec.decode(entry.value, entry.origin.topic), decodeError: null };
    } catch (err) {
      if (!(err instanceof EventDecodeException)) throw err;
      return { entry, event: null, decodeError: `${err.reason}: ${err.message}` };
    }
  }

  /** Sends the named letters (or all of a connector's) back to their connector; see `undecodable` and `refused` for what was not sent. */
  async redrive(request: RedriveRequest, observer: OperationObserver, signal: AbortSignal): Promise<RedriveOutcome> {
    if (request.refs.length > 0 === (request.all === true))
      throw invalid(
        'name the dead letters to redrive (<partition>:<offset> as `vigil dlq list` prints them), or pass --all --connector <name>',
      );
    if (request.all === true && request.connector === undefined) throw invalid('--all needs --connector <name>');
    const letters =
      request.all === true
        ? await this.letters.list({ connector: request.connector, reason: request.reason })
        : await this.letters.byRefs(request.refs);
    const byConnector = new Map<string, DeadLetterEntry[]>();
    for (const letter of letters) {
      const name = request.connector ?? connectorOfGroup(letter.consumer);
      if (name === undefined)
        throw new OperationsException(
          OperationsErrorCode.DEAD_LETTER_WITHOUT_CONNECTOR,
          `dead letter ${letter.ref} was written by ${letter.consumer}, not a connector; pass --connector <name> to send it to one`,
        );
      byConnector.set(name, [...(byConnector.get(name) ?? []), letter]);
    }
    const results: RedriveResult[] = [];
    for (const [name, entries] of byConnector) {
      results.push(await untilAborted(signal, this.redriver.redrive(this.catalog.load(name), entries, observer, signal), INTERRUPTED));
    }
    return { letters: letters.length, results };
  }
}

/**
 * The failure to report after a redrive: letters the connector refused (its tenants, actions or severity: the wrong
 * connector was named), then letters that still do not decode (their schema or producer is the problem).
 */
export function redriveFailure(outcome: RedriveOutcome): OperationsException | undefined {
  const refused = outcome.results.flatMap((r) => r.refused.map((f) => ({ ...f, connector: r.connector })));
  if (refused.length > 0)
    return new OperationsException(
      OperationsErrorCode.DEAD_LETTERS_REFUSED,
      `${refused.length} dead letter(s) were not sent: ${refused.map((f) => `${f.ref}: ${f.reason}`).join('; ')}; name the connector that sends them`,
    );
  const stuck = outcome.results.flatMap((r) => r.undecodable);
  if (stuck.length === 0) return undefined;
  return new OperationsException(
    OperationsErrorCode.DEAD_LETTERS_UNDECODABLE,
    `${stuck.length} dead letter(s) still cannot be decoded (${stuck.map((s) => `${s.ref}: ${s.reason}`).join('; ')}); fix the schema or producer first`,
  );
}
