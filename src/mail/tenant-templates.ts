import { escapeHtml, type RenderedEmail } from './templates';

/** To the owner when onboarding has set the tenant up: what to do first. */
export function setupGuideEmail(data: { ownerName: string; tenantName: string; slug: string }): RenderedEmail {
  const steps = [
    'Invite your team: addMember(tenantId, email, role) with the role ADMIN or MEMBER.',
    'Review the default settings (locale, time zone) of your workspace.',
    'Follow what happens live: subscribe to tenantEvents(tenantId) or read auditLog(tenantId).',
  ];
  return {
    subject: `Getting started with ${data.tenantName}`,
    text:
      `Hello ${data.ownerName},\n\n` +
      `your workspace "${data.tenantName}" (${data.slug}) is almost ready. Three things to do first:\n\n` +
      steps.map((step, i) => `${i + 1}. ${step}`).join('\n') +
      `\n\nThe Herald team\n`,
    html:
      `<p>Hello ${escapeHtml(data.ownerName)},</p>` +
      `<p>your workspace <strong>${escapeHtml(data.tenantName)}</strong> (${escapeHtml(data.slug)}) is almost ready. ` +
      `Three things to do first:</p>` +
      `<ol>${steps.map((step) => `<li>${escapeHtml(step)}</li>`).join('')}</ol>` +
      `<p>The Herald team</p>`,
  };
}

/** To each platform admin when a tenant is created. */
export function tenantCreatedNoticeEmail(data: {
  tenantId: string;
  tenantName: string;
  slug: string;
  ownerEmail: string | null;
}): RenderedEmail {
  const owner = data.ownerEmail ?? 'an account that no longer exists';
  return {
    subject: `New tenant: ${data.tenantName} (${data.slug})`,
    text:
      `A tenant was created.\n\nName: ${data.tenantName}\nSlug: ${data.slug}\nId: ${data.tenantId}\n` +
      `Owner: ${owner}\n\nIts onboarding runs now; follow it with tenant(id) { status onboarding { step status } }.\n`,
    html:
      `<p>A tenant was created.</p><table>` +
      `<tr><th align="left">Name</th><td>${escapeHtml(data.tenantName)}</td></tr>` +
      `<tr><th align="left">Slug</th><td>${escapeHtml(data.slug)}</td></tr>` +
      `<tr><th align="left">Id</th><td>${escapeHtml(data.tenantId)}</td></tr>` +
      `<tr><th align="left">Owner</th><td>${escapeHtml(owner)}</td></tr></table>` +
      `<p>Its onboarding runs now; follow it with <code>tenant(id) { status onboarding { step status } }</code>.</p>`,
  };
}
