import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { DoctorConfig } from '@hc/config';

export interface StoredObject {
  size: number;
  contentType: string;
  lastModified: Date;
}

/**
 * Object storage for doctors' documents, reached by clients through short-lived signed URLs:
 * the files never pass through GraphQL.
 */
export interface DocumentStore {
  /** A URL that accepts one PUT of exactly `size` bytes with this Content-Type until `expiresAt`. */
  uploadUrl(key: string, object: { contentType: string; size: number }, expiresAt: Date): Promise<string>;
  /** A URL that serves the object until `expiresAt`. */
  downloadUrl(key: string, expiresAt: Date): Promise<string>;
  /** The object if it has arrived, else null. */
  stat(key: string): Promise<StoredObject | null>;
}

/** Storage keys are ours: `<doctorId>/<kind>/<documentId>` (checked again by the local routes). */
export const KEY = /^[0-9a-f-]{36}\/(ID_CARD|MEDICAL_LICENSE)\/[0-9a-f-]{36}$/;

const seconds = (until: Date) => Math.max(1, Math.ceil((until.getTime() - Date.now()) / 1000));

/**
 * S3 or an S3-compatible service, with presigned URLs (size and type are signed into the PUT). The
 * AWS SDK (≈ 1 MB of JavaScript, several MB of heap once loaded) is imported on first use, so a
 * doctor subgraph on the local store never loads it.
 */
export class S3DocumentStore implements DocumentStore {
  private sdk?: Promise<{
    s3: typeof import('@aws-sdk/client-s3');
    getSignedUrl: typeof import('@aws-sdk/s3-request-presigner').getSignedUrl;
    client: S3Client;
  }>;
  constructor(
    private readonly bucket: string,
    private readonly options: {
      region: string;
      endpoint?: string;
      forcePathStyle: boolean;
      accessKeyId?: string;
      secretAccessKey?: string;
    },
  ) {}

  private load() {
    this.sdk ??= Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/s3-request-presigner')]).then(([s3, presigner]) => {
      const { region, endpoint, forcePathStyle, accessKeyId, secretAccessKey } = this.options;
      const client = new s3.S3Client({
        region,
        endpoint,
        forcePathStyle,
        credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
      });
      return { s3, getSignedUrl: presigner.getSignedUrl, client };
    });
    return this.sdk;
  }

  async uploadUrl(key: string, object: { contentType: string; size: number }, expiresAt: Date): Promise<string> {
    const { s3, getSignedUrl, client } = await this.load();
    const put = new s3.PutObjectCommand({
      Bucket: this.bucket,
      Key: key,
      ContentType: object.contentType,
      ContentLength: object.size,
    });
    // Content-Type and Content-Length are signed headers: S3 refuses a PUT with others.
    return getSignedUrl(client, put, {
      expiresIn: seconds(expiresAt),
      signableHeaders: new Set(['content-type', 'content-length']),
    });
  }

  async downloadUrl(key: string, expiresAt: Date): Promise<string> {
    const { s3, getSignedUrl, client } = await this.load();
    const get = new s3.GetObjectCommand({ Bucket: this.bucket, Key: key, ResponseContentDisposition: 'attachment' });
    return getSignedUrl(client, get, { expiresIn: seconds(expiresAt) });
  }

  async stat(key: string): Promise<StoredObject | null> {
    const { s3, client } = await this.load();
    try {
      const head = await client.send(new s3.HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return {
        size: head.ContentLength ?? 0,
        contentType: head.ContentType ?? '',
        lastModified: head.LastModified ?? new Date(),
      };
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404) return null;
      throw error;
    }
  }
}

/**
 * The embedded default: files under a directory, uploaded to and downloaded from the doctor
 * subgraph's own routes (document.routes.ts) with URLs signed by HMAC-SHA256 over method, key,
 * content type, size and expiry.
 */
export class LocalDocumentStore implements DocumentStore {
  constructor(
    readonly dir: string,
    private readonly publicUrl: string,
    private readonly secret: Buffer,
  ) {}

  sign(method: 'PUT' | 'GET', key: string, exp: number, contentType = '', size = 0): string {
    return createHmac('sha256', this.secret).update(`${method}\n${key}\n${contentType}\n${size}\n${exp}`).digest('base64url');
  }

  /** Whether `sig` is this store's signature of the request and `exp` has not passed. */
  verify(method: 'PUT' | 'GET', key: string, exp: number, sig: string, contentType = '', size = 0): boolean {
    if (!Number.isSafeInteger(exp) || exp * 1000 < Date.now()) return false;
    const expected = Buffer.from(this.sign(method, key, exp, contentType, size));
    const given = Buffer.from(sig);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  private url(key: string, query: Record<string, string>): string {
    const u = new URL(`/documents/${key}`, this.publicUrl);
    for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
    return u.toString();
  }

  async uploadUrl(key: string, object: { contentType: string; size: number }, expiresAt: Date): Promise<string> {
    const exp = Math.floor(expiresAt.getTime() / 1000);
    const sig = this.sign('PUT', key, exp, object.contentType, object.size);
    return this.url(key, { ct: object.contentType, size: String(object.size), exp: String(exp), sig });
  }

  async downloadUrl(key: string, expiresAt: Date): Promise<string> {
    const exp = Math.floor(expiresAt.getTime() / 1000);
    return this.url(key, { exp: String(exp), sig: this.sign('GET', key, exp) });
  }

  path(key: string): string {
    if (!KEY.test(key)) throw new Error('invalid document key');
    return join(this.dir, key);
  }

  async stat(key: string): Promise<StoredObject | null> {
    try {
      const [meta, file] = await Promise.all([readFile(`${this.path(key)}.json`, 'utf8'), stat(this.path(key))]);
      const { contentType } = JSON.parse(meta) as { contentType: string };
      return { size: file.size, contentType, lastModified: new Date(file.mtimeMs) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }
}

/** A secret made once and shared by every process using the directory (created atomically). */
function localSecret(dir: string): Buffer {
  const file = join(dir, '.url-secret');
  mkdirSync(dir, { recursive: true });
  if (!existsSync(file)) {
    const draft = `${file}.${process.pid}.${randomBytes(6).toString('hex')}`;
    writeFileSync(draft, randomBytes(32).toString('base64url'), { mode: 0o600 });
    try {
      linkSync(draft, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      unlinkSync(draft);
    }
  }
  return Buffer.from(readFileSync(file, 'utf8'));
}

/** The store from config; stops start-up with the variable's name when something required is missing. */
export function createDocumentStore(config: DoctorConfig): DocumentStore {
  if (config.DOCUMENT_STORE === 's3') {
    if (!config.S3_BUCKET) throw new Error('S3_BUCKET is required with DOCUMENT_STORE=s3');
    return new S3DocumentStore(config.S3_BUCKET, {
      region: config.S3_REGION,
      endpoint: config.S3_ENDPOINT,
      forcePathStyle: config.S3_FORCE_PATH_STYLE,
      accessKeyId: config.S3_ACCESS_KEY_ID,
      secretAccessKey: config.S3_SECRET_ACCESS_KEY,
    });
  }
  if (config.NODE_ENV === 'production' && !config.DOCUMENTS_URL_SECRET)
    throw new Error('DOCUMENTS_URL_SECRET is required with DOCUMENT_STORE=local in production');
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST;
  return new LocalDocumentStore(
    config.DOCUMENTS_DIR,
    config.DOCUMENTS_PUBLIC_URL ?? `http://${host}:${config.DOCTOR_PORT}`,
    config.DOCUMENTS_URL_SECRET ? Buffer.from(config.DOCUMENTS_URL_SECRET) : localSecret(config.DOCUMENTS_DIR),
  );
}
