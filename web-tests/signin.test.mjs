// Signing in: the demo's printed password signs in; a page asked for without a session is
// sent to sign-in (and back after it); a wrong password is refused; the sign-in page passes
// axe-core with no serious or critical violation.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { axeViolations, browserMissing, rawRequest, room, screenshots, signIn, WIDTHS } from './lib.mjs';

const skip = browserMissing() ?? false;
let r;

before(async () => {
  if (!skip) r = await room();
});
after(async () => {
  await r?.close();
});

test('an unauthenticated request goes to sign-in', { skip }, async () => {
  const reply = await rawRequest(r.origin, 'GET', '/');
  assert.equal(reply.status, 303);
  assert.equal(reply.headers.location, '/signin');
  const context = await r.browser.newContext();
  const page = await context.newPage();
  await page.goto(`${r.origin}/ranking?period=2026-10`);
  const url = new URL(page.url());
  assert.equal(url.pathname, '/signin');
  assert.equal(url.searchParams.get('next'), '/ranking?period=2026-10');
  await context.close();
});

test('the printed demo password signs in, and the page asked for comes back', { skip }, async () => {
  const context = await r.browser.newContext({ viewport: { width: WIDTHS[0], height: 900 } });
  const page = await context.newPage();
  await page.goto(`${r.origin}/?channel=survey`);
  await screenshots(page, 'signin');
  assert.deepEqual(await axeViolations(page), [], 'axe on the sign-in page');
  const admin = r.people.find((p) => p.role === 'admin');
  await page.getByLabel('E-mail').fill(admin.email);
  await page.getByLabel('Password').fill(`${r.password}x`);
  const refused = page.waitForResponse((reply) => reply.url().endsWith('/signin') && reply.request().method() === 'POST');
  await page.getByRole('button', { name: 'Sign in' }).click();
  assert.equal((await refused).status(), 401);
  await assert.doesNotReject(page.getByRole('alert').waitFor(), 'the refusal is said on the page');
  await page.getByLabel('Password').fill(r.password);
  await Promise.all([page.waitForURL(`${r.origin}/?channel=survey`), page.getByRole('button', { name: 'Sign in' }).click()]);
  const header = await page.locator('header').innerText();
  assert.match(header, /Ada Park/, 'the header names who is signed in');
  await context.close();
});

test('every role of the demo signs in with the one demo password', { skip }, async () => {
  for (const role of ['admin', 'analyst', 'lead', 'member', 'viewer']) {
    const page = await signIn(r, role);
    assert.match(await page.locator('header').innerText(), new RegExp(role), `${role} is shown its role`);
    await page.context().close();
  }
});
