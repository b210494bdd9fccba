import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadCheckpoint, saveCheckpoint } from '../../src/model/checkpoint.js';
import { resolveModelDir } from '../../src/model/hub.js';
import { UserError } from '../../src/util/errors.js';
import { fixtureDir } from '../helpers/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'introspect-hub-'));

/** Hub id -> local folder the fake Hub serves it from. */
const repos = new Map<string, string>();
const requests: string[] = [];
let server: Server;
let baseUrl = '';

// A stand-in for https://huggingface.co serving /<org>/<name>/resolve/main/<file> from local folders.
before(async () => {
  const sharded = join(tmp, 'sharded-source');
  const qwen3 = loadCheckpoint(fixtureDir('qwen3-tiny'));
  saveCheckpoint(sharded, qwen3.config, qwen3.params, { maxShardBytes: 200_000 });
  writeFileSync(join(sharded, 'tokenizer.json'), '{"stand-in": true}');
  repos.set('tiny/qwen2', fixtureDir('qwen2-tiny'));
  repos.set('tiny/qwen3-sharded', sharded);
  repos.set('tiny/gated', fixtureDir('llama-tiny'));

  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const match = /^\/([^/]+\/[^/]+)\/resolve\/main\/([^/]+)$/.exec(req.url ?? '');
    const dir = match ? repos.get(match[1]) : undefined;
    if (match?.[1] === 'tiny/gated' && req.headers.authorization !== 'Bearer secret') {
      res.writeHead(401).end('gated');
      return;
    }
    const file = match && dir ? join(dir, match[2]) : '';
    if (!file || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise((done) => server.close(done));
  rmSync(tmp, { recursive: true, force: true });
});

async function assertRejectsUserError(promise: Promise<unknown>, ...fragments: string[]): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof UserError, `expected a UserError, got ${String(error)}`);
    assert.ok(!error.message.includes('\n'));
    for (const f of fragments) assert.ok(error.message.includes(f), `"${error.message}" should mention "${f}"`);
    return true;
  });
}

test('a local folder is used as it is, without any request', async () => {
  const before = requests.length;
  assert.equal(await resolveModelDir(fixtureDir('gpt2-tiny'), { baseUrl }), resolve(fixtureDir('gpt2-tiny')));
  assert.equal(requests.length, before);
  await assertRejectsUserError(resolveModelDir(join(fixtureDir('gpt2-tiny'), 'config.json'), { baseUrl }), 'is a file');
  await assertRejectsUserError(resolveModelDir('./no/such/folder/here', { baseUrl }), 'does not exist');
});

test('a Hub id is downloaded into the cache once and then loads like the original', async () => {
  const cacheDir = join(tmp, 'cache-single');
  const fetched: string[] = [];
  const dir = await resolveModelDir('tiny/qwen2', { baseUrl, cacheDir, onFile: (f) => fetched.push(f) });
  assert.ok(dir.startsWith(resolve(cacheDir)));
  assert.deepEqual(fetched, ['config.json', 'generation_config.json', 'model.safetensors']);
  assert.deepEqual(loadCheckpoint(dir).params, loadCheckpoint(fixtureDir('qwen2-tiny')).params);
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.part')), []);

  const before = requests.length;
  assert.equal(await resolveModelDir('tiny/qwen2', { baseUrl, cacheDir }), dir);
  assert.equal(requests.length, before, 'a complete cached copy is reused without requests');
  // Offline mode still resolves a complete cached copy.
  assert.equal(await resolveModelDir('tiny/qwen2', { baseUrl: 'http://127.0.0.1:9', cacheDir, offline: true }), dir);
});

test('a sharded checkpoint is fetched shard by shard from its index', async () => {
  const cacheDir = join(tmp, 'cache-sharded');
  const fetched: string[] = [];
  const dir = await resolveModelDir('tiny/qwen3-sharded', { baseUrl, cacheDir, onFile: (f) => fetched.push(f) });
  const index = JSON.parse(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8')) as { weight_map: Record<string, string> };
  const shards = [...new Set(Object.values(index.weight_map))];
  assert.ok(shards.length > 1);
  assert.deepEqual(fetched, ['config.json', 'generation_config.json', 'tokenizer.json', 'model.safetensors.index.json', ...shards]);
  assert.ok(!fetched.includes('model.safetensors'));
  assert.deepEqual(loadCheckpoint(dir).params, loadCheckpoint(fixtureDir('qwen3-tiny')).params);
});

test('offline, unknown and gated models fail with one clear line', async () => {
  // A port nobody listens on: take a free one and close it again.
  const closed = createServer();
  await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((done) => closed.close(done));
  await assertRejectsUserError(
    resolveModelDir('tiny/qwen2', { baseUrl: `http://127.0.0.1:${port}`, cacheDir: join(tmp, 'cache-offline') }),
    'cannot download tiny/qwen2', 'offline',
  );
  await assertRejectsUserError(resolveModelDir('tiny/qwen2', { baseUrl, cacheDir: join(tmp, 'cache-off'), offline: true }), 'not in the cache');
  await assertRejectsUserError(resolveModelDir('tiny/absent', { baseUrl, cacheDir: join(tmp, 'cache-absent') }), 'HTTP 404', 'no such model');
  await assertRejectsUserError(resolveModelDir('tiny/gated', { baseUrl, cacheDir: join(tmp, 'cache-gated'), token: 'wrong' }), 'HTTP 401', 'HF_TOKEN');
  const dir = await resolveModelDir('tiny/gated', { baseUrl, cacheDir: join(tmp, 'cache-gated'), token: 'secret' });
  assert.equal(loadCheckpoint(dir).config.arch, 'llama');
});

test('an interrupted download is not mistaken for a cached model', async () => {
  const cacheDir = join(tmp, 'cache-interrupted');
  let calls = 0;
  const failingFetch: typeof fetch = async (input, init) => {
    if (++calls === 3) throw new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } });
    return fetch(input, init);
  };
  await assertRejectsUserError(resolveModelDir('tiny/qwen2', { baseUrl, cacheDir, fetch: failingFetch }), 'ECONNRESET');
  await assertRejectsUserError(resolveModelDir('tiny/qwen2', { baseUrl, cacheDir, offline: true }), 'not in the cache');
  const dir = await resolveModelDir('tiny/qwen2', { baseUrl, cacheDir });
  assert.equal(loadCheckpoint(dir).config.arch, 'qwen2');
});
