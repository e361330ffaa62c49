// npm run docs:env — rewrites the environment table in README.md from the config schemas.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { envTable } from '@hc/config';

const file = new URL('../README.md', import.meta.url).pathname;
const readme = readFileSync(file, 'utf8');
const next = readme.replace(/<!-- env:start -->[\s\S]*<!-- env:end -->/, `<!-- env:start -->\n${envTable()}\n<!-- env:end -->`);
writeFileSync(file, next);
execFileSync('npx', ['prettier', '--write', file], { stdio: 'ignore' });
console.log('README.md environment table updated');
