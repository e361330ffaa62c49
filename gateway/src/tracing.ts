import type { Logger } from '@hc/logger';

/**
 * OpenTelemetry tracing, off unless OTEL_TRACING=true. Apollo Gateway already emits spans
 * (request, plan, fetch per subgraph) through @opentelemetry/api; registering a provider here
 * exports them over OTLP/HTTP. Loaded lazily so a gateway without tracing never imports the SDK.
 */
export async function startTracing(
  config: { OTEL_TRACING: boolean; OTEL_EXPORTER_OTLP_ENDPOINT: string },
  logger: Logger,
  serviceName = 'gateway',
): Promise<() => Promise<void>> {
  if (!config.OTEL_TRACING) return async () => undefined;
  const { NodeTracerProvider, BatchSpanProcessor } = await import('@opentelemetry/sdk-trace-node');
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
  const exporter = new OTLPTraceExporter({ url: new URL('/v1/traces', config.OTEL_EXPORTER_OTLP_ENDPOINT).toString() });
  const provider = new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] });
  provider.register();
  logger.info({ endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName }, 'OpenTelemetry tracing on');
  return () => provider.shutdown();
}
