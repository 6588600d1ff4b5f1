import { ConfigException } from '@vigil/config';
import { kafkaFailureHint } from '@vigil/observability';
import { OperationsErrorCode, OperationsException } from '@vigil/operations';
import { CliError, isCommanderExit } from './cli.util';

/** Exit codes scripts rely on: 1 a failure, 2 a usage or configuration error, 3 a range retention already took, 130 Ctrl-C. */
export function exitCodeOf(code: OperationsErrorCode): number {
  switch (code) {
    case OperationsErrorCode.INVALID_ARGUMENT:
    case OperationsErrorCode.CONNECTORS_FILE_INVALID:
      return 2;
    case OperationsErrorCode.RETENTION_GAP:
      return 3;
    case OperationsErrorCode.INTERRUPTED:
      return 130;
    case OperationsErrorCode.KAFKA_UNREACHABLE:
    case OperationsErrorCode.TOPIC_MISSING:
    case OperationsErrorCode.CONNECTORS_FILE_UNREADABLE:
    case OperationsErrorCode.CONNECTOR_NOT_FOUND:
    case OperationsErrorCode.CONNECTOR_UNSUPPORTED:
    case OperationsErrorCode.REPLAY_CONFLICT:
    case OperationsErrorCode.REPLAY_INCOMPLETE:
    case OperationsErrorCode.DEAD_LETTER_NOT_FOUND:
    case OperationsErrorCode.DEAD_LETTER_WITHOUT_CONNECTOR:
    case OperationsErrorCode.DEAD_LETTERS_UNDECODABLE:
    case OperationsErrorCode.DEAD_LETTERS_REFUSED:
    case OperationsErrorCode.REBUILD_UNSUPPORTED_SCHEMA:
      return 1;
  }
}

/** What main prints for a failed command (null: commander already did) and the exit code. */
export function failureOf(thrown: unknown): { message: string | null; exitCode: number } {
  if (isCommanderExit(thrown)) return { message: null, exitCode: thrown.exitCode };
  const err = OperationsException.from(thrown);
  if (err instanceof OperationsException) return { message: err.message, exitCode: exitCodeOf(err.code) };
  if (err instanceof CliError) return { message: err.message, exitCode: err.exitCode };
  if (err instanceof ConfigException) return { message: err.message, exitCode: 2 };
  const hint = kafkaFailureHint(err);
  if (hint !== undefined) return { message: hint, exitCode: 1 };
  return { message: err instanceof Error ? (err.stack ?? err.message) : String(err), exitCode: 1 };
}
