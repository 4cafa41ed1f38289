/** The compliance report as data: the JSON format, and what the Markdown and HTML render. */

/** Allowed and denied decisions. */
export interface Tally {
  allow: number;
  deny: number;
}

/** Options of a report. */
export interface ReportOptions {
  /** Inclusive start (ISO 8601); events before it are skipped. */
  readonly from?: Date;
  /** Exclusive end. */
  readonly to?: Date;
  /** The lifetime policy (seconds), to count tokens over it. */
  readonly maxTokenLifetime?: number;
  /** Keys to check the chain with; without them integrity is "not checked". */
  readonly keys?: { readonly chainKey: string; readonly publicKey: string };
  /** Rows in each top-N table. Default 20. */
  readonly top?: number;
  /** The decryption keys' rotation states by kid (`--key-states`). */
  readonly keyStates?: ReadonlyMap<string, { readonly state: string; readonly until?: string }>;
}

/** The whole report. */
export interface ComplianceReport {
  readonly schema: 'tokenward.report/1';
  readonly generatedAt: string;
  readonly period: {
    readonly from: string | null;
    readonly to: string | null;
    readonly firstEvent: string | null;
    readonly lastEvent: string | null;
  };
  readonly sources: {
    readonly files: readonly string[];
    readonly lines: number;
    readonly events: number;
    readonly outsidePeriod: number;
    readonly unknownSchema: number;
    readonly malformed: number;
    readonly tooLong: number;
  };
  readonly decisions: {
    readonly total: Tally;
    readonly byStage: Readonly<Record<string, Tally>>;
    /** `hour` for spans up to 3 days, else `day`. */
    readonly bucket: 'hour' | 'day';
    readonly timeline: ReadonlyArray<{ readonly at: string } & Tally>;
  };
  readonly invalid: {
    readonly total: number;
    readonly byReason: ReadonlyArray<{
      readonly reason: string;
      readonly count: number;
      readonly status: number;
    }>;
    readonly byIp: ReadonlyArray<{ readonly ip: string; readonly count: number }>;
    readonly otherIps: number;
  };
  readonly access: {
    readonly byClient: ReadonlyArray<{ readonly client: string } & Tally>;
    readonly byRoute: ReadonlyArray<{ readonly route: string } & Tally>;
    readonly withoutClient: number;
  };
  readonly encryption: {
    readonly accepted: number;
    readonly encrypted: number;
    /** encrypted / accepted, 0–1; null without accepted tokens. */
    readonly coverage: number | null;
    readonly byIssuer: ReadonlyArray<{
      readonly issuer: string;
      readonly accepted: number;
      readonly encrypted: number;
    }>;
    readonly byClient: ReadonlyArray<{
      readonly client: string;
      readonly accepted: number;
      readonly encrypted: number;
    }>;
    readonly algorithms: ReadonlyArray<{
      readonly kind: 'jwe' | 'jws';
      readonly alg: string;
      readonly count: number;
      readonly weak: string | null;
    }>;
  };
  readonly keys: ReadonlyArray<{
    readonly kind: 'signing' | 'decryption';
    readonly kid: string;
    readonly count: number;
    readonly firstSeen: string;
    readonly lastSeen: string;
    /** lastSeen − firstSeen in days, within this trail. */
    readonly daysInUse: number;
    /**
     * A decryption key's configured state (with `--key-states`): `next`, `active`, `retiring
     * until …`, or `not configured` for a kid the configuration does not name; null otherwise.
     */
    readonly state: string | null;
    /** What an auditor should look at: a retiring key used after its `until`, an unconfigured kid. */
    readonly flag: string | null;
  }>;
  readonly lifetimes: {
    readonly policy: number | null;
    readonly counted: number;
    readonly overPolicy: number;
    readonly max: number | null;
    readonly buckets: ReadonlyArray<{ readonly upTo: string; readonly count: number }>;
  };
  readonly lifecycle: ReadonlyArray<{
    readonly kind: string;
    readonly reason: string;
    readonly count: number;
  }>;
  readonly pipeline: {
    readonly droppedEvents: number;
    readonly byCause: Readonly<Record<string, number>>;
    readonly reports: number;
  };
  readonly integrity:
    | { readonly checked: false }
    | {
        readonly checked: true;
        readonly ok: boolean;
        readonly events: number;
        readonly sealed: boolean;
        readonly firstProblem: string | null;
        readonly problems: number;
        readonly warnings: number;
      };
}
