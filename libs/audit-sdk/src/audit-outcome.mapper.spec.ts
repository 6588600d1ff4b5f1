import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BadRequestException, ForbiddenException, HttpException, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { AuditOutcomeMapper } from './audit-outcome.mapper';

describe(AuditOutcomeMapper.name, () => {
  it('maps a returned handler to SUCCESS with the response status', () => {
    assert.deepEqual(AuditOutcomeMapper.fromResult(201), { outcome: 'SUCCESS', statusCode: 201 });
    assert.deepEqual(AuditOutcomeMapper.fromResult(undefined), { outcome: 'SUCCESS', statusCode: null });
  });

  it('maps a returned handler that set an error status itself to FAILURE', () => {
    assert.deepEqual(AuditOutcomeMapper.fromResult(404), { outcome: 'FAILURE', statusCode: 404 });
  });

  it("maps an HttpException to FAILURE with the exception's status", () => {
    assert.deepEqual(AuditOutcomeMapper.fromError(new ForbiddenException()), { outcome: 'FAILURE', statusCode: 403 });
    assert.deepEqual(AuditOutcomeMapper.fromError(new UnauthorizedException()), { outcome: 'FAILURE', statusCode: 401 });
    assert.deepEqual(AuditOutcomeMapper.fromError(new NotFoundException()), { outcome: 'FAILURE', statusCode: 404 });
    assert.deepEqual(AuditOutcomeMapper.fromError(new BadRequestException('bad')), { outcome: 'FAILURE', statusCode: 400 });
    assert.deepEqual(AuditOutcomeMapper.fromError(new HttpException('teapot', 418)), { outcome: 'FAILURE', statusCode: 418 });
  });

  it('maps any other error (and non-errors) to FAILURE with 500, as Nest answers them', () => {
    assert.deepEqual(AuditOutcomeMapper.fromError(new Error('boom')), { outcome: 'FAILURE', statusCode: 500 });
    assert.deepEqual(AuditOutcomeMapper.fromError('a string'), { outcome: 'FAILURE', statusCode: 500 });
  });
});
