// Forged and cross-site requests, in a real browser: a viewer sees no edit control on any
// page and a change a viewer forges anyway is refused (nothing is recorded); a cross-site
// form post is refused even when it carries the victim's form token, and leaves the session
// alone; a sign-in posted from another site is refused.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';

import { browserMissing, emailOf, formToken, rawRequest, room, sessionCookie, signIn, trove } from './lib.mjs';

const skip = browserMissing() ?? false;
let r;

/// Every section of the navigation, and the demo issue's and theme's pages.
const PAGES = ['/', '/ranking', '/items', '/cases', '/departments', '/taxonomy', '/lessons', '/imports', '/people', '/issues/1', '/themes/claim-payout-delay'];

/// What makes a change on a page: a form that posts (but signing out, and a person's own API
/// tokens on /people, which every role manages: a viewer may hold a read token), or an htmx
/// change.
const EDIT_CONTROLS =
  'form[method="post" i]:not([action="/signout"]):not([action^="/people/tokens"]), [hx-post], [hx-put], [hx-patch], [hx-delete]';

before(async () => {
  if (!skip) r = await room();
});
after(async () => {
  await r?.close();
});

/// The pages of PAGES that answer 200 to this person, visited in turn: calls `look(page, path)`.
async function visit(page, look) {
  const seen = [];
  for (const path of PAGES) {
    const reply = await page.goto(`${r.origin}${path}`);
    if (reply.status() !== 200) continue;
    seen.push(path);
    await look(page, path);
  }
  return seen;
}

/// The workflow's records as the command line reads them, to see that nothing changed.
function records() {
  const read = (args) => trove([...args, '--db', r.db, '--as', emailOf(r, 'viewer'), '--format', 'json']);
  return [read(['issue', 'list']), read(['commitments']), read(['followups', '--all'])].join('\n');
}

test('a viewer sees no edit control on any page', { skip }, async () => {
  const page = await signIn(r, 'viewer');
  const seen = await visit(page, async (page, path) => {
    const controls = await page.locator(EDIT_CONTROLS).evaluateAll((els) => els.map((e) => e.outerHTML.slice(0, 120)));
    assert.deepEqual(controls, [], `edit controls a viewer sees on ${path}`);
  });
  assert.ok(seen.includes('/'), `the room was checked (pages checked: ${seen.join(', ')})`);
  await page.context().close();
});

test("a change a viewer forges from an admin's forms is refused, and nothing is recorded", { skip }, async (t) => {
  const admin = await signIn(r, 'admin');
  const forms = [];
  await visit(admin, async (page, path) => {
    const found = await page.locator(EDIT_CONTROLS).evaluateAll((els) =>
      els
        .filter((e) => e.tagName === 'FORM')
        .map((form) => {
          const fields = {};
          for (const field of form.elements) {
            if (!field.name) continue;
            const value = field.value || (field.type === 'date' ? '2027-01-15' : field.type === 'number' ? '1' : 'forged by a viewer');
            fields[field.name] = value;
          }
          const url = new URL(form.getAttribute('action') || location.href, location.href);
          return { action: url.pathname + url.search, fields };
        }),
    );
    forms.push(...found.map((f) => ({ ...f, from: path })));
  });
  await admin.context().close();
  if (forms.length === 0) {
    t.skip('no page offers a change yet (the working pages are not built): nothing for a viewer to forge');
    return;
  }
  const viewer = await signIn(r, 'viewer');
  const token = await formToken(viewer);
  const before = records();
  for (const form of forms) {
    const reply = await viewer.request.post(`${r.origin}${form.action}`, {
      form: { ...form.fields, csrf: token },
      headers: { Origin: r.origin },
      maxRedirects: 0,
    });
    assert.ok([403, 422].includes(reply.status()), `the viewer's forged POST ${form.action} (a form of ${form.from}) answered ${reply.status()}`);
  }
  assert.equal(records(), before, 'the forged posts recorded nothing');
  await viewer.context().close();
});

test('a post without the form token is refused, even from the site itself', { skip }, async () => {
  const page = await signIn(r, 'viewer');
  const cookie = await sessionCookie(page);
  const reply = await rawRequest(r.origin, 'POST', '/signout', { cookie, origin: r.origin, 'content-type': 'application/x-www-form-urlencoded' }, 'csrf=forged');
  assert.equal(reply.status, 403);
  assert.equal((await rawRequest(r.origin, 'GET', '/', { cookie })).status, 200, 'the session is still on');
  await page.context().close();
});

test('a cross-site form post is refused, even with the victim form token', { skip }, async () => {
  const page = await signIn(r, 'analyst');
  const token = await formToken(page);
  // Another site, on another port of this machine: same-site for cookies, another origin.
  const evil = http.createServer((_, reply) => {
    reply.setHeader('content-type', 'text/html');
    reply.end(`<!doctype html><title>Win</title><form method="post" action="${r.origin}/signout">
      <input type="hidden" name="csrf" value="${token}"><button>Claim your prize</button></form>`);
  });
  await new Promise((resolve) => evil.listen(0, '127.0.0.1', resolve));
  const evilOrigin = `http://127.0.0.1:${evil.address().port}`;
  await page.goto(evilOrigin);
  const [reply] = await Promise.all([
    page.waitForResponse((res) => res.url() === `${r.origin}/signout`),
    page.getByRole('button', { name: 'Claim your prize' }).click(),
  ]);
  assert.equal(reply.status(), 403, 'the cross-site post is refused');
  assert.equal(reply.request().headers().origin, evilOrigin, 'the browser sent the other site as Origin');
  const home = await page.goto(`${r.origin}/`);
  assert.equal(new URL(page.url()).pathname, '/', 'still signed in');
  assert.equal(home.status(), 200);
  evil.close();
  const signin = await rawRequest(r.origin, 'POST', '/signin', { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' }, `email=${encodeURIComponent(emailOf(r, 'admin'))}&password=${encodeURIComponent(r.password)}`);
  assert.equal(signin.status, 403, 'a sign-in posted from another site is refused');
  assert.equal(signin.headers['set-cookie'], undefined);
  await page.context().close();
});
