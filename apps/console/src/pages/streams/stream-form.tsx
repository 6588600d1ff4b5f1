import { useId, useState, type FormEvent } from 'react';
import { ApiError } from '../../api/graphql.client.ts';
import {
  CATEGORIES,
  emptyForm,
  formFieldOf,
  formFromStream,
  parseJsonObject,
  secretFieldsOf,
  SEVERITIES,
  STREAM_TYPES,
  typeSpec,
  type FormErrors,
  type SecretEntry,
  type StreamFormState,
} from './stream-form.util.ts';
import type { Stream } from './streams-api.util.ts';

interface Props {
  /** The stream being edited; none creates one. */
  stream?: Stream;
  /** Validates and sends the form; returns the errors to show, or nothing when it was saved. */
  onSubmit: (form: StreamFormState) => Promise<FormErrors | undefined>;
  onCancel: () => void;
}

/** The create and edit form of a stream (docs/streams.md). Secrets are write-only: shown as set, never filled in. */
export function StreamForm({ stream, onSubmit, onCancel }: Props) {
  const id = useId();
  const [form, setForm] = useState<StreamFormState>(() => (stream ? formFromStream(stream) : emptyForm()));
  const [errors, setErrors] = useState<FormErrors>({});
  const [failure, setFailure] = useState<ApiError | Error | null>(null);
  const [busy, setBusy] = useState(false);
  const spec = typeSpec(form.type);
  const editing = stream !== undefined;
  const setNames = stream?.secretNames ?? [];

  const set = <K extends keyof StreamFormState>(key: K, value: StreamFormState[K]): void => setForm((f) => ({ ...f, [key]: value }));
  const setSecret = (name: string, entry: Partial<SecretEntry>): void =>
    setForm((f) => ({ ...f, secrets: { ...f.secrets, [name]: { value: '', remove: false, ...f.secrets[name], ...entry } } }));

  const submit = async (e: FormEvent<HTMLFormElement>): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setFailure(null);
    try {
      const problems = await onSubmit(form);
      setErrors(problems ?? {});
      if (problems && Object.keys(problems).length > 0) {
        // Focus the first field at fault, so a keyboard or screen-reader user lands on it.
        const first = Object.keys(problems)[0];
        if (first !== undefined) document.getElementById(`${id}-${first}`)?.focus();
      }
    } catch (err) {
      const apiError = err instanceof ApiError ? err : null;
      const field = formFieldOf(apiError?.field, form.type);
      if (apiError && field !== undefined) setErrors({ [field]: apiError.message });
      else setErrors({});
      setFailure(err instanceof Error ? err : new Error(String(err)));
    } finally {
      setBusy(false);
    }
  };

  const fieldError = (key: string) =>
    errors[key] ? (
      <p className="field-error" id={`${id}-${key}-error`}>
        <span aria-hidden="true">⚠ </span>
        {errors[key]}
      </p>
    ) : null;
  const described = (key: string, hint?: boolean): string | undefined =>
    [hint ? `${id}-${key}-hint` : '', errors[key] ? `${id}-${key}-error` : ''].filter(Boolean).join(' ') || undefined;
  const advancedCheck = parseJsonObject(form.advanced);

  return (
    <form className="stream-form" onSubmit={(e) => void submit(e)} noValidate aria-busy={busy}>
      {failure && (
        <div className="state state-error inline" role="alert">
          <strong>{editing ? 'The stream was not saved' : 'The stream was not created'}</strong>
          <p>{failure.message}</p>
          {failure instanceof ApiError && (
            <p className="muted small">
              Code: {failure.code}
              {failure.field ? ` · field: ${failure.field}` : ''}
            </p>
          )}
        </div>
      )}
      <div className="form-grid">
        <div className="field">
          <label htmlFor={`${id}-name`}>Name</label>
          <input
            id={`${id}-name`}
            value={form.name}
            onChange={(e) => set('name', e.target.value)}
            required
            maxLength={100}
            autoFocus
            aria-invalid={errors['name'] ? true : undefined}
            aria-describedby={described('name')}
          />
          {fieldError('name')}
        </div>
        <div className="field">
          <label htmlFor={`${id}-type`}>Type</label>
          <select
            id={`${id}-type`}
            value={form.type}
            disabled={editing}
            onChange={(e) => setForm((f) => ({ ...f, type: e.target.value, format: '', settings: {}, secrets: {} }))}
            aria-describedby={editing ? `${id}-type-hint` : described('type')}
          >
            {STREAM_TYPES.map((t) => (
              <option key={t.type} value={t.type}>
                {t.label}
              </option>
            ))}
          </select>
          {editing && (
            <p className="hint" id={`${id}-type-hint`}>
              A stream’s type cannot change; create another stream instead.
            </p>
          )}
          {fieldError('type')}
        </div>
        <div className="field">
          <label htmlFor={`${id}-minSeverity`}>Minimum severity</label>
          <select id={`${id}-minSeverity`} value={form.minSeverity} onChange={(e) => set('minSeverity', e.target.value)}>
            {SEVERITIES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
          {fieldError('minSeverity')}
        </div>
        <div className="field">
          <label htmlFor={`${id}-format`}>Format</label>
          <select
            id={`${id}-format`}
            value={form.format}
            onChange={(e) => set('format', e.target.value)}
            aria-describedby={described('format')}
          >
            <option value="">{editing ? 'Unchanged' : `Default (${spec?.formats[0] ?? 'native'})`}</option>
            {(spec?.formats ?? []).map((f) => (
              <option key={f} value={f}>
                {f}
              </option>
            ))}
          </select>
          {fieldError('format')}
        </div>
      </div>

      <fieldset className="categories" aria-describedby={`${id}-categories-hint`}>
        <legend>Categories</legend>
        <p className="hint" id={`${id}-categories-hint`}>
          None ticked sends every category.
        </p>
        <div className="checks">
          {CATEGORIES.map((c) => (
            <label key={c} className="check">
              <input
                type="checkbox"
                checked={form.categories.includes(c)}
                onChange={(e) => set('categories', e.target.checked ? [...form.categories, c] : form.categories.filter((x) => x !== c))}
              />
              {c}
            </label>
          ))}
        </div>
        {fieldError('categories')}
      </fieldset>

      <div className="form-grid">
        <div className="field">
          <label htmlFor={`${id}-actionsInclude`}>Actions to send</label>
          <input
            id={`${id}-actionsInclude`}
            value={form.actionsInclude}
            placeholder="user.login.*, role.*"
            onChange={(e) => set('actionsInclude', e.target.value)}
            aria-describedby={`${id}-actionsInclude-hint`}
          />
          <p className="hint" id={`${id}-actionsInclude-hint`}>
            Comma-separated patterns; empty sends every action.
          </p>
        </div>
        <div className="field">
          <label htmlFor={`${id}-actionsExclude`}>Actions to leave out</label>
          <input id={`${id}-actionsExclude`} value={form.actionsExclude} onChange={(e) => set('actionsExclude', e.target.value)} />
          {fieldError('actions')}
        </div>
      </div>

      <fieldset>
        <legend>Settings</legend>
        <div className="form-grid">
          {(spec?.settings ?? []).map((f) => {
            const key = `settings.${f.key}`;
            const value = form.settings[f.key] ?? '';
            const onChange = (v: string): void => set('settings', { ...form.settings, [f.key]: v });
            return (
              <div className="field" key={f.key}>
                <label htmlFor={`${id}-${key}`}>{f.label}</label>
                {f.kind === 'select' ? (
                  <select id={`${id}-${key}`} value={value} onChange={(e) => onChange(e.target.value)} aria-describedby={described(key)}>
                    <option value="">Default</option>
                    {(f.options ?? []).map((o) => (
                      <option key={o} value={o}>
                        {o}
                      </option>
                    ))}
                  </select>
                ) : (
                  <input
                    id={`${id}-${key}`}
                    type={f.kind === 'url' ? 'url' : 'text'}
                    value={value}
                    placeholder={f.hint}
                    onChange={(e) => onChange(e.target.value)}
                    aria-invalid={errors[key] ? true : undefined}
                    aria-describedby={described(key)}
                  />
                )}
                {fieldError(key)}
              </div>
            );
          })}
        </div>
        <div className="field">
          <label htmlFor={`${id}-advanced`}>Advanced settings (JSON)</label>
          <textarea
            id={`${id}-advanced`}
            className="mono"
            rows={5}
            spellCheck={false}
            value={form.advanced}
            onChange={(e) => set('advanced', e.target.value)}
            aria-invalid={!advancedCheck.ok || errors['advanced'] ? true : undefined}
            aria-describedby={described('advanced', true)}
          />
          <p className="hint" id={`${id}-advanced-hint`}>
            Every other setting of the {spec?.label ?? form.type} sink, as a JSON object (e.g. {'{ "gzip": true }'}). Secrets do not go
            here.
            {!advancedCheck.ok && <span className="warn-text"> Not yet valid: {advancedCheck.message}.</span>}
          </p>
          {fieldError('advanced')}
        </div>
      </fieldset>

      <fieldset>
        <legend>Secrets</legend>
        <p className="hint">
          Write-only: a saved secret is never shown again.{editing ? ' Leave a field empty to keep the saved value.' : ''}
        </p>
        {secretFieldsOf(form.type, setNames).map((s) => {
          const key = `secrets.${s.name}`;
          const entry = form.secrets[s.name] ?? { value: '', remove: false };
          const isSet = setNames.includes(s.name);
          return (
            <div className="field secret" key={s.name}>
              <label htmlFor={`${id}-${key}`}>{s.label}</label>
              <div className="secret-row">
                <input
                  id={`${id}-${key}`}
                  type="password"
                  autoComplete="new-password"
                  value={entry.value}
                  disabled={entry.remove}
                  placeholder={isSet ? 'set: leave empty to keep' : 'not set'}
                  onChange={(e) => setSecret(s.name, { value: e.target.value })}
                  aria-invalid={errors[key] ? true : undefined}
                  aria-describedby={`${id}-${key}-status${errors[key] ? ` ${id}-${key}-error` : ''}`}
                />
                <span className={`secret-status ${isSet ? 'is-set' : ''}`} id={`${id}-${key}-status`}>
                  {entry.remove ? 'will be removed' : isSet ? '✔ set' : 'not set'}
                </span>
                {isSet && (
                  <label className="check">
                    <input
                      type="checkbox"
                      checked={entry.remove}
                      onChange={(e) => setSecret(s.name, { remove: e.target.checked, value: '' })}
                    />
                    Remove {s.label}
                  </label>
                )}
              </div>
              {fieldError(key)}
            </div>
          );
        })}
      </fieldset>

      <div className="form-actions">
        <button type="submit" className="primary" disabled={busy}>
          {editing ? 'Save' : 'Create stream'}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        {busy && (
          <span role="status" className="muted">
            Saving…
          </span>
        )}
      </div>
    </form>
  );
}
