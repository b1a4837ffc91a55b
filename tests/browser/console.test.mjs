// The privacy officer's console in headless Chromium, as an officer uses it: the
// officer's own certificate imported into the browser's NSS database and presented by the
// browser, against a real gateway with known data (console_fixture). Run by
// tests/browser/run, labelled `browser` in ctest. Screenshots of each page go to
// docs/console/ (KETENPOORT_SCREENSHOTS) for docs/console.md.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const modules = process.env.KETENPOORT_BROWSER_MODULES;
const require = createRequire(join(modules, 'noop.js'));
const puppeteer = require('puppeteer-core');
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const screenshots = process.env.KETENPOORT_SCREENSHOTS;
const sudo = process.env.KETENPOORT_POLICY_SUDO || '';

const work = mkdtempSync(join(tmpdir(), 'ketenpoort-browser-'));
// One name: a run killed before it removed its file leaves nothing a later run conflicts with.
const policyFile = "/etc/chromium/policies/managed/ketenpoort-browser-test.json";
let fixture;
let data;
let origin;
const browsers = {};
const cspViolations = [];

function asRoot(command, args, input) {
  if (sudo) return execFileSync(sudo, [command, ...args], { input });
  return execFileSync(command, args, { input });
}

// A browser profile holding one certificate, as a person's browser would after importing
// the PKCS#12 file the demo prints: its own HOME (Chromium on Linux keeps certificates in
// $HOME/.pki/nssdb), the development CA trusted for websites.
async function browserWith(certificate) {
  const home = join(work, certificate);
  const nssdb = `sql:${join(home, '.pki', 'nssdb')}`;
  mkdirSync(join(home, '.pki', 'nssdb'), { recursive: true });
  execFileSync('certutil', ['-N', '-d', nssdb, '--empty-password']);
  const bundle = data.certificates[certificate];
  execFileSync('pk12util', ['-i', bundle.file, '-d', nssdb, '-W', bundle.password], { stdio: 'pipe' });
  execFileSync('certutil', ['-A', '-n', 'ketenpoort-test-ca', '-t', 'C,,', '-i', data.ca, '-d', nssdb]);
  const browser = await puppeteer.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync', `--user-data-dir=${join(home, 'profile')}`],
    env: { ...process.env, HOME: home },
  });
  browsers[certificate] = browser;
  return browser;
}

async function newPage(browser) {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) cspViolations.push(message.text());
  });
  return page;
}

async function shot(page, name) {
  if (!screenshots) return;
  mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
}

async function accessibilityViolations(page) {
  // Injected through the DevTools protocol: the console's CSP would refuse a script tag.
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa'] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help }));
  });
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

before(async () => {
  fixture = spawn(process.env.KETENPOORT_CONSOLE_FIXTURE, [join(work, 'gateway')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const firstLine = await new Promise((resolve, reject) => {
    const lines = createInterface({ input: fixture.stdout });
    lines.once('line', resolve);
    fixture.once('exit', (code) => reject(new Error(`console fixture exited with ${code}`)));
  });
  data = JSON.parse(firstLine);
  origin = `https://127.0.0.1:${data.audit_port}`;
  // Every test browser presents its one certificate to the gateway without asking.
  const policy = {
    AutoSelectCertificateForUrls: [JSON.stringify({ pattern: origin, filter: { ISSUER: { CN: 'ketenpoort development root CA' } } })],
  };
  asRoot('mkdir', ['-p', '/etc/chromium/policies/managed']);
  asRoot('tee', [policyFile], JSON.stringify(policy));
  await browserWith('fg-0363');
  await browserWith('fg-0518');
  await browserWith('gemeente-0363');
});

after(async () => {
  for (const browser of Object.values(browsers)) await browser.close();
  if (existsSync(policyFile)) asRoot('rm', ['-f', policyFile]);
  if (fixture) {
    fixture.stdin.end();
    await new Promise((resolve) => fixture.once('exit', resolve));
  }
  rmSync(work, { recursive: true, force: true });
});

test('the overview shows figures, a chart and the log, with the security headers', async () => {
  const page = await newPage(browsers['fg-0363']);
  const response = await page.goto(`${origin}/console`);
  assert.equal(response.status(), 200);
  const headers = response.headers();
  assert.match(headers['content-security-policy'], /default-src 'none'/);
  assert.doesNotMatch(headers['content-security-policy'], /unsafe-inline/);
  assert.match(headers['content-security-policy'], /frame-ancestors 'none'/);
  assert.equal(headers['cache-control'], 'no-store');
  assert.equal(headers['x-frame-options'], 'DENY');
  assert.equal(await page.title(), 'Overzicht — ketenpoort');
  assert.ok(await page.$('svg.chart'), 'the chart');
  // The figures are counted in the background: wait until they include the pushes.
  await page.waitForFunction(
    (expected) => {
      const figure = document.querySelector('.card .figure');
      return figure && Number(figure.textContent) >= expected;
    },
    { timeout: 15000, polling: 500 },
    data.accepted_0363,
  ).catch(() => {});
  await page.reload();
  const text = await page.evaluate(() => document.body.innerText);
  assert.match(text, /coa\.klantprofiel/);
  assert.match(text, /bijzonder persoonsgegeven/);
  await shot(page, 'overzicht');
  await page.close();
});

test('search pages through the exchanges newest first, without overlap', async () => {
  const page = await newPage(browsers['fg-0363']);
  await page.goto(`${origin}/console/uitwisselingen`);
  const first = await page.$$eval('tbody tr td:first-child', (cells) => cells.map((c) => Number(c.textContent)));
  assert.equal(first.length, 50);
  for (let i = 1; i < first.length; ++i) assert.ok(first[i] < first[i - 1], 'newest first');
  await shot(page, 'uitwisselingen');
  await Promise.all([page.waitForNavigation(), page.click('a[rel="next"]')]);
  assert.doesNotMatch(page.url(), /bsn/i);
  const second = await page.$$eval('tbody tr td:first-child', (cells) => cells.map((c) => Number(c.textContent)));
  assert.ok(second.length > 0);
  assert.ok(Math.max(...second) < Math.min(...first), 'the next page holds older records only');
  // Filters: only refused exchanges.
  await page.goto(`${origin}/console/uitwisselingen?uitkomst=queued&stroom=coa.klantprofiel`);
  const outcomes = await page.$$eval('tbody tr td:nth-child(6)', (cells) => cells.map((c) => c.textContent));
  assert.ok(outcomes.length > 0);
  for (const o of outcomes) assert.match(o, /aangenomen/);
  await page.close();
});

test('one exchange shows its purpose, basis, fields delivered and withheld, and delivery', async () => {
  const page = await newPage(browsers['fg-0363']);
  await page.goto(`${origin}/console/uitwisselingen?stroom=coa.klantprofiel`);
  await Promise.all([page.waitForNavigation(), page.click('tbody tr td:first-child a')]);
  const text = await page.evaluate(() => document.body.innerText);
  for (const term of ['Doel', 'Grondslag', 'Doorgegeven gegevens', 'Achtergehouden gegevens', 'Aflevering', 'Trace']) {
    assert.ok(text.includes(term), term);
  }
  assert.match(text, /Besluit inburgering 2021 art\. 9\.4/);
  await shot(page, 'uitwisseling');
  await page.close();
});

test('inzage by BSN: the person\'s exchanges, medical fields withheld and never their values; printable', async () => {
  const page = await newPage(browsers['fg-0363']);
  await page.goto(`${origin}/console/inzage`);
  await page.type('#bsn', data.bsn_0363);
  await Promise.all([page.waitForNavigation(), page.click('form button[type="submit"]')]);
  assert.equal(page.url(), `${origin}/console/inzage`, 'the BSN is posted, never in the URL');
  const history = await page.evaluate(() => window.location.href);
  assert.ok(!history.includes(data.bsn_0363));
  assert.ok(!(await page.title()).includes(data.bsn_0363), 'no BSN in the title');
  const html = await page.content();
  assert.match(html, /Achtergehouden/);
  assert.match(html, /medisch/);
  assert.match(html, /bijzonder persoonsgegeven/);
  for (const value of data.medical_values) assert.ok(!html.includes(value), `medical value shown: ${value}`);
  assert.ok(!html.includes(data.bsn_0363), 'the full BSN is not echoed');
  await shot(page, 'inzage');
  // Printed, it is a letter: no navigation, the letter head shown.
  await page.emulateMediaType('print');
  const printed = await page.evaluate(() => ({
    nav: getComputedStyle(document.querySelector('.site-nav')).display,
    head: getComputedStyle(document.querySelector('.letter-head')).display,
    form: document.querySelector('form') ? getComputedStyle(document.querySelector('form')).display : 'none',
  }));
  assert.deepEqual(printed, { nav: 'none', head: 'block', form: 'none' });
  await shot(page, 'inzage-brief');
  const pdf = await page.pdf({ format: 'A4', printBackground: false });
  assert.equal(Buffer.from(pdf.subarray(0, 5)).toString(), '%PDF-');
  assert.ok(pdf.length > 10000, `a letter of some length (${pdf.length} bytes)`);
  if (screenshots) writeFileSync(join(screenshots, 'inzage-brief.pdf'), pdf);
  await page.close();
});

test('an officer of 0518 sees nothing of 0363\'s person, nor 0363\'s records', async () => {
  const page = await newPage(browsers['fg-0518']);
  await page.goto(`${origin}/console/inzage`);
  await page.type('#bsn', data.bsn_0363);
  await Promise.all([page.waitForNavigation(), page.click('form button[type="submit"]')]);
  const text = await page.evaluate(() => document.body.innerText);
  assert.match(text, /geen uitwisselingen over deze persoon/);
  assert.match(text, /'s-Gravenhage/);
  // 0363's newest record, by number: not found for 0518.
  const own = await newPage(browsers['fg-0363']);
  await own.goto(`${origin}/console/uitwisselingen?partij=gemeente-0363`);
  const sequence = await own.$eval('tbody tr td:first-child', (c) => c.textContent.trim());
  await own.close();
  const response = await page.goto(`${origin}/console/uitwisselingen/${sequence}`);
  assert.equal(response.status(), 404);
  await page.goto(`${origin}/console/uitwisselingen`);
  const parties = await page.$$eval('tbody tr', (rows) => rows.map((r) => r.innerText));
  for (const row of parties) assert.ok(!row.includes('Amsterdam'), row);
  await page.close();
});

test('a gemeente\'s certificate is refused: 403', async () => {
  const page = await newPage(browsers['gemeente-0363']);
  const response = await page.goto(`${origin}/console`);
  assert.equal(response.status(), 403);
  assert.match(await response.text(), /role-not-allowed/);
  await page.close();
});

test('a POST without the console\'s form token, or from another site, is refused', async () => {
  const page = await newPage(browsers['fg-0363']);
  await page.goto(`${origin}/console/inzage`);
  // A form another page could make the browser send: no token, a token not issued here.
  for (const token of [null, '1999999999.00']) {
    await page.goto(`${origin}/console/inzage`);
    const [response] = await Promise.all([
      page.waitForNavigation(),
      page.evaluate((bsn, token) => {
        const form = document.createElement('form');
        form.method = 'post';
        form.action = '/console/inzage';
        const field = (name, value) => {
          const input = document.createElement('input');
          input.name = name;
          input.value = value;
          form.appendChild(input);
        };
        field('bsn', bsn);
        if (token) field('formulier', token);
        document.body.appendChild(form);
        form.submit();
      }, data.bsn_0363, token),
    ]);
    assert.equal(response.status(), 403);
    assert.match(await response.text(), /form-not-trusted/);
  }
  // A BSN in the URL is refused before anything is done.
  const response = await page.goto(`${origin}/console/uitwisselingen?bsn=${data.bsn_0363}`);
  assert.equal(response.status(), 400);
  assert.match(await response.text(), /bsn-in-url/);
  await page.close();
});

test('consents and agreements, verification now, and the officer\'s own access trail', async () => {
  const page = await newPage(browsers['fg-0363']);
  await page.goto(`${origin}/console/toestemmingen`);
  let text = await page.evaluate(() => document.body.innerText);
  assert.match(text, /TOESTEMMING-2026-0042/);
  assert.match(text, /geldig/);
  await shot(page, 'toestemmingen');

  await page.goto(`${origin}/console/controle`);
  await Promise.all([page.waitForNavigation(), page.click('form button[type="submit"]')]);
  text = await page.evaluate(() => document.body.innerText);
  assert.match(text, /Het logboek is in orde/);
  const witness = await page.$$eval('pre.witness', (blocks) => blocks[blocks.length - 1].textContent);
  assert.match(witness, /"sequence"/);
  await shot(page, 'controle');

  await page.goto(`${origin}/console/toegang`);
  text = await page.evaluate(() => document.body.innerText);
  assert.match(text, /console:inzage/);
  assert.match(text, /console:controle/);
  assert.match(text, /Functionaris gegevensbescherming Amsterdam/);
  assert.ok(!text.includes(data.bsn_0363), 'the trail names a person by pseudonym only');
  await shot(page, 'toegang');
  await page.close();
});

test('no page has a serious or critical accessibility violation (axe-core), nor a CSP violation', async () => {
  const page = await newPage(browsers['fg-0363']);
  const found = {};
  for (const path of ['/console', '/console/uitwisselingen', '/console/inzage', '/console/toestemmingen',
                      '/console/controle', '/console/toegang']) {
    await page.goto(`${origin}${path}`);
    const violations = await accessibilityViolations(page);
    if (violations.length) found[path] = violations;
  }
  await page.goto(`${origin}/console/inzage`);
  await page.type('#bsn', data.bsn_0363);
  await Promise.all([page.waitForNavigation(), page.click('form button[type="submit"]')]);
  const inzage = await accessibilityViolations(page);
  if (inzage.length) found['POST /console/inzage'] = inzage;
  assert.deepEqual(found, {});
  assert.deepEqual(cspViolations, []);
  await page.close();
});
