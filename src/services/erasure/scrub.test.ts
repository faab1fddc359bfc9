import { ERASED, scrubContext, scrubJson, scrubText } from './scrub';

describe('scrubbing personal data', () => {
  const needles = ['ada@example.com', 'Ada Lovelace', '203.0.113.7', ''];

  it('replaces every occurrence, in any case, and leaves the rest', () => {
    expect(scrubText('Hello Ada Lovelace <ADA@example.com>, from 203.0.113.7', needles)).toBe(
      `Hello ${ERASED} <${ERASED}>, from ${ERASED}`,
    );
    expect(scrubText('nothing here', needles)).toBe('nothing here');
  });

  it('treats needles as text, not patterns', () => {
    expect(scrubText('a.b+c@x.io and aXb+c@x.io', ['a.b+c@x.io'])).toBe(`${ERASED} and aXb+c@x.io`);
  });

  it('walks JSON, keeping keys, numbers and structure', () => {
    const payload = { userId: 'u1', email: 'ada@example.com', to: ['ada@example.com', 'bob@x.io'], nested: { name: 'Ada Lovelace', n: 3 } };
    expect(scrubJson(payload, needles)).toEqual({
      value: { userId: 'u1', email: ERASED, to: [ERASED, 'bob@x.io'], nested: { name: ERASED, n: 3 } },
      changed: true,
    });
    expect(scrubJson({ userId: 'u1' }, needles)).toEqual({ value: { userId: 'u1' }, changed: false });
  });

  it('marks the address and agent of a request context, keeping its ids', () => {
    expect(scrubContext({ requestId: 'r', ip: '203.0.113.7', userAgent: 'curl', traceparent: 't' })).toEqual({
      requestId: 'r',
      ip: ERASED,
      userAgent: ERASED,
      traceparent: 't',
    });
    expect(scrubContext({ requestId: null, ip: null, userAgent: null })).toEqual({ requestId: null, ip: null, userAgent: null });
  });
});
