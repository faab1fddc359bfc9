import { isIP } from 'node:net';
import { BadUserInputError } from '../errors/domain-errors';
import { isEventName } from '../events/catalog';
import { isRefusedAddress } from './address-policy';

/** Event types one endpoint may list. */
const MAX_EVENT_TYPES = 100;
const MAX_URL_LENGTH = 2048;
const MAX_DESCRIPTION_LENGTH = 500;

/**
 * An endpoint URL, checked: https:// (http:// where `allowHttp`), a host, no user name or password
 * (they would sit in clear text in every view of the endpoint), and no address literal that the
 * network rules refuse. A host name is checked again at each attempt, against what it resolves to.
 */
export function endpointUrl(value: string, rules: { allowHttp: boolean; allowPrivateNetworks: boolean }): string {
  const trimmed = value.trim();
  const fail = (why: string): never => {
    throw new BadUserInputError('url', why);
  };
  if (trimmed.length === 0 || trimmed.length > MAX_URL_LENGTH) fail(`Give the receiver's URL, at most ${MAX_URL_LENGTH} characters.`);
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return fail('Give an absolute URL such as https://example.com/webhooks.');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && rules.allowHttp)) {
    fail(rules.allowHttp ? 'Use an https:// or http:// URL.' : 'Use an https:// URL (http:// is not accepted in production).');
  }
  if (url.username || url.password) fail('Leave the user name and password out of the URL; receivers verify the signature instead.');
  if (!url.hostname) fail('The URL needs a host.');
  const literal = url.hostname.replace(/^\[|\]$/g, '');
  if (!rules.allowPrivateNetworks && (isIP(literal) ? isRefusedAddress(literal) : literal === 'localhost' || literal.endsWith('.localhost'))) {
    fail('This address is loopback, private or otherwise internal: webhooks go to public addresses only.');
  }
  url.hash = '';
  return url.toString();
}

/** Event types, checked against the catalog, without repeats; empty means every event but `auth.*`. */
export function eventTypes(values: readonly string[]): string[] {
  if (values.length > MAX_EVENT_TYPES) throw new BadUserInputError('eventTypes', `List at most ${MAX_EVENT_TYPES} event types.`);
  for (const name of values) {
    if (!isEventName(name)) {
      throw new BadUserInputError('eventTypes', `"${name.slice(0, 100)}" is not an event name (docs/EVENTS.md lists them).`);
    }
  }
  return [...new Set(values)];
}

/** A description: trimmed, at most 500 characters, no control characters; null when empty. */
export function description(value: string | null | undefined): string | null {
  const trimmed = value?.trim() ?? '';
  if (trimmed.length > MAX_DESCRIPTION_LENGTH || /[\u0000-\u0008\u000b-\u001f\u007f]/.test(trimmed)) {
    throw new BadUserInputError('description', `Write at most ${MAX_DESCRIPTION_LENGTH} characters of plain text.`);
  }
  return trimmed === '' ? null : trimmed;
}
