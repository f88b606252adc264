import { UsageError } from '../exit.js';
import type { Context } from '../context.js';
import type { CommandResult } from './tally.js';
export async function probeCommand(_ctx: Context, _args: string[]): Promise<CommandResult> {
  throw new UsageError('probe: not yet');
}
