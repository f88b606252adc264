// An abort while the data connection's TLS handshake is under way (the server accepted the data
// connection, sent 150 and then nothing) rejects with the signal's reason; it used to crash the
// process with an unhandled 'error' event from the discarded TLS socket.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Writable } from 'node:stream';
import { ReplyTimeoutError } from '../../src/index.js';
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
      // The stalled server never answers RETR: the client closes itself after the reply timeout.
      await assert.rejects(client.pwd(), (err: Error & { cause?: unknown }) => err.cause instanceof ReplyTimeoutError);
    });
  });
}
