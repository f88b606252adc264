// basic-ftp worker (the Node incumbent), configured as its README recommends for FTPS.
import { Client } from 'basic-ftp';
import { discard, readTask, timed } from './common.mjs';

const task = readTask();

await timed(async () => {
  const client = new Client(30_000);
  try {
    await client.access({
      host: task.host,
      port: task.port,
      user: task.user,
      password: task.password,
      secure: task.mode === 'implicit' ? 'implicit' : true,
      secureOptions: { ca: task.ca },
    });
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
        for (const name of task.files) await client.uploadFrom(`${task.localDir}/${name}`, `${task.remoteDir}/${name}`);
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
