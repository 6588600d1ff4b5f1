import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DoubleServer, FailureQueue, readBody, sendJson, type InjectedFailure } from './http-double.util';

export interface StoredDocument {
  index: string;
  id: string;
  source: Record<string, unknown>;
}

/**
 * Elasticsearch 8's `GET /`, `PUT _index_template/<name>`, `PUT _ilm/policy/<name>` (stored as sent) and `_bulk` API
 * as its documentation states the contract: `POST /_bulk` with `Authorization: ApiKey
 * <key>` (401 otherwise) and an NDJSON body of action/document pairs; `create` of an `_id` that exists answers the item
 * 409 (version_conflict_engine_exception); a document without a string `event.action`, or whose `message` is
 * `mapping-conflict`, is refused as a mapping error (item 400, mapper_parsing_exception); the answer is 200 with `errors` and one item per
 * action. Fails on demand with an HTTP status, or with item-level 429s (es_rejected_execution_exception).
 */
export class ElasticsearchDouble {
  readonly apiKey = randomBytes(16).toString('base64');
  private readonly documents = new Map<string, StoredDocument>();
  /** What `PUT _index_template/<name>` and `PUT _ilm/policy/<name>` stored, by path. */
  readonly installed = new Map<string, Record<string, unknown>>();
  private readonly failures = new FailureQueue<InjectedFailure>();
  private itemRejections = 0;
  private server!: DoubleServer;
  bulkRequests = 0;
  /** How many documents each accepted bulk request carried, in order. */
  readonly bulkSizes: number[] = [];

  static async start(): Promise<ElasticsearchDouble> {
    const double = new ElasticsearchDouble();
    double.server = await DoubleServer.listen((req, res) => double.handle(req, res));
    return double;
  }

  get url(): string {
    return this.server.url;
  }

  stored(): StoredDocument[] {
    return [...this.documents.values()];
  }

  failNext(count: number, failure: InjectedFailure): void {
    this.failures.add(count, failure);
  }

  /** The next `count` create actions are answered 429 item by item (the thread pool is full). */
  rejectItems(count: number): void {
    this.itemRejections += count;
  }

  close(): Promise<void> {
    return this.server.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://es').pathname;
    const route =
      req.method === 'POST' && path === '/_bulk'
        ? 'bulk'
        : req.method === 'GET' && path === '/'
          ? 'info'
          : req.method === 'PUT' && /^\/(_index_template|_ilm\/policy)\/[^/]+$/.test(path)
            ? 'install'
            : undefined;
    if (route === undefined) return sendJson(res, 404, { error: { type: 'not_found' }, status: 404 });
    if (route === 'bulk') this.bulkRequests++;
    const failure = route === 'bulk' ? this.failures.take() : undefined;
    if (typeof failure === 'number')
      return sendJson(res, failure, { error: { type: 'injected', reason: `injected ${failure}` }, status: failure });
    if (req.headers['authorization'] !== `ApiKey ${this.apiKey}`)
      return sendJson(res, 401, {
        error: { type: 'security_exception', reason: 'unable to authenticate with provided credentials' },
        status: 401,
      });
    if (route === 'info')
      return sendJson(res, 200, {
        name: 'double',
        cluster_name: 'double',
        version: { number: '8.15.0', build_flavor: 'default', lucene_version: '9.11.1' },
        tagline: 'You Know, for Search',
      });
    if (route === 'install') {
      const body = await readBody(req, 1_000_000);
      if (!body.ok) return sendJson(res, 413, { error: { type: 'request_too_large' }, status: 413 });
      this.installed.set(path, JSON.parse(body.body.toString('utf8')) as Record<string, unknown>);
      return sendJson(res, 200, { acknowledged: true });
    }
    if (!(req.headers['content-type'] ?? '').startsWith('application/x-ndjson'))
      return sendJson(res, 406, { error: { type: 'media_type_header_exception' }, status: 406 });
    const body = await readBody(req, 100_000_000);
    if (!body.ok) return sendJson(res, 413, { error: { type: 'request_too_large' }, status: 413 });
    const lines = body.body
      .toString('utf8')
      .split('\n')
      .filter((l) => l !== '');
    if (lines.length % 2 !== 0)
      return sendJson(res, 400, { error: { type: 'illegal_argument_exception', reason: 'action without a document' }, status: 400 });
    this.bulkSizes.push(lines.length / 2);
    const items: Record<string, unknown>[] = [];
    let errors = false;
    for (let i = 0; i < lines.length; i += 2) {
      const action = JSON.parse(lines[i] ?? '{}') as { create?: { _index?: string; _id?: string } };
      const source = JSON.parse(lines[i + 1] ?? '{}') as Record<string, unknown>;
      const { _index: index = '', _id: id = '' } = action.create ?? {};
      const item = this.apply(index, id, source);
      if (item.status >= 300) errors = true;
      items.push({ create: { _index: index, _id: id, ...item } });
    }
    sendJson(res, 200, { took: 1, errors, items });
  }

  private apply(index: string, id: string, source: Record<string, unknown>): { status: number; error?: unknown } {
    if (this.itemRejections > 0) {
      this.itemRejections--;
      return { status: 429, error: { type: 'es_rejected_execution_exception', reason: 'rejected execution of coordinating operation' } };
    }
    const key = `${index}/${id}`;
    if (this.documents.has(key))
      return {
        status: 409,
        error: { type: 'version_conflict_engine_exception', reason: `[${id}]: version conflict, document already exists` },
      };
    const action = (source['event'] as { action?: unknown } | undefined)?.action;
    if (typeof action !== 'string' || source['message'] === 'mapping-conflict')
      return { status: 400, error: { type: 'mapper_parsing_exception', reason: 'failed to parse field [event.action] of type [keyword]' } };
    this.documents.set(key, { index, id, source });
    return { status: 201 };
  }
}
