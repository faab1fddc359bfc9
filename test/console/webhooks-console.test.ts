import type { Browser, Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { fill, launchBrowser, newPerson, screenshot } from '../support/browser';
import { startTestHerald, type TestHerald } from '../support/herald';
import { createActiveTenant, signUp, UPDATE_TENANT, type Account } from '../support/tenants';
import { waitFor } from '../support/wait';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

/** A tenant's webhooks in the console: add an endpoint, its secret once, test, a failure retried, rotate. */
describe('console: webhooks', () => {
  let t: TestHerald;
  let receiver: WebhookReceiver;
  let browser: Browser;
  let page: Page;
  let owner: Account;
  let tenantId: string;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    t = await startTestHerald({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', WEBHOOK_RETRY_SCHEDULE: '0' });
    owner = await signUp(t, undefined, { verified: true });
    tenantId = (await createActiveTenant(t, owner)).id;
    browser = await launchBrowser();
    ({ page } = await newPerson(browser));
    await page.goto(`${t.url}/console/sign-in?next=${encodeURIComponent(`/tenants/${tenantId}/webhooks`)}`);
    await fill(page, 'Email', owner.email);
    await fill(page, 'Password', 'correct horse battery');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Webhooks' }).waitFor();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
    await receiver?.close();
  });

  const attemptRows = () => page.locator('.attempts tbody tr');
  /** The receiver sees a message before Herald records the attempt, so one Refresh may come too early. */
  const refreshUntilShown = (rows: ReturnType<typeof attemptRows>, what: string) =>
    waitFor(async () => {
      await page.getByRole('button', { name: 'Refresh' }).click();
      return (await rows.count()) > 0;
    }, { what, timeoutMs: 20_000, intervalMs: 250 });

  it('adds an endpoint and shows its secret once; a test message arrives signed with it', async () => {
    await fill(page, 'Endpoint URL', `${receiver.url}/hooks`);
    await fill(page, 'Event names', 'webhook.test, tenant.updated');
    await fill(page, 'Description', 'CRM sync');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const secret = (await page.locator('code.secret').textContent())!;
    expect(secret).toMatch(/^whsec_/);
    await page.getByRole('button', { name: 'I have copied it' }).click();
    expect(await page.locator('code.secret').count()).toBe(0);

    await page.getByRole('button', { name: 'Send test' }).click();
    await waitFor(() => receiver.at('/hooks').length === 1, { what: 'the test message' });
    const [message] = receiver.at('/hooks');
    expect(new Webhook(secret).verify(message.body, message.headers as Record<string, string>)).toMatchObject({ type: 'webhook.test' });
    await refreshUntilShown(attemptRows().filter({ hasText: 'Succeeded' }), 'the test attempt that succeeded');
  });

  it('shows a failed attempt in words, and sends the message again', async () => {
    receiver.answer('/hooks', { status: 500, body: 'the CRM is down' });
    expect((await t.gql(UPDATE_TENANT, { id: tenantId, input: { name: 'Hooked Inc' } }, owner.token)).errors).toBeUndefined();
    await waitFor(() => receiver.at('/hooks').length === 2, { what: 'the tenant.updated message' });
    const failed = attemptRows().filter({ hasText: 'tenant.updated' }).filter({ hasText: 'Failed' });
    await refreshUntilShown(failed, 'the failed attempt');
    expect(await failed.first().textContent()).toContain('HTTP 500');

    receiver.answer('/hooks', { status: 204 });
    await failed.first().getByRole('button', { name: 'Send again' }).click();
    await page.getByText('tenant.updated is sent again.').waitFor();
    await waitFor(() => receiver.at('/hooks').length === 3, { what: 'the message sent again' });
    const [first, again] = receiver.at('/hooks').slice(1);
    expect(again.headers['webhook-id']).toBe(first.headers['webhook-id']);
    await refreshUntilShown(attemptRows().filter({ hasText: 'tenant.updated' }).filter({ hasText: 'Succeeded' }), 'the attempt that succeeded');
    expect(await attemptRows().filter({ hasText: 'tenant.updated' }).filter({ hasText: 'Succeeded' }).count()).toBe(1);
    await screenshot(page, 'tenant-webhooks');
  });

  it('rotates the secret (shown once) and disables the endpoint', async () => {
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    expect(await page.locator('code.secret').textContent()).toMatch(/^whsec_/);
    await page.getByRole('button', { name: 'I have copied it' }).click();
    await page.getByRole('button', { name: 'Disable' }).click();
    await page.getByRole('button', { name: 'Enable' }).waitFor();
    const [row] = await t.db.query<{ enabled: boolean }>(`SELECT enabled FROM webhook_endpoints WHERE tenant_id = $1`, [tenantId]);
    expect(row.enabled).toBe(false);
  });

  it('says in words when the URL is refused', async () => {
    await fill(page, 'Endpoint URL', 'ftp://example.com/hooks');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/http/i);
  });
});
