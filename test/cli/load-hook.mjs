// Module loader hook for the "no CLI code on import" test: appends every loaded URL to $FTPS_LOAD_LOG.
import { appendFileSync } from 'node:fs';
export async function load(url, context, nextLoad) {
  appendFileSync(process.env.FTPS_LOAD_LOG, `${url}\n`);
  return nextLoad(url, context);
}
