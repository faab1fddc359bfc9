import type { Browser, BrowserContext, Page } from 'playwright-core';
import { fill, launchBrowser, newPerson, screenshot } from '../support/browser';
import { startTestHerald, uniqueEmail, type TestHerald } from '../support/herald';
import { waitForLinkToken } from '../support/mailbox';
import { uniqueSlug } from '../support/tenants';
import { waitFor } from '../support/wait';

const PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'another horse battery';

/**
 * Where the emails' links land, tried by two people in two browsers: verify an address, invite and
 * accept, see and end sessions, reset a forgotten password, delete an account.
 */
describe('console: accounts, emailed links and invitations', () => {
  let t: TestHerald;
  let browser: Browser;
  let owner: { context: BrowserContext; page: Page };
  let invitee: { context: BrowserContext; page: Page };
  const ownerEmail = uniqueEmail('owner');
  const inviteeEmail = uniqueEmail('invitee');
  let tenantUrl: string;

  beforeAll(async () => {
    t = await startTestHerald();
    browser = await launchBrowser();
    owner = await newPerson(browser);
    invitee = await newPerson(browser);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  async function signUpIn(page: Page, name: string, email: string) {
    await page.getByRole('link', { name: 'Create an account' }).click();
    await fill(page, 'Name', name);
    await fill(page, 'Email', email);
    await fill(page, 'Password', PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
  }

  async function signIn(page: Page, email: string, password: string) {
    await fill(page, 'Email', email);
    await fill(page, 'Password', password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  /** Opens the newest link to `path` emailed to `email`, as its reader would. */
  async function openEmailedLink(page: Page, email: string, path: '/console/verify-email' | '/console/reset-password' | '/console/invitations/accept', nth = 1) {
    const token = await waitForLinkToken(t.smtp, email, path, nth);
    await page.goto(`${t.url}${path}?token=${token}`);
  }

  it('verifies an address through the emailed link', async () => {
    const { page } = owner;
    await page.goto(`${t.url}/console/sign-in`);
    await signUpIn(page, 'Olga Owner', ownerEmail);
    await page.getByRole('heading', { name: 'Your tenants' }).waitFor();
    await page.getByRole('link', { name: 'Account' }).click();
    await page.getByText('Not verified').waitFor();

    await openEmailedLink(page, ownerEmail, '/console/verify-email');
    await page.getByRole('button', { name: 'Verify my email' }).click();
    await page.getByText(`Thank you: ${ownerEmail.toLowerCase()} is verified.`).waitFor();
    await screenshot(page, 'verify-email');
    // The same link a second time is spent, and says so in words.
    await page.reload();
    await page.getByRole('button', { name: 'Verify my email' }).click();
    expect(await page.getByRole('alert').textContent()).toMatch(/link/i);

    await page.goto(`${t.url}/console/account`);
    await page.locator('dd .badge', { hasText: /^Verified$/ }).waitFor();
  });

  it('invites by email; the invitee signs up from the link, verifies, and accepts in another browser', async () => {
    const { page } = owner;
    await page.goto(`${t.url}/console/tenants/new`);
    await fill(page, 'Name', 'Orbit Labs');
    await fill(page, 'Slug', uniqueSlug('orbit'));
    await page.getByRole('button', { name: 'Create tenant' }).click();
    await page.getByRole('link', { name: 'Open it' }).click();
    tenantUrl = page.url().replace(/\/events$/, '');
    await page.getByRole('navigation', { name: 'Tenant' }).getByRole('link', { name: 'Invitations' }).click();
    await fill(page, 'Invite by email', inviteeEmail);
    await page.getByLabel('Role').selectOption('ADMIN');
    await page.getByRole('button', { name: 'Send invitation' }).click();
    await page.getByRole('cell', { name: inviteeEmail.toLowerCase() }).waitFor();
    await screenshot(page, 'tenant-invitations');

    const other = invitee.page;
    await openEmailedLink(other, inviteeEmail, '/console/invitations/accept');
    await other.getByRole('heading', { name: 'You are invited' }).waitFor();
    const acceptUrl = other.url();
    await other.getByRole('link', { name: 'create an account' }).click();
    await fill(other, 'Name', 'Ivan Invitee');
    await fill(other, 'Email', inviteeEmail);
    await fill(other, 'Password', PASSWORD);
    await other.getByRole('button', { name: 'Create account' }).click();
    // Back on the invitation; accepting before verifying is refused, in words.
    await other.getByRole('button', { name: 'Accept invitation' }).click();
    expect(await other.getByRole('alert').textContent()).toContain('Confirm your email address first');

    await openEmailedLink(other, inviteeEmail, '/console/verify-email');
    await other.getByRole('button', { name: 'Verify my email' }).click();
    await other.getByText(/is verified/).waitFor();
    await other.goto(`${t.url}/console/invitations`);
    await other.getByRole('cell', { name: /Orbit Labs/ }).waitFor();
    await screenshot(other, 'my-invitations');

    await other.goto(acceptUrl);
    await other.getByRole('button', { name: 'Accept invitation' }).click();
    await other.getByText('You joined as admin.').waitFor();
    await other.getByRole('link', { name: 'Go to your tenants' }).click();
    await other.getByRole('link', { name: 'Orbit Labs' }).waitFor();

    await page.goto(`${tenantUrl}/members`);
    await page.getByRole('cell', { name: inviteeEmail.toLowerCase() }).waitFor();
    await page.goto(`${tenantUrl}/invitations`);
    await page.getByLabel('Show').selectOption('ACCEPTED');
    await page.locator('tbody tr', { hasText: inviteeEmail.toLowerCase() }).getByText('Accepted').waitFor();
  });

  it('lists my sessions and ends another one: that browser is signed out', async () => {
    const second = await newPerson(browser);
    await second.page.goto(`${t.url}/console/sign-in`);
    await signIn(second.page, ownerEmail, PASSWORD);
    await second.page.getByRole('heading', { name: 'Your tenants' }).waitFor();

    const { page } = owner;
    await page.goto(`${t.url}/console/account`);
    const rows = page.locator('section[aria-labelledby="sessions-heading"] tbody tr');
    await waitFor(async () => (await rows.count()) === 2, { what: 'two sessions listed' });
    await screenshot(page, 'account');
    await rows.filter({ hasNotText: 'This one' }).getByRole('button', { name: 'End session' }).click();
    await waitFor(async () => (await rows.count()) === 1, { what: 'one session left' });

    await second.page.reload();
    await second.page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await second.context.close();
  });

  it('resets a forgotten password from the emailed link; every session ends', async () => {
    const stranger = await newPerson(browser);
    const { page } = stranger;
    await page.goto(`${t.url}/console/sign-in`);
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await fill(page, 'Email', ownerEmail);
    await page.getByRole('button', { name: 'Send me a link' }).click();
    await page.getByText(/a link to reset its password is on its way/).waitFor();

    await openEmailedLink(page, ownerEmail, '/console/reset-password');
    await fill(page, 'New password', NEW_PASSWORD);
    await fill(page, 'New password again', 'a different one');
    await page.getByRole('button', { name: 'Set the new password' }).click();
    expect(await page.getByRole('alert').textContent()).toContain('The two passwords differ');
    await fill(page, 'New password again', NEW_PASSWORD);
    await page.getByRole('button', { name: 'Set the new password' }).click();
    await page.getByText('Your password is changed').waitFor();
    await screenshot(page, 'reset-password');

    await page.getByRole('link', { name: 'Sign in' }).click();
    await signIn(page, ownerEmail, PASSWORD);
    expect(await page.getByRole('alert').textContent()).toBe('Email or password is incorrect.');
    await signIn(page, ownerEmail, NEW_PASSWORD);
    await page.getByRole('heading', { name: 'Your tenants' }).waitFor();
    await stranger.context.close();

    // The browser signed in before the reset is signed out.
    await owner.page.reload();
    await owner.page.getByRole('heading', { name: 'Sign in' }).waitFor();
  });

  it('changes the password (this browser stays signed in, another is signed out) and the email (by the link sent to the new address)', async () => {
    const email = uniqueEmail('changer');
    const newEmail = uniqueEmail('changed');
    const me = await newPerson(browser);
    const other = await newPerson(browser);
    const { page } = me;
    await page.goto(`${t.url}/console/sign-in`);
    await signUpIn(page, 'Chris Changer', email);
    await page.getByRole('heading', { name: 'Your tenants' }).waitFor();
    await other.page.goto(`${t.url}/console/sign-in`);
    await signIn(other.page, email, PASSWORD);
    await other.page.getByRole('heading', { name: 'Your tenants' }).waitFor();

    await page.getByRole('link', { name: 'Account' }).click();
    const passwordForm = page.locator('section[aria-labelledby="password-heading"]');
    await fill(page, 'Current password', 'not my password');
    await fill(page, 'New password', NEW_PASSWORD);
    await fill(page, 'New password again', NEW_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await passwordForm.getByRole('alert').getByText('This is not your current password.').waitFor();
    await fill(page, 'Current password', PASSWORD);
    await fill(page, 'New password again', 'a different one');
    await page.getByRole('button', { name: 'Change password' }).click();
    await passwordForm.getByRole('alert').getByText('The two passwords differ; type the same one twice.').waitFor();
    await fill(page, 'New password again', NEW_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await passwordForm.getByText('Your password is changed. Your other sessions have ended.').waitFor();

    // This browser's cookie was renewed with the change: a reload resumes the session.
    await page.reload();
    await page.getByRole('heading', { name: 'Your account', exact: true }).waitFor();
    await other.page.reload();
    await other.page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await other.context.close();

    const emailForm = page.locator('section[aria-labelledby="email-heading"]');
    await fill(page, 'New email address', newEmail);
    await fill(page, 'Your current password', PASSWORD); // the old one
    await page.getByRole('button', { name: 'Send the link' }).click();
    await emailForm.getByRole('alert').getByText('This is not your current password.').waitFor();
    await fill(page, 'Your current password', NEW_PASSWORD);
    await page.getByRole('button', { name: 'Send the link' }).click();
    await emailForm.getByText(`A link is on its way to ${newEmail}.`, { exact: false }).waitFor();
    await screenshot(page, 'account-change');

    await openEmailedLink(page, newEmail, '/console/verify-email');
    await page.getByRole('button', { name: 'Verify my email' }).click();
    await page.getByText(`Thank you: ${newEmail.toLowerCase()} is verified.`).waitFor();
    await page.goto(`${t.url}/console/account`);
    await page.locator('dd', { hasText: newEmail.toLowerCase() }).getByText('Verified').waitFor();
    await me.context.close();
  });

  it('deletes an account after confirming the password', async () => {
    const { page } = invitee;
    await page.goto(`${t.url}/console/account`);
    page.on('dialog', (dialog) => void dialog.accept());
    await fill(page, 'Your password', 'wrong password');
    await page.getByRole('button', { name: 'Delete my account' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).not.toMatch(/[{}]/);
    await fill(page, 'Your password', PASSWORD);
    await page.getByRole('button', { name: 'Delete my account' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await signIn(page, inviteeEmail, PASSWORD);
    expect(await page.getByRole('alert').textContent()).toBe('Email or password is incorrect.');
    const [row] = await t.db.query<{ n: string }>(`SELECT count(*)::text AS n FROM users WHERE lower(email) = lower($1)`, [inviteeEmail]);
    expect(row.n).toBe('0');
  });
});
