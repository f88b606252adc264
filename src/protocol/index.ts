export { encodeCommand, formatCommand, formatRawCommand, redactCommand } from './command.js';
export { parseFeatReply } from './feat.js';
export { LineSplitter, type LineSplitterOptions, type TextEncoding } from './lines.js';
export * from './listing/index.js';
export { parseEpsvReply, parsePasvReply } from './passive.js';
export { joinRemotePath, parsePwdReply } from './paths.js';
export {
  type FtpReply,
  isIntermediate,
  isPermanentNegative,
  isPositive,
  isPreliminary,
  isTransientNegative,
  ReplyParser,
  type ReplyParserOptions,
} from './reply.js';
export { formatMfmtTime, parseMdtmTime, type ParsedTime } from './time.js';
