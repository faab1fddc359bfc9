import { childOf, formatTraceparent, parseTraceparent, traceIdOf } from './traceparent';

const VALID = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('traceparent', () => {
  it('parses a valid header and formats it back unchanged', () => {
    const ids = parseTraceparent(VALID);
    expect(ids).toEqual({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 });
    expect(formatTraceparent(ids!)).toBe(VALID);
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['upper-case hex', VALID.toUpperCase()],
    ['version ff', VALID.replace(/^00/, 'ff')],
    ['version 00 with an extra field', `${VALID}-extra`],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`],
    ['an all-zero span id', `00-4bf92f3577b34da6a3ce929d0e0e4736-${'0'.repeat(16)}-01`],
    ['a short trace id', '00-4bf92f3577b34da6a3ce929d0e0e47-00f067aa0ba902b7-01'],
    ['markup', '00-<script>alert(1)</script>'],
  ])('refuses %s', (_, value) => {
    expect(parseTraceparent(value)).toBeNull();
  });

  it('accepts a later version with extra fields, keeping the known ones', () => {
    expect(parseTraceparent(`cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-comes-next`)).toMatchObject({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    });
  });

  it('starts a child in the same trace, or a new trace without a parent', () => {
    const parent = parseTraceparent(VALID)!;
    const child = childOf(parent);
    expect(child.traceId).toBe(parent.traceId);
    expect(child.spanId).not.toBe(parent.spanId);
    expect(child.traceFlags).toBe(1);
    const root = childOf(null);
    expect(parseTraceparent(formatTraceparent(root))).toEqual(root);
    expect(traceIdOf(formatTraceparent(root))).toBe(root.traceId);
  });
});
