import type { Browser, Page } from 'playwright-core';
import { fill, launchBrowser, newPerson, screenshot } from '../support/browser';
import { startTestHerald, type TestHerald } from '../support/herald';
import { createActiveTenant, signUp, UPDATE_TENANT, type Account } from '../support/tenants';
import { waitFor } from '../support/wait';

/** The API explorer: GraphiQL bundled in the console, offline, running a subscription as the user. */
describe('console: API explorer', () => {
  let t: TestHerald;
  let browser: Browser;
  let page: Page;
  let owner: Account;
  let tenantId: string;
  const requests: string[] = [];

  beforeAll(async () => {
    t = await startTestHerald();
    owner = await signUp(t);
    tenantId = (await createActiveTenant(t, owner)).id;
    browser = await launchBrowser();
    ({ page } = await newPerson(browser));
    // Every request the page makes: the explorer must need nothing but Herald.
    page.on('request', (request) => requests.push(request.url()));
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  it('opens with a prepared subscription on the user’s tenant, and runs it over WebSocket', async () => {
    await page.goto(`${t.url}/console/sign-in?next=%2Fexplorer`);
    await fill(page, 'Email', owner.email);
    await fill(page, 'Password', 'correct horse battery');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('.graphiql-container').waitFor();
    await page.getByText('subscription TenantEvents').first().waitFor();
    await page.getByRole('button', { name: /Execute query/ }).click();
    await page.getByRole('menuitem', { name: 'TenantEvents' }).click();
    const response = page.locator('.result-window');
    // GraphiQL shows the newest result of a subscription: the replay has run once one shows.
    await waitFor(async () => (await response.textContent())?.includes('"tenantEvents"'), { timeoutMs: 15_000, what: 'a replayed event' });

    // Live: an event recorded now arrives in the running subscription.
    // (It shows the newest event only, so wait for one at or after the update's seq.)
    expect((await t.gql(UPDATE_TENANT, { id: tenantId, input: { name: 'Explored Inc' } }, owner.token)).errors).toBeUndefined();
    const [updated] = await t.db.query<{ seq: string }>(`SELECT seq::text FROM events WHERE tenant_id = $1 AND name = 'tenant.updated'`, [tenantId]);
    const shownSeq = async () => Number(/"seq":\s*"(\d+)"/.exec((await response.textContent()) ?? '')?.[1] ?? 0);
    await waitFor(async () => (await shownSeq()) >= Number(updated.seq), { timeoutMs: 15_000, what: `event #${updated.seq} or later` });
    // GraphiQL's own markup is not ours to fix: the axe check covers the console's pages.
    await screenshot(page, 'explorer', { accessibility: false });

    const origin = new URL(t.url).origin;
    expect(requests.filter((url) => !url.startsWith(origin) && !url.startsWith('data:') && !url.startsWith('blob:'))).toEqual([]);
  });
});
