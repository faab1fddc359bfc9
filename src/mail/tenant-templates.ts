import { escapeHtml, unlinkable, type RenderedEmail } from './templates';

/** To the owner when onboarding has set the tenant up: what to do first. */
export function setupGuideEmail(data: { ownerName: string; tenantName: string; slug: string }): RenderedEmail {
  const steps = [
    'Invite your team: inviteMember(tenantId, email, role) with the role ADMIN or MEMBER; they accept from the email.',
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

/**
 * To each platform admin when a tenant is created. The name, slug and owner's address are the
 * creator's text: quoted so no mail client makes a link of them (`unlinkable`), escaped in HTML.
 */
export function tenantCreatedNoticeEmail(data: {
  tenantId: string;
  tenantName: string;
  slug: string;
  ownerEmail: string | null;
}): RenderedEmail {
  const owner = data.ownerEmail ? unlinkable(data.ownerEmail) : 'an account that no longer exists';
  const name = unlinkable(data.tenantName);
  const slug = unlinkable(data.slug);
  return {
    subject: `New tenant: ${name} (${slug})`,
    text:
      `A tenant was created.\n\nName: “${name}”\nSlug: ${slug}\nId: ${data.tenantId}\n` +
      `Owner: ${owner}\n\nIts onboarding runs now; follow it with tenant(id) { status onboarding { step status } }.\n`,
    html:
      `<p>A tenant was created.</p><table>` +
      `<tr><th align="left">Name</th><td>“${escapeHtml(name)}”</td></tr>` +
      `<tr><th align="left">Slug</th><td>${escapeHtml(slug)}</td></tr>` +
      `<tr><th align="left">Id</th><td>${escapeHtml(data.tenantId)}</td></tr>` +
      `<tr><th align="left">Owner</th><td>${escapeHtml(owner)}</td></tr></table>` +
      `<p>Its onboarding runs now; follow it with <code>tenant(id) { status onboarding { step status } }</code>.</p>`,
  };
}

/**
 * To an invited address. The tenant's and inviter's names are quoted as plain text and never made
 * a link (in the HTML they are escaped), so an invitation cannot carry a link of the inviter's choosing.
 */
export function invitationEmail(data: {
  inviterName: string | null;
  tenantName: string;
  role: string;
  acceptUrl: string;
  expiresAt: Date;
}): RenderedEmail {
  const who = data.inviterName ? `${data.inviterName} invited you` : 'You are invited';
  const until = `${data.expiresAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  const lead = `${who} to join the workspace “${data.tenantName}” on Herald as ${data.role}.`;
  const how = 'Open the link to accept or decline. If you have no Herald account yet, create one with this email address, confirm it, and open the link again.';
  const after = `The invitation is open until ${until}. If you did not expect it, ignore this email.`;
  return {
    subject: `You are invited to join “${data.tenantName}” on Herald`,
    text: `Hello,\n\n${lead}\n\n${how}\n\nAccept or decline:\n${data.acceptUrl}\n\n${after}\n\nThe Herald team\n`,
    html:
      `<p>Hello,</p><p>${escapeHtml(lead)}</p><p>${escapeHtml(how)}</p>` +
      `<p><a href="${escapeHtml(data.acceptUrl)}">Accept or decline the invitation</a></p>` +
      `<p>${escapeHtml(after)}</p><p>The Herald team</p>`,
  };
}

/** To a tenant's owners when one of its webhook endpoints was disabled after days of failures. */
export function webhookDisabledEmail(data: { tenantName: string; host: string; reason: string }): RenderedEmail {
  const todo =
    'Fix the receiver, then enable the endpoint again (updateWebhookEndpoint with enabled: true) and ' +
    'resend what it missed with replayWebhookMessages(endpointId, since).';
  return {
    subject: `A webhook endpoint of ${data.tenantName} was disabled`,
    text: `The webhook endpoint at ${data.host} of "${data.tenantName}" was disabled: ${data.reason}.\n\n${todo}\n\nThe Herald team\n`,
    html:
      `<p>The webhook endpoint at <strong>${escapeHtml(data.host)}</strong> of <strong>${escapeHtml(data.tenantName)}</strong> ` +
      `was disabled: ${escapeHtml(data.reason)}.</p><p>${escapeHtml(todo)}</p><p>The Herald team</p>`,
  };
}
