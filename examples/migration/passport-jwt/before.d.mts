import type { Express } from 'express';

/** Builds the passport-jwt API of ./before.mjs. */
export declare function buildApp(config: {
  issuer: string;
  audience: string;
  publicKey: string;
}): Express;
