import { Redis } from 'ioredis';
import { REGISTER } from './support/graphql-client';
import { startTestHerald, uniqueEmail, type TestHerald } from './support/herald';
import { REDIS_URL } from './support/env';
import { waitFor } from './support/wait';

/**
 * Two deployments on one Redis, each with its own REDIS_PREFIX (startTestHerald gives each a
 * prefix of its own): every message one publishes is on a channel under its own prefix, and each
 * instance listens under its own prefix only, so neither hears the other's events.
 */
let a: TestHerald;
let b: TestHerald;
let observer: Redis;
let commands: Redis;
const seen: { channel: string; message: string }[] = [];

beforeAll(async () => {
  // Sees every publication on the shared Redis, whatever its channel.
  observer = new Redis(REDIS_URL);
  observer.on('pmessage', (_pattern, channel, message) => seen.push({ channel, message }));
  await observer.psubscribe('*');
  commands = new Redis(REDIS_URL);
  a = await startTestHerald();
  b = await startTestHerald();
});
afterAll(async () => {
  observer?.disconnect();
  commands?.disconnect();
  await Promise.all([a?.stop(), b?.stop()]);
});

const prefixOf = (t: TestHerald) => t.redisPrefix;

async function registerOn(t: TestHerald): Promise<string> {
  const response = await t.gql(REGISTER, { input: { email: uniqueEmail('prefix'), password: 'correct horse battery', name: 'Ada' } });
  expect(response.errors).toBeUndefined();
  return response.data!.register.user.id as string;
}

it('publishes each deployment\'s events under its own prefix only, and subscribes each instance under its own', async () => {
  expect(prefixOf(a)).not.toBe(prefixOf(b));
  const [userOfA, userOfB] = [await registerOn(a), await registerOn(b)];
  const about = (userId: string) => seen.filter(({ channel, message }) => channel.includes(userId) || message.includes(userId));

  // Each registration's events reach Redis (user.registered on the events channel, at least).
  for (const [userId, t] of [[userOfA, a], [userOfB, b]] as const) {
    await waitFor(() => about(userId).some(({ message }) => message.includes('"user.registered"')), {
      what: `user.registered of ${userId} on Redis (prefix ${prefixOf(t)})`,
    });
  }
  const outside = (userId: string, t: TestHerald) =>
    about(userId).map(({ channel }) => channel).filter((channel) => !channel.startsWith(prefixOf(t)));
  expect(outside(userOfA, a)).toEqual([]);
  expect(outside(userOfB, b)).toEqual([]);
  expect(about(userOfA).map(({ channel }) => channel)).toContain(`${prefixOf(a)}events`);
  expect(about(userOfB).map(({ channel }) => channel)).toContain(`${prefixOf(b)}events`);

  // Each instance's listener runtime and revocation watch listen on its own events channel.
  for (const t of [a, b]) {
    const [, subscribers] = (await commands.pubsub('NUMSUB', `${prefixOf(t)}events`)) as [string, number];
    expect(subscribers).toBeGreaterThanOrEqual(1);
  }
});
