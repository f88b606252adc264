// What the library publishes on its diagnostics channels while a piece of a test runs.
import diagnostics_channel from 'node:diagnostics_channel';
import { CHANNELS, type TransferEndMessage } from '../../src/index.js';

/** The transfer:end messages published while `fn` runs. */
export async function transfersDuring(fn: () => Promise<void>): Promise<TransferEndMessage[]> {
  const seen: TransferEndMessage[] = [];
  const sub = (m: unknown): void => void seen.push(m as TransferEndMessage);
  diagnostics_channel.subscribe(CHANNELS.transferEnd, sub);
  try {
    await fn();
  } finally {
    diagnostics_channel.unsubscribe(CHANNELS.transferEnd, sub);
  }
  return seen;
}
