/**
 * Hub ids resolve through the Hugging Face cache layout that Python shares
 * (models--org--name/{blobs,refs,snapshots/<commit>}), against a local stand-in for the Hub that
 * answers the requests huggingface_hub and @huggingface/hub make: the revision's commit, the
 * paths-info listing, and ranged file downloads.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadCheckpoint, saveCheckpoint } from '../../src/model/checkpoint.js';
import { resolveModelDir } from '../../src/model/hub.js';
import { UserError } from '../../src/util/errors.js';
import { fixtureDir } from '../helpers/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'introspect-hub-'));

/** Hub id -> revision -> local folder the fake Hub serves it from. */
const repos = new Map<string, Map<string, string>>();
const requests: string[] = [];
let server: Server;
let baseUrl = '';

/** The fake commit a revision points at (what the Hub's revision API returns as `sha`). */
const commitOf = (id: string, revision: string): string => createHash('sha1').update(`${id}@${revision}`).digest('hex');
const body = async (req: IncomingMessage): Promise<string> => {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  return text;
};

before(async () => {
  const sharded = join(tmp, 'sharded-source');
  const qwen3 = loadCheckpoint(fixtureDir('qwen3-tiny'));
  saveCheckpoint(sharded, qwen3.config, qwen3.params, { maxShardBytes: 200_000 });
  writeFileSync(join(sharded, 'tokenizer.json'), '{"stand-in": true}');
  repos.set(
    'tiny/qwen2',
    new Map([
      ['main', fixtureDir('qwen2-tiny')],
      ['v2', fixtureDir('llama-tiny')],
    ]),
  );
  repos.set('tiny/qwen3-sharded', new Map([['main', sharded]]));
  repos.set('tiny/gated', new Map([['main', fixtureDir('llama-tiny')]]));

  server = createServer((req, res) => {
    void (async () => {
      const url = decodeURIComponent(req.url ?? '');
      requests.push(`${req.method} ${url}`);
      const api = /^\/api\/models\/([^/]+\/[^/]+)\/(revision|paths-info)\/([^/?]+)/.exec(url);
      const resolveMatch = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url);
      const id = api?.[1] ?? resolveMatch?.[1] ?? '';
      if (id === 'tiny/gated' && req.headers.authorization !== 'Bearer hf_secret') return void res.writeHead(401).end('{"error":"gated"}');
      const revisions = repos.get(id);
      // A commit resolves to the revision it was made from.
      const rev = api?.[3] ?? resolveMatch?.[2] ?? '';
      const dir = revisions?.get(rev) ?? [...(revisions?.entries() ?? [])].find(([r]) => commitOf(id, r) === rev)?.[1];
      if (!dir) return void res.writeHead(404, { 'x-error-code': 'RepoNotFound' }).end('{"error":"not found"}');
      if (api?.[2] === 'revision')
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id, sha: COMMIT(id, rev) }));
      if (api?.[2] === 'paths-info') {
        const { paths } = JSON.parse(await body(req)) as { paths: string[] };
        const found = paths.filter((p) => existsSync(join(dir, p)) && statSync(join(dir, p)).isFile());
        const info = found.map((p) => ({
          type: 'file',
          path: p,
          size: statSync(join(dir, p)).size,
          oid: createHash('sha1')
            .update(readFileSync(join(dir, p)))
            .digest('hex'),
        }));
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(info));
      }
      const file = resolveMatch ? join(dir, resolveMatch[3]!) : '';
      if (!file || !existsSync(file)) return void res.writeHead(404, { 'x-error-code': 'EntryNotFound' }).end('not found');
      const data = readFileSync(file);
      const etag = `"${createHash('sha1').update(data).digest('hex')}"`;
      const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
      if (!range) return void res.writeHead(200, { 'content-length': data.length, etag }).end(data);
      const start = Number(range[1]);
      const end = range[2] ? Math.min(Number(range[2]), data.length - 1) : data.length - 1;
      res
        .writeHead(206, { 'content-range': `bytes ${start}-${end}/${data.length}`, 'content-length': end - start + 1, etag })
        .end(data.subarray(start, end + 1));
    })();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

/** A revision's commit: a commit id names itself. */
const COMMIT = (id: string, rev: string): string => (/^[0-9a-f]{40}$/.test(rev) ? rev : commitOf(id, rev));

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

const downloads = (from: number): string[] => requests.slice(from).filter((r) => r.startsWith('GET') && r.includes('/resolve/'));

test('a local folder is used as it is, without any request; only org/name is a Hub id', async () => {
  const before = requests.length;
  assert.equal(await resolveModelDir(fixtureDir('gpt2-tiny'), { baseUrl }), resolve(fixtureDir('gpt2-tiny')));
  assert.equal(requests.length, before);
  await assertRejectsUserError(resolveModelDir(join(fixtureDir('gpt2-tiny'), 'config.json'), { baseUrl }), 'is a file');
  await assertRejectsUserError(resolveModelDir('./no/such/folder/here', { baseUrl }), 'does not exist', 'not a Hub id');
  await assertRejectsUserError(resolveModelDir('no-such-folder', { baseUrl }), 'does not exist');
  assert.equal(requests.length, before);
});

test('a Hub id lands in HF_HOME/hub in the huggingface_hub layout, once, and then loads like the original', async () => {
  const home = join(tmp, 'hf-home');
  const saved = {
    HF_HOME: process.env.HF_HOME,
    HF_HUB_CACHE: process.env.HF_HUB_CACHE,
    HUGGINGFACE_HUB_CACHE: process.env.HUGGINGFACE_HUB_CACHE,
  };
  process.env.HF_HOME = home;
  delete process.env.HF_HUB_CACHE;
  delete process.env.HUGGINGFACE_HUB_CACHE;
  try {
    const fetched: string[] = [];
    const dir = await resolveModelDir('tiny/qwen2', { baseUrl, onFile: (f) => fetched.push(f) });
    const repoDir = join(home, 'hub', 'models--tiny--qwen2');
    assert.equal(dir, join(repoDir, 'snapshots', commitOf('tiny/qwen2', 'main')));
    assert.equal(readFileSync(join(repoDir, 'refs', 'main'), 'utf8'), commitOf('tiny/qwen2', 'main'));
    assert.deepEqual(fetched, ['generation_config.json', 'model.safetensors', 'config.json']);
    assert.ok(readdirSync(join(repoDir, 'blobs')).length === 3, 'file contents live in blobs/, snapshots link to them');
    assert.deepEqual(loadCheckpoint(dir).params, loadCheckpoint(fixtureDir('qwen2-tiny')).params);

    // Again: one request for the branch's commit, no downloads; offline: no request at all.
    let before = requests.length;
    assert.equal(await resolveModelDir('tiny/qwen2', { baseUrl }), dir);
    assert.deepEqual(
      requests.slice(before).map((r) => r.split(' ')[1]),
      ['/api/models/tiny/qwen2/revision/main'].map(
        (u) => `${u}?expand=pipeline_tag&expand=private&expand=gated&expand=downloads&expand=likes&expand=lastModified&expand=sha`,
      ),
    );
    before = requests.length;
    assert.equal(await resolveModelDir('tiny/qwen2', { baseUrl: 'http://127.0.0.1:9', offline: true }), dir);
    process.env.HF_HUB_OFFLINE = '1';
    assert.equal(await resolveModelDir('tiny/qwen2', { baseUrl: 'http://127.0.0.1:9' }), dir);
    await assertRejectsUserError(resolveModelDir('tiny/qwen2', { baseUrl, revision: 'v2' }), 'not in the Hub cache', 'offline');
    delete process.env.HF_HUB_OFFLINE;
    assert.equal(requests.length, before);

    // Another revision is another snapshot.
    const v2 = await resolveModelDir('tiny/qwen2', { baseUrl, revision: 'v2' });
    assert.equal(v2, join(repoDir, 'snapshots', commitOf('tiny/qwen2', 'v2')));
    assert.equal(loadCheckpoint(v2).config.arch, 'llama');
    assert.equal(await resolveModelDir('tiny/qwen2@v2', { baseUrl }), v2);
    // A commit id resolves without asking which commit it is.
    before = requests.length;
    assert.equal(await resolveModelDir('tiny/qwen2', { baseUrl, revision: commitOf('tiny/qwen2', 'v2') }), v2);
    assert.equal(await resolveModelDir(`tiny/qwen2@${commitOf('tiny/qwen2', 'v2')}`, { baseUrl }), v2);
    assert.equal(requests.length, before);
  } finally {
    for (const [k, v] of Object.entries(saved))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    delete process.env.HF_HUB_OFFLINE;
  }
});

test('a snapshot Python downloaded (blobs, symlinks, refs/main) is used offline without downloading', async () => {
  const cacheDir = join(tmp, 'python-cache');
  const repoDir = join(cacheDir, 'models--someone--gpt2-tiny');
  const commit = 'a'.repeat(40);
  mkdirSync(join(repoDir, 'blobs'), { recursive: true });
  mkdirSync(join(repoDir, 'snapshots', commit), { recursive: true });
  mkdirSync(join(repoDir, 'refs'), { recursive: true });
  writeFileSync(join(repoDir, 'refs', 'main'), commit);
  for (const file of ['config.json', 'generation_config.json', 'model.safetensors']) {
    const blob = join(repoDir, 'blobs', createHash('sha256').update(file).digest('hex'));
    writeFileSync(blob, readFileSync(join(fixtureDir('gpt2-tiny'), file)));
    symlinkSync(`../../blobs/${blob.split('/').pop()!}`, join(repoDir, 'snapshots', commit, file));
  }
  const before = requests.length;
  const dir = await resolveModelDir('someone/gpt2-tiny', { baseUrl, cacheDir, offline: true });
  assert.equal(dir, join(repoDir, 'snapshots', commit));
  assert.deepEqual(loadCheckpoint(dir).params, loadCheckpoint(fixtureDir('gpt2-tiny')).params);
  // Online and unreachable, the cached snapshot of the branch is used too.
  assert.equal(await resolveModelDir('someone/gpt2-tiny', { baseUrl: 'http://127.0.0.1:9', cacheDir }), dir);
  assert.equal(requests.length, before);
});

test('a sharded checkpoint is fetched shard by shard from its index', async () => {
  const cacheDir = join(tmp, 'cache-sharded');
  const fetched: string[] = [];
  const dir = await resolveModelDir('tiny/qwen3-sharded', { baseUrl, cacheDir, onFile: (f) => fetched.push(f) });
  const index = JSON.parse(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8')) as { weight_map: Record<string, string> };
  const shards = [...new Set(Object.values(index.weight_map))];
  assert.ok(shards.length > 1);
  assert.deepEqual(fetched, ['generation_config.json', 'tokenizer.json', 'model.safetensors.index.json', ...shards, 'config.json']);
  assert.deepEqual(loadCheckpoint(dir).params, loadCheckpoint(fixtureDir('qwen3-tiny')).params);
});

test('unreachable, unknown and gated models fail with one clear line', async () => {
  // A port nobody listens on: take a free one and close it again.
  const closed = createServer();
  await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((done) => closed.close(done));
  await assertRejectsUserError(
    resolveModelDir('tiny/qwen2', { baseUrl: `http://127.0.0.1:${port}`, cacheDir: join(tmp, 'cache-offline') }),
    'cannot download tiny/qwen2',
    'offline',
  );
  await assertRejectsUserError(
    resolveModelDir('tiny/qwen2', { baseUrl, cacheDir: join(tmp, 'cache-off'), offline: true }),
    'not in the Hub cache',
  );
  await assertRejectsUserError(
    resolveModelDir('tiny/absent', { baseUrl, cacheDir: join(tmp, 'cache-absent') }),
    'HTTP 404',
    'no such model',
  );
  await assertRejectsUserError(
    resolveModelDir('tiny/gated', { baseUrl, cacheDir: join(tmp, 'cache-gated'), token: 'hf_wrong' }),
    'HTTP 401',
    'HF_TOKEN',
  );
  const dir = await resolveModelDir('tiny/gated', { baseUrl, cacheDir: join(tmp, 'cache-gated'), token: 'hf_secret' });
  assert.equal(loadCheckpoint(dir).config.arch, 'llama');
});

test('an interrupted download is not mistaken for a cached model, and resumes', async () => {
  const cacheDir = join(tmp, 'cache-interrupted');
  let weightCalls = 0;
  const failingFetch: typeof fetch = async (input, init) => {
    if (String(input instanceof Request ? input.url : input).endsWith('/model.safetensors') && ++weightCalls === 2) {
      throw new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } });
    }
    return fetch(input, init);
  };
  await assertRejectsUserError(resolveModelDir('tiny/qwen2', { baseUrl, cacheDir, fetch: failingFetch }), 'fetch failed', 'offline');
  await assertRejectsUserError(resolveModelDir('tiny/qwen2', { baseUrl, cacheDir, offline: true }), 'not in the Hub cache');
  const before = requests.length;
  const dir = await resolveModelDir('tiny/qwen2', { baseUrl, cacheDir });
  assert.equal(loadCheckpoint(dir).config.arch, 'qwen2');
  assert.ok(!downloads(before).some((r) => r.endsWith('generation_config.json')), 'files already in the cache are not fetched again');
});
