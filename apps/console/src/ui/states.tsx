import type { ReactNode } from 'react';
import { ApiError } from '../api/graphql.client.ts';

/** What went wrong, in words, with the API's code for support; a retry button when one makes sense. */
export function ErrorState({ error, onRetry, title = 'Something went wrong' }: { error: unknown; onRetry?: () => void; title?: string }) {
  const apiError = error instanceof ApiError ? error : null;
  const message = error instanceof Error ? error.message : String(error);
  const hint = apiError ? hintFor(apiError) : null;
  return (
    <div className="state state-error" role="alert">
      <strong>{title}</strong>
      <p>{message}</p>
      {hint && <p className="muted">{hint}</p>}
      {apiError && <p className="muted small">Code: {apiError.code}</p>}
      {onRetry && (
        <button type="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

function hintFor(error: ApiError): string | null {
  switch (error.code) {
    case 'RATE_LIMITED':
    case 'TOO_MANY_CONCURRENT':
      return `Too many requests at once${error.retryAfterSeconds ? `; retry in ${error.retryAfterSeconds} s` : ''}.`;
    case 'TIMEOUT':
      return 'The query took too long. Narrow the time range or add a filter.';
    case 'FORBIDDEN':
      return 'Your credential does not allow this.';
    case 'NETWORK':
      return null;
    default:
      return null;
  }
}

export function LoadingState({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty" role="status">
      <strong>{title}</strong>
      {children}
    </div>
  );
}
