/** One message ready for a provider. */
export interface OutgoingMessage {
  /** Email address, E.164 phone number, or (PUSH) the subscription's endpoint. */
  to: string;
  /** PUSH: the subscription's keys (base64url). */
  push?: { p256dh: string; auth: string };
  subject?: string;
  html?: string;
  text: string;
  /** For logs and capture file names; never the content. */
  reference: string;
}

export interface ProviderResult {
  providerMessageId?: string | null;
  /** PUSH: the push service no longer knows the subscription (404/410); the worker deletes it. */
  gone?: boolean;
}

export interface Provider {
  send(message: OutgoingMessage): Promise<ProviderResult>;
  close?(): void;
}

/** The provider refused the message for good (bad address, 4xx, not configured): do not retry. */
export class PermanentProviderError extends Error {
  override name = 'PermanentProviderError';
}

/** Worth retrying: timeouts, connection errors, 5xx, rate limits. */
export class TransientProviderError extends Error {
  override name = 'TransientProviderError';
}

/** HTTP status → error class: 408/429/5xx retry, other 4xx are permanent. */
export function httpError(provider: string, status: number, detail: string): Error {
  const message = `${provider} answered ${status}${detail ? `: ${detail}` : ''}`;
  return status === 408 || status === 429 || status >= 500
    ? new TransientProviderError(message)
    : new PermanentProviderError(message);
}

/** fetch with a timeout; network failures become transient errors. */
export async function postForm(
  provider: string,
  url: string,
  form: Record<string, string>,
  timeoutMs: number,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...headers },
      body: new URLSearchParams(form).toString(),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new TransientProviderError(`${provider} unreachable: ${(error as Error).message}`);
  }
  const text = await res.text().catch(() => '');
  let body: Record<string, unknown>;
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = { raw: text.slice(0, 200) };
  }
  return { status: res.status, body };
}

export const maskEmail = (email: string): string => {
  const at = email.lastIndexOf('@');
  if (at < 1) return '***';
  return `${email[0]}***${email.slice(at)}`;
};

export const maskPhone = (phone: string): string =>
  phone.length <= 6 ? '***' : `${phone.slice(0, 3)}${'*'.repeat(phone.length - 5)}${phone.slice(-2)}`;
