// The built-in web page at / in Debian's headless Chromium, with a fake microphone fed
// from a WAV file: the page streams the microphone over /v1/realtime, the server hears
// the question, answers in text and audio, and the page shows the turn and the tables of
// devices and resident models. Driven over the DevTools protocol with the `ws` package
// (installed into third_party/node/ by scripts/setup.sh).
//
//   HARVIS_URL=http://127.0.0.1:PORT CHROMIUM=/usr/bin/chromium SPEECH_WAV=file.wav \
//     node tests/openai_client/browser_page_test.mjs
//
// Prints "PASS name" / "FAIL name: why" lines and exits 1 when any check fails.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const modules = process.env.OPENAI_NODE_MODULES || join(resolve(here, '..', '..'), 'third_party', 'node', 'node_modules');
const { default: WebSocket } = await import(pathToFileURL(join(modules, 'ws', 'wrapper.mjs')).href);

const harvis = process.env.HARVIS_URL;
const chromium = process.env.CHROMIUM || 'chromium';
const work = mkdtempSync(join(tmpdir(), 'harvis-browser-'));

// Chromium loops the capture file: speech, then 20 s of silence, so the question comes
// again only after the answer (coming earlier, it would interrupt it: barge-in).
function paddedWav(path) {
  const wav = readFileSync(path);
  let offset = 12, fmt = null, data = null;
  while (offset + 8 <= wav.length) {
    const id = wav.toString('ascii', offset, offset + 4), size = wav.readUInt32LE(offset + 4);
    if (id === 'fmt ') fmt = { channels: wav.readUInt16LE(offset + 10), rate: wav.readUInt32LE(offset + 12), bits: wav.readUInt16LE(offset + 22) };
    if (id === 'data') data = wav.subarray(offset + 8, offset + 8 + size);
    offset += 8 + size + (size & 1);
  }
  if (!fmt || !data || fmt.bits !== 16) throw new Error(path + ': expected a 16-bit PCM WAV');
  const silence = Buffer.alloc(fmt.rate * fmt.channels * 2 * 20);
  const body = Buffer.concat([data, silence]);
  const head = Buffer.alloc(44);
  head.write('RIFF', 0); head.writeUInt32LE(36 + body.length, 4); head.write('WAVEfmt ', 8);
  head.writeUInt32LE(16, 16); head.writeUInt16LE(1, 20); head.writeUInt16LE(fmt.channels, 22);
  head.writeUInt32LE(fmt.rate, 24); head.writeUInt32LE(fmt.rate * fmt.channels * 2, 28);
  head.writeUInt16LE(fmt.channels * 2, 32); head.writeUInt16LE(16, 34); head.write('data', 36); head.writeUInt32LE(body.length, 40);
  const out = join(work, 'mic.wav');
  writeFileSync(out, Buffer.concat([head, body]));
  return out;
}

const browser = spawn(chromium, [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', '--mute-audio',
  '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
  '--use-file-for-fake-audio-capture=' + paddedWav(process.env.SPEECH_WAV),
  '--autoplay-policy=no-user-gesture-required', '--remote-debugging-port=0',
  '--user-data-dir=' + join(work, 'profile'), harvis + '/?autostart=1',
], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });  // its own group: killed with its helpers
let browserLog = '';

const devtools = await new Promise((ok, fail) => {
  const timer = setTimeout(() => fail(new Error('Chromium did not start:\n' + browserLog)), 30000);
  browser.stderr.on('data', (d) => {
    browserLog += d;
    const m = /DevTools listening on (ws:\/\/[^\s]+)/.exec(browserLog);
    if (m) { clearTimeout(timer); ok(new URL(m[1])); }
  });
  browser.on('exit', (code) => fail(new Error('Chromium exited (' + code + '):\n' + browserLog)));
});

async function pageSocket() {
  for (let i = 0; i < 50; i++) {
    const targets = await (await fetch(`http://${devtools.host}/json/list`)).json();
    const page = targets.find((t) => t.type === 'page' && t.url.startsWith(harvis));
    if (page) return new WebSocket(page.webSocketDebuggerUrl);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the page never opened');
}

const cdp = await pageSocket();
await new Promise((ok, fail) => { cdp.once('open', ok); cdp.once('error', fail); });
let nextId = 1;
function evaluate(expression) {
  const id = nextId++;
  cdp.send(JSON.stringify({ id, method: 'Runtime.evaluate', params: { expression, returnByValue: true } }));
  return new Promise((ok) => {
    const onMessage = (raw) => {
      const msg = JSON.parse(raw);
      if (msg.id !== id) return;
      cdp.off('message', onMessage);
      ok(msg.result?.exceptionDetails ? undefined : msg.result?.result?.value);
    };
    cdp.on('message', onMessage);
  });
}

const snapshot = `JSON.stringify({ stats: Object.assign({}, document.body.dataset),
  turns: [...document.querySelectorAll('#turns p')].map((p) => p.className + ': ' + p.textContent),
  devices: document.querySelectorAll('#devices tbody tr').length,
  models: [...document.querySelectorAll('#models tbody tr')].map((r) => r.textContent),
  status: document.getElementById('status').textContent })`;
let state = null;
const deadline = Date.now() + 90000;
while (Date.now() < deadline) {
  const raw = await evaluate(snapshot);  // undefined while the page is still loading
  if (typeof raw === 'string') state = JSON.parse(raw);
  if (state && Number(state.stats.completed) >= 1 && state.models.length > 0) break;
  await new Promise((r) => setTimeout(r, 250));
}

let failed = 0;
function check(name, ok, why) {
  console.log(ok ? `PASS ${name}` : `FAIL ${name}: ${why}`);
  if (!ok) failed++;
}
if (!state) {
  console.log('FAIL the page never loaded:\n' + browserLog);
  process.kill(-browser.pid, 'SIGKILL');
  process.exit(1);
}
const s = state.stats;
check('the page heard the question and shows its transcript', Number(s.userTurns) >= 1 &&
      state.turns.some((t) => t.startsWith('user: You: ') && t.length > 'user: You: '.length), JSON.stringify(state));
check('the answer arrived as audio the page played', Number(s.audioChunks) >= 1, JSON.stringify(state));
check('the answer ended (response.done, completed) and its transcript is shown', Number(s.completed) >= 1 &&
      state.turns.some((t) => t.startsWith('assistant: Harvis: ') && t.length > 'assistant: Harvis: '.length), JSON.stringify(state));
check('no error events', Number(s.errors) === 0, JSON.stringify(state.turns));
check('the devices table is filled', state.devices >= 1, JSON.stringify(state));
check('the resident models table lists the models of the turn', state.models.length >= 1, JSON.stringify(state));

cdp.close();
const exited = new Promise((ok) => browser.once('exit', ok));
process.kill(-browser.pid, 'SIGKILL');
await exited;
rmSync(work, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
console.log(failed ? `${failed} checks failed` : 'all browser checks passed');
process.exit(failed ? 1 : 0);
