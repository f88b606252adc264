// The pipelined login (session/handshake.ts): USER + PASS + FEAT in one write, then PBSZ + PROT +
// OPTS UTF8 + TYPE I in another. Every way a login can go still ends as before.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FtpReplyError } from '../../src/index.js';
import { faults } from '../helpers/fake-server.js';
import { LIMIT, rejection, withServer } from './support.js';

describe('pipelined login', () => {
  it('sends the commands in order and ends up with the usual session', LIMIT, async () => {
    await withServer({ mode: 'explicit' }, async ({ server, connect }) => {
      const client = await connect();
      assert.equal(await client.pwd(), '/');
      assert.deepEqual(server.commands.slice(0, 8), [
        'AUTH TLS',
        'USER user',
        'PASS pass',
        'FEAT',
        'PBSZ 0',
        'PROT P',
        'OPTS UTF8 ON',
        'TYPE I',
      ]);
    });
  });

  it('no OPTS UTF8 when FEAT does not list UTF8', LIMIT, async () => {
    await withServer(
      { mode: 'explicit', features: ['EPSV', 'PASV', 'SIZE', 'AUTH TLS', 'PBSZ', 'PROT'] },
      async ({ server, connect }) => {
        await connect();
        assert.ok(!server.commands.some((c) => c.startsWith('OPTS UTF8')));
        assert.equal(server.commands.at(-1), 'TYPE I');
      },
    );
  });

  it('a wrong password refused with a close right after is the 530, not a closed connection', LIMIT, async () => {
    await withServer({ mode: 'explicit' }, async ({ server, connect }) => {
      server.hook('PASS', faults.replyAndClose('530 Login incorrect.'));
      const err = await rejection(connect());
      assert.ok(err instanceof FtpReplyError, String(err));
      assert.equal(err.replyCode, 530);
    });
  });

  it('a refused USER is the error even though PASS went out behind it', LIMIT, async () => {
    await withServer({ mode: 'explicit' }, async ({ server, connect }) => {
      server.hook('USER', faults.replyAndClose('530 This account is disabled.'));
      const err = await rejection(connect());
      assert.ok(err instanceof FtpReplyError, String(err));
      assert.equal(err.replyCode, 530);
      assert.match(err.message, /disabled/);
    });
  });

  it('USER answered 230 (no password needed): the PASS reply is ignored', LIMIT, async () => {
    await withServer({ mode: 'explicit' }, async ({ server, connect }) => {
      server.hook('USER', async (ctx) => {
        ctx.state.loggedIn = true;
        await ctx.reply('230 Logged in without a password.');
      });
      server.hook('PASS', faults.reply('503 Already logged in.'));
      const client = await connect();
      assert.equal(await client.pwd(), '/');
    });
  });

  it('332 after PASS: ACCT, then FEAT again now that the login is complete', LIMIT, async () => {
    await withServer({ mode: 'explicit' }, async ({ server, connect }) => {
      server.hook('PASS', faults.reply('332 Need account for login.'));
      server.hook('ACCT', async (ctx) => {
        ctx.state.loggedIn = true;
        await ctx.reply('230 Account ok.');
      });
      const client = await connect({ account: 'acct' });
      assert.equal(await client.pwd(), '/');
      const v = server.commands;
      assert.deepEqual(v.slice(v.indexOf('USER user'), v.indexOf('USER user') + 5), [
        'USER user',
        'PASS pass',
        'FEAT',
        'ACCT acct',
        'FEAT',
      ]);
    });
  });
});
