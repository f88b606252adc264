// basic-ftp worker (the Node incumbent), configured as its README recommends for FTPS.
import { Client } from 'basic-ftp';
import { discard, lanes, readTask, timed } from './common.mjs';

const task = readTask();

async function open() {
  const client = new Client(30_000);
  await client.access({
    host: task.host,
    port: task.port,
    user: task.user,
    password: task.password,
    secure: task.mode === 'implicit' ? 'implicit' : true,
    secureOptions: task.servername === undefined ? { ca: task.ca } : { ca: task.ca, servername: task.servername },
  });
  return client;
}

if (task.op === 'download-many' && (task.connections ?? 1) > 1) {
  // N clients taking files from one shared list (basic-ftp has no pool)
  await timed(async () => {
    const clients = await Promise.all(Array.from({ length: task.connections }, open));
    try {
      let bytes = 0;
      await lanes(task.files, clients.length, async (name, lane) => {
        const sink = discard();
        await clients[lane].downloadTo(sink, `${task.remoteDir}/${name}`);
        bytes += sink.bytes;
      });
      return { bytes, files: task.files.length };
    } finally {
      for (const c of clients) c.close();
    }
  });
} else
  await timed(async () => {
    const client = await open();
    try {
      switch (task.op) {
        case 'connect':
          return { bytes: 0 };
        case 'download': {
          const sink = discard();
          await client.downloadTo(sink, task.remote);
          return { bytes: sink.bytes };
        }
        case 'upload':
          await client.uploadFrom(task.local, task.remote);
          return { bytes: task.size };
        case 'download-many': {
          let bytes = 0;
          for (const name of task.files) {
            const sink = discard();
            await client.downloadTo(sink, `${task.remoteDir}/${name}`);
            bytes += sink.bytes;
          }
          return { bytes, files: task.files.length };
        }
        case 'upload-many': {
          for (const name of task.files)
            await client.uploadFrom(`${task.localDir}/${name}`, `${task.remoteDir}/${name}`);
          return { bytes: task.files.length * task.fileSize, files: task.files.length };
        }
        case 'list': {
          const entries = await client.list(task.remote);
          return { entries: entries.length };
        }
        default:
          throw new Error(`unknown op ${task.op}`);
      }
    } finally {
      client.close();
    }
  });
