import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { normalizeSql, StatementCounter } from './statement-counter.js';

describe('normalizeSql', () => {
  it('gives a statement over any number of keys or rows one shape', () => {
    expect(normalizeSql('select * from users where id in (?, ?,  ?)')).toBe('select * from users where id in (?, …)');
    expect(normalizeSql('select * from users\n  where id in (?)')).toBe('select * from users where id in (?, …)');
    expect(normalizeSql('insert into t (a, b) values (?, ?), (?, ?), (?, ?)')).toBe('insert into t (a, b) values (?, …), …');
    expect(normalizeSql('select pg_advisory_xact_lock(hashtextextended(?, 0))')).toBe(
      'select pg_advisory_xact_lock(hashtextextended(?, 0))',
    );
  });
});

describe('StatementCounter sampling', () => {
  it('keeps nothing unless asked', () => {
    const counter = new StatementCounter();
    counter.record('select 1', []);
    expect(counter.total).toBe(1);
    expect(counter.sampled).toEqual([]);
  });

  it('counts each statement shape with the first instance, not background work, and writes them out', () => {
    const counter = new StatementCounter();
    counter.sample();
    counter.record('select * from users where id in (?, ?)', ['a', 'b']);
    counter.record('select * from users where id in (?)', ['c']);
    counter.record('select * from doctors where id = ?', ['d']);
    StatementCounter.background(() => counter.record('select * from outbox', []));
    expect(counter.total).toBe(3);
    expect(counter.sampled).toEqual([
      {
        sql: 'select * from users where id in (?, …)',
        count: 2,
        sample: { sql: 'select * from users where id in (?, ?)', params: ['a', 'b'] },
      },
      {
        sql: 'select * from doctors where id = ?',
        count: 1,
        sample: { sql: 'select * from doctors where id = ?', params: ['d'] },
      },
    ]);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'statements-')), 'samples.json');
    counter.writeSamples(file);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(JSON.parse(JSON.stringify(counter.sampled)));
  });
});
