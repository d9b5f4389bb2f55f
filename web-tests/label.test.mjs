// The labelling page (/label): an analyst labels items with the keys n, u and p and skips one
// with s, each key storing its label and bringing the next item (a different one), the count
// going up as they go; with labels of all three classes "Train" saves a model and the page
// reports its held-out macro-F1 beside the lexicon's. The page passes axe-core.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { axeViolations, browserMissing, missing, room, screenshots, signIn } from './lib.mjs';

const skip = browserMissing() ?? false;
let r;

before(async () => {
  if (!skip) r = await room();
});
after(async () => {
  await r?.close();
});

/// The shown item's id and the count of labelled items.
async function shown(page) {
  const id = await page.locator('input[name="item"]').getAttribute('value');
  const labelled = Number(await page.locator('#labelled').innerText());
  return { id, labelled };
}

test('keys label items one at a time, and the labels train a model', { skip }, async (t) => {
  const page = await signIn(r, 'analyst');
  if (await missing(page, '/label')) {
    t.skip('/label answers 404: the labelling page is not built yet');
    return;
  }
  await page.goto(`${r.origin}/label`);
  await screenshots(page, 'label');
  assert.deepEqual(await axeViolations(page), [], 'axe on the labelling page');
  const seen = new Set();
  let before = await shown(page);
  // Five of each class, then a skip: each key posts and the next page shows another item.
  const keys = [...'nupnupnupnupnup', 's'];
  for (const key of keys) {
    seen.add(before.id);
    // The key posts the label; the answer redirects to the page with the next item.
    await Promise.all([page.waitForEvent('load'), page.keyboard.press(key)]);
    const after = await shown(page);
    assert.ok(!seen.has(after.id), `key ${key}: a new item (${after.id}) after ${[...seen].join(', ')}`);
    assert.equal(after.labelled, before.labelled + (key === 's' ? 0 : 1), `key ${key} counts`);
    before = after;
  }
  const counts = await page.locator('.label-count').innerText();
  assert.match(counts, /15 labelled/);
  assert.match(counts, /5 negative · 5 neutral · 5 positive\), 1 skipped/);
  // A key no button names does nothing.
  await page.keyboard.press('x');
  assert.equal((await shown(page)).id, before.id, 'an unknown key does nothing');
  await Promise.all([
    page.waitForURL(/\/label\?trained=\d+$/),
    page.getByRole('button', { name: 'Train a sentiment model' }).click(),
  ]);
  const status = await page.locator('[role="status"]').first().innerText();
  assert.match(status, /Saved sentiment model version \d+/);
  const train = await page.locator('section', { has: page.locator('#train-title') }).innerText();
  assert.match(train, /On 3 held-out rows its macro-F1 is \d\.\d{3}; the lexicon's on the same rows \d\.\d{3}/);
  await screenshots(page, 'label-trained');
  await page.context().close();
});

test('without script the buttons label, and a viewer is refused', { skip }, async () => {
  const page = await signIn(r, 'admin');
  await page.route('**/static/label.js', (route) => route.abort());
  await page.goto(`${r.origin}/label`);
  const first = await shown(page);
  await Promise.all([
    page.waitForEvent('load'),
    page.getByRole('button', { name: 'Positive' }).click(),
  ]);
  const next = await shown(page);
  assert.notEqual(next.id, first.id);
  assert.equal(next.labelled, first.labelled + 1);
  await page.context().close();
  const viewer = await signIn(r, 'viewer');
  const reply = await viewer.goto(`${r.origin}/label`);
  assert.equal(reply.status(), 403);
  await viewer.context().close();
});
