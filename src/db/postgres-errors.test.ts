import { QueryFailedError, QueryRunnerAlreadyReleasedError, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';
import { isDatabaseUnreachable, isUniqueViolation } from './postgres-errors';

describe('isDatabaseUnreachable', () => {
  it('is true for a lost or refused connection, inside TypeORM or not', () => {
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    expect(isDatabaseUnreachable(reset)).toBe(true);
    expect(isDatabaseUnreachable(new QueryFailedError('SELECT 1', [], reset))).toBe(true);
    expect(isDatabaseUnreachable(new Error('outer', { cause: reset }))).toBe(true);
    expect(isDatabaseUnreachable(Object.assign(new Error('shutting down'), { code: '57P01' }))).toBe(true);
    expect(isDatabaseUnreachable(new Error('timeout exceeded when trying to connect'))).toBe(true);
  });

  it('is true for the statement after TypeORM let go of a runner whose connection failed', () => {
    expect(isDatabaseUnreachable(new QueryRunnerAlreadyReleasedError())).toBe(true);
    expect(isDatabaseUnreachable(new QueryRunnerProviderAlreadyReleasedError())).toBe(true);
  });

  it('is false for a statement that was wrong', () => {
    const syntax = Object.assign(new Error('syntax error at or near "SELEC"'), { code: '42601' });
    expect(isDatabaseUnreachable(new QueryFailedError('SELEC 1', [], syntax))).toBe(false);
    expect(isDatabaseUnreachable(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(false);
    expect(isDatabaseUnreachable(null)).toBe(false);
  });
});

describe('isUniqueViolation', () => {
  it('matches SQLSTATE 23505, of the named constraint when one is given', () => {
    const violation = Object.assign(new Error('duplicate key'), { code: '23505', constraint: 'users_email_key' });
    expect(isUniqueViolation(violation)).toBe(true);
    expect(isUniqueViolation(violation, 'users_email_key')).toBe(true);
    expect(isUniqueViolation(violation, 'other')).toBe(false);
    expect(isUniqueViolation(new Error('x'))).toBe(false);
  });
});
