import { Counter } from 'prom-client';
import type { ServiceMetrics } from '@hc/graphql/shell';

const counters = new WeakMap<ServiceMetrics, Counter<'transport' | 'reason'>>();

/**
 * `gateway_refused_operations_total{transport, reason}`: requests and subscriptions the gateway
 * refused before any subgraph saw them (rate limits, subscription caps, WebSocket limits). One
 * counter per metrics registry, however many parts of the gateway report into it.
 */
export function refusals(metrics: ServiceMetrics): Counter<'transport' | 'reason'> {
  let counter = counters.get(metrics);
  if (!counter) {
    counter = new Counter({
      name: 'gateway_refused_operations_total',
      help: 'Operations refused by the gateway before execution, by transport (http | ws) and reason',
      labelNames: ['transport', 'reason'],
      registers: [metrics.registry],
    });
    counters.set(metrics, counter);
  }
  return counter;
}
