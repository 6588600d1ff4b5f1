import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CommanderError } from 'commander';
import { ConfigErrorCode, ConfigException } from '@vigil/config';
import { KafkaAdminErrorCode, KafkaAdminException } from '@vigil/kafka';
import { OperationsErrorCode, OperationsException } from '@vigil/operations';
import { exitCodeOf, failureOf } from './cli-error.mapper';
import { CliError } from './cli.util';

describe('exitCodeOf', () => {
  it('keeps the exit codes scripts rely on', () => {
    assert.equal(exitCodeOf(OperationsErrorCode.INVALID_ARGUMENT), 2);
    assert.equal(exitCodeOf(OperationsErrorCode.CONNECTORS_FILE_INVALID), 2);
    assert.equal(exitCodeOf(OperationsErrorCode.RETENTION_GAP), 3);
    assert.equal(exitCodeOf(OperationsErrorCode.INTERRUPTED), 130);
    assert.equal(exitCodeOf(OperationsErrorCode.CONNECTOR_NOT_FOUND), 1);
    assert.equal(exitCodeOf(OperationsErrorCode.DEAD_LETTER_NOT_FOUND), 1);
  });

  it('maps every code to a failure exit code', () => {
    for (const code of Object.values(OperationsErrorCode)) assert.ok([1, 2, 3, 130].includes(exitCodeOf(code)), code);
  });
});

describe('failureOf', () => {
  it('prints the message of an operation and exits with its code', () => {
    assert.deepEqual(failureOf(new OperationsException(OperationsErrorCode.RETENTION_GAP, 'too old')), { message: 'too old', exitCode: 3 });
  });

  it('reports an unreachable broker from the Kafka admin as a failure with its advice', () => {
    const failure = failureOf(new KafkaAdminException(KafkaAdminErrorCode.BROKER_UNREACHABLE, 'Kafka is not reachable'));
    assert.deepEqual(failure, { message: 'Kafka is not reachable', exitCode: 1 });
  });

  it('leaves commander exits to commander, and maps usage and configuration errors to 2', () => {
    assert.deepEqual(failureOf(new CommanderError(1, 'commander.missingMandatoryOptionValue', 'x')), { message: null, exitCode: 1 });
    assert.deepEqual(failureOf(new CliError('give exactly one', 2)), { message: 'give exactly one', exitCode: 2 });
    assert.equal(failureOf(new ConfigException(ConfigErrorCode.INVALID_ENVIRONMENT, ['KAFKA_BROKERS: bad'])).exitCode, 2);
  });
});
