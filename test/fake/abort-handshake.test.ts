// An abort while the data connection's TLS handshake is under way (the server accepted the data
// connection, sent 150 and then nothing) rejects with the signal's reason; it used to crash the
// process with an unhandled 'error' event from the discarded TLS socket.
// (A server that answers neither RETR nor ABOR: test/fake/abort.test.ts.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Writable } from 'node:stream';
import { withServer } from './support.js';

for (const mode of ['explicit', 'implicit'] as const) {
  test(`${mode}: abort during the data TLS handshake rejects with the reason, no crash, no socket left`, async () => {
    await withServer({ mode, files: { '/f': Buffer.alloc(1000) } }, async ({ server, connect }) => {
      const client = await connect();
      server.nextTransfer({ stall: true });
      const controller = new AbortController();
      const reason = new Error('caller gave up');
      setTimeout(() => controller.abort(reason), 200);
      const sink = new Writable({ write: (_c, _e, done) => done() });
      await assert.rejects(client.download('/f', sink, { signal: controller.signal }), (err) => err === reason);
      // The stalled server never answers RETR, but it answers the ABOR and NOOP that follow the
      // reset of the data connection: the control connection is in step and the client usable.
      assert.equal(await client.pwd(), '/');
      assert.deepEqual(server.commands.slice(-4), ['RETR /f', 'ABOR', 'NOOP', 'PWD']);
    });
  });
}
