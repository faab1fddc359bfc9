import type { Browser, Page } from 'playwright-core';
import { fill, launchBrowser, newPerson, screenshot } from '../support/browser';
import { freePort } from '../support/free-port';
import { startTestHerald, uniqueEmail, type TestHerald } from '../support/herald';
import { waitForLinkToken } from '../support/mailbox';
import { ACCEPT_INVITATION, signUp, UPDATE_TENANT, uniqueSlug, type Account } from '../support/tenants';
import { waitFor } from '../support/wait';

/**
 * The console in a real Chromium against a real Herald: sign up, create a tenant and watch its
 * onboarding, follow its events live while another user acts, survive a server restart without
 * missing an event, manage members, read the audit log.
 */
describe('console: a tenant admin’s first hour', () => {
  let t: TestHerald;
  let browser: Browser;
  let page: Page;
  const email = uniqueEmail('owner');
  const password = 'correct horse battery';
  let tenantId: string;
  let second: Account;

  beforeAll(async () => {
    t = await startTestHerald({ PORT: String(await freePort()) });
    browser = await launchBrowser();
    ({ page } = await newPerson(browser));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  /** A tab of the tenant page. */
  const tab = (name: string) => page.getByRole('navigation', { name: 'Tenant' }).getByRole('link', { name });
  /** The stream's items of one event name. */
  const eventsNamed = (name: string) => page.locator('ol.events li').filter({ has: page.locator('.event-name', { hasText: new RegExp(`^${name}$`) }) });
  /** The seqs the event list shows, in page order (newest first). */
  const shownSeqs = () => page.locator('ol.events li').evaluateAll((items) => items.map((item) => item.getAttribute('data-seq')!));

  it('sends a visitor to sign in, and signs a new user up', async () => {
    await page.goto(`${t.url}/console/`);
    await page.waitForURL(/\/console\/sign-in/);
    await screenshot(page, 'sign-in');
    await page.getByRole('link', { name: 'Create an account' }).click();
    await fill(page, 'Name', 'Olivia Owner');
    await fill(page, 'Email', email);
    await fill(page, 'Password', password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Your tenants' }).waitFor();
    await page.getByText('You are not a member of any tenant yet').waitFor();
  });

  it('keeps no token where scripts can read it: the refresh and device tokens are HttpOnly __Host- cookies', async () => {
    const storage = await page.evaluate('JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie');
    expect(storage).toBe('{}{}');
    const cookies = await page.context().cookies();
    const shapes = cookies.map((c) => ({ name: c.name, httpOnly: c.httpOnly, secure: c.secure, sameSite: c.sameSite, path: c.path }));
    expect(shapes.sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: '__Host-herald-device', httpOnly: true, secure: true, sameSite: 'Strict', path: '/' },
      { name: '__Host-herald-refresh', httpOnly: true, secure: true, sameSite: 'Strict', path: '/' },
    ]);
    // A reload forgets the access token; the cookie signs the tab in again.
    await page.reload();
    await page.getByRole('heading', { name: 'Your tenants' }).waitFor();
  });

  it('shows an API error in words', async () => {
    await page.getByRole('link', { name: 'New tenant' }).click();
    await fill(page, 'Name', 'Bad slug');
    await fill(page, 'Slug', 'x');
    await page.getByRole('button', { name: 'Create tenant' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/slug/i);
    expect(await alert.textContent()).not.toMatch(/[{}]/);
  });

  it('creates a tenant and shows its onboarding until it is ACTIVE', async () => {
    await fill(page, 'Name', 'Acme Rockets');
    await fill(page, 'Slug', uniqueSlug('acme'));
    await page.getByRole('button', { name: 'Create tenant' }).click();
    await page.getByRole('heading', { name: /Setting up Acme Rockets/ }).waitFor();
    await page.getByText('Acme Rockets is ready.').waitFor();
    expect(await page.locator('ol.steps li.done').count()).toBe(4);
    await screenshot(page, 'onboarding');
    await page.getByRole('link', { name: 'Open it' }).click();
    await page.waitForURL(/\/console\/tenants\/[0-9a-f-]+/);
    tenantId = page.url().match(/tenants\/([0-9a-f-]+)/)![1];
  });

  it('streams the tenant’s events, and another user’s action arrives live', async () => {
    await page.locator('.stream-state[data-state="live"]').waitFor();
    expect(await page.locator('ol.events').textContent()).toContain('tenant.created');

    // A second user joins through an invitation sent from the console, then renames the tenant.
    second = await signUp(t, uniqueEmail('second'), { verified: true });
    await tab('Invitations').click();
    await fill(page, 'Invite by email', second.email);
    await page.getByLabel('Role').selectOption('ADMIN');
    await page.getByRole('button', { name: 'Send invitation' }).click();
    await page.getByText(`An invitation is on its way to ${second.email}`).waitFor();
    await page.getByRole('cell', { name: second.email }).waitFor();
    const token = await waitForLinkToken(t.smtp, second.email, '/console/invitations/accept');
    expect((await t.gql(ACCEPT_INVITATION, { token }, second.token)).errors).toBeUndefined();

    await tab('Live events').click();
    await page.locator('.stream-state[data-state="live"]').waitFor();
    expect((await t.gql(UPDATE_TENANT, { id: tenantId, input: { name: 'Acme Rockets Ltd' } }, second.token)).errors).toBeUndefined();
    await eventsNamed('tenant.updated').waitFor();
    // The chart of the last hour counts what the stream shows (the update included).
    const stored = await t.db.query(`SELECT 1 FROM events WHERE tenant_id = $1`, [tenantId]);
    const chart = page.locator('section[aria-labelledby="events-heading"] svg[role="img"]');
    await waitFor(async () => (await chart.getAttribute('aria-label'))?.includes(`${stored.length} events in the last hour`), {
      what: `the chart to count ${stored.length} events`,
    });
    await screenshot(page, 'tenant-events');
  });

  it('filters the stream by event name', async () => {
    await fill(page, 'Only these event names', 'tenant.updated');
    await page.getByRole('button', { name: 'Apply filter' }).click();
    await page.locator('.stream-state[data-state="live"]').waitFor();
    await waitFor(async () => (await page.locator('ol.events li').count()) === 1, { what: 'only the tenant.updated event' });
    expect(await page.locator('ol.events .event-name').allTextContents()).toEqual(['tenant.updated']);
    await fill(page, 'Only these event names', '');
    await page.getByRole('button', { name: 'Apply filter' }).click();
    await page.locator('.stream-state[data-state="live"]').waitFor();
  });

  it('resumes after the server restarts, without missing the events of the outage', async () => {
    await eventsNamed('tenant.updated').waitFor();
    const port = new URL(t.url).port;
    await t.herald.stop();
    await page.locator('.stream-state[data-state="reconnecting"]').waitFor();

    // While this instance is down, another one (same database, another port) records events.
    const other = await t.startPeer({ PORT: '0' });
    for (const name of ['Outage one', 'Outage two']) {
      const response = await fetch(`${other.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${second.token}` },
        body: JSON.stringify({ query: UPDATE_TENANT, variables: { id: tenantId, input: { name } } }),
      });
      expect(((await response.json()) as { errors?: unknown }).errors).toBeUndefined();
    }
    await t.startPeer({ PORT: port });
    await page.locator('.stream-state[data-state="live"]').waitFor({ timeout: 20_000 });
    await waitFor(async () => (await eventsNamed('tenant.updated').count()) === 3, {
      timeoutMs: 15_000,
      what: 'both events of the outage in the stream',
    });

    // Every event of the tenant is on the page once, in order: no gap, no duplicate.
    const stored = await t.db.query<{ seq: string }>(`SELECT seq::text FROM events WHERE tenant_id = $1 ORDER BY seq DESC`, [tenantId]);
    expect(await shownSeqs()).toEqual(stored.map((row) => row.seq));
  });

  it('lists members and changes a role', async () => {
    await tab('Members').click();
    await page.getByRole('cell', { name: second.email }).waitFor();
    const roleOfSecond = page.getByLabel('Role of Tess Tenant');
    expect(await roleOfSecond.inputValue()).toBe('ADMIN');
    await roleOfSecond.selectOption('MEMBER');
    await waitFor(async () => {
      const [row] = await t.db.query<{ role: string }>(`SELECT role FROM memberships WHERE tenant_id = $1 AND user_id = $2`, [tenantId, second.userId]);
      return row?.role === 'MEMBER';
    }, { what: 'the role change to be stored' });
    await waitFor(async () => (await roleOfSecond.inputValue()) === 'MEMBER', { what: 'the page to show the new role' });
    await screenshot(page, 'tenant-members');
  });

  it('shows the audit log, newest first', async () => {
    await tab('Audit log').click();
    await page.getByRole('cell', { name: 'tenant.member.role_changed' }).waitFor();
    const actions = await page.locator('tbody tr td:nth-child(2)').allTextContents();
    expect(actions[0]).toBe('tenant.member.role_changed');
    expect(actions).toContain('tenant.created');
    await screenshot(page, 'tenant-audit');
  });

  it('signs out on the server: the cookie’s session no longer refreshes', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    const [row] = await t.db.query<{ live: string }>(
      `SELECT count(*)::text AS live FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = $1 AND s.revoked_at IS NULL`,
      [email],
    );
    expect(row.live).toBe('0');
    await page.goto(`${t.url}/console/tenants`);
    await page.waitForURL(/\/console\/sign-in\?next=%2Ftenants/);
  });
});
