// The issue pages: the demo's issue shows its missed commitment in red (and in words: colour
// is never the only signal); an analyst opens an issue from a chronic theme's page, adds a
// five-whys chain and plans an action, all in the browser; the issue page passes axe-core
// with no serious or critical violation. Skips, saying so, while the pages answer 404 (not
// built yet).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { axeViolations, browserMissing, emailOf, missing, room, screenshots, signIn } from './lib.mjs';

const skip = browserMissing() ?? false;
let r;

/// The demo's issue (the loop under way) and the action it planted as missed.
const DEMO_ISSUE = '/issues/1';
const MISSED_ACTION = 'Pay approved claims in the daily payment run';
/// A planted chronic theme the demo opens no issue for.
const FRESH_THEME = 'surprise-fee';

before(async () => {
  if (!skip) r = await room();
});
after(async () => {
  await r?.close();
});

/// Whether a CSS colour is a red: the red channel well above the other two.
function isRed(css) {
  const [red, green, blue] = (css.match(/\d+(\.\d+)?/g) ?? []).map(Number);
  return red >= 120 && red > 1.6 * green && red > 1.6 * blue;
}

test('a missed commitment shows in red, and says it is missed', { skip }, async (t) => {
  const page = await signIn(r, 'viewer');
  if (await missing(page, DEMO_ISSUE)) {
    t.skip(`${DEMO_ISSUE} answers 404: the issue page is not built yet`);
    return;
  }
  await page.goto(`${r.origin}${DEMO_ISSUE}`);
  await screenshots(page, 'issue');
  const row = page.locator('tr, li, article').filter({ hasText: MISSED_ACTION }).last();
  assert.ok((await row.count()) > 0, `the missed action "${MISSED_ACTION}" is on the issue page`);
  assert.match(await row.innerText(), /missed/i, 'the row says "missed" in words');
  const colours = await row.evaluate((el) =>
    [el, ...el.querySelectorAll('*')].flatMap((e) => {
      const style = getComputedStyle(e);
      const own = [...e.childNodes].some((n) => n.nodeType === 3 && /missed/i.test(n.textContent));
      return own || e === el ? [style.color, style.backgroundColor, style.borderLeftColor] : [];
    }),
  );
  assert.ok(colours.some(isRed), `the missed commitment is shown in red (colours: ${colours.join(', ')})`);
  assert.deepEqual(await axeViolations(page), [], 'axe on the issue page');
  await page.context().close();
});

test('an analyst opens an issue from a theme, adds a why chain and plans an action', { skip }, async (t) => {
  const page = await signIn(r, 'analyst');
  if (await missing(page, `/themes/${FRESH_THEME}`)) {
    t.skip(`/themes/${FRESH_THEME} answers 404: the theme page is not built yet`);
    return;
  }
  await page.goto(`${r.origin}/themes/${FRESH_THEME}`);
  await screenshots(page, 'theme');
  assert.deepEqual(await axeViolations(page), [], 'axe on the theme page');
  const open = page.getByRole('button', { name: /open (an )?issue/i });
  assert.ok((await open.count()) > 0, 'the theme page offers to open an issue');
  await Promise.all([page.waitForURL(/\/issues\/\d+/), open.first().click()]);
  const issueUrl = page.url();

  // The five whys: a symptom, whys (one field each, or one per line), the participants.
  await page.getByLabel(/symptom/i).fill('Customers find a fee on their bill they never agreed to');
  const whys = ['Fees are added by the billing system at renewal', 'The fee table is not shown at checkout', 'Nobody owns the fee wording'];
  const whyFields = page.getByLabel(/^why/i);
  if ((await whyFields.count()) > 1) {
    for (const [i, why] of whys.entries()) await whyFields.nth(i).fill(why);
  } else {
    await page.getByLabel(/whys?/i).first().fill(whys.join('\n'));
  }
  const participants = page.getByLabel(/participants?/i);
  if ((await participants.count()) > 0) await participants.first().fill(`${emailOf(r, 'analyst')}, ${emailOf(r, 'lead')}`);
  await page.getByRole('button', { name: /(add|record|save).*(why|chain|root)/i }).first().click();
  await page.waitForLoadState();
  assert.ok((await page.locator('main').innerText()).includes(whys[2]), 'the chain and its root cause are on the issue page');

  // An action against that root cause.
  await page.goto(issueUrl);
  await page.getByLabel(/^what/i).first().fill('Show every fee at checkout, in words');
  const department = page.getByLabel(/department/i).first();
  if ((await department.evaluate((e) => e.tagName)) === 'SELECT') await department.selectOption('billing');
  else await department.fill('billing');
  const bea = r.people.find((p) => p.department === 'billing').email;
  const owner = page.getByLabel(/owner/i).first();
  if ((await owner.evaluate((e) => e.tagName)) === 'SELECT') await owner.selectOption(bea);
  else await owner.fill(bea);
  await page.getByLabel(/due/i).first().fill('2027-06-30');
  await page.getByRole('button', { name: /plan/i }).first().click();
  await page.waitForLoadState();
  assert.ok((await page.locator('main').innerText()).includes('Show every fee at checkout, in words'), 'the action is on the issue page');
  await page.context().close();
});
