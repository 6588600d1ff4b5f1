import type { ConnectorState } from './connector-status.service';

/** Compacted topic, keyed by connector name: the latest status snapshot each connector app published. */
export const CONNECTOR_STATUS_TOPIC = 'vigil.connector-status';
/** Compacted topic, keyed by connector name: the operator's wish (pause or resume) the connector apps apply. */
export const CONNECTOR_CONTROL_TOPIC = 'vigil.connector-control';

/** What a connector app publishes about one connector (JSON value of CONNECTOR_STATUS_TOPIC). */
export interface ConnectorStatusSnapshot {
  name: string;
  type: string;
  state: ConnectorState;
  reason: string | null;
  /** Counters since the app started. */
  eventsSent: number;
  deadLettered: number;
  retries: number;
  lastSuccessAt: string | null;
  lastError: { at: string; message: string } | null;
  /** Which process published it (host:pid) and when. */
  instance: string;
  publishedAt: string;
}

export const CONTROL_ACTIONS = ['pause', 'resume'] as const;
export type ControlAction = (typeof CONTROL_ACTIONS)[number];

/** An operator's command (JSON value of CONNECTOR_CONTROL_TOPIC); the latest per connector is its desired state. */
export interface ConnectorControlCommand {
  action: ControlAction;
  requestedAt: string;
}

/** Parses a control message; undefined when it is not one (a tombstone, or written by something else). */
export function parseControlCommand(value: Buffer | null): ConnectorControlCommand | undefined {
  if (value === null) return undefined;
  try {
    const parsed = JSON.parse(value.toString()) as Partial<ConnectorControlCommand>;
    if (!CONTROL_ACTIONS.includes(parsed.action as ControlAction) || typeof parsed.requestedAt !== 'string') return undefined;
    return { action: parsed.action as ControlAction, requestedAt: parsed.requestedAt };
  } catch {
    return undefined;
  }
}
