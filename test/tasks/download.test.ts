import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { datasetsDir } from '../helpers/paths.js';
import { getTask } from '../../src/tasks/registry.js';
import { DATASET_SOURCES, sourceUrl } from '../../src/tasks/data/sources.js';
import { UserError } from '../../src/util/errors.js';

/**
 * The download path against a local HTTP server on 127.0.0.1 that serves ../shared/datasets laid out
 * like the data folder (never the internet). Each request is recorded.
 */
async function withMirror(
  handler: 'serve' | 'missing' | 'hang',
  body: (baseUrl: string, requests: string[]) => Promise<void>,
): Promise<void> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '');
    if (handler === 'hang') return; // never answers: the client's timeout must end it
    if (handler === 'missing') {
      res.writeHead(404).end('not found');
      return;
    }
    readFile(join(datasetsDir, decodeURIComponent(req.url ?? '')))
      .then((data) => res.writeHead(200, { 'content-type': 'application/jsonl' }).end(data))
      .catch(() => res.writeHead(404).end());
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  try {
    await body(`http://127.0.0.1:${address.port}`, requests);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((ok) => server.close(() => ok()));
  }
}

async function withTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'introspect-data-'));
  try {
    await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('download: a missing file is fetched from the mirror, stored, then read locally', async () => {
  await withTempDir(async (dataDir) => {
    await withMirror('serve', async (baseUrl, requests) => {
      const problems = await getTask('amc23').load({ dataDir, mirrorBaseUrl: baseUrl });
      assert.equal(problems.length, 40);
      assert.deepEqual(requests, ['/amc23/test.jsonl']);
      const stored = await readFile(join(dataDir, 'amc23/test.jsonl'), 'utf8');
      assert.equal(stored, await readFile(join(datasetsDir, 'amc23/test.jsonl'), 'utf8'));
      assert.deepEqual(await readdir(join(dataDir, 'amc23')), ['test.jsonl']); // no partial file left
      await getTask('amc23').load({ dataDir, mirrorBaseUrl: baseUrl });
      assert.equal(requests.length, 1, 'second load reads the stored file');
    });
  });
});

test('download: HTTP failure is a UserError saying which file to place where', async () => {
  await withTempDir(async (dataDir) => {
    await withMirror('missing', async (baseUrl) => {
      await assert.rejects(getTask('gsm8k').load({ dataDir, mirrorBaseUrl: baseUrl, split: 'train' }), (e: unknown) => {
        return (
          e instanceof UserError &&
          /HTTP 404/.test(e.message) &&
          e.message.includes(`${baseUrl}/gsm8k/train.jsonl`) &&
          e.message.includes(`place gsm8k/train.jsonl at ${join(dataDir, 'gsm8k/train.jsonl')}`)
        );
      });
      assert.deepEqual(await readdir(dataDir), [], 'nothing written on failure');
    });
  });
});

test('download: a server that never answers times out', async () => {
  await withTempDir(async (dataDir) => {
    await withMirror('hang', async (baseUrl) => {
      const started = Date.now();
      await assert.rejects(
        getTask('aime24').load({ dataDir, mirrorBaseUrl: baseUrl, downloadTimeoutMs: 200 }),
        /downloading .* failed \(.*(timeout|aborted)/i,
      );
      assert.ok(Date.now() - started < 5000);
    });
  });
});

test('download: a refused connection is a UserError naming the cause', async () => {
  // A port that was just free: bind it, note it, release it.
  const probe = createServer();
  await new Promise<void>((ok) => probe.listen(0, '127.0.0.1', ok));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((ok) => probe.close(() => ok()));
  await withTempDir(async (dataDir) => {
    const load = getTask('aime24').load({ dataDir, mirrorBaseUrl: `http://127.0.0.1:${port}`, downloadTimeoutMs: 2000 });
    await assert.rejects(load, (e: unknown) => e instanceof UserError && /ECONNREFUSED/.test(e.message));
  });
});

test('sources: every real dataset file has a public URL; a mirror replaces the origin', () => {
  for (const name of ['gsm8k', 'math500', 'aime24', 'amc23', 'minerva_math', 'olympiadbench']) {
    assert.ok(DATASET_SOURCES[`${name}/test.jsonl`]?.startsWith('https://'), name);
  }
  assert.ok(DATASET_SOURCES['gsm8k/train.jsonl']?.includes('openai/grade-school-math'));
  assert.ok(DATASET_SOURCES['math500/test.jsonl']?.includes('HuggingFaceH4/MATH-500'));
  assert.equal(sourceUrl('amc23/test.jsonl', 'http://127.0.0.1:8000/'), 'http://127.0.0.1:8000/amc23/test.jsonl');
});
