import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Express, Request, Response } from 'express';
import { DOCUMENT_CONTENT_TYPES } from './document.entity.js';
import { KEY, type LocalDocumentStore } from './document.store.js';

/** The first bytes of each accepted format: a file must be what its Content-Type says. */
const MAGIC: Record<string, Buffer> = {
  'application/pdf': Buffer.from('%PDF-'),
  'image/jpeg': Buffer.from([0xff, 0xd8, 0xff]),
  'image/png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
};

const refuse = (res: Response, status: number, message: string) => {
  if (!res.headersSent) res.status(status).type('text/plain').send(message);
};

/**
 * The local store's signed URLs: `PUT /documents/<key>?ct&size&exp&sig` stores exactly `size`
 * bytes of the signed Content-Type (and checks the file starts like that format);
 * `GET /documents/<key>?exp&sig` serves it as an attachment. Anything unsigned, expired or altered: 403.
 */
export function documentRoutes(store: LocalDocumentStore, maxBytes: number) {
  return (app: Express) => {
    const keyOf = (req: Request) => {
      const key = req.path.slice('/documents/'.length);
      return KEY.test(key) ? key : null;
    };

    app.put(/^\/documents\/.+$/, (req, res) => {
      const key = keyOf(req);
      const ct = String(req.query.ct ?? '');
      const size = Number(req.query.size);
      const exp = Number(req.query.exp);
      if (!key || !store.verify('PUT', key, exp, String(req.query.sig ?? ''), ct, size))
        return refuse(res, 403, 'invalid or expired upload URL');
      if (
        !(DOCUMENT_CONTENT_TYPES as readonly string[]).includes(ct) ||
        !Number.isSafeInteger(size) ||
        size < 1 ||
        size > maxBytes
      )
        return refuse(res, 403, 'invalid upload URL');
      if ((req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase() !== ct)
        return refuse(res, 415, `Content-Type must be ${ct}`);
      if (req.headers['content-length'] !== undefined && Number(req.headers['content-length']) !== size)
        return refuse(res, 413, `the body must be exactly ${size} bytes`);

      const path = store.path(key);
      const part = `${path}.${process.pid}.${Date.now()}.part`;
      req.pause();
      void (async () => {
        await mkdir(dirname(path), { recursive: true });
        const out = createWriteStream(part, { mode: 0o600 });
        let received = 0;
        let head = Buffer.alloc(0);
        const done = new Promise<void>((resolve, reject) => {
          out.on('finish', resolve);
          out.on('error', reject);
          req.on('error', reject);
          req.on('data', (chunk: Buffer) => {
            received += chunk.length;
            if (head.length < 8) head = Buffer.concat([head, chunk.subarray(0, 8 - head.length)]);
            if (received > size) reject(Object.assign(new Error('too large'), { status: 413 }));
          });
        });
        req.pipe(out);
        try {
          await done;
        } catch (error) {
          req.unpipe(out);
          out.destroy();
          req.resume();
          await rm(part, { force: true });
          const status = (error as { status?: number }).status;
          return status === 413
            ? refuse(res, 413, `the body must be exactly ${size} bytes`)
            : refuse(res, 400, 'upload interrupted');
        }
        const magic = MAGIC[ct]!;
        if (received !== size || !head.subarray(0, magic.length).equals(magic)) {
          await rm(part, { force: true });
          return received !== size
            ? refuse(res, 400, `the body must be exactly ${size} bytes`)
            : refuse(res, 415, `the file is not ${ct}`);
        }
        await writeFile(`${path}.json`, JSON.stringify({ contentType: ct }), { mode: 0o600 });
        await rename(part, path);
        res.status(201).end();
      })().catch(async () => {
        await rm(part, { force: true });
        refuse(res, 500, 'could not store the file');
      });
    });

    app.get(/^\/documents\/.+$/, (req, res) => {
      const key = keyOf(req);
      const exp = Number(req.query.exp);
      if (!key || !store.verify('GET', key, exp, String(req.query.sig ?? '')))
        return refuse(res, 403, 'invalid or expired download URL');
      void store.stat(key).then(
        (object) => {
          if (!object) return refuse(res, 404, 'no such document');
          res.status(200).set({
            'content-type': object.contentType,
            'content-length': String(object.size),
            'content-disposition': 'attachment',
            'x-content-type-options': 'nosniff',
            'cache-control': 'private, no-store',
          });
          createReadStream(store.path(key))
            .on('error', () => res.destroy())
            .pipe(res);
        },
        () => refuse(res, 500, 'could not read the document'),
      );
    });
  };
}
