import pino, { type Logger, type LoggerOptions } from 'pino';

/** Paths pino replaces with "[redacted]" in every log line: credentials must never reach a log. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.token',
  '*.secret',
  '*.apiKey',
  'password',
  'token',
  'secret',
  'apiKey',
];

export function loggerOptions(level: string, name: string): LoggerOptions {
  return {
    name,
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
}

/** A JSON logger for code outside Nest's DI (CLI commands, scripts). Writes to stderr so stdout stays for results. */
export function createLogger(name: string, level = process.env['LOG_LEVEL'] ?? 'info'): Logger {
  return pino(loggerOptions(level, name), pino.destination(2));
}
