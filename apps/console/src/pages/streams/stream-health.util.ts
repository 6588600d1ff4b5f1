// How a stream's health reads on screen: a word and a symbol as well as a colour, never colour alone.
import type { StreamHealth, StreamStateName } from './streams-api.util.ts';

export type Tone = 'ok' | 'warn' | 'danger' | 'neutral';

export interface HealthDisplay {
  label: string;
  /** A symbol beside the word (hidden from screen readers: the word says it). */
  symbol: string;
  tone: Tone;
  /** Why, when the stream is not simply active. */
  reason: string | null;
  recovery: string | null;
}

const STATES: Record<StreamStateName, { label: string; symbol: string; tone: Tone }> = {
  ACTIVE: { label: 'Active', symbol: '●', tone: 'ok' },
  CATCHING_UP: { label: 'Catching up', symbol: '↻', tone: 'warn' },
  FAILING: { label: 'Failing', symbol: '✖', tone: 'danger' },
  PAUSED: { label: 'Paused', symbol: '❚❚', tone: 'neutral' },
  SUSPENDED: { label: 'Suspended', symbol: '⚠', tone: 'danger' },
};

export function healthDisplay(health: StreamHealth | null, enabled: boolean): HealthDisplay {
  if (health === null)
    return enabled
      ? { label: 'Starting', symbol: '…', tone: 'neutral', reason: 'not run by the streams app yet', recovery: null }
      : { label: 'Paused', symbol: '❚❚', tone: 'neutral', reason: 'disabled', recovery: null };
  const state = STATES[health.state] ?? { label: health.state, symbol: '?', tone: 'neutral' as const };
  return { ...state, reason: health.reason, recovery: health.recovery };
}

const count = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });

export function formatCount(n: number): string {
  return count.format(n);
}

/** Seconds as the largest sensible unit: 0 s, 42 s, 3 min, 2 h 5 min, 3 d. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) {
    const minutes = Math.floor((s % 3600) / 60);
    return `${Math.floor(s / 3600)} h${minutes > 0 ? ` ${minutes} min` : ''}`;
  }
  return `${Math.floor(s / 86_400)} d`;
}

/** "3 min ago" for a time before `now`, "never" for none. */
export function formatAgo(iso: string | null, now: number): string {
  if (iso === null) return 'never';
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  const seconds = (now - at) / 1000;
  return seconds < 5 ? 'just now' : `${formatDuration(seconds)} ago`;
}

/** The lag in both units the API gives: events not passed yet and how far behind in time. */
export function formatLag(health: StreamHealth | null): string {
  if (health === null) return '—';
  return `${formatCount(health.lagEvents)} events · ${formatDuration(health.lagSeconds)}`;
}
