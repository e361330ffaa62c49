// Test doubles for the third parties outside this machine: a real SMTP server (smtp-server)
// and HTTP servers that speak UltraMsg's and Twilio's request formats.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';

export interface ReceivedMail {
  to: string;
  from: string;
  subject: string;
  text: string;
  html: string;
}

/** What the fake answers to the n-th (1-based) message: undefined = accept. */
export type SmtpBehaviour = (n: number, to: string) => { code: number; message: string } | undefined;

export interface FakeSmtp {
  url: string;
  received: ReceivedMail[];
  behaviour: SmtpBehaviour;
  /** Awaited after a message is read and before the 250 reply (lets a test act in that window). */
  beforeReply?: (mail: ReceivedMail) => Promise<void> | void;
  /** Awaited before a recipient is accepted (before any data: the message is not accepted yet). */
  beforeRcpt?: (address: string) => Promise<void> | void;
  stop: () => Promise<void>;
}

export async function startFakeSmtp(): Promise<FakeSmtp> {
  let count = 0;
  const fake: FakeSmtp = {
    url: '',
    received: [],
    behaviour: () => undefined,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      // A hook may throw (err.responseCode = SMTP reply code) or resolve later.
      void (async () => fake.beforeRcpt?.(address.address))().then(
        () => callback(),
        (error: Error) => callback(error),
      );
    },
    onData(stream, session, callback) {
      void (async () => {
        const parsed = await simpleParser(stream);
        const n = ++count;
        const failure = fake.behaviour(n, session.envelope.rcptTo.map((r) => r.address).join(','));
        if (failure) {
          const err = Object.assign(new Error(failure.message), { responseCode: failure.code });
          return callback(err);
        }
        const mail: ReceivedMail = {
          to: session.envelope.rcptTo.map((r) => r.address).join(','),
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          subject: parsed.subject ?? '',
          text: parsed.text ?? '',
          html: typeof parsed.html === 'string' ? parsed.html : '',
        };
        fake.received.push(mail);
        await fake.beforeReply?.(mail);
        callback();
      })().catch((error: Error) => callback(error));
    },
  });
  // A client killed mid-session resets its socket; that is the point of some tests, not an error.
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = (server as unknown as { server: Server }).server.address() as AddressInfo;
  fake.url = `smtp://127.0.0.1:${port}`;
  return fake;
}

export interface HttpCall {
  path: string;
  headers: IncomingMessage['headers'];
  form: Record<string, string>;
}

export type HttpBehaviour = (n: number, call: HttpCall) => { status: number; body: unknown } | undefined;

export interface FakeHttpProvider {
  url: string;
  calls: HttpCall[];
  behaviour: HttpBehaviour;
  stop: () => Promise<void>;
}

async function startFakeHttp(
  answer: (call: HttpCall, n: number) => { status: number; body: unknown },
): Promise<FakeHttpProvider> {
  let count = 0;
  const fake: FakeHttpProvider = {
    url: '',
    calls: [],
    behaviour: () => undefined,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const call: HttpCall = {
        path: req.url ?? '',
        headers: req.headers,
        form: Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString())),
      };
      const n = ++count;
      const out = fake.behaviour(n, call) ?? answer(call, n);
      if (out.status < 300) fake.calls.push(call);
      res.writeHead(out.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(out.body));
    });
  });
  server.keepAliveTimeout = 100;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

/** UltraMsg: POST /{instanceId}/messages/chat, form token/to/body → {sent, message, id}. */
export function startFakeUltraMsg(instanceId: string, token: string) {
  return startFakeHttp((call, n) => {
    if (call.path !== `/${instanceId}/messages/chat`) return { status: 404, body: { error: 'instance not found' } };
    if (call.form.token !== token)
      return { status: 200, body: { error: 'Wrong token. Please provide token as a GET parameter.' } };
    return { status: 200, body: { sent: 'true', message: 'ok', id: n } };
  });
}

/** Twilio: POST /2010-04-01/Accounts/{sid}/Messages.json, basic auth, form To/From/Body → 201 {sid, status}. */
export function startFakeTwilio(accountSid: string, authToken: string) {
  return startFakeHttp((call, n) => {
    if (call.path !== `/2010-04-01/Accounts/${accountSid}/Messages.json`) return { status: 404, body: { code: 20404 } };
    const expected = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
    if (call.headers.authorization !== expected)
      return { status: 401, body: { code: 20003, message: 'Authenticate', status: 401 } };
    if (!call.form.To || !call.form.From || !call.form.Body)
      return { status: 400, body: { code: 21604, message: 'A required parameter is missing', status: 400 } };
    return { status: 201, body: { sid: `SM${String(n).padStart(32, '0')}`, status: 'queued', to: call.form.To } };
  });
}
