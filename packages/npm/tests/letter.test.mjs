// The npm package, as a partner's Node test suite uses it (node:test here;
// Jest and Vitest alike): start a mock, give the test a partner of its own,
// create a user, make them ready to send, send a letter, read the notification.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { start } from 'ar24-mock';

const mock = await start({ auth: 'plain' });
after(() => mock.stop());

async function call(partner, method, route, params) {
  const query = new URLSearchParams({ token: partner.token, ...params });
  const response = method === 'GET'
    ? await fetch(`${partner.baseUrl}${route}?${query}`)
    : await fetch(partner.baseUrl + route, { method, body: query });
  const answer = await response.json();
  assert.equal(answer.status, 'SUCCESS', JSON.stringify(answer));
  return answer.result;
}

test('a user sends a letter and the recipient is notified', async () => {
  const partner = await mock.newPartner({ name: 'node test' });
  const user = await call(partner, 'POST', 'user', {
    firstname: 'Jeanne', lastname: 'Martin', email: 'jeanne@example.fr', gender: 'F', statut: 'particulier',
    address1: '12 rue de Rivoli', zipcode: '75004', city: 'Paris', country: 'FR', confirmed: '1',
  });
  await call(partner, 'POST', 'user/request_cgu', { id_user: user.id });
  const [cgu] = await partner.emails({ to: 'jeanne@example.fr', kind: 'cgu' });
  await partner.click(cgu.link);
  const { link } = await call(partner, 'POST', 'user/payment_request', { id_user: user.id, get_link: '1' });
  await partner.click(link);
  const letter = await call(partner, 'POST', 'mail', {
    id_user: user.id, to_email: 'paul@example.fr', dest_statut: 'particulier',
    to_firstname: 'Paul', to_lastname: 'Durand', content: 'Mise en demeure',
  });
  const notified = await partner.emails({ to: 'paul@example.fr', kind: 'letter' });
  assert.equal(notified.length, 1);
  assert.equal((await call(partner, 'GET', 'mail', { id: letter.id })).status, 'ev');
  await partner.reset();
  assert.deepEqual((await call(partner, 'GET', 'user/list', {})).users, [], 'the reset forgot its user');
});

test('the package is the same through require', async () => {
  const { createRequire } = await import('node:module');
  const required = createRequire(import.meta.url)('ar24-mock');
  assert.equal(typeof required.start, 'function');
  assert.equal(required.binary(), (await import('ar24-mock')).binary());
});

test('the binary is installed in node_modules/.bin', async () => {
  const { existsSync } = await import('node:fs');
  assert.ok(existsSync('node_modules/.bin/ar24-mock'));
  assert.ok(mock.baseUrl.startsWith('http://127.0.0.1:') && mock.baseUrl.endsWith('/api/'));
});

test('a locked mock is driven with its control token', async () => {
  const locked = await start({ auth: 'plain', controlToken: 's3cret' });
  try {
    assert.deepEqual(await locked.emails(), [], 'the handle sends the token');
    assert.equal((await fetch(locked.url + '_mock/emails')).status, 401, 'a call without it is refused');
  } finally {
    await locked.stop();
  }
});
