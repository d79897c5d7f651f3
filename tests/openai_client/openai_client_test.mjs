// The official OpenAI Node client (the `openai` npm package, pinned in package.json and
// package-lock.json here, installed by scripts/setup.sh into third_party/node/), used
// unchanged against Harvis with `baseURL` pointed at it: every OpenAI route of SPEC §5.
//
//   HARVIS_URL=http://127.0.0.1:PORT/v1 node tests/openai_client/openai_client_test.mjs
//
// Expects the built-in models (pocketsphinx, espeak, flite) and llama3.2:3b served by the
// Ollama stand-in (tests/ollama_standin), as tests/blackbox/openai_client_test.cpp starts
// them. OPENAI_NODE_MODULES overrides where the package is looked for. Prints one
// "PASS name" / "FAIL name: why" line per check and exits 1 when any check fails.
import assert from 'node:assert/strict';
import { createReadStream, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const modules = process.env.OPENAI_NODE_MODULES || join(repo, 'third_party', 'node', 'node_modules');
const entry = join(modules, 'openai', 'index.mjs');
if (!existsSync(entry)) {
  console.error(`FAIL setup: ${entry} is missing (run scripts/setup.sh)`);
  process.exit(2);
}
const baseURL = process.env.HARVIS_URL;
if (!baseURL) {
  console.error('FAIL setup: HARVIS_URL (e.g. http://127.0.0.1:8080/v1) is not set');
  process.exit(2);
}

const { default: OpenAI, toFile, APIError, NotFoundError, BadRequestError } = await import(pathToFileURL(entry).href);
const { VERSION } = await import(pathToFileURL(join(modules, 'openai', 'version.mjs')).href);

const LLM = process.env.HARVIS_LLM || 'llama3.2:3b';
const STT = 'pocketsphinx';
const TTS = 'espeak';
const SPEECH_TEXT = 'Hello world. This is a test of the speech route.';
const FIXTURE_MP3 = join(repo, 'tests', 'fixtures', 'audio', 'tone.mp3');

// No retries: a failure must show on the first try, not be papered over.
const client = new OpenAI({ baseURL, apiKey: 'sk-harvis-test', maxRetries: 0, timeout: 60_000 });

let failures = 0;
let count = 0;
async function check(name, fn) {
  count++;
  try {
    const note = await fn();
    console.log(`PASS ${name}${note ? ` (${note})` : ''}`);
  } catch (e) {
    failures++;
    const detail = e instanceof APIError ? ` [status ${e.status}, body ${JSON.stringify(e.error)}]` : '';
    console.log(`FAIL ${name}: ${e?.stack || e}${detail}`);
  }
}

// Runs `fn`, which must throw an error of `cls` with `status`; returns the error.
async function expectApiError(fn, cls, status) {
  let error;
  try {
    await fn();
  } catch (e) {
    error = e;
  }
  assert.ok(error, `expected ${cls.name} (${status}), but the call succeeded`);
  assert.ok(error instanceof cls, `expected ${cls.name}, got ${error?.constructor?.name}: ${error?.message}`);
  assert.ok(error instanceof APIError, 'not an APIError');
  assert.equal(error.status, status);
  assert.equal(typeof error.error?.message, 'string', `no error.message in the body: ${JSON.stringify(error.error)}`);
  assert.ok(error.message.includes(error.error.message), `client message "${error.message}" lacks the body's`);
  return error;
}

const userMessage = 'What is Harvis';
const chatParams = { model: LLM, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: userMessage }] };
let wholeAnswer = '';
let speechWav = null;

console.log(`openai ${VERSION} against ${baseURL}`);

// --- GET /v1/models --------------------------------------------------------------------
await check('models.list() lists every registered model', async () => {
  const ids = [];
  for await (const model of client.models.list()) {
    assert.equal(model.object, 'model');
    assert.equal(typeof model.id, 'string');
    assert.equal(typeof model.created, 'number');
    assert.equal(typeof model.owned_by, 'string');
    ids.push(model.id);
  }
  for (const want of [STT, TTS, 'flite', LLM]) assert.ok(ids.includes(want), `${want} missing from ${ids}`);
  return ids.join(', ');
});

await check('models.list() page has data and object=list', async () => {
  const page = await client.models.list();
  assert.ok(Array.isArray(page.data) && page.data.length >= 4);
  const raw = await client.models.list().asResponse();
  assert.equal(raw.status, 200);
  assert.equal((await raw.json()).object, 'list');
});

await check('models.retrieve() returns one model, NotFoundError for an unknown one', async () => {
  const m = await client.models.retrieve(LLM);
  assert.equal(m.id, LLM);
  assert.equal(m.object, 'model');
  await expectApiError(() => client.models.retrieve('no-such-model'), NotFoundError, 404);
});

// --- POST /v1/chat/completions -----------------------------------------------------------
await check('chat.completions.create() non-streaming', async () => {
  const c = await client.chat.completions.create(chatParams);
  assert.equal(c.object, 'chat.completion');
  assert.equal(typeof c.id, 'string');
  assert.equal(c.model, LLM);
  assert.equal(c.choices.length, 1);
  assert.equal(c.choices[0].index, 0);
  assert.equal(c.choices[0].message.role, 'assistant');
  assert.equal(c.choices[0].finish_reason, 'stop');
  wholeAnswer = c.choices[0].message.content;
  assert.ok(wholeAnswer.startsWith(`You said: ${userMessage}.`), `unexpected answer: ${wholeAnswer}`);
  assert.ok(c.usage.completion_tokens > 0);
  assert.equal(c.usage.total_tokens, c.usage.prompt_tokens + c.usage.completion_tokens);
  return `${c.usage.completion_tokens} tokens`;
});

await check('chat.completions.create({stream: true}) assembles the same text', async () => {
  const stream = await client.chat.completions.create({ ...chatParams, stream: true });
  let text = '';
  let finish = null;
  let chunks = 0;
  let role = null;
  const ids = new Set();
  for await (const chunk of stream) {
    chunks++;
    assert.equal(chunk.object, 'chat.completion.chunk');
    assert.equal(chunk.model, LLM);
    ids.add(chunk.id);
    const choice = chunk.choices[0];
    if (choice.delta.role) role = choice.delta.role;
    text += choice.delta.content ?? '';
    if (choice.finish_reason) finish = choice.finish_reason;
  }
  assert.equal(role, 'assistant');
  assert.equal(ids.size, 1, 'every chunk must carry the same id');
  assert.equal(finish, 'stop');
  assert.ok(chunks > 3, `only ${chunks} chunks`);
  assert.equal(text, wholeAnswer);
  return `${chunks} chunks`;
});

await check('chat.completions.create({stream: true, max_tokens}) finishes with length', async () => {
  const stream = await client.chat.completions.create({ ...chatParams, stream: true, max_tokens: 4 });
  let text = '';
  let finish = null;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta?.content ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  assert.equal(finish, 'length');
  assert.ok(text.length > 0 && text.length < wholeAnswer.length, `text: ${text}`);
});

await check('chat.completions.create() with content parts and a developer message', async () => {
  const c = await client.chat.completions.create({
    model: LLM,
    messages: [{ role: 'developer', content: 'Be brief.' },
               { role: 'user', content: [{ type: 'text', text: 'Parts' }, { type: 'text', text: 'work' }] }],
  });
  assert.match(c.choices[0].message.content, /^You said: Parts\s?work\./);
});

await check('chat.completions.stream() helper: finalChatCompletion()', async () => {
  const runner = client.chat.completions.stream(chatParams);
  let deltas = '';
  runner.on('content', (delta) => { deltas += delta; });
  const final = await runner.finalChatCompletion();
  assert.equal(final.choices[0].message.content, wholeAnswer);
  assert.equal(final.choices[0].finish_reason, 'stop');
  assert.equal(deltas, wholeAnswer);
});

// --- POST /v1/audio/speech ---------------------------------------------------------------
await check('audio.speech.create() wav with voice alloy', async () => {
  const res = await client.audio.speech.create({ model: TTS, voice: 'alloy', input: SPEECH_TEXT, response_format: 'wav' });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^audio\/(wav|x-wav|wave)/);
  const wav = Buffer.from(await res.arrayBuffer());
  assert.ok(wav.length > 44 + 1000, `only ${wav.length} bytes`);
  assert.equal(wav.toString('latin1', 0, 4), 'RIFF');
  assert.equal(wav.toString('latin1', 8, 12), 'WAVE');
  assert.equal(wav.readUInt32LE(4), wav.length - 8, 'RIFF size field');
  speechWav = wav;
  return `${wav.length} bytes, ${wav.readUInt32LE(24)} Hz`;
});

await check('audio.speech.create() pcm, flite, voice nova, speed 1.5', async () => {
  const res = await client.audio.speech.create({ model: 'flite', voice: 'nova', input: 'Short one.', response_format: 'pcm', speed: 1.5 });
  const pcm = Buffer.from(await res.arrayBuffer());
  assert.ok(pcm.length > 1000 && pcm.length % 2 === 0, `${pcm.length} bytes`);
  assert.notEqual(pcm.toString('latin1', 0, 4), 'RIFF');
});

// --- POST /v1/audio/transcriptions -------------------------------------------------------
// The transcripts are only checked for shape: pocketsphinx's text for the same audio may
// vary from one request to the next (its decoder adapts to what it heard before).
const speechFile = async () => toFile(speechWav, 'speech.wav', { type: 'audio/wav' });

await check('audio.transcriptions.create() json (toFile of the speech)', async () => {
  assert.ok(speechWav, 'no speech from the speech check');
  const t = await client.audio.transcriptions.create({ file: await speechFile(), model: STT, response_format: 'json' });
  assert.equal(typeof t, 'object');
  assert.equal(typeof t.text, 'string');
  assert.ok(t.text.trim().length > 0, 'empty transcript of speech');
  return JSON.stringify(t.text);
});

await check('audio.transcriptions.create() default format (json) with language', async () => {
  const t = await client.audio.transcriptions.create({ file: await speechFile(), model: STT, language: 'en' });
  assert.equal(typeof t.text, 'string');
  assert.ok(t.text.trim().length > 0, 'empty transcript of speech');
});

await check('audio.transcriptions.create() text', async () => {
  const t = await client.audio.transcriptions.create({ file: await speechFile(), model: STT, response_format: 'text' });
  assert.equal(typeof t, 'string');
  assert.ok(t.trim().length > 0, 'empty transcript of speech');
  assert.ok(!t.trimStart().startsWith('{'), `text format answered JSON: ${t}`);
  return JSON.stringify(t);
});

await check('audio.transcriptions.create() verbose_json', async () => {
  const t = await client.audio.transcriptions.create({ file: await speechFile(), model: STT, response_format: 'verbose_json' });
  assert.equal(typeof t, 'object');
  assert.equal(typeof t.text, 'string');
  assert.ok(t.text.trim().length > 0, 'empty transcript of speech');
  assert.equal(typeof t.language, 'string');
  assert.equal(typeof t.duration, 'number');
  assert.ok(t.duration > 0.5, `duration ${t.duration}`);
  assert.ok(Array.isArray(t.segments) && t.segments.length > 0, 'no segments');
  for (const s of t.segments) {
    assert.equal(typeof s.id, 'number');
    assert.ok(s.start >= 0 && s.end >= s.start && s.end <= t.duration + 0.5, JSON.stringify(s));
    assert.equal(typeof s.text, 'string');
  }
  return `${t.segments.length} segments, ${t.duration.toFixed(2)} s`;
});

await check('audio.transcriptions.create() srt', async () => {
  const t = await client.audio.transcriptions.create({ file: await speechFile(), model: STT, response_format: 'srt' });
  assert.equal(typeof t, 'string');
  assert.match(t, /^1\r?\n\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}\r?\n/);
});

await check('audio.transcriptions.create() vtt', async () => {
  const t = await client.audio.transcriptions.create({ file: await speechFile(), model: STT, response_format: 'vtt' });
  assert.equal(typeof t, 'string');
  assert.match(t, /^WEBVTT\r?\n\r?\n\d\d:\d\d:\d\d\.\d{3} --> \d\d:\d\d:\d\d\.\d{3}\r?\n/);
});

await check('audio.transcriptions.create() fs.createReadStream of an mp3 fixture', async () => {
  const t = await client.audio.transcriptions.create({ file: createReadStream(FIXTURE_MP3), model: STT });
  assert.equal(typeof t.text, 'string');
});

// --- errors --------------------------------------------------------------------------------
await check('unknown model in chat: NotFoundError 404 with our message', async () => {
  const e = await expectApiError(
    () => client.chat.completions.create({ ...chatParams, model: 'no-such-model' }), NotFoundError, 404);
  assert.equal(e.error.message, "model 'no-such-model' does not exist");
  assert.equal(e.message, "404 model 'no-such-model' does not exist");
  assert.equal(e.code, 'model_not_found');
});

await check('unknown model in streaming chat: NotFoundError 404 before any chunk', async () => {
  await expectApiError(
    () => client.chat.completions.create({ ...chatParams, model: 'no-such-model', stream: true }), NotFoundError, 404);
});

await check('unknown model in speech: NotFoundError 404', async () => {
  const e = await expectApiError(
    () => client.audio.speech.create({ model: 'no-such-tts', voice: 'alloy', input: 'hi' }), NotFoundError, 404);
  assert.match(e.error.message, /no-such-tts/);
});

await check('unknown model in transcription: NotFoundError 404', async () => {
  const e = await expectApiError(
    async () => client.audio.transcriptions.create({ file: await speechFile(), model: 'no-such-stt' }), NotFoundError, 404);
  assert.match(e.error.message, /no-such-stt/);
});

await check('chat without messages: BadRequestError 400', async () => {
  await expectApiError(() => client.chat.completions.create({ model: LLM, messages: [] }), BadRequestError, 400);
});

await check('chat with a TTS model: BadRequestError 400', async () => {
  const e = await expectApiError(() => client.chat.completions.create({ ...chatParams, model: TTS }), BadRequestError, 400);
  assert.match(e.error.message, /not llm/);
});

await check('speech with empty input: BadRequestError 400', async () => {
  const e = await expectApiError(
    () => client.audio.speech.create({ model: TTS, voice: 'alloy', input: '' }), BadRequestError, 400);
  assert.match(e.error.message, /input/);
});

await check('speech with response_format mp3: BadRequestError 400', async () => {
  const e = await expectApiError(
    () => client.audio.speech.create({ model: TTS, voice: 'alloy', input: 'hi', response_format: 'mp3' }), BadRequestError, 400);
  assert.match(e.error.message, /response_format/);
});

await check('speech with speed 9: BadRequestError 400', async () => {
  await expectApiError(
    () => client.audio.speech.create({ model: TTS, voice: 'alloy', input: 'hi', speed: 9 }), BadRequestError, 400);
});

await check('transcription with response_format bogus: BadRequestError 400', async () => {
  await expectApiError(
    async () => client.audio.transcriptions.create({ file: await speechFile(), model: STT, response_format: 'bogus' }),
    BadRequestError, 400);
});

console.log(`${count - failures}/${count} checks passed`);
process.exit(failures === 0 ? 0 : 1);
