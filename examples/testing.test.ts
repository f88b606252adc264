// Your own tests against ftps-client/testing: copy this file into your project and run `node --test`
// (with tsx or Node's type stripping for .ts). No real server, no certificates to make.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FtpsClient } from 'ftps-client';
import { startTestServer } from 'ftps-client/testing';

test('uploads a backup and reads it back', async () => {
  await using server = await startTestServer({ files: { '/backups/old.tar': 'old' } });
  const client = await FtpsClient.connect(server.connectOptions);
  await client.upload(Buffer.from('new backup'), '/backups/new.tar');
  assert.deepEqual((await client.list('/backups')).map((e) => e.name).sort(), ['new.tar', 'old.tar']);
  await client.close();
  assert.equal(server.files.get('/backups/new.tar')?.toString(), 'new backup');
  await server.waitForIdle(); // your code left no connection open
});

test('a server that drops the data connection mid-download is a typed error', async () => {
  await using server = await startTestServer({ files: { '/big.bin': Buffer.alloc(100_000) } });
  server.faults.truncateDataAfter(1000); // FIN without TLS close_notify, then a 226 that lies
  const client = await FtpsClient.connect(server.connectOptions);
  const { Writable } = await import('node:stream');
  const sink = new Writable({ write: (_chunk, _enc, done) => done() });
  await assert.rejects(client.download('/big.bin', sink), { code: 'ERR_FTPS_TRUNCATED' });
  await client.close();
});
