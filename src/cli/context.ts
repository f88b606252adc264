// What every command gets: flags, the reporter, the Ctrl-C signal, and connections built from a
// target URL with the credentials and TLS settings of this run.
import { readFileSync } from 'node:fs';
import { createPool, FtpsClient, type FtpsClientOptions, type FtpsPool, type FtpsTlsOptions } from '../index.js';
import type { Flags } from './args.js';
import { resolveCredentials, type Credentials } from './credentials.js';
import { UsageError } from './exit.js';
import type { Reporter } from './output.js';
import { parseTarget, type Target } from './target.js';

export interface Io {
  env: NodeJS.ProcessEnv;
  /** Resolves the --password-stdin password (read once, on first use). */
  stdinPassword: () => Promise<string | undefined>;
}

export class Context {
  /** Set once a connection was opened: a later connection failure is a failed transfer. */
  connected = false;
  #credentials: { origin: string; value: Credentials } | undefined;

  constructor(
    readonly flags: Flags,
    readonly reporter: Reporter,
    readonly signal: AbortSignal,
    readonly io: Io,
  ) {}

  target(arg: string): Target {
    return parseTarget(arg, this.flags.plain);
  }

  /** Client options for a target: host, mode, credentials, TLS and timeouts from the flags. */
  async options(target: Target): Promise<FtpsClientOptions> {
    if (this.#credentials === undefined || this.#credentials.origin !== target.origin) {
      const value = resolveCredentials({
        host: target.host,
        urlUser: target.user,
        stdinPassword: await this.io.stdinPassword(),
        env: this.io.env,
        netrcFile: this.flags.netrcFile,
      });
      this.#credentials = { origin: target.origin, value };
    }
    const { user, password } = this.#credentials.value;
    const options: FtpsClientOptions = { host: target.host, secure: target.secure, user, password, tls: this.tls() };
    if (target.port !== undefined) options.port = target.port;
    const t = this.flags.timeout;
    if (t !== undefined) options.timeouts = { connect: t * 1000, reply: t * 1000, data: t * 1000 };
    return options;
  }

  tls(): FtpsTlsOptions {
    const tls: FtpsTlsOptions = {};
    if (this.flags.ca !== undefined) {
      try {
        tls.ca = readFileSync(this.flags.ca);
      } catch (err) {
        throw new UsageError(`--ca ${this.flags.ca}: ${(err as Error).message}`);
      }
    }
    if (this.flags.tlsMin !== undefined) tls.minVersion = this.flags.tlsMin;
    if (this.flags.pin.length > 0) tls.pin = this.flags.pin;
    if (this.flags.insecure) tls.rejectUnauthorized = false;
    return tls;
  }

  async connect(target: Target): Promise<FtpsClient> {
    const client = await FtpsClient.connect(await this.options(target), {}, { signal: this.signal });
    this.connected = true;
    return client;
  }

  /** A pool of --parallel connections; one is opened now, so connect and login errors show first. */
  async pool(target: Target): Promise<FtpsPool> {
    const pool = createPool(await this.options(target), {
      size: this.flags.parallel,
      ...(this.flags.retries === undefined ? {} : { retries: this.flags.retries }),
    });
    try {
      await pool.run(async () => undefined, { signal: this.signal });
    } catch (err) {
      await pool.close();
      throw err;
    }
    this.connected = true;
    return pool;
  }
}
