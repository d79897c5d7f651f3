// The official OpenAI Node client's Realtime WebSocket class (`openai/beta/realtime/ws`,
// which needs the `ws` package; both pinned here and installed by scripts/setup.sh into
// third_party/node/), used unchanged against Harvis's GET /v1/realtime: a spoken
// question streamed at real time as input_audio_buffer.append, server VAD ends the turn,
// the answer comes back as transcript and audio.
//
//   node tests/openai_client/realtime_test.mjs http://127.0.0.1:PORT/v1 [llm-model]
//
// Expects pocketsphinx/espeak and an LLM (llama3.2:3b from the Ollama stand-in by default),
// as tests/blackbox/realtime_client_test.cpp starts them. Prints one "PASS name" /
// "FAIL name: why" line per check and exits 1 when any check fails.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const modules = process.env.OPENAI_NODE_MODULES || join(repo, 'third_party', 'node', 'node_modules');
for (const pkg of ['openai', 'ws']) {
  if (!existsSync(join(modules, pkg, 'package.json'))) {
    console.error(`FAIL setup: ${join(modules, pkg)} is missing (run scripts/setup.sh)`);
    process.exit(2);
  }
}
const baseURL = process.argv[2] || process.env.HARVIS_URL;
if (!baseURL) {
  console.error('FAIL setup: usage: node realtime_test.mjs http://127.0.0.1:PORT/v1 [model]');
  process.exit(2);
}
const LLM = process.argv[3] || process.env.HARVIS_LLM || 'llama3.2:3b';
const FIXTURE = join(repo, 'tests', 'fixtures', 'audio', 'speech_weather.wav');
const RATE = 24000; // pcm16 mono at 24 kHz, as OpenAI's Realtime API
const CHUNK_MS = 100;

const { default: OpenAI } = await import(pathToFileURL(join(modules, 'openai', 'index.mjs')).href);
const { OpenAIRealtimeWS } = await import(pathToFileURL(join(modules, 'openai', 'beta', 'realtime', 'ws.mjs')).href);

// Reads a 16-bit PCM WAV and returns mono samples resampled (linearly) to RATE.
function readWav24k(path) {
  const buf = readFileSync(path);
  assert.equal(buf.toString('ascii', 0, 4), 'RIFF');
  let rate = 0, channels = 0, bits = 0, data = null;
  for (let off = 12; off + 8 <= buf.length;) {
    const id = buf.toString('ascii', off, off + 4), size = buf.readUInt32LE(off + 4);
    if (id === 'fmt ') {
      channels = buf.readUInt16LE(off + 10);
      rate = buf.readUInt32LE(off + 12);
      bits = buf.readUInt16LE(off + 22);
    } else if (id === 'data') {
      data = buf.subarray(off + 8, Math.min(buf.length, off + 8 + size));
    }
    off += 8 + size + (size & 1);
  }
  assert.ok(data && bits === 16 && channels >= 1, `${path}: not 16-bit PCM`);
  const frames = Math.floor(data.length / (2 * channels));
  const mono = new Float64Array(frames);
  for (let i = 0; i < frames; i++) mono[i] = data.readInt16LE(2 * channels * i);
  const out = new Int16Array(Math.floor(frames * RATE / rate));
  for (let i = 0; i < out.length; i++) {
    const x = i * rate / RATE, k = Math.floor(x), f = x - k;
    out[i] = Math.round(mono[k] * (1 - f) + (k + 1 < frames ? mono[k + 1] : 0) * f);
  }
  return out;
}

const silence = (ms) => new Int16Array(RATE * ms / 1000);
const speech = readWav24k(FIXTURE);
const input = Int16Array.from([...silence(500), ...speech, ...silence(2000)]);

const client = new OpenAI({ baseURL, apiKey: 'sk-harvis-test', maxRetries: 0 });
// The client always dials wss:// (its URL builder sets the protocol); Harvis on loopback
// speaks plain ws://, so the socket is opened as plain TCP.
const createConnection = (o) => net.connect({ host: o.host, port: o.port });
const rt = new OpenAIRealtimeWS({ model: LLM, options: { createConnection } }, client);

const events = [];
const errors = [];
const waiters = [];
rt.on('event', (e) => {
  events.push(e);
  for (const w of [...waiters]) if (w.match(e)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(e); }
});
rt.on('error', (err) => errors.push(err));
rt.socket.on('close', () => { for (const w of waiters) w.reject(new Error(`socket closed while waiting for ${w.what}`)); });

function waitFor(type, ms = 60_000, pred = () => true) {
  const seen = events.find((e) => e.type === type && pred(e));
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve, reject) => {
    const w = { what: type, match: (e) => e.type === type && pred(e), resolve, reject };
    waiters.push(w);
    setTimeout(() => reject(new Error(`no ${type} within ${ms} ms`)), ms);
  });
}

let failures = 0;
async function check(name, fn) {
  try {
    await fn();
    console.log(`PASS ${name}`);
  } catch (err) {
    failures++;
    console.log(`FAIL ${name}: ${err?.stack || err}`);
  }
}

await check('session.created', async () => {
  const created = await waitFor('session.created', 10_000);
  assert.equal(created.session.model, LLM);
  assert.equal(created.session.turn_detection?.type, 'server_vad');
});

await check('session.update', async () => {
  rt.send({
    type: 'session.update',
    session: {
      modalities: ['text', 'audio'],
      instructions: 'Answer in one short sentence.',
      input_audio_transcription: { model: 'whisper-1' },
      turn_detection: { type: 'server_vad', threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 600 },
    },
  });
  const updated = await waitFor('session.updated', 10_000);
  assert.equal(updated.session.turn_detection.silence_duration_ms, 600);
});

await check('a client mistake is an error event, not a closed socket', async () => {
  rt.send({ type: 'no.such.event', event_id: 'evt_bad' });
  const error = await waitFor('error', 10_000, (e) => e.error?.event_id === 'evt_bad');
  assert.equal(error.error.type, 'invalid_request_error');
  assert.ok(errors.length >= 1, 'the client reports it through its error handler');
  errors.length = 0;
});

await check('spoken question at real time, answered by server VAD', async () => {
  const samples = RATE * CHUNK_MS / 1000;
  for (let i = 0; i < input.length; i += samples) {
    const chunk = input.subarray(i, Math.min(input.length, i + samples));
    rt.send({ type: 'input_audio_buffer.append', audio: Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('base64') });
    await new Promise((r) => setTimeout(r, CHUNK_MS));
  }
  const started = await waitFor('input_audio_buffer.speech_started');
  const stopped = await waitFor('input_audio_buffer.speech_stopped');
  assert.ok(started.audio_start_ms >= 0 && stopped.audio_end_ms > started.audio_start_ms);
  const committed = await waitFor('input_audio_buffer.committed');
  const transcript = await waitFor('conversation.item.input_audio_transcription.completed');
  assert.equal(transcript.item_id, committed.item_id);
  assert.ok(transcript.transcript.trim().length > 0, 'a transcript');
  const done = await waitFor('response.done', 90_000);
  assert.equal(done.response.status, 'completed', JSON.stringify(done.response.status_details));
  const audio = events.filter((e) => e.type === 'response.audio.delta');
  assert.ok(audio.length > 0, 'audio deltas');
  const bytes = audio.reduce((n, e) => n + Buffer.from(e.delta, 'base64').length, 0);
  assert.ok(bytes > 0 && bytes % 2 === 0, `pcm16 audio (${bytes} bytes)`);
  const spoken = await waitFor('response.audio_transcript.done');
  assert.ok(spoken.transcript.length > 0);
  console.log(`  speech ${started.audio_start_ms}-${stopped.audio_end_ms} ms; heard: ${JSON.stringify(transcript.transcript)}; answered: ${JSON.stringify(spoken.transcript)}; ` +
              `${(bytes / 2 / RATE).toFixed(2)} s of audio`);
});

await check('every server event has a unique event_id', async () => {
  const ids = events.map((e) => e.event_id);
  assert.ok(ids.every((id) => typeof id === 'string' && id.length > 0));
  assert.equal(new Set(ids).size, ids.length);
  assert.deepEqual(errors.map(String), []);
});

rt.close();
console.log(failures === 0 ? 'all realtime checks passed' : `${failures} realtime check(s) failed`);
process.exit(failures === 0 ? 0 : 1);
