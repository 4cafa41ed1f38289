import type { Express } from 'express';

/** Builds the express-oauth2-jwt-bearer API of ./before.mjs. */
export declare function buildApp(config: { issuerBaseURL: string; audience: string }): Express;
