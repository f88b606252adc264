/**
 * Option validation: mistakes in the caller's options reject connect() with a TypeError/RangeError
 * naming the option, before any connection is made.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FtpsClient, FtpsError, type FtpsClientOptions } from '../../src/index.js';
import { LIMIT, optionsFor, rejection, sleep, withServer } from './support.js';

type Case = [label: string, patch: Record<string, unknown>, cls: typeof TypeError | typeof RangeError, names: RegExp];

const CASES: Case[] = [
  ['port 0', { port: 0 }, RangeError, /"port"/],
  ['port 70000', { port: 70000 }, RangeError, /"port"/],
  ['port 21.5', { port: 21.5 }, RangeError, /"port"/],
  ['port NaN', { port: Number.NaN }, RangeError, /"port"/],
  ['port as string', { port: '21' }, RangeError, /"port"/],
  ['secure "tls"', { secure: 'tls' }, TypeError, /"secure"/],
  ['secure "yes"', { secure: 'yes' }, TypeError, /"secure"/],
  ['timeouts.reply -1', { timeouts: { reply: -1 } }, RangeError, /"timeouts\.reply"/],
  ['timeouts.connect 0', { timeouts: { connect: 0 } }, RangeError, /"timeouts\.connect"/],
  ['timeouts.data NaN', { timeouts: { data: Number.NaN } }, RangeError, /"timeouts\.data"/],
  ['timeouts.data -Infinity', { timeouts: { data: Number.NEGATIVE_INFINITY } }, RangeError, /"timeouts\.data"/],
  // Node's timers overflow above 2^31-1 ms and fire at once: such values are refused, not shortened.
  ['timeouts.reply 2**31', { timeouts: { reply: 2 ** 31 } }, RangeError, /"timeouts\.reply"/],
  ['timeouts.connect 1e10', { timeouts: { connect: 1e10 } }, RangeError, /"timeouts\.connect"/],
  ['timeouts.data 2**31', { timeouts: { data: 2 ** 31 } }, RangeError, /"timeouts\.data"/],
  ['timeouts.reply as string', { timeouts: { reply: '1000' } }, RangeError, /"timeouts\.reply"/],
  ['host empty', { host: '' }, TypeError, /"host"/],
  ['user with CRLF', { user: 'u\r\nDELE x' }, TypeError, /"user"/],
  ['password with NUL', { password: 'p\0' }, TypeError, /"password"/],
  ['tls.minVersion bogus', { tls: { minVersion: 'SSLv3' } }, TypeError, /"tls\.minVersion"/],
  ['encoding bogus', { encoding: 'utf16le' }, TypeError, /"encoding"/],
  ['maxReplyBytes too small', { maxReplyBytes: 10 }, RangeError, /"maxReplyBytes"/],
];

test(
  'bad options reject connect() with TypeError/RangeError naming the option, no connection made',
  LIMIT,
  async () => {
    await withServer({ mode: 'explicit' }, async ({ server }) => {
      let connections = 0;
      server.hook('CONNECT', () => {
        connections++;
        return 'default';
      });
      for (const [label, patch, cls, names] of CASES) {
        const options = { ...optionsFor(server), ...patch } as FtpsClientOptions;
        let promise: Promise<FtpsClient> | undefined;
        assert.doesNotThrow(() => {
          promise = FtpsClient.connect(options);
        }, `${label}: connect() threw synchronously`);
        const err = await rejection(promise as Promise<FtpsClient>);
        assert.ok(err instanceof cls, `${label}: expected ${cls.name}, got ${String(err)}`);
        assert.ok(!(err instanceof FtpsError), `${label}: a caller mistake is not an FtpsError`);
        assert.match((err as Error).message, names, label);
      }
      await sleep(50);
      assert.equal(connections, 0, 'a connection was opened despite bad options');
      assert.equal(server.openSockets(), 0);
    });
  },
);

test('unknown or malformed URL → TypeError, no connection made', LIMIT, async () => {
  await withServer({ mode: 'explicit' }, async ({ server }) => {
    for (const url of [
      `sftp://user:pass@127.0.0.1:${server.port}`,
      `http://127.0.0.1:${server.port}`,
      'not a url',
      `ftpes://127.0.0.1:99999`,
    ]) {
      const err = await rejection(FtpsClient.connect(url));
      assert.ok(err instanceof TypeError || err instanceof RangeError, `${url}: ${String(err)}`);
    }
    const scheme = await rejection(FtpsClient.connect(`sftp://127.0.0.1:${server.port}`));
    assert.match((scheme as Error).message, /sftp:/);
    await sleep(50);
    assert.deepEqual(server.commands, []);
    assert.equal(server.openSockets(), 0);
  });
});

test('URL overrides are validated too', LIMIT, async () => {
  await withServer({ mode: 'explicit' }, async ({ server }) => {
    const err = await rejection(FtpsClient.connect(`ftpes://127.0.0.1:${server.port}`, { timeouts: { reply: -5 } }));
    assert.ok(err instanceof RangeError);
    assert.match(err.message, /"timeouts\.reply"/);
    const err2 = await rejection(FtpsClient.connect(`ftpes://127.0.0.1:${server.port}`, { port: 0 }));
    assert.ok(err2 instanceof RangeError);
    assert.match(err2.message, /"port"/);
  });
});

test('secure: true means explicit (AUTH TLS first)', LIMIT, async () => {
  // Valid options with secure: true work against an explicit server.
  await withServer({ mode: 'explicit' }, async ({ server, track }) => {
    const client = track(await FtpsClient.connect({ ...optionsFor(server), secure: true }));
    assert.equal(server.commands[0], 'AUTH TLS');
    assert.equal(await client.pwd(), '/');
  });
});
