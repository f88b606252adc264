// PassivePrefetch (session/data-prefetch.ts) on its own: which sessions ask ahead, what a reply to the
// EPSV behind a transfer command becomes, the age limit, one use per address; and the quirk behind it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FtpReply } from '../../src/protocol/reply.js';
import type { ControlConnection } from '../../src/session/control.js';
import { MAX_AGE_MS, PassivePrefetch } from '../../src/session/data-prefetch.js';
import { NO_QUIRKS, quirksFor } from '../../src/session/server-quirks.js';
import type { Session } from '../../src/session/session.js';

const reply = (code: number, text: string): FtpReply => ({ code, text, lines: [`${code} ${text}`] });
const EPSV_229 = reply(229, 'Entering Extended Passive Mode (|||40001|)');

function fakeSession(overrides: Partial<Record<string, unknown>> = {}, options: Record<string, unknown> = {}): Session {
  return {
    quirks: quirksFor('(vsFTPd 3.0.3)'),
    secure: true,
    passiveCommand: 'EPSV',
    remoteAddress: '127.0.0.9',
    options: { dataConnection: 'passive', dataProtection: 'private', trustPasvAddress: false, ...options },
    ...overrides,
  } as unknown as Session;
}

/** A control connection that records what is written. */
function recorder(): ControlConnection & { lines: string[] } {
  const lines: string[] = [];
  return { lines, write: (line: string) => void lines.push(line) } as unknown as ControlConnection & {
    lines: string[];
  };
}

describe('quirksFor: servers that queue commands during a transfer', () => {
  it('vsftpd (its stock greeting) does; other greetings and a changed vsftpd banner do not', () => {
    assert.equal(quirksFor('(vsFTPd 3.0.3)').queuesCommandsDuringTransfer, true);
    assert.equal(quirksFor('ProFTPD Server (Debian) [127.0.0.1]').queuesCommandsDuringTransfer, false);
    assert.equal(
      quirksFor('---------- Welcome to Pure-FTPd [privsep] [TLS] ----------').queuesCommandsDuringTransfer,
      false,
    );
    assert.equal(quirksFor('pyftpdlib 1.5.7 ready.').queuesCommandsDuringTransfer, false);
    assert.equal(quirksFor('Welcome to my vsFTPd server').queuesCommandsDuringTransfer, false);
  });
});

describe('PassivePrefetch', () => {
  it('asks only on a queuing server, in passive mode, with TLS on the data connection', () => {
    assert.equal(new PassivePrefetch(fakeSession()).enabled, true);
    assert.equal(new PassivePrefetch(fakeSession({ quirks: NO_QUIRKS })).enabled, false);
    assert.equal(new PassivePrefetch(fakeSession({ secure: false })).enabled, false);
    assert.equal(new PassivePrefetch(fakeSession({}, { dataProtection: 'clear' })).enabled, false);
    assert.equal(new PassivePrefetch(fakeSession({}, { dataConnection: 'active' })).enabled, false);
    const off = new PassivePrefetch(fakeSession({ quirks: NO_QUIRKS }));
    const control = recorder();
    off.request(control);
    assert.deepEqual(control.lines, []);
    assert.equal(off.due, false);
  });

  it('writes the session’s passive command once per transfer; its 229 is taken once, to the control peer', () => {
    const prefetch = new PassivePrefetch(fakeSession({ passiveCommand: 'PASV' }));
    const control = recorder();
    prefetch.request(control);
    prefetch.request(control); // already due: nothing more
    assert.deepEqual(control.lines, ['PASV']);
    assert.equal(prefetch.due, true);
    prefetch.accept(reply(227, 'Entering Passive Mode (10,1,2,3,156,65).'));
    assert.equal(prefetch.due, false);
    assert.deepEqual(prefetch.take(), { host: '127.0.0.9', port: 156 * 256 + 65 });
    assert.equal(prefetch.take(), undefined, 'an address is used once');
  });

  it('an address older than MAX_AGE_MS is not used', () => {
    let now = 1000;
    const prefetch = new PassivePrefetch(fakeSession(), () => now);
    prefetch.request(recorder());
    prefetch.accept(EPSV_229);
    now += MAX_AGE_MS + 1;
    assert.equal(prefetch.take(), undefined);
    prefetch.request(recorder());
    prefetch.accept(EPSV_229);
    now += MAX_AGE_MS - 1;
    assert.deepEqual(prefetch.take(), { host: '127.0.0.9', port: 40001 });
  });

  it('a refusal or an unreadable reply gives no address; a new request drops the older one', () => {
    const prefetch = new PassivePrefetch(fakeSession());
    prefetch.request(recorder());
    prefetch.accept(reply(450, 'EPSV: data transfer in progress'));
    assert.equal(prefetch.take(), undefined);
    prefetch.request(recorder());
    prefetch.accept(reply(229, 'Entering Extended Passive Mode (no port)'));
    assert.equal(prefetch.take(), undefined);
    prefetch.request(recorder());
    prefetch.accept(EPSV_229);
    prefetch.request(recorder()); // the server replaces its listener
    prefetch.forget();
    assert.equal(prefetch.due, false);
    assert.equal(prefetch.take(), undefined);
  });
});
