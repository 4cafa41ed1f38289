/**
 * The app's OpenTelemetry metrics: a MeterProvider whose reader is the Prometheus exporter,
 * rendered on demand at `GET /metrics` (no second port). The verifier records on it.
 */
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';

/** The provider and the exporter that reads it. */
export interface Telemetry {
  readonly meterProvider: MeterProvider;
  readonly exporter: PrometheusExporter;
}

/**
 * Creates the app's metrics pipeline.
 *
 * @example `const { meterProvider } = createTelemetry()`
 */
export function createTelemetry(): Telemetry {
  // preventServerStart: the exporter would otherwise open its own port (9464) on every interface.
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const meterProvider = new MeterProvider({ readers: [exporter] });
  return { meterProvider, exporter };
}
