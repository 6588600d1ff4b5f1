// The stream form and the API's inputs, both ways: a stream's settings split into labelled fields and an advanced JSON
// object, secrets that are write-only (never pre-filled: a form only knows which are set), and validation before sending.
import type { Stream } from './streams-api.util.ts';

export const CATEGORIES = [
  'authentication',
  'account-management',
  'role-privilege',
  'user-activity',
  'object-access',
  'application-change',
  'data-integration',
  'organisation',
  'automation',
] as const;

export const SEVERITIES = ['INFO', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;

export interface SettingField {
  key: string;
  label: string;
  hint?: string;
  kind?: 'text' | 'url' | 'select';
  options?: readonly string[];
}

export interface SecretField {
  /** The name the API takes in `secrets` (`token`, `headers.Authorization`). */
  name: string;
  label: string;
}

export interface StreamTypeSpec {
  type: string;
  label: string;
  formats: readonly string[];
  settings: readonly SettingField[];
  secrets: readonly SecretField[];
}

/** The sink types the API accepts (libs/sinks), with the settings most streams set. */
export const STREAM_TYPES: readonly StreamTypeSpec[] = [
  {
    type: 'splunk',
    label: 'Splunk (HEC)',
    formats: ['hec'],
    settings: [
      { key: 'url', label: 'HEC URL', kind: 'url', hint: 'https://splunk.example.com:8088' },
      { key: 'index', label: 'Index' },
      { key: 'sourcetype', label: 'Source type' },
      { key: 'source', label: 'Source' },
    ],
    secrets: [{ name: 'token', label: 'HEC token' }],
  },
  {
    type: 'datadog',
    label: 'Datadog',
    formats: ['native'],
    settings: [
      {
        key: 'site',
        label: 'Site',
        kind: 'select',
        options: ['datadoghq.com', 'us3.datadoghq.com', 'us5.datadoghq.com', 'datadoghq.eu', 'ap1.datadoghq.com', 'ddog-gov.com'],
      },
      { key: 'service', label: 'Service' },
      { key: 'source', label: 'Source' },
    ],
    secrets: [{ name: 'apiKey', label: 'API key' }],
  },
  {
    type: 'sentinel',
    label: 'Microsoft Sentinel',
    formats: ['native'],
    settings: [
      { key: 'endpoint', label: 'Data collection endpoint', kind: 'url' },
      { key: 'dcrImmutableId', label: 'Data collection rule id', hint: 'dcr-…' },
      { key: 'streamName', label: 'Stream name', hint: 'Custom-VigilAudit_CL' },
      { key: 'tenantId', label: 'Entra tenant id' },
      { key: 'clientId', label: 'Client id' },
    ],
    secrets: [{ name: 'clientSecret', label: 'Client secret' }],
  },
  {
    type: 'elasticsearch',
    label: 'Elasticsearch / OpenSearch',
    formats: ['ecs'],
    settings: [
      { key: 'url', label: 'URL', kind: 'url' },
      { key: 'username', label: 'Username', hint: 'with a password, instead of an API key' },
    ],
    secrets: [
      { name: 'apiKey', label: 'API key' },
      { name: 'password', label: 'Password' },
    ],
  },
  {
    type: 'http',
    label: 'HTTP webhook / OTLP',
    formats: ['native', 'ecs', 'otlp'],
    settings: [
      { key: 'url', label: 'URL', kind: 'url' },
      { key: 'framing', label: 'Framing', kind: 'select', options: ['json-array', 'ndjson'] },
    ],
    secrets: [
      { name: 'headers.Authorization', label: 'Authorization header' },
      { name: 'signingSecret', label: 'Signing secret' },
    ],
  },
];

export function typeSpec(type: string): StreamTypeSpec | undefined {
  return STREAM_TYPES.find((t) => t.type === type);
}

/** A secret as the form holds it: a new value to set, or a set one to remove; both empty keeps what is stored. */
export interface SecretEntry {
  value: string;
  remove: boolean;
}

export interface StreamFormState {
  name: string;
  type: string;
  /** None checked: every category. */
  categories: string[];
  minSeverity: string;
  /** Empty: the type's default format. */
  format: string;
  /** Comma- or newline-separated action patterns. */
  actionsInclude: string;
  actionsExclude: string;
  /** The labelled settings of the type, as text. */
  settings: Record<string, string>;
  /** Every other setting, as a JSON object. */
  advanced: string;
  secrets: Record<string, SecretEntry>;
}

export function emptyForm(type = 'splunk'): StreamFormState {
  return {
    name: '',
    type,
    categories: [],
    minSeverity: 'INFO',
    format: '',
    actionsInclude: '',
    actionsExclude: '',
    settings: {},
    advanced: '{}',
    secrets: {},
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The form for editing a stream: its labelled settings in their fields, the rest as JSON; no secret value, ever. */
export function formFromStream(stream: Stream): StreamFormState {
  const spec = typeSpec(stream.type);
  const settings = isRecord(stream.settings) ? stream.settings : {};
  const own: Record<string, string> = {};
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(settings)) {
    const labelled = spec?.settings.some((f) => f.key === key) === true;
    if (labelled && (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')) own[key] = String(value);
    else rest[key] = value;
  }
  const include = stream.actions.include.length === 1 && stream.actions.include[0] === '*' ? [] : stream.actions.include;
  return {
    name: stream.name,
    type: stream.type,
    categories: stream.categories === null || stream.categories.length === CATEGORIES.length ? [] : [...stream.categories],
    minSeverity: stream.minSeverity,
    format: stream.format ?? '',
    actionsInclude: include.join(', '),
    actionsExclude: stream.actions.exclude.join(', '),
    settings: own,
    advanced: JSON.stringify(rest, null, 2),
    secrets: {},
  };
}

/** The secret fields a form shows: the type's own, then any other secret the stream has set (a custom header). */
export function secretFieldsOf(type: string, setNames: readonly string[]): SecretField[] {
  const own = typeSpec(type)?.secrets ?? [];
  const extra = setNames.filter((name) => !own.some((s) => s.name === name)).map((name) => ({ name, label: name }));
  return [...own, ...extra];
}

export type JsonObjectResult = { ok: true; value: Record<string, unknown> } | { ok: false; message: string };

/** The advanced settings: a JSON object (empty text is `{}`), with the parser's message when it is not one. */
export function parseJsonObject(text: string): JsonObjectResult {
  if (text.trim() === '') return { ok: true, value: {} };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, message: `not valid JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (!isRecord(value)) return { ok: false, message: 'must be a JSON object, such as { "gzip": true }' };
  return { ok: true, value };
}

function patterns(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
}

export interface CreateStreamInput {
  name: string;
  type: string;
  categories?: string[];
  minSeverity: string;
  format?: string;
  actions?: { include?: string[]; exclude?: string[] };
  settings: Record<string, unknown>;
  secrets: Record<string, string>;
}

export interface UpdateStreamInput {
  name: string;
  categories: string[];
  minSeverity: string;
  format?: string;
  actions: { include: string[]; exclude: string[] };
  settings: Record<string, unknown>;
  secrets?: Record<string, string | null>;
}

/** A problem with the form, keyed like the API's fields (`name`, `settings`, `secrets.token`). */
export type FormErrors = Record<string, string>;

export type FormResult<T> = { ok: true; input: T } | { ok: false; errors: FormErrors };

function settingsOf(form: StreamFormState, errors: FormErrors): Record<string, unknown> {
  const advanced = parseJsonObject(form.advanced);
  if (!advanced.ok) {
    errors['advanced'] = advanced.message;
    return {};
  }
  const spec = typeSpec(form.type);
  const settings: Record<string, unknown> = { ...advanced.value };
  for (const field of spec?.settings ?? []) {
    const value = (form.settings[field.key] ?? '').trim();
    if (value === '') continue;
    if (field.key in advanced.value) errors['advanced'] = `"${field.key}" has its own field (${field.label}): set it there, not in JSON`;
    settings[field.key] = value;
  }
  return settings;
}

function common(form: StreamFormState, errors: FormErrors): { name: string; settings: Record<string, unknown> } {
  const name = form.name.trim();
  if (name === '') errors['name'] = 'is required';
  else if (name.length > 100) errors['name'] = 'must be at most 100 characters';
  return { name, settings: settingsOf(form, errors) };
}

/** createStream's input; secrets left empty are not sent. */
export function toCreateInput(form: StreamFormState): FormResult<CreateStreamInput> {
  const errors: FormErrors = {};
  if (typeSpec(form.type) === undefined) errors['type'] = `must be one of ${STREAM_TYPES.map((t) => t.type).join(', ')}`;
  const { name, settings } = common(form, errors);
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  const secrets: Record<string, string> = {};
  for (const [key, entry] of Object.entries(form.secrets)) if (entry.value !== '' && !entry.remove) secrets[key] = entry.value;
  const include = patterns(form.actionsInclude);
  const exclude = patterns(form.actionsExclude);
  return {
    ok: true,
    input: {
      name,
      type: form.type,
      ...(form.categories.length > 0 && { categories: [...form.categories] }),
      minSeverity: form.minSeverity,
      ...(form.format !== '' && { format: form.format }),
      ...((include.length > 0 || exclude.length > 0) && {
        actions: { ...(include.length > 0 && { include }), ...(exclude.length > 0 && { exclude }) },
      }),
      settings,
      secrets,
    },
  };
}

/**
 * updateStream's input. The API keeps what is left out, so the form sends every filter: no category ticked is sent as
 * all of them, no action pattern as `*`. Secrets: a value sets it, "remove" sends null, both empty leaves it as it is.
 */
export function toUpdateInput(form: StreamFormState): FormResult<UpdateStreamInput> {
  const errors: FormErrors = {};
  const { name, settings } = common(form, errors);
  const secrets: Record<string, string | null> = {};
  for (const [key, entry] of Object.entries(form.secrets)) {
    if (entry.remove && entry.value !== '') errors[`secrets.${key}`] = 'give a new value or remove it, not both';
    else if (entry.remove) secrets[key] = null;
    else if (entry.value !== '') secrets[key] = entry.value;
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  const include = patterns(form.actionsInclude);
  return {
    ok: true,
    input: {
      name,
      categories: form.categories.length > 0 ? [...form.categories] : [...CATEGORIES],
      minSeverity: form.minSeverity,
      ...(form.format !== '' && { format: form.format }),
      actions: { include: include.length > 0 ? include : ['*'], exclude: patterns(form.actionsExclude) },
      settings,
      ...(Object.keys(secrets).length > 0 && { secrets }),
    },
  };
}

/** Which form field an API error's `extensions.field` is about (`settings.url` → the URL field, else the JSON). */
export function formFieldOf(apiField: string | undefined, type: string): string | undefined {
  if (apiField === undefined || apiField === '') return undefined;
  const field = apiField.replace(/^input\./, '');
  const setting = /^settings\.([^.[]+)/.exec(field);
  if (setting?.[1] !== undefined) {
    return typeSpec(type)?.settings.some((f) => f.key === setting[1]) === true ? `settings.${setting[1]}` : 'advanced';
  }
  if (field === 'settings') return 'advanced';
  if (field.startsWith('actions')) return 'actions';
  if (field.startsWith('categories')) return 'categories';
  return field;
}
