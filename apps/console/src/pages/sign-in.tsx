import { useId, useState, type FormEvent } from 'react';

/** Sign in with an API key, a JWT from the identity provider, or a viewer token. */
export function SignIn({ onSubmit, busy, message }: { onSubmit: (credential: string) => void; busy: boolean; message: string | null }) {
  const [value, setValue] = useState('');
  const id = useId();
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    if (value.trim().length > 0) onSubmit(value.trim());
  };
  return (
    <main className="sign-in">
      <form onSubmit={submit} aria-labelledby={`${id}-title`} className="card">
        <h1 id={`${id}-title`}>Vigil audit console</h1>
        <p className="muted">Sign in with an API key, a token from your identity provider, or a viewer token.</p>
        {message && (
          <p className="state-error inline" role="alert">
            {message}
          </p>
        )}
        <label htmlFor={`${id}-credential`}>API key or token</label>
        <input
          id={`${id}-credential`}
          type="password"
          autoComplete="off"
          spellCheck={false}
          value={value}
          onChange={(e) => setValue(e.target.value)}
          placeholder="vigil_… or eyJ…"
          required
        />
        <p className="muted small">Kept in this tab only (session storage) and sent to this server alone.</p>
        <button type="submit" className="primary" disabled={busy || value.trim().length === 0}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
