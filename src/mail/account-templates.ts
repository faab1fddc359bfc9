import { escapeHtml, type RenderedEmail } from './templates';

/**
 * The emails of trusted accounts: verification, reset, changes of password and address. Each link
 * arrives with its token as a placeholder (src/auth/link-tokens.ts). Every value a user chose goes
 * through escapeHtml in the HTML part.
 */

interface Letter {
  subject: string;
  greeting: string;
  paragraphs: string[];
  /** One call to action: the link and what it does. */
  action?: { label: string; url: string };
  /** After the link: how long it works, what to do if this was not you. */
  after?: string[];
}

function letter({ subject, greeting, paragraphs, action, after = [] }: Letter): RenderedEmail {
  const text = [
    `Hello ${greeting},`,
    ...paragraphs,
    ...(action ? [`${action.label}:\n${action.url}`] : []),
    ...after,
    'The Herald team',
  ].join('\n\n');
  const html = [
    `<p>Hello ${escapeHtml(greeting)},</p>`,
    ...paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`),
    ...(action ? [`<p><a href="${escapeHtml(action.url)}">${escapeHtml(action.label)}</a></p>`] : []),
    ...after.map((p) => `<p>${escapeHtml(p)}</p>`),
    '<p>The Herald team</p>',
  ].join('');
  return { subject, text: `${text}\n`, html };
}

/** "48 hours", "30 minutes", "7 days". */
export function lifetime(seconds: number): string {
  const [value, unit] =
    seconds % 86400 === 0 ? [seconds / 86400, 'day'] : seconds % 3600 === 0 ? [seconds / 3600, 'hour'] : [Math.ceil(seconds / 60), 'minute'];
  return `${value} ${unit}${value === 1 ? '' : 's'}`;
}

/** At registration: one email that welcomes and asks to verify the address. */
export function welcomeEmail(data: { name: string; verifyUrl: string; validFor: number }): RenderedEmail {
  return letter({
    subject: 'Welcome to Herald: please confirm your email address',
    greeting: data.name,
    paragraphs: ['your Herald account is ready. Please confirm that this email address is yours.'],
    action: { label: 'Confirm your email address', url: data.verifyUrl },
    after: [
      `The link works once, for ${lifetime(data.validFor)}. If you did not create this account, ignore this email.`,
    ],
  });
}

/** A day after registration, while the address is still unverified; or when the user asks again. */
export function verifyEmailReminder(data: { name: string; verifyUrl: string; validFor: number; reminder: boolean }): RenderedEmail {
  return letter({
    subject: 'Please confirm your email address',
    greeting: data.name,
    paragraphs: [
      data.reminder
        ? 'you created a Herald account with this email address, and it is not confirmed yet.'
        : 'here is a new link to confirm your email address.',
    ],
    action: { label: 'Confirm your email address', url: data.verifyUrl },
    after: [`The link works once, for ${lifetime(data.validFor)}. If this was not you, ignore this email.`],
  });
}

export function passwordResetEmail(data: { name: string; resetUrl: string; validFor: number }): RenderedEmail {
  return letter({
    subject: 'Reset your Herald password',
    greeting: data.name,
    paragraphs: ['someone (hopefully you) asked to reset the password of your Herald account.'],
    action: { label: 'Choose a new password', url: data.resetUrl },
    after: [
      `The link works once, for ${lifetime(data.validFor)}. Setting a new password signs you out everywhere.`,
      'If you did not ask for this, ignore this email: your password stays as it is.',
    ],
  });
}

export function passwordChangedEmail(data: { name: string; how: 'reset' | 'changed'; consoleUrl: string }): RenderedEmail {
  return letter({
    subject: 'Your Herald password was changed',
    greeting: data.name,
    paragraphs: [
      data.how === 'reset'
        ? 'the password of your Herald account was just reset with a link sent to this address, and every session was signed out.'
        : 'the password of your Herald account was just changed, and your other sessions were signed out.',
      `If this was not you, reset your password now from ${data.consoleUrl} and review your sessions.`,
    ],
  });
}

/** A sign-in from a device that had not signed in to this account before (no device token). */
export function newDeviceSignInEmail(data: { name: string; when: Date; ip: string | null; userAgent: string | null; consoleUrl: string }): RenderedEmail {
  const when = `${data.when.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return letter({
    subject: 'A new sign-in to your Herald account',
    greeting: data.name,
    paragraphs: [
      `your Herald account was signed in to from a new device at ${when}` +
        `${data.ip ? ` from the address ${data.ip}` : ''}${data.userAgent ? ` with ${data.userAgent.slice(0, 200)}` : ''}.`,
      `If this was you, there is nothing to do. If not, reset your password now from ${data.consoleUrl} and review your sessions.`,
    ],
  });
}

/** To the new address: the link that makes it the account's email. */
export function emailChangeLinkEmail(data: { name: string; verifyUrl: string; validFor: number }): RenderedEmail {
  return letter({
    subject: 'Confirm your new email address for Herald',
    greeting: data.name,
    paragraphs: ['you asked to use this address for your Herald account. It changes once you confirm it.'],
    action: { label: 'Confirm this address', url: data.verifyUrl },
    after: [`The link works once, for ${lifetime(data.validFor)}. If this was not you, ignore this email.`],
  });
}

/** To the new address when an account has it already: no link, and no way to tell which account asked. */
export function emailChangeTakenEmail(): RenderedEmail {
  return letter({
    subject: 'Someone tried to use your address for a Herald account',
    greeting: 'there',
    paragraphs: [
      'someone asked to move a Herald account to this email address, but an account already uses it, so nothing changed.',
      'If that was you, sign in with this address instead. Otherwise, ignore this email.',
    ],
  });
}

/** To the old address: a change was asked for. */
export function emailChangeNoticeEmail(data: { name: string; newEmail: string; consoleUrl: string }): RenderedEmail {
  return letter({
    subject: 'A change of your Herald email address was requested',
    greeting: data.name,
    paragraphs: [
      `someone signed in to your Herald account asked to change its email address to ${data.newEmail}. It changes only when the link sent there is opened.`,
      `If this was not you, change your password now at ${data.consoleUrl} and review your sessions.`,
    ],
  });
}
