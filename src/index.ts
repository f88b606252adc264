// Public exports only.
export { FtpsClient, type OperationOptions, type TransferResult } from './client.js';
export {
  ClientClosedError,
  ConnectionError,
  ConnectTimeoutError,
  DataTimeoutError,
  FtpReplyError,
  FtpsError,
  InvalidArgumentError,
  ProtocolError,
  ReplyTimeoutError,
  TlsError,
} from './errors.js';
export type { FtpsClientOptions, FtpsTlsOptions, SecureMode, TimeoutOptions } from './options.js';
export type { FileInfo, FileType } from './protocol/listing/index.js';
export type { FtpReply } from './protocol/reply.js';
export type { DownloadDestination, UploadSource } from './transfer/endpoints.js';
export type { TlsInfo } from './transport/tls-info.js';

import { FtpsClient, type OperationOptions } from './client.js';
import type { FtpsClientOptions } from './options.js';

/** Shorthand for `FtpsClient.connect(...)`. */
export function connect(
  target: FtpsClientOptions | string | URL,
  overrides?: Partial<FtpsClientOptions>,
  options?: OperationOptions,
): Promise<FtpsClient> {
  return FtpsClient.connect(target, overrides, options);
}
