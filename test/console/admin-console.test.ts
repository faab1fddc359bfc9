import type { Browser, Page } from 'playwright-core';
import { defineListener } from '../../src/events/listener';
import { fill, launchBrowser, newPerson, screenshot } from '../support/browser';
import { startTestHerald, uniqueEmail, type TestHerald } from '../support/herald';
import { waitForLinkToken } from '../support/mailbox';
import { signUp } from '../support/tenants';
import { waitFor } from '../support/wait';

let healthy = false;
/** A listener whose downstream is down until the test says otherwise: its deliveries go dead. */
const crmSync = defineListener({
  name: 'test-crm-sync',
  on: ['user.registered'],
  maxAttempts: 2,
  backoffMs: 50,
  async handle(_event, ctx) {
    if (!healthy) throw new Error('the CRM answered 503 Service Unavailable');
    await ctx.complete(async () => undefined);
  },
});

/** A platform admin in the console: listener statistics, a dead delivery retried, every tenant. */
describe('console: platform admin', () => {
  let t: TestHerald;
  let browser: Browser;
  let page: Page;
  const adminEmail = uniqueEmail('admin');

  beforeAll(async () => {
    t = await startTestHerald({ PLATFORM_ADMIN_EMAILS: adminEmail }, { extraListeners: [crmSync] });
    browser = await launchBrowser();
    ({ page } = await newPerson(browser));
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  it('shows the Platform page only to a verified platform admin', async () => {
    await page.goto(`${t.url}/console/sign-up`);
    await fill(page, 'Name', 'Ada Admin');
    await fill(page, 'Email', adminEmail);
    await fill(page, 'Password', 'correct horse battery');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Your tenants' }).waitFor();
    // Listed but not verified yet: not an admin, and the page is not there.
    expect(await page.getByRole('link', { name: 'Platform' }).count()).toBe(0);
    await page.goto(`${t.url}/console/admin`);
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();

    const token = await waitForLinkToken(t.smtp, adminEmail, '/console/verify-email');
    await page.goto(`${t.url}/console/verify-email?token=${token}`);
    await page.getByRole('button', { name: 'Verify my email' }).click();
    await page.getByText(/is verified/).waitFor();
    await page.getByRole('link', { name: 'Go to your tenants' }).click();
    await page.getByRole('link', { name: 'Platform' }).click();
    await page.getByRole('heading', { name: 'Platform' }).waitFor();
  });

  it('lists dead deliveries with their error, and retries one', async () => {
    const other = await signUp(t, uniqueEmail('customer'));
    await waitFor(async () => {
      const rows = await t.db.query(`SELECT 1 FROM deliveries WHERE listener = 'test-crm-sync' AND status = 'dead'`);
      return rows.length === 2; // the admin's registration and the customer's
    }, { what: 'two dead deliveries' });
    await page.reload();
    const rows = page.locator('section[aria-labelledby="dead-heading"] tbody tr');
    await waitFor(async () => (await rows.count()) === 2, { what: 'two dead deliveries listed' });
    expect(await rows.first().textContent()).toContain('the CRM answered 503 Service Unavailable');
    const chart = page.locator('section[aria-labelledby="stats-heading"] svg[role="img"]');
    expect(await chart.getAttribute('aria-label')).toContain('dead deliveries at test-crm-sync (2)');
    await screenshot(page, 'admin');

    healthy = true;
    const [newest] = await t.db.query<{ id: string }>(
      `SELECT d.id::text FROM deliveries d JOIN events e ON e.id = d.event_id WHERE d.listener = 'test-crm-sync' AND e.actor_id = $1`,
      [other.userId],
    );
    await rows.first().getByRole('button', { name: 'Retry' }).click();
    await page.getByText('The delivery to test-crm-sync is queued again.').waitFor();
    await waitFor(async () => {
      const [row] = await t.db.query<{ status: string }>(`SELECT status FROM deliveries WHERE id = $1`, [newest.id]);
      return row.status === 'done';
    }, { what: 'the retried delivery to be done' });
    await waitFor(async () => (await rows.count()) === 1, { what: 'one dead delivery left' });
  });

  it('lists every tenant, not only the admin’s', async () => {
    const customer = await signUp(t, uniqueEmail('owner'));
    const created = await t.gql(`mutation { createTenant(input: { name: "Customer Co", slug: "customer-co" }) { id } }`, {}, customer.token);
    expect(created.errors).toBeUndefined();
    await page.reload();
    await page.locator('section[aria-labelledby="tenants-heading"]').getByRole('link', { name: 'Customer Co' }).waitFor();
  });
});
