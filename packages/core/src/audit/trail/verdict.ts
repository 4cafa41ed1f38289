/** The options and the verdict of `verifyAuditTrail`. */
import type { ChainKeyInput, Ed25519KeyInput } from '../file-sink/key-input';

/** What can be wrong with a trail. */
export type AuditTrailProblemKind =
  /** A line's MAC does not match its content: the line was changed. */
  | 'edited'
  /** Lines are missing before this one (its sequence number jumps ahead). */
  | 'deleted'
  /** A line repeats or precedes earlier sequence numbers: inserted or copied. */
  | 'inserted'
  /** Two lines are swapped. */
  | 'reordered'
  /** A file ends without its seal, or before the lines its seal counts. */
  | 'truncated'
  /** A file of the sequence is missing (before, between or after the files given). */
  | 'missing_file'
  /** A checkpoint or seal signature does not verify with the public key. */
  | 'bad_signature'
  /** Not a line of a trail: not JSON, no MAC, too long. */
  | 'malformed'
  /** An event of another schema version. */
  | 'wrong_schema'
  /** The last file is not sealed (a live trail, or a removed tail). */
  | 'unsealed';

/** One problem found. */
export interface AuditTrailProblem {
  readonly file: string;
  /** 1-based line; 0 for the file as a whole. */
  readonly line: number;
  readonly kind: AuditTrailProblemKind;
  readonly message: string;
}

/** Options of {@link verifyAuditTrail}. */
export interface AuditTrailVerifyOptions {
  /** The sink's chain key. */
  chainKey: ChainKeyInput;
  /** The public half of the sink's Ed25519 signing key (KeyObject, PEM or JWK). */
  publicKey: Ed25519KeyInput;
  /**
   * Accept a trail whose first file is not index 0 (older files removed by retention). Default
   * false: a missing first file is a problem.
   */
  allowMissingStart?: boolean;
  /**
   * Accept an unsealed last file (a trail still being written): its lines are checked up to its
   * end, but a removed tail after its last checkpoint cannot be told from a live end. Default false.
   */
  allowUnsealed?: boolean;
  /** Most problems listed. Default 100. */
  maxProblems?: number;
}

/** The verdict. */
export interface AuditTrailVerdict {
  /** No problem found. */
  readonly ok: boolean;
  readonly files: number;
  /** Event lines read. */
  readonly events: number;
  readonly checkpoints: number;
  /** Whether the last file ends with a seal written on close. */
  readonly sealed: boolean;
  /** The highest sequence number covered by a valid checkpoint or seal, or -1. */
  readonly signedThrough: number;
  /** In order; the first is the first bad line. */
  readonly problems: readonly AuditTrailProblem[];
  /**
   * What is not tampering but an auditor should know: a file left unsealed by a writer that
   * stopped without closing (a crash), which the next file continues.
   */
  readonly warnings: readonly AuditTrailProblem[];
}
