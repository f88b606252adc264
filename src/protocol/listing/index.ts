export { parseDosLine } from './dos.js';
export { ListParser, parseList, type ListLineParser, type ListParserOptions } from './list-parser.js';
export { parseMlsdLine, parseMlstReply } from './mlsd.js';
export type { FileInfo, FileType, ListFormat } from './types.js';
export { parseUnixLine } from './unix.js';
