import { v7 as uuidv7 } from 'uuid';
import type { RequestContext } from '../../src/services/request-context';
import { gql, REFRESH, REGISTER } from '../../test/support/graphql-client';
import type { Stack } from './auth-stacks';

/** One mutation through a stack; the refresh mutations rotate the stack's refresh token. */
export type Mutation = (stack: Stack) => Promise<void>;

const PASSWORD = 'bench password 123';

export const refreshThroughService: Mutation = async (stack) => {
  stack.refreshToken = (await stack.services.auth.refresh(requestContext(), stack.refreshToken)).refreshToken;
};

export const registerThroughService: Mutation = async (stack) => {
  await stack.services.auth.register(requestContext(), newAccount());
};

export const refreshOverHttp: Mutation = async (stack) => {
  const response = await gql<{ refreshToken: { refreshToken: string } }>(stack.url, REFRESH, { token: stack.refreshToken });
  if (!response.data) throw new Error(`refreshToken failed: ${response.text}`);
  stack.refreshToken = response.data.refreshToken.refreshToken;
};

export const registerOverHttp: Mutation = async (stack) => {
  const response = await gql(stack.url, REGISTER, { input: newAccount() });
  if (!response.data) throw new Error(`register failed: ${response.text}`);
};

/** Opens the session whose refresh token the refresh samples rotate. */
export async function signUp(stack: Stack): Promise<void> {
  stack.refreshToken = (await stack.services.auth.register(requestContext(), newAccount())).refreshToken;
}

function requestContext(): RequestContext {
  return { requestId: uuidv7(), ip: '127.0.0.1', userAgent: 'herald-bench', viewer: null };
}

let accounts = 0;
function newAccount() {
  const email = `bench-${process.pid}-${Date.now().toString(36)}-${(accounts++).toString(36)}@example.com`;
  return { email, password: PASSWORD, name: 'Bench' };
}
