/** The audit sinks and trail tools @tokenward/core exports (file sink, pino sink, trail checks). */
export {};
