import { describe, expect, it } from '@jest/globals';
import { RemoteGraphQLDataSource } from '@apollo/gateway';
import { BufferedResponse } from './subgraph-fetcher.js';

const answer = (
  status: number,
  body: string,
  headers: [string, string][] = [['content-type', 'application/json; charset=utf-8']],
) =>
  new BufferedResponse('http://127.0.0.1:1/graphql', {
    status,
    statusText: status === 200 ? 'OK' : 'Bad Gateway',
    headers,
    body,
  });

describe('BufferedResponse (a shared subgraph answer as each waiter reads it)', () => {
  it('reads like a fetch Response: status, case-insensitive headers, JSON and text', async () => {
    const res = answer(200, '{"data":{"me":{"id":"1"}}}', [
      ['content-type', 'application/json'],
      ['Cache-Control', 'private'],
    ]);
    expect(res.ok).toBe(true);
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toBe('application/json');
    expect(res.headers.get('cache-control')).toBe('private');
    expect(res.headers.get('x-missing')).toBeNull();
    expect(await res.json()).toEqual({ data: { me: { id: '1' } } });
    expect(await res.clone().text()).toBe('{"data":{"me":{"id":"1"}}}');
    expect(new TextDecoder().decode(await res.arrayBuffer())).toBe('{"data":{"me":{"id":"1"}}}');
    expect(answer(502, 'x').ok).toBe(false);
  });

  it("goes through Apollo's data source as a fetch Response does: body parsed by content type, errors from the status", async () => {
    const source = new RemoteGraphQLDataSource({ url: 'http://127.0.0.1:1/graphql' });
    const ok = answer(200, '{"data":{"x":1}}');
    expect(await source.parseBody(ok as never)).toEqual({ data: { x: 1 } });
    expect(await source.parseBody(answer(200, 'plain', [['content-type', 'text/plain']]) as never)).toBe('plain');
    const error = await source.errorFromResponse(answer(502, '{"errors":[]}') as never);
    expect(error.message).toBe('502: Bad Gateway');
    expect(error.extensions.response).toMatchObject({ status: 502, body: { errors: [] } });
  });
});
