import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { GraphQLError } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import type { KeyValueCache } from './redis-cache.js';
import type { GatewayContext } from './context.js';

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * Reads a safelist: an Apollo persisted-query manifest
 * (`{ "format": "apollo-persisted-query-manifest", "operations": [{ "id", "name", "type", "body" }] }`)
 * or a plain `{ "<sha256>": "<query>" }` map. Ids are checked against the body's SHA-256, so
 * a manifest cannot smuggle a query under another operation's hash.
 */
export function loadSafelist(path: string): Map<string, string> {
  const raw = JSON.parse(readFileSync(path, 'utf8')) as { operations: { id: string; body: string }[] } | Record<string, string>;
  const entries: [string, string][] = Array.isArray((raw as { operations?: unknown }).operations)
    ? (raw as { operations: { id: string; body: string }[] }).operations.map((o) => [o.id, o.body])
    : Object.entries(raw as Record<string, string>);
  const list = new Map<string, string>();
  for (const [id, body] of entries) {
    if (sha256(body) !== id) throw new Error(`safelist ${path}: id ${id} is not the SHA-256 of its body`);
    list.set(id, body);
  }
  return list;
}

/** APQ store in safelist mode: answers registered operations by hash, registers nothing new. */
export class SafelistCache implements KeyValueCache {
  constructor(private readonly list: Map<string, string>) {}
  async get(key: string) {
    return this.list.get(key.replace(/^apq:/, ''));
  }
  async set() {}
  async delete() {
    return false;
  }
}

/** Refuses, before execution, every operation whose text is not on the safelist. */
export function safelistPlugin(list: Map<string, string>): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ source, contextValue }) {
          // The selection a subscriber sent was checked against the limits when it subscribed;
          // the gateway's follow-up query for an event is derived from it, never sent by a client.
          if (contextValue.internal) return;
          if (!list.has(sha256(source))) {
            throw new GraphQLError('This operation is not registered', {
              extensions: { code: 'PERSISTED_QUERY_NOT_FOUND', reason: 'NOT_SAFELISTED', http: { status: 400 } },
            });
          }
        },
      };
    },
  };
}

/**
 * Refuses to register an automatic persisted query larger than `maxBytes` (UTF-8 bytes of the
 * text as sent, comments and whitespace included: the lexer's token limit does not count
 * comments, so a token-light 1 MB document would otherwise be stored for APQ_TTL_SECONDS).
 * Registration happens after this hook, so nothing is written.
 */
export function apqSizePlugin(maxBytes: number): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ source, metrics }) {
          if (metrics.persistedQueryRegister && Buffer.byteLength(source, 'utf8') > maxBytes) {
            throw new GraphQLError(`A persisted query may be at most ${maxBytes} bytes`, {
              extensions: { code: 'GRAPHQL_VALIDATION_FAILED', reason: 'PERSISTED_QUERY_TOO_LARGE', http: { status: 400 } },
            });
          }
        },
      };
    },
  };
}
