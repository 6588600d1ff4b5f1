import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { FormatException, parseExtraFields } from '@vigil/formats';
import {
  connectorCommonSchema,
  connectorsFileSchema,
  CONNECTOR_TYPES,
  type ConnectorDefinition,
  type ConnectorTypeSpec,
} from './connector-config.schema';
import { ConnectorErrorCode, ConnectorException } from './connector.exception';
import { secretFrom, secretNames, type Env } from './secret.util';

export const DEFAULT_CONFIG_PATH = 'vigil.config.yaml';

export interface ParseOptions {
  /** Where secrets referenced by name are read from. */
  env: Env;
  /** Types whose settings block is validated; connectors of other types get their common settings checked only. */
  specs: readonly ConnectorTypeSpec<unknown>[];
  /** Shown in errors (the file path). */
  source?: string;
}

/**
 * Reads the connectors file and returns the enabled connectors of one type, validated. Throws
 * ConnectorException listing every problem as `connectors[1] (splunk-eu).batch.maxEvents: must be <= 10000`.
 * `secrets` reads the variables the file names for its secrets (`tokenEnv: ...`), e.g. `namedVariables` of libs/config.
 */
export function loadConnectorsOfType<S>(
  path: string,
  secrets: (names: readonly string[]) => Env,
  spec: ConnectorTypeSpec<S>,
): ConnectorDefinition<S>[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConnectorException(
      ConnectorErrorCode.INVALID_CONFIG,
      `cannot read the connectors file ${path} (set VIGIL_CONFIG to its path): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  const env = secrets(secretNames(parseDocument(text).toJS() as unknown));
  const all = parseConnectorConfig(text, { env, specs: [spec], source: path });
  // The spec validated these settings, so they are S.
  return all.filter((c) => c.type === spec.type && c.enabled) as ConnectorDefinition<S>[];
}

/** Validates a connectors file's text (YAML or JSON) in full before anything starts. */
export function parseConnectorConfig(text: string, options: ParseOptions): ConnectorDefinition[] {
  const source = options.source ?? DEFAULT_CONFIG_PATH;
  const document = parseDocument(text);
  if (document.errors.length > 0) {
    const problems = document.errors.map((e) => `line ${(e.linePos?.[0].line ?? 0) || '?'}: ${e.message.split('\n')[0] ?? ''}`);
    throw new ConnectorException(ConnectorErrorCode.INVALID_CONFIG, `${source} is not valid YAML`, problems);
  }
  const file = connectorsFileSchema.safeParse(document.toJS() ?? {});
  if (!file.success) throw invalid(source, issuesOf(file.error, 'connectors', document.toJS()));
  const problems: string[] = [];
  const connectors = file.data.connectors.map((raw, index) => parseOne(raw, index, options, problems));
  const seen = new Map<string, number>();
  file.data.connectors.forEach((raw, index) => {
    const name = isRecord(raw) ? raw['name'] : undefined;
    if (typeof name !== 'string') return;
    const first = seen.get(name);
    if (first !== undefined) problems.push(`connectors[${index}] (${name}).name: duplicates connectors[${first}]; names must be unique`);
    else seen.set(name, index);
  });
  if (problems.length > 0) throw invalid(source, problems);
  return connectors.filter((c): c is ConnectorDefinition => c !== undefined);
}

function parseOne(raw: unknown, index: number, options: ParseOptions, problems: string[]): ConnectorDefinition | undefined {
  const name = isRecord(raw) && typeof raw['name'] === 'string' ? raw['name'] : undefined;
  const label = name === undefined ? `connectors[${index}]` : `connectors[${index}] (${name})`;
  const common = connectorCommonSchema.safeParse(raw);
  if (!common.success) {
    problems.push(...issuesOf(common.error, label, raw));
    return undefined;
  }
  const { type, format, extraFields, ...rest } = common.data;
  const before = problems.length;
  for (const other of CONNECTOR_TYPES) {
    if (other !== type && rest[other] !== undefined) problems.push(`${label}.${other}: settings for ${other} on a ${type} connector`);
  }
  const spec = options.specs.find((s) => s.type === type);
  let settings: unknown = rest[type];
  if (spec !== undefined) {
    if (format !== undefined && !spec.formats.includes(format))
      problems.push(`${label}.format: a ${type} connector sends ${spec.formats.join(' or ')}, not ${format}`);
    const parsed = spec.settings(secretFrom(options.env)).safeParse(settings);
    if (parsed.success) settings = parsed.data;
    else if (settings === undefined) problems.push(`${label}.${type}: is required (the ${type} settings block)`);
    else problems.push(...issuesOf(parsed.error, `${label}.${type}`, settings));
  }
  try {
    parseExtraFields(extraFields);
  } catch (err) {
    if (!(err instanceof FormatException)) throw err;
    problems.push(`${label}.${err.message.replace(/^(extraFields\.\S+) /, '$1: ')}`);
  }
  if (problems.length > before) return undefined;
  return {
    name: common.data.name,
    type,
    enabled: rest.enabled,
    categories: rest.categories,
    actions: rest.actions,
    minSeverity: rest.minSeverity,
    format: format ?? spec?.defaultFormat ?? 'native',
    extraFields,
    batch: rest.batch,
    retry: rest.retry,
    startFrom: rest.startFrom,
    tenants: rest.tenants,
    settings,
  };
}

function invalid(source: string, problems: string[]): ConnectorException {
  return new ConnectorException(ConnectorErrorCode.INVALID_CONFIG, `invalid connectors file ${source}`, problems);
}

function issuesOf(error: z.ZodError, label: string, input: unknown): string[] {
  return error.issues.map((issue) => {
    const where = `${label}${formatPath(issue.path)}`;
    if (issue.code === 'unrecognized_keys') return `${where}: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
    if (issue.code === 'invalid_type' && valueAt(input, issue.path) === undefined) return `${where}: is required`;
    return `${where}: ${issue.message}`;
  });
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const key of path) {
    if (Array.isArray(current) && typeof key === 'number') current = current[key] as unknown;
    else if (isRecord(current) && typeof key === 'string') current = current[key];
    else return undefined;
  }
  return current;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
