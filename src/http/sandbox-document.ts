import type { GraphQLSchema } from 'graphql';

/** One operation of the Sandbox's initial document, and the root field it needs from the schema. */
interface SandboxOperation {
  root: 'Mutation' | 'Subscription' | 'Query';
  field: string;
  text: string;
}

const OPERATIONS: SandboxOperation[] = [
  {
    root: 'Mutation',
    field: 'register',
    text: `mutation Register($email: String!, $password: String!, $name: String!) {
  register(input: { email: $email, password: $password, name: $name }) {
    accessToken
    refreshToken
    expiresIn
    user { id email name }
  }
}`,
  },
  {
    root: 'Mutation',
    field: 'login',
    text: `mutation Login($email: String!, $password: String!) {
  login(input: { email: $email, password: $password }) {
    accessToken
    refreshToken
    user { id email }
  }
}`,
  },
  {
    root: 'Mutation',
    field: 'createTenant',
    text: `mutation CreateTenant($tenantName: String!, $slug: String!) {
  createTenant(input: { name: $tenantName, slug: $slug }) { id slug name status }
}`,
  },
  {
    root: 'Subscription',
    field: 'tenantEvents',
    text: `subscription TenantEvents($tenantId: ID!, $after: String) {
  tenantEvents(tenantId: $tenantId, after: $after) { seq name occurredAt actorId payload }
}`,
  },
  {
    root: 'Subscription',
    field: 'securityEvents',
    text: `subscription MySecurityEvents {
  securityEvents { seq name occurredAt payload }
}`,
  },
  {
    root: 'Query',
    field: 'me',
    text: `query Me {
  me { id email name isPlatformAdmin }
}`,
  },
];

const INTRODUCTION = `# Welcome to Herald. Pick an operation with the run button's menu.
#
# 1. Register (or Login). Copy its accessToken into the environment variable "accessToken"
#    (Settings > Environment variables: {"accessToken": "<token>"}): the Authorization header
#    uses it, over HTTP and for subscriptions over ws://.../graphql (graphql-ws protocol).
# 2. CreateTenant, then set the variable "tenantId" to its id.
# 3. TenantEvents with "after": "0" replays the tenant's events from its first one, then goes
#    live: onboarding is over in a fraction of a second, so a stream opened "from now" would
#    show none of it. To resume, pass the seq of the last event you saw. MySecurityEvents shows
#    your own sign-ins.
`;

/**
 * The Sandbox's initial document: the main operations of DESIGN.md §6. An operation whose root
 * field this server's schema lacks (say, a product that removed tenants) is shown commented out,
 * because one invalid operation would make the whole document fail validation.
 */
export function sandboxDocument(schema: GraphQLSchema): string {
  const parts = OPERATIONS.map((operation) => {
    const type = schema.getType(operation.root);
    const available = type !== undefined && type !== null && 'getFields' in type && operation.field in type.getFields();
    if (available) return operation.text;
    return [`# ${operation.field} is not on this server yet:`, ...operation.text.split('\n').map((line) => `# ${line}`)].join('\n');
  });
  return `${INTRODUCTION}\n${parts.join('\n\n')}\n`;
}

/** Variables for the document's operations (each operation uses the ones it declares). */
export const SANDBOX_VARIABLES = {
  email: 'ada@example.com',
  password: 'correct horse battery',
  name: 'Ada',
  tenantName: 'Acme',
  slug: 'acme',
  tenantId: 'paste the id that CreateTenant returned',
  // From the tenant's first event: see the comment of INTRODUCTION's third step.
  after: '0',
};

/** Filled from the Sandbox environment variable "accessToken". */
export const SANDBOX_HEADERS = { Authorization: 'Bearer {{accessToken}}' };
