import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@hc/logger';
import type { OutgoingMessage, Provider } from './provider.js';

/** Development stand-in for an unconfigured WhatsApp/SMS provider: writes the text to a file. */
export class CaptureProvider implements Provider {
  constructor(
    private readonly channel: string,
    private readonly dir: string,
    private readonly logger: Logger,
  ) {}

  async send(message: OutgoingMessage) {
    await mkdir(this.dir, { recursive: true });
    const file = join(this.dir, `${Date.now()}-${message.reference}.${this.channel.toLowerCase()}.txt`);
    await writeFile(file, `To: ${message.to}\n\n${message.text}\n`);
    this.logger.info({ file, channel: this.channel }, 'message captured (provider not configured)');
    return { providerMessageId: null };
  }
}
