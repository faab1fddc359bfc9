import { REGISTER } from './support/graphql-client';
import { startHeraldCluster, type HeraldCluster, type HeraldInstance } from './support/herald-cluster';
import { uniqueEmail } from './support/herald';
import { inParallel } from './support/load';
import { waitFor } from './support/wait';
import { NOT_DONE, UNFINISHED } from './support/deliveries';

/**
 * Three Herald processes (the real start path) on one database, one Redis prefix and one SMTP
 * sink: registrations spread over them over HTTP have every listener effect exactly once.
 */
const INSTANCES = 3;
const REGISTRATIONS = 200;
const IN_FLIGHT = 9; // three per instance: enough to make the instances race for the same rows
const POLL_MS = 1_000;

let cluster: HeraldCluster;
let instances: HeraldInstance[];
const emails = Array.from({ length: REGISTRATIONS }, (_, i) => uniqueEmail(`multi${i}`));
let answers: { status: number; errors?: unknown }[];

/**
 * The scenario, once for the whole file: the registrations spread over the instances, every
 * delivery finished, then every instance stopped (SIGTERM, exit awaited). Once the processes have
 * exited nothing more can be sent, so the checks below count final effects; each runs alone.
 */
beforeAll(async () => {
  cluster = await startHeraldCluster({
    env: {
      RATE_LIMIT_AUTH_PER_MINUTE: '100000', // every registration comes from 127.0.0.1
      LISTENER_CONCURRENCY: '4', // three pools on a shared PostgreSQL of 100 connections
      LISTENER_POLL_MS: String(POLL_MS),
    },
  });
  instances = await Promise.all(Array.from({ length: INSTANCES }, () => cluster.start()));

  const started = performance.now();
  answers = await inParallel(emails, IN_FLIGHT, (email, i) =>
    instances[i % INSTANCES].gql(REGISTER, { input: { email, password: 'correct horse battery', name: `Multi ${i}` } }, {
      timeoutMs: 30_000,
    }),
  );
  console.log(`${REGISTRATIONS} registrations over ${INSTANCES} processes: ${Math.round(performance.now() - started)} ms`);

  // Deliveries are written with their events, so once none is pending or running no listener has work left.
  await waitFor(async () => (await count(`SELECT count(*) AS n FROM deliveries WHERE ${UNFINISHED}`)) === 0, {
    timeoutMs: 90_000,
    intervalMs: 250,
    what: 'every delivery to finish',
  });
  for (const instance of instances) instance.server.signal('SIGTERM');
  const exits = await Promise.all(instances.map((instance) => instance.server.exited));
  expect(exits.map((exit) => exit.code)).toEqual(instances.map(() => 0));
}, 300_000);
afterAll(() => cluster?.close(), 60_000);

const count = async (sql: string, params: unknown[] = []) =>
  Number((await cluster.db.query<{ n: string }>(sql, params))[0].n);

describe(`${INSTANCES} server processes on one database, Redis and SMTP sink`, () => {
  it(`answer ${REGISTRATIONS} registrations spread over them`, () => {
    expect(answers.filter((a) => a.status !== 200 || a.errors)).toEqual([]);
  });

  it('finish every delivery, none dead, with exactly one welcome email per registration', async () => {
    expect(await count(`SELECT count(*) AS n FROM deliveries WHERE status = 'dead'`)).toBe(0);
    expect(await count(`SELECT count(*) AS n FROM deliveries WHERE ${NOT_DONE}`)).toBe(0);

    // Counted after every process exited: a late copy (a run that lost its lease, say) would be here.
    const recipients = cluster.smtp.messages.flatMap((m) => m.to);
    expect(recipients).toHaveLength(REGISTRATIONS);
    expect([...new Set(recipients)].sort()).toEqual([...emails].sort());
    expect(new Set(cluster.smtp.messages.map((m) => m.messageId)).size).toBe(REGISTRATIONS);
    expect(cluster.smtp.messages.every((m) => m.subject === 'Welcome to Herald: please confirm your email address')).toBe(true);
    expect(await count(`SELECT count(*) AS n FROM email_messages WHERE status = 'sent' AND attempts = 1`)).toBe(REGISTRATIONS);
  });

  it('write exactly one audit entry per audited event', async () => {
    // The event store wrote one record-audit-entry delivery per audited event (user.registered and
    // user.login here). audit_entries.event_id is unique, so the schema alone forbids a second entry:
    // what these counts prove is that none is missing.
    const audited = await count(`SELECT count(*) AS n FROM deliveries WHERE listener = 'record-audit-entry'`);
    expect(audited).toBe(2 * REGISTRATIONS);
    expect(await count(`SELECT count(*) AS n FROM audit_entries`)).toBe(audited);
    expect(
      await count(
        `SELECT count(*) AS n FROM deliveries d LEFT JOIN audit_entries a ON a.event_id = d.event_id
         WHERE d.listener = 'record-audit-entry' AND a.id IS NULL`,
      ),
    ).toBe(0);
    expect(await count(`SELECT count(*) AS n FROM audit_entries WHERE action = 'user.registered'`)).toBe(REGISTRATIONS);
  });

  it('apply a counter increment once per event: the daily registrations counter says exactly how many', async () => {
    // An effect that nothing in the schema makes idempotent: an increment applied twice (a run
    // completed by two instances) would count more registrations than there were.
    expect(await count(`SELECT coalesce(sum(count), 0) AS n FROM daily_counters WHERE metric = 'registrations'`)).toBe(REGISTRATIONS);
    expect(await count(`SELECT coalesce(sum(count), 0) AS n FROM daily_counters WHERE metric = 'logins'`)).toBe(REGISTRATIONS);
  });

  it('ran the deliveries on every instance, each delivery to completion exactly once', async () => {
    // Each instance logs "listener done" (debug) once per delivery it completed. Summed over the
    // processes that equals the number of deliveries: none was completed twice, none by nobody.
    const done = await count(`SELECT count(*) AS n FROM deliveries WHERE status = 'done'`);
    const runsOf = (instance: HeraldInstance, listener?: string) => instance.completedRuns(listener).length;
    // The lines travel through a pipe: wait until every one has been read.
    await waitFor(() => instances.reduce((sum, i) => sum + runsOf(i), 0) >= done, { what: 'every "listener done" line' });
    const perInstance = instances.map((i) => ({ all: runsOf(i), sendEmail: runsOf(i, 'send-email') }));
    console.log(`deliveries completed per instance: ${JSON.stringify(perInstance)} (of ${done})`);
    expect(perInstance.reduce((sum, i) => sum + i.all, 0)).toBe(done);
    expect(perInstance.reduce((sum, i) => sum + i.sendEmail, 0)).toBe(REGISTRATIONS);
    for (const { sendEmail } of perInstance) expect(sendEmail).toBeGreaterThan(0);
    const deliveryIds = instances.flatMap((i) => i.completedRuns().map((line) => line.deliveryId));
    expect(new Set(deliveryIds).size).toBe(done);
  });
});
