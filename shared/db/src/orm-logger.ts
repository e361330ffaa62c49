import { DefaultLogger, type LoggerNamespace, type LoggerOptions, type LogContext } from '@mikro-orm/core';
import type { Logger } from '@hc/logger';

/** Routes MikroORM's own messages (migrator, discovery, warnings) into the service's JSON log. Query logging stays off: SQL parameters can hold personal data. */
export class PinoOrmLogger extends DefaultLogger {
  constructor(
    options: LoggerOptions,
    private readonly pinoLogger?: Logger,
  ) {
    super(options);
  }

  override log(namespace: LoggerNamespace | string, message: string, context?: LogContext): void {
    if (!this.pinoLogger) return;
    // eslint-disable-next-line no-control-regex -- strips ANSI colour codes
    const clean = message.replace(/\u001b\[[0-9;]*m/g, '');
    if (namespace === 'query') return;
    if (context?.level === 'error') this.pinoLogger.error({ orm: namespace }, clean);
    else if (context?.level === 'warning') this.pinoLogger.warn({ orm: namespace }, clean);
    else this.pinoLogger.info({ orm: namespace }, clean);
  }

  override isEnabled(namespace: LoggerNamespace, context?: LogContext): boolean {
    return namespace !== 'query' && super.isEnabled(namespace, context);
  }
}
