/** The audit sinks and trail tools @tokenward/core exports (file sink, pino sink, trail checks). */
export { createFileAuditSink } from './file-sink/file-sink';
export type { FileAuditSink, FileAuditSinkOptions } from './file-sink/file-sink';
export type { ChainKeyInput, Ed25519KeyInput } from './file-sink/key-input';
export { MIN_CHAIN_KEY_BYTES } from './file-sink/key-input';
export { verifyAuditTrail } from './trail/verify-trail';
export type {
  AuditTrailProblem,
  AuditTrailProblemKind,
  AuditTrailVerdict,
  AuditTrailVerifyOptions,
} from './trail/verdict';
export { readAuditLines, MAX_AUDIT_LINE_CHARS } from './trail/line-reader';
export type { AuditLine } from './trail/line-reader';
export { pinoAuditSink } from './pino-sink';
export type { PinoLike } from './pino-sink';
