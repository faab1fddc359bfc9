import { freePort } from './support/free-port';
import { REGISTER } from './support/graphql-client';
import { startHeraldCluster, type HeraldCluster, type HeraldInstance } from './support/herald-cluster';
import { uniqueEmail } from './support/herald';
import { waitFor } from './support/wait';
import { NOT_DONE_D } from './support/deliveries';

/**
 * A Herald process killed with SIGKILL (its whole process group) at the worst moments: between
 * an event's commit and its publication, and in the middle of a listener's run. What it had
 * committed or claimed is finished by the next instance, once.
 */
const PASSWORD = 'correct horse battery';
const PAUSED = 'test hook: paused between commit and publish';

async function register(instance: HeraldInstance, email: string): Promise<string> {
  const response = await instance.gql(REGISTER, { input: { email, password: PASSWORD, name: 'Crash' } }, { timeoutMs: 30_000 });
  expect(response.errors).toBeUndefined();
  return response.data!.register.user.id;
}

describe('an instance killed between commit and publish', () => {
  let cluster: HeraldCluster;
  beforeAll(async () => {
    cluster = await startHeraldCluster();
  });
  afterAll(() => cluster?.close(), 60_000);

  it('leaves the event in the store; the next instance’s sweep publishes it and its listeners run once', async () => {
    // Nothing listens on this SMTP port: the crashing instance cannot send the welcome email, so
    // the one that arrives was sent by the next instance. Its short lease hands over whatever it
    // had claimed soon after it dies.
    const deadSmtp = `smtp://127.0.0.1:${await freePort()}?ignoreTLS=true`;
    const crashing = await cluster.start({ TEST_PAUSE_BEFORE_PUBLISH: 'true', SMTP_URL: deadSmtp, LISTENER_LEASE_MS: '3000' });
    const email = uniqueEmail('crash');
    const linesBefore = crashing.server.logs.length;
    const userId = await register(crashing, email); // the pause is after the commit: the mutation answers
    await crashing.server.waitForLog(
      (line) => line.msg === PAUSED && crashing.server.logs.indexOf(line) >= linesBefore,
      { timeoutMs: 30_000, what: `"${PAUSED}" for the registration` },
    );
    await crashing.server.kill();

    const registered = () =>
      cluster.db.query<{ id: string; published_at: Date | null }>(
        `SELECT id, published_at FROM events WHERE name = 'user.registered' AND actor_id = $1`,
        [userId],
      );
    const [left] = await registered();
    expect(left).toEqual({ id: expect.any(String), published_at: null }); // committed, never published

    const restartedAt = performance.now();
    const next = await cluster.start();
    const [published] = await waitFor(async () => {
      const rows = await registered();
      return rows[0]?.published_at !== null && rows;
    }, { timeoutMs: 60_000, intervalMs: 200, what: 'the event to be published' });
    console.log(`published by the next instance's sweep ${Math.round(performance.now() - restartedAt)} ms after it was started`);
    expect(published.id).toBe(left.id);
    await next.server.waitForLog((line) => line.msg === 'sweep published events that had been left unpublished', {
      timeoutMs: 10_000,
      what: 'the sweep to say so',
    });

    // Handled: every delivery of the user's events done, the welcome email sent once.
    await waitFor(async () => {
      const open = await cluster.db.query(
        `SELECT d.status FROM deliveries d JOIN events e ON e.id = d.event_id WHERE e.actor_id = $1 AND ${NOT_DONE_D}`,
        [userId],
      );
      return open.length === 0 && cluster.smtp.to(email).length > 0;
    }, { timeoutMs: 60_000, intervalMs: 200, what: 'every listener of the event to finish' });
    await next.server.waitForLog((line) => line.msg === 'listener done' && line.listener === 'send-email', {
      timeoutMs: 10_000,
      what: 'the next instance to have sent it',
    });
    expect(cluster.smtp.to(email)).toHaveLength(1);
    const [log] = await cluster.db.query(`SELECT status FROM email_messages WHERE recipient = $1`, [email]);
    expect(log.status).toBe('sent');
  }, 180_000);
});

describe('an instance killed in the middle of a listener run', () => {
  const LEASE_MS = 8_000;
  let cluster: HeraldCluster;
  beforeAll(async () => {
    // The sink never answers the first message's DATA: the send-email run waits on it, as on a
    // provider that hangs. (Runs time out at half the lease, 4 s: the kill must come before.)
    cluster = await startHeraldCluster({ smtp: { stallFirst: 1 }, env: { LISTENER_LEASE_MS: String(LEASE_MS) } });
  });
  afterAll(() => cluster?.close(), 60_000);

  it('has its delivery taken over after the lease, and the email delivered exactly once', async () => {
    const first = await cluster.start();
    const email = uniqueEmail('midrun');
    await register(first, email);
    await waitFor(() => cluster.smtp.stalled.length === 1, { timeoutMs: 30_000, intervalMs: 10, what: 'the send to stall' });
    await first.server.kill();

    const delivery = () =>
      cluster.db.query<{ id: string; status: string; locked_by: string | null; attempts: number; due_at: Date; completed_at: Date | null }>(
        `SELECT d.id::text, d.status, d.locked_by, d.attempts, d.due_at, d.completed_at
         FROM deliveries d JOIN events e ON e.id = d.event_id
         WHERE d.listener = 'send-email' AND e.payload->>'to' = $1`,
        [email],
      );
    const [claimed] = await delivery();
    // Killed mid-run: still claimed by the dead instance, its lease running.
    expect(claimed).toMatchObject({ status: 'running', locked_by: first.instanceId, attempts: 1 });
    const killedAt = Date.now();

    const second = await cluster.start();
    const [done] = await waitFor(async () => {
      const rows = await delivery();
      return rows[0]?.status === 'done' && rows;
    }, { timeoutMs: 60_000, intervalMs: 200, what: 'the delivery to be taken over and completed' });
    const leaseEnd = new Date(claimed.due_at).getTime();
    console.log(
      `taken over and completed ${new Date(done.completed_at!).getTime() - (leaseEnd - LEASE_MS)} ms after the dead ` +
        `instance's claim (lease ${LEASE_MS} ms), ${Date.now() - killedAt} ms after the kill`,
    );
    expect(new Date(done.completed_at!).getTime()).toBeGreaterThanOrEqual(leaseEnd); // not before the lease ended
    expect(done.attempts).toBe(2); // the dead instance's attempt, then the takeover
    await second.server.waitForLog((line) => line.msg === 'listener done' && line.deliveryId === claimed.id && line.attempt === 2, {
      timeoutMs: 10_000,
      what: 'the second instance to have completed it',
    });

    // Delivered exactly once: the stalled copy was never accepted (its sender died mid-DATA), and
    // the one the sink accepted carries the same Message-ID, so a repeat could be recognised.
    expect(cluster.smtp.to(email)).toHaveLength(1);
    expect(cluster.smtp.to(email)[0].messageId).toBe(cluster.smtp.stalled[0].messageId);
    const [log] = await cluster.db.query(`SELECT status FROM email_messages WHERE recipient = $1`, [email]);
    expect(log.status).toBe('sent');
  }, 180_000);
});
