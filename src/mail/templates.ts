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

export function welcomeEmail(data: { name: string }): RenderedEmail {
  return {
    subject: 'Welcome to Herald',
    text: `Hello ${data.name},\n\nyour Herald account is ready. Sign in any time.\n\nThe Herald team\n`,
    html: `<p>Hello ${escapeHtml(data.name)},</p><p>your Herald account is ready. Sign in any time.</p><p>The Herald team</p>`,
  };
}
