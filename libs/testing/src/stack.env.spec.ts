import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requireStack, testEnv, uniqueName } from './stack.env';

describe('requireStack', () => {
  it('fails fast naming the service and the command to run when a service is down', async () => {
    const saved = testEnv.kafkaBrokers;
    testEnv.kafkaBrokers = ['127.0.0.1:1'];
    try {
      const started = Date.now();
      await assert.rejects(
        requireStack(['kafka']),
        /Kafka \(127\.0\.0\.1:1\) not reachable\. Start the test stack with `npm run stack:up -- test`/,
      );
      assert.ok(Date.now() - started < 3000, 'should fail within the connect timeout, not hang');
    } finally {
      testEnv.kafkaBrokers = saved;
    }
  });

  it('gives every caller a distinct name', () => {
    assert.notEqual(uniqueName('t'), uniqueName('t'));
  });
});
