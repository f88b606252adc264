/**
 * The main entry point: {@link FtpsClient} and {@link connect} for one connection, {@link createPool}
 * for many, {@link probe} for diagnostics, and the error classes (match on `code`, docs/errors.md).
 *
 * @module ftps-client
 */
// Public exports only.
export { FtpsClient, type OperationOptions, type TransferResult } from './client.js';
export {
  ClientClosedError,
  ConnectionError,
  ConnectTimeoutError,
  DataTimeoutError,
  TruncatedTransferError,
  FtpReplyError,
  FtpsError,
  InvalidArgumentError,
  ListingTooLargeError,
  OperationTimeoutError,
  ProtocolError,
  ProxyError,
  ReplyTimeoutError,
  TlsError,
  TlsPinError,
  TreeTooDeepError,
  UnsafePathError,
  VerifyError,
  type FtpsErrorOptions,
} from './errors.js';
export {
  createPool,
  FtpsPool,
  isTooManyConnections,
  isTransientError,
  type PoolCloseOptions,
  type PoolOptions,
  type PoolRunOptions,
  type PoolStats,
} from './pool.js';
export type { RetryPolicyOptions } from './retry-policy.js';
export type {
  MirrorOptions,
  TreeAction,
  TreeEntry,
  TreeItem,
  TreeOptions,
  TreeProgress,
  TreeResult,
  TreeStatus,
} from './transfer/tree.js';
export type { FtpsClientOptions, FtpsTlsOptions, SecureMode, TimeoutOptions } from './options.js';
export type { FileInfo, FileType, ListLineParser } from './protocol/listing/index.js';
export type { FtpReply } from './protocol/reply.js';
export type { DownloadDestination, UploadSource } from './transfer/endpoints.js';
export type {
  DownloadOptions,
  FileTransferOptions,
  ReadStreamOptions,
  UploadOptions,
  WriteStreamOptions,
} from './transfer/file-transfer.js';
export type { ProgressEvent, ProgressListener } from './transfer/progress.js';
export { RateLimiter } from './transfer/rate-limit.js';
export type { VerifyOptions, VerifyReport } from './transfer/verify.js';
export type { HashAlgorithm, HashCommandFamily } from './protocol/hash.js';
export type { TlsInfo } from './transport/tls-info.js';
export { spkiPin } from './transport/pin.js';
export type { ConnectRequest, SocketConnect } from './transport/connect.js';
export { probe } from './probe/index.js';
export type {
  CertificateInfo,
  FeatReport,
  LoginReport,
  PortReport,
  ProbeOptions,
  ProbeReport,
  StepResult,
  TlsReport,
  TlsVersionName,
  VerificationResult,
} from './probe/index.js';

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
export {
  CHANNELS,
  type CloseMessage,
  type CommandMessage,
  type ConnectMessage,
  type ConnectionRef,
  type PoolResizeMessage,
  type ReplyMessage,
  type RetryMessage,
  type TransferEndMessage,
  type TransferStartMessage,
} from './diagnostics.js';
