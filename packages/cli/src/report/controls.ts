/** The report's sections and the controls each one evidences. */

/** A section of the compliance report. */
export type ReportSection =
  | 'summary'
  | 'decisions'
  | 'invalid'
  | 'access'
  | 'encryption'
  | 'keys'
  | 'lifetimes'
  | 'lifecycle'
  | 'pipeline'
  | 'integrity';

/**
 * Each section's title and the controls it is evidence for: PCI DSS v4.0 requirement numbers,
 * SOC 2 (2017 Trust Services Criteria) and the HIPAA Security Rule (45 CFR §164.312).
 */
export const CONTROLS: Readonly<
  Record<ReportSection, { readonly title: string; readonly controls: readonly string[] }>
> = {
  summary: { title: 'Period and sources', controls: ['PCI DSS v4 10.2', 'SOC 2 CC7.2'] },
  decisions: {
    title: 'Decisions over time',
    controls: ['PCI DSS v4 10.2.1', 'SOC 2 CC7.2', 'HIPAA §164.312(b)'],
  },
  invalid: {
    title: 'Invalid access attempts',
    controls: ['PCI DSS v4 10.2.1.4', 'SOC 2 CC6.1', 'SOC 2 CC7.2', 'HIPAA §164.312(b)'],
  },
  access: {
    title: 'Access by client and route',
    controls: ['PCI DSS v4 10.2.1.1', 'SOC 2 CC6.1', 'HIPAA §164.312(b)'],
  },
  encryption: {
    title: 'Encryption coverage and algorithms',
    controls: ['PCI DSS v4 4.2.1', 'SOC 2 CC6.1', 'SOC 2 CC6.7', 'HIPAA §164.312(e)(2)(ii)'],
  },
  keys: { title: 'Keys in use', controls: ['PCI DSS v4 3.6', 'PCI DSS v4 3.7', 'SOC 2 CC6.1'] },
  lifetimes: { title: 'Token lifetimes', controls: ['SOC 2 CC6.1', 'PCI DSS v4 8.2.8'] },
  lifecycle: {
    title: 'Revocations, replays, rate limits and anomalies',
    controls: ['PCI DSS v4 10.2.1', 'SOC 2 CC6.6', 'SOC 2 CC7.2'],
  },
  pipeline: { title: 'Audit pipeline health', controls: ['PCI DSS v4 10.7.2', 'SOC 2 CC7.2'] },
  integrity: {
    title: 'Chain integrity',
    controls: ['PCI DSS v4 10.3.2', 'PCI DSS v4 10.3.4', 'HIPAA §164.312(c)(1)'],
  },
};

/**
 * Algorithms the report flags, with why. JWE `RSA1_5` and JWS `none` are refused by tokenward
 * itself and appear only if something else wrote the trail.
 */
export const WEAK_ALGORITHMS: Readonly<Record<string, string>> = {
  none: 'unsigned',
  RSA1_5: 'RSA PKCS#1 v1.5 key transport: padding-oracle attacks (RFC 8725 §3.2)',
  'RSA-OAEP': 'RSA-OAEP with SHA-1: legacy; prefer RSA-OAEP-256',
  HS256: 'shared-secret signature: every holder of the secret can mint tokens',
  HS384: 'shared-secret signature: every holder of the secret can mint tokens',
  HS512: 'shared-secret signature: every holder of the secret can mint tokens',
  dir: 'a content key shared with the issuer, no key wrapping',
};
