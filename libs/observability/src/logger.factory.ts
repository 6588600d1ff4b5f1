import pino, { type Logger, type LoggerOptions } from 'pino';
import { defineConfig, loadConfig, logEnv } from '@vigil/config';

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

const logConfigSchema = defineConfig(logEnv);

/**
 * A JSON logger for code outside Nest's DI (CLI commands, scripts). Writes to stderr so stdout stays for results. The
 * level defaults to LOG_LEVEL, validated like the apps validate it.
 */
export function createLogger(name: string, level: string = loadConfig(logConfigSchema).LOG_LEVEL): Logger {
  return pino(loggerOptions(level, name), pino.destination(2));
}
