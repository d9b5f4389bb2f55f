// What Trove's browser tests share: the `trove` binary, a fresh demo database per test file,
// the real `trove serve` on it, Debian's Chromium driven by playwright-core, signing in as a
// role, screenshots at 1440 and 390 pixels wide, and the axe-core accessibility check.
//
// Environment: TROVE_BIN (default: $CARGO_TARGET_DIR or target, then debug/trove, built with
// cargo first when TROVE_BIN is not given), CHROMIUM (default /usr/bin/chromium), CI=true
// (a missing Chromium then fails instead of skipping).

import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TARGET = process.env.CARGO_TARGET_DIR
  ? path.resolve(ROOT, process.env.CARGO_TARGET_DIR)
  : path.join(ROOT, 'target');
export const TROVE = process.env.TROVE_BIN
  ? path.resolve(ROOT, process.env.TROVE_BIN)
  : path.join(TARGET, 'debug', 'trove');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
/// Screenshots go here (CI keeps the folder as an artefact).
export const SCREENSHOTS = path.join(ROOT, 'target', 'web-screenshots');
/// The flags Chromium runs with: headless, no sandbox (CI runs as root), nothing fetched.
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
/// The widths every page is looked at: a laptop and a phone.
export const WIDTHS = [1440, 390];

/// Why the browser tests cannot run here (no Chromium), or null. Under CI=true a missing
/// Chromium is an error, never a skip.
export function browserMissing() {
  if (fs.existsSync(CHROMIUM)) return null;
  const why = `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM)`;
  if (process.env.CI === 'true') throw new Error(`CI=true: ${why}`);
  return `skipped: ${why}`;
}

let built = false;
/// Builds `trove` with cargo unless TROVE_BIN names a binary already built.
export function buildTrove() {
  if (built || process.env.TROVE_BIN) {
    if (!fs.existsSync(TROVE)) throw new Error(`TROVE_BIN=${TROVE} does not exist`);
    return;
  }
  execFileSync('cargo', ['build', '--quiet', '-p', 'trove-cli', '--bin', 'trove'], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  built = true;
}

/// Runs `trove ARGS` and returns its standard output (throws with its stderr when it fails).
export function trove(args) {
  return execFileSync(TROVE, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
}

const TEMPLATE_AGE_MS = 60 * 60 * 1000;

/// A fresh copy of a demo database made by `trove demo` (the demo is made once an hour per
/// binary and copied for each test file, so that every file starts from the same fresh room),
/// with what the demo printed.
export function freshDemo() {
  buildTrove();
  const cache = path.join(TARGET, 'web-tests');
  fs.mkdirSync(cache, { recursive: true });
  const template = path.join(cache, 'demo-template.db');
  const printed = path.join(cache, 'demo-template.txt');
  const fresh = (file) => {
    try {
      const made = fs.statSync(file).mtimeMs;
      return made > fs.statSync(TROVE).mtimeMs && Date.now() - made < TEMPLATE_AGE_MS;
    } catch {
      return false;
    }
  };
  if (!fresh(template) || !fresh(printed)) {
    const scratch = fs.mkdtempSync(path.join(cache, 'making-'));
    const db = path.join(scratch, 'demo.db');
    const output = trove(['demo', '--db', db]);
    fs.writeFileSync(path.join(scratch, 'demo.txt'), output);
    // Renamed into place whole, so a test file running beside this one never reads half.
    fs.renameSync(path.join(scratch, 'demo.txt'), printed);
    fs.renameSync(db, template);
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trove-web-'));
  const db = path.join(dir, 'demo.db');
  fs.copyFileSync(template, db);
  return { dir, db, printed: fs.readFileSync(printed, 'utf8') };
}

/// What the demo printed, read: its password, people (email, role, department) and planted
/// chronic themes (id, name, stage id).
export function demoFacts(printed) {
  const password = printed.match(/^Demo password: (\S+)/m)?.[1];
  if (!password) throw new Error(`the demo printed no password:\n${printed}`);
  const people = [...printed.matchAll(/^ {2}(\S+@\S+)\s+(admin|analyst|lead|member|viewer)\s+(\S+)/gm)]
    .map(([, email, role, department]) => ({ email, role, department: department === '-' ? null : department }));
  const block = printed.split(/^Chronic issues \(steady/m)[1]?.split(/^One-off spike/m)[0] ?? '';
  const planted = [...block.matchAll(/^\s+(\S+)\s+(.+?) - [\d.]+% of items, stage (\S+),/gm)]
    .map(([, id, name, stage]) => ({ id, name, stage }));
  return { password, people, planted };
}

/// The journey's stages (id, name) in order, from `trove journey show`.
export function stages(db) {
  const toml = trove(['journey', 'show', '--db', db]);
  return [...toml.matchAll(/^\[\[stages\]\]\nid = "([^"]+)"\nname = "([^"]+)"/gm)].map(([, id, name]) => ({ id, name }));
}

/// A running `trove serve` on `db`; `stop()` ends it.
export async function startServer(db) {
  const child = spawn(TROVE, ['serve', '--listen', '127.0.0.1:0', '--db', db], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (chunk) => {
    log += chunk;
  });
  const lines = readline.createInterface({ input: child.stdout });
  const origin = await new Promise((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`trove serve ended (${code}) before printing its address:\n${log}`)));
    lines.on('line', (line) => {
      const found = line.match(/^Trove serves .* at (http:\/\/[^/ ]+)\//);
      if (found) resolve(found[1]);
    });
  });
  const stop = () => {
    child.removeAllListeners('exit');
    child.kill('SIGTERM');
  };
  process.on('exit', stop);
  return { origin, stop, log: () => log };
}

/// Debian's Chromium, headless.
export async function launch() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/// Everything one test file needs: a fresh demo, its server, the browser and the demo's facts.
/// `close()` ends the browser and the server and removes the database.
export async function room() {
  const demo = freshDemo();
  const server = await startServer(demo.db);
  const browser = await launch();
  const facts = demoFacts(demo.printed);
  return {
    ...facts,
    db: demo.db,
    origin: server.origin,
    browser,
    server,
    async close() {
      await browser.close();
      server.stop();
      fs.rmSync(demo.dir, { recursive: true, force: true });
    },
  };
}

/// The e-mail of the demo's first person with `role`.
export function emailOf(r, role) {
  const person = r.people.find((p) => p.role === role);
  if (!person) throw new Error(`the demo has no ${role}`);
  return person.email;
}

/// A new browser context signed in as the demo's first person with `role`; returns its page.
export async function signIn(r, role) {
  const context = await r.browser.newContext({ viewport: { width: WIDTHS[0], height: 900 } });
  const page = await context.newPage();
  await page.goto(`${r.origin}/signin`);
  await page.getByLabel('E-mail').fill(emailOf(r, role));
  await page.getByLabel('Password').fill(r.password);
  await Promise.all([page.waitForURL(`${r.origin}/`), page.getByRole('button', { name: 'Sign in' }).click()]);
  return page;
}

/// Whether `path` answers 404 to a signed-in person (a page not built yet).
export async function missing(page, pathAndQuery) {
  const reply = await page.request.get(`${pageOrigin(page)}${pathAndQuery}`, { maxRedirects: 0 });
  return reply.status() === 404;
}

function pageOrigin(page) {
  return new URL(page.url()).origin;
}

/// Screenshots of the page as it is at both widths, into target/web-screenshots/NAME-WIDTH.png.
export async function screenshots(page, name) {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const before = page.viewportSize();
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${width}.png`), fullPage: true });
  }
  if (before) await page.setViewportSize(before);
}

const require = createRequire(import.meta.url);
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/// The serious and critical accessibility violations axe-core finds on the page, in words
/// (empty when there are none). axe is evaluated through the browser's debugging protocol,
/// which the page's Content-Security-Policy does not govern, so the page runs as served.
export async function axeViolations(page) {
  const results = await page.evaluate(async (source) => {
    if (!window.axe) (0, eval)(source);
    return window.axe.run(document, { resultTypes: ['violations'] });
  }, AXE);
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact}: ${v.id} (${v.help}) at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/// One raw HTTP request (no cookies kept, no redirects followed, any header allowed):
/// { status, headers, body }.
export function rawRequest(origin, method, pathAndQuery, headers = {}, body = '') {
  const url = new URL(pathAndQuery, origin);
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { method, headers: { 'content-length': Buffer.byteLength(body), ...headers } },
      (reply) => {
        let text = '';
        reply.setEncoding('utf8');
        reply.on('data', (chunk) => {
          text += chunk;
        });
        reply.on('end', () => resolve({ status: reply.statusCode, headers: reply.headers, body: text }));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/// The session cookie of a signed-in page's context, as a `Cookie` header value.
export async function sessionCookie(page) {
  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === 'trove_session');
  if (!session) throw new Error('no session cookie');
  return `trove_session=${session.value}`;
}

/// The page's form token (every signed-in page's sign-out form carries one).
export async function formToken(page) {
  return page.locator('input[name="csrf"]').first().inputValue();
}

/// Counts the records of a CSV text (quoted fields may hold commas, quotes and line breaks).
export function csvRecords(text) {
  let records = 0;
  let quoted = false;
  let empty = true;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') i += 1;
        else quoted = false;
      }
    } else if (c === '"') {
      quoted = true;
      empty = false;
    } else if (c === '\n') {
      if (!empty) records += 1;
      empty = true;
    } else if (c !== '\r') {
      empty = false;
    }
  }
  return empty ? records : records + 1;
}
