import jwt from 'jsonwebtoken';
import { AccessTokens } from './access-tokens';
import { DeviceTokens } from './device-tokens';

/** Device tokens (DESIGN §6b "Devices"): what they assert, and everything they refuse. */
const SECRET = 'a-test-secret-that-is-long-enough-0123456789';
const USER = '0190a000-0000-7000-8000-000000000001';
const DEVICE = '0190a000-0000-7000-8000-0000000000d1';
const devices = new DeviceTokens(SECRET);

/** A token signed as `issue` signs, with `options` changed. */
const sign = (payload: object, options: jwt.SignOptions = {}, secret = SECRET) => {
  const all: jwt.SignOptions = { algorithm: 'HS256', issuer: 'herald', audience: 'herald-device', subject: USER, ...options };
  if (!('exp' in payload)) all.expiresIn = 60;
  return jwt.sign(payload, secret, all);
};

it('verifies what it issued: the user and the device, for a year', () => {
  const { token, deviceId } = devices.issue(USER, DEVICE);
  expect(deviceId).toBe(DEVICE);
  expect(devices.verify(token)).toEqual({ userId: USER, deviceId: DEVICE });
  const payload = jwt.decode(token) as jwt.JwtPayload;
  expect(payload).toMatchObject({ sub: USER, did: DEVICE, iss: 'herald', aud: 'herald-device' });
  expect(payload.exp! - payload.iat!).toBe(365 * 86400);
});

it('names a new device (a uuid v7) when given none, another each time', () => {
  const first = devices.issue(USER);
  const second = devices.issue(USER);
  expect(first.deviceId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  expect(second.deviceId).not.toBe(first.deviceId);
  expect(devices.verify(first.token)).toEqual({ userId: USER, deviceId: first.deviceId });
});

it('accepts a token signed as the refused ones below, except for the one thing each changes', () => {
  expect(devices.verify(sign({ did: DEVICE }))).toEqual({ userId: USER, deviceId: DEVICE });
});

it.each([
  ['no token', () => null],
  ['an empty one', () => ''],
  ['an access token (another audience)', () => new AccessTokens(SECRET, 900).issue(USER, DEVICE)],
  ['another secret', () => sign({ did: DEVICE }, {}, 'another-secret-that-is-long-enough-0123456789')],
  ['another algorithm (HS512, same secret)', () => sign({ did: DEVICE }, { algorithm: 'HS512' })],
  ['another issuer', () => sign({ did: DEVICE }, { issuer: 'someone-else' })],
  ['an expired one', () => sign({ did: DEVICE, exp: Math.floor(Date.now() / 1000) - 10 })],
  ['one without a device', () => sign({})],
  ['one whose device is not a string', () => sign({ did: 42 })],
  ['one whose device is not an id', () => sign({ did: 'my-laptop' })],
  ['one whose device has text around an id', () => sign({ did: `x${DEVICE}` })],
  ['one whose device has text after an id', () => sign({ did: `${DEVICE}x` })],
  ['one whose device is a list holding an id', () => sign({ did: [DEVICE] })],
  ['a string payload', () => jwt.sign('just a string', SECRET, { algorithm: 'HS256' })],
  ['garbage', () => 'not.a.token'],
])('refuses %s', (_what, token) => {
  expect(devices.verify(token() as string | null)).toBeNull();
});
