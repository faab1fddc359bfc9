import { makeExecutableSchema } from '@graphql-tools/schema';
import { GraphQLError, parse } from 'graphql';
import type { Logger } from '../logger';
import { createResolvers } from '../resolvers';
import { loadTypeDefs } from '../schema/load';
import { OperationKeys } from './operation-key';
import { liveRendering, viewerless } from './rendering';

const schema = makeExecutableSchema({ typeDefs: loadTypeDefs(), resolvers: createResolvers() as never });
const document = parse(`subscription($tenantId: ID!, $after: String) {
  tenantEvents(tenantId: $tenantId, after: $after) { id seq name occurredAt payload }
}`);
const event = {
  id: 'e1',
  seq: '7',
  name: 'tenant.updated',
  tenantId: 't',
  actorId: null,
  payload: { tenantId: 't' },
  occurredAt: '2026-11-27T17:00:00.000Z',
  subjectUserId: null,
  audienceTenantIds: [],
};

function renderingWith(logger: Pick<Logger, 'error'>) {
  const ctx = { requestId: 'r', ip: '10.0.0.1', userAgent: 'ua', viewer: { userId: 'u' }, services: {} } as never;
  return liveRendering({ schema, document, variableValues: { tenantId: 't' } }, viewerless(ctx), 'op', logger as Logger).render;
}

describe('liveRendering', () => {
  it('renders with a context that has no viewer, request address or trace', () => {
    const ctx = { requestId: 'r', ip: '10.0.0.1', userAgent: 'ua', traceparent: 'tp', viewer: { userId: 'u' }, tokenRejected: false, services: {} } as never;
    expect(viewerless(ctx)).toEqual({ requestId: 'r', ip: null, userAgent: null, traceparent: null, viewer: null, tokenRejected: false, services: {} });
  });

  it('ends a revoked subscription with the FORBIDDEN error a resolver would raise, at the field (or alias) it selected', () => {
    const aliased = parse(`subscription($t: ID!) { dashboard: tenantEvents(tenantId: $t) { id } }`);
    const { forbidden } = liveRendering({ schema, document: aliased, variableValues: { t: 't' } }, {} as never, 'op', {} as Logger);
    expect(forbidden('Your access to this tenant was removed.')).toEqual([
      { message: 'Your access to this tenant was removed.', path: ['dashboard'], extensions: { code: 'FORBIDDEN' } },
    ]);
  });

  it("renders the event as the `next` payload graphql-ws would send", () => {
    const rendered = JSON.parse(renderingWith({ error: jest.fn() })(event as never).toString());
    expect(rendered).toEqual({
      data: { tenantEvents: { id: 'e1', seq: '7', name: 'tenant.updated', occurredAt: '2026-11-27T17:00:00.000Z', payload: { tenantId: 't' } } },
    });
  });

  it('masks an error raised inside the shared execution, and logs it once', () => {
    const error = jest.fn();
    const broken = { ...event, name: null, occurredAt: 'SELECT * FROM secrets' };
    const text = renderingWith({ error })(broken as never).toString();
    expect(JSON.parse(text)).toEqual({
      data: null,
      errors: [{ message: 'Internal server error', path: ['tenantEvents', expect.any(String)], extensions: { code: 'INTERNAL_SERVER_ERROR' } }],
    });
    expect(text).not.toMatch(/SELECT|null for non-nullable|DateTime/);
    expect(error).toHaveBeenCalledTimes(1);
    // Logged whole, marked as the group's shared execution (not one subscriber's).
    expect(error).toHaveBeenCalledWith({ err: expect.any(GraphQLError), shared: true }, 'subscription error');
  });

  it('renders an internal error, logged with its cause, when a field resolves asynchronously (the bytes must not wait)', () => {
    const asyncSchema = makeExecutableSchema({
      typeDefs: 'type Query { x: Int } type Subscription { slow: String }',
      resolvers: { Subscription: { slow: { subscribe: () => undefined as never, resolve: async () => 'late' } } },
    });
    const error = jest.fn();
    const { render } = liveRendering({ schema: asyncSchema, document: parse('subscription { slow }') }, {} as never, 'op', { error } as never);
    expect(JSON.parse(render(event as never).toString())).toEqual({
      data: null,
      errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }],
    });
    expect(error).toHaveBeenCalledTimes(1);
    const [[{ err }]] = error.mock.calls as [[{ err: GraphQLError }]];
    expect(err.message).toBe('Rendering a live event failed');
    expect(err.originalError?.message).toBe('A live subscription field resolved asynchronously.');
  });

  it('ends a revoked subscription at `subscription` when its root selection is not a field', () => {
    const spread = parse(`subscription($t: ID!) { ...F } fragment F on Subscription { tenantEvents(tenantId: $t) { id } }`);
    const { forbidden } = liveRendering({ schema, document: spread, variableValues: { t: 't' } }, {} as never, 'op', {} as Logger);
    expect(forbidden('removed')).toEqual([{ message: 'removed', path: ['subscription'], extensions: { code: 'FORBIDDEN' } }]);
  });
});

describe('OperationKeys', () => {
  const keys = new OperationKeys();
  it('leaves out a variable used only as the root field `after`, so resuming subscribers share a group', () => {
    const a = keys.keyOf({ document, variableValues: { tenantId: 't', after: '5' } });
    expect(keys.keyOf({ document, variableValues: { tenantId: 't', after: null } })).toBe(a);
    expect(keys.keyOf({ document, variableValues: { tenantId: 'other' } })).not.toBe(a);
  });

  it('keeps a variable that is used elsewhere too', () => {
    const selecting = parse(`subscription($t: ID!, $after: String) {
      tenantEvents(tenantId: $t, after: $after) { seq @include(if: true) id @skip(if: false) } x: securityEvents(after: $after) { id }
    }`);
    const alsoInField = parse(`subscription($t: ID!, $a: String) { tenantEvents(tenantId: $t, after: $a, names: [$a]) { id } }`);
    expect(keys.keyOf({ document: selecting, variableValues: { t: 't', after: '1' } })).toBe(
      keys.keyOf({ document: selecting, variableValues: { t: 't', after: '2' } }),
    );
    expect(keys.keyOf({ document: alsoInField, variableValues: { t: 't', a: '1' } })).not.toBe(
      keys.keyOf({ document: alsoInField, variableValues: { t: 't', a: '2' } }),
    );
  });

  it('tells documents apart, and the operations of one document', () => {
    const other = parse(`subscription($tenantId: ID!) { tenantEvents(tenantId: $tenantId) { id } }`);
    expect(keys.keyOf({ document: other, variableValues: { tenantId: 't' } })).not.toBe(keys.keyOf({ document, variableValues: { tenantId: 't' } }));
    expect(keys.keyOf({ document: other, variableValues: { tenantId: 't' } })).toBe(keys.keyOf({ document: other, variableValues: { tenantId: 't' } }));
    const two = parse(`subscription A($t: ID!) { tenantEvents(tenantId: $t) { id } }
      subscription B($t: ID!) { tenantEvents(tenantId: $t) { seq } }`);
    expect(keys.keyOf({ document: two, operationName: 'A', variableValues: { t: 't' } })).not.toBe(
      keys.keyOf({ document: two, operationName: 'B', variableValues: { t: 't' } }),
    );
  });
});
