import { PasswordHasher, SCRYPT_PARAMS, SCRYPT_PARAMS_LOW } from './password-hasher';

/** scrypt hashes at the low test cost (and one at the real cost): format, checks, and when to rehash. */
const hasher = new PasswordHasher(SCRYPT_PARAMS_LOW);

it('stores scrypt$N$r$p$salt$key with a fresh salt each time', async () => {
  const [first, second] = [await hasher.hash('correct horse battery'), await hasher.hash('correct horse battery')];
  const [kind, n, r, p, salt, key] = first.split('$');
  expect([kind, n, r, p]).toEqual(['scrypt', '1024', '8', '1']);
  expect(Buffer.from(salt, 'base64')).toHaveLength(16);
  expect(Buffer.from(key, 'base64')).toHaveLength(32);
  expect(second).not.toBe(first);
});

it('verifies the password and refuses another, or a stored value that is not a scrypt hash', async () => {
  const stored = await hasher.hash('correct horse battery');
  expect(await hasher.verify('correct horse battery', stored)).toBe(true);
  expect(await hasher.verify('correct horse batterY', stored)).toBe(false);
  const [, n, r, p, salt] = stored.split('$');
  expect(await hasher.verify('correct horse battery', `bcrypt$${n}$${r}$${p}$${salt}$x`)).toBe(false);
  expect(await hasher.verify('correct horse battery', `scrypt$${n}$${r}$${p}$$`)).toBe(false);
  expect(await hasher.verify('correct horse battery', `scrypt$${n}$${r}$${p}$${salt}`)).toBe(false);
  expect(await hasher.verify('correct horse battery', '')).toBe(false);
});

it('verifies a hash made with the real parameters, and asks to rehash it at the low cost', async () => {
  const real = new PasswordHasher(SCRYPT_PARAMS);
  const stored = await real.hash('correct horse battery');
  expect(stored.split('$').slice(0, 4)).toEqual(['scrypt', '32768', '8', '3']);
  expect(await real.check('correct horse battery', stored)).toEqual({ valid: true, rehash: false });
  expect(await hasher.check('correct horse battery', stored)).toEqual({ valid: true, rehash: true });
});

it('checks as typed, then in NFKC; asks to rehash what matched only as typed in another form', async () => {
  const nfkc = await hasher.hash('correct horse battery');
  expect(await hasher.check('correct horse battery', nfkc)).toEqual({ valid: true, rehash: false });
  // Full-width letters typed against a hash of the NFKC form: matches after normalising.
  expect(await hasher.check('ｃｏｒｒｅｃｔ horse battery', nfkc)).toEqual({ valid: true, rehash: false });
  // A hash made before normalisation holds the typed form: it matches as typed, and wants the NFKC form.
  const typed = await hasher.hash('ｃｏｒｒｅｃｔ horse battery');
  expect(await hasher.check('ｃｏｒｒｅｃｔ horse battery', typed)).toEqual({ valid: true, rehash: true });
  expect(await hasher.check('wrong horse battery', nfkc)).toEqual({ valid: false, rehash: false });
  expect(await hasher.check('ｗｒｏｎｇ horse battery', nfkc)).toEqual({ valid: false, rehash: false });
});

it('asks to rehash a hash whose N, r or p differs from its own', async () => {
  const stored = await hasher.hash('correct horse battery');
  const [kind, , , , salt, key] = stored.split('$');
  for (const [n, r, p] of [['2048', '8', '1'], ['1024', '4', '1'], ['1024', '8', '2']]) {
    const other = new PasswordHasher({ ...SCRYPT_PARAMS_LOW, N: Number(n), r: Number(r), p: Number(p) });
    const made = await other.hash('correct horse battery');
    expect(await hasher.check('correct horse battery', made)).toEqual({ valid: true, rehash: true });
  }
  expect(await hasher.check('correct horse battery', [kind, '1024', '8', '1', salt, key].join('$'))).toEqual({ valid: true, rehash: false });
});

it('spends a check on the decoy for an unknown email, and answers invalid', async () => {
  // A hasher of its own: the decoy is made when the hasher is.
  const fresh = new PasswordHasher(SCRYPT_PARAMS_LOW);
  expect(await fresh.checkDecoy('correct horse battery')).toEqual({ valid: false, rehash: false });
});
