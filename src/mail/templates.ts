/** A rendered email. */
export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

/** Escapes text for HTML bodies; every value from users goes through it. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A value someone else chose (a tenant's name, an address), made so that mail clients do not turn
 * it into a link: `https://evil.example` reads `https[:]//evil[.]example`. For emails to people
 * who did not choose the text (platform admins), so it cannot carry a link of a stranger's choosing.
 */
export function unlinkable(value: string): string {
  return value.replace(/:\/\//g, '[:]//').replace(/(\w)\.(?=\w)/g, '$1[.]');
}

/** Sent when repeated failed logins locked the account for a while (`auth.account.locked`). */
export function accountLockedEmail(data: { name: string; failures: number; lockedUntil: Date }): RenderedEmail {
  const until = `${data.lockedUntil.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  const lines = [
    `there were ${data.failures} failed attempts to sign in to your Herald account, so we have locked it until ${until}.`,
    'None of these attempts got in. If they were yours, you can sign in again after that time.',
    'If they were not, someone may be trying to guess your password: make sure it is long and used nowhere else.',
    'Devices you have signed in from before can still sign in meanwhile, and resetting your password lifts the lock.',
  ];
  return {
    subject: 'Your Herald account is locked for a while',
    text: `Hello ${data.name},\n\n${lines.join('\n\n')}\n\nThe Herald team\n`,
    html: `<p>Hello ${escapeHtml(data.name)},</p>${lines.map((line) => `<p>${escapeHtml(line)}</p>`).join('')}<p>The Herald team</p>`,
  };
}
