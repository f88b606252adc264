// ftps-client worker: runs the compiled library (dist/), never tsx, so only the client is measured.
import * as lib from '../../dist/index.js';
import { discard, lanes, readTask, timed } from './common.mjs';

const task = readTask();

const options = {
  host: task.host,
  port: task.port,
  user: task.user,
  password: task.password,
  secure: task.mode,
  tls: task.servername === undefined ? { ca: task.ca } : { ca: task.ca, servername: task.servername },
};

function connect() {
  return lib.FtpsClient.connect(options);
}

/** One connection, or `task.connections` plain clients sharing the file list (when FtpsPool is not exported). */
async function withClients(fn) {
  const n = task.connections ?? 1;
  const clients = await Promise.all(Array.from({ length: n }, connect));
  try {
    return await fn(clients);
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}

let reused = true;
const note = (r) => {
  if (r.tlsSessionReused !== true) reused = false;
  return r.bytes;
};

/** Small files over `task.connections` connections: FtpsPool when the library exports it. */
async function withPool(fn) {
  const pool = lib.createPool(options, { size: task.connections, retries: 0 });
  try {
    return await fn(pool);
  } finally {
    await pool.close();
  }
}

/** Every connection of the pool logged in (each busy at once, so each opens its own) before the clock starts. */
async function warmPool(pool, n) {
  let ready = 0;
  let release;
  const all = new Promise((resolve) => (release = resolve));
  await Promise.all(
    Array.from({ length: n }, () =>
      pool.run(async () => {
        if (++ready === n) release();
        await all;
      }),
    ),
  );
}

const many = task.op === 'download-many' || task.op === 'upload-many';
if (task.warm) {
  // the download alone, on a pool whose connections are already logged in (WAN benchmark)
  const pool = lib.createPool(options, { size: task.connections, retries: 0 });
  try {
    await warmPool(pool, task.connections);
    await timed(async () => {
      const r =
        task.segments === undefined
          ? await pool.download(task.remote, discard())
          : await pool.download(task.remote, task.local, { segments: task.segments });
      return { bytes: note(r), reused };
    });
  } finally {
    await pool.close();
  }
} else if (task.segments !== undefined) {
  // one large file in ranges over a pool (WAN benchmark)
  await timed(() =>
    withPool(async (pool) => {
      const r = await pool.download(task.remote, task.local, { segments: task.segments });
      return { bytes: note(r), reused };
    }),
  );
} else if (many && task.connections > 1 && typeof lib.createPool === 'function') {
  await timed(() =>
    withPool(async (pool) => {
      let bytes = 0;
      await Promise.all(
        task.files.map(async (name) => {
          const r =
            task.op === 'download-many'
              ? await pool.download(`${task.remoteDir}/${name}`, discard())
              : await pool.upload(`${task.localDir}/${name}`, `${task.remoteDir}/${name}`);
          bytes += note(r);
        }),
      );
      return { bytes, files: task.files.length, reused, pool: true };
    }),
  );
} else
  await timed(() =>
    withClients(async (clients) => {
      const [client] = clients;
      switch (task.op) {
        case 'connect':
          return { bytes: 0 };
        case 'download':
          return { bytes: note(await client.download(task.remote, discard())), reused };
        case 'upload':
          return { bytes: note(await client.upload(task.local, task.remote)), reused };
        case 'download-many': {
          let bytes = 0;
          await lanes(task.files, clients.length, async (name, lane) => {
            const n = note(await clients[lane].download(`${task.remoteDir}/${name}`, discard()));
            bytes += n; // not `bytes += await …`: that reads `bytes` before the await
          });
          return { bytes, files: task.files.length, reused };
        }
        case 'upload-many': {
          let bytes = 0;
          await lanes(task.files, clients.length, async (name, lane) => {
            const n = note(await clients[lane].upload(`${task.localDir}/${name}`, `${task.remoteDir}/${name}`));
            bytes += n;
          });
          return { bytes, files: task.files.length, reused };
        }
        case 'list': {
          const entries = await client.list(task.remote);
          return { entries: entries.length };
        }
        default:
          throw new Error(`unknown op ${task.op}`);
      }
    }),
  );
