// docs/api.md from the composed supergraph (gateway/supergraph.graphql), the subgraphs'
// type-graphql `@Authorized` metadata and the two maintained tables beside this file.
// `npm run docs:api` writes it; tools/test/api-docs.test.ts fails when it is stale.
import { readFileSync } from 'node:fs';
import {
  buildASTSchema,
  parse,
  print,
  astFromValue,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLObjectType,
} from 'graphql';
import { format, resolveConfig } from 'prettier';
import { getMetadataStorage } from 'type-graphql';
import { ERROR_CODES } from '@hc/graphql';
// Importing the subgraphs registers their resolvers (and `@Authorized` roles) in type-graphql's metadata.
import '@hc/auth-subgraph/server';
import '@hc/doctor-subgraph/server';
import '@hc/notification-subgraph/server';
import '@hc/pharmacy-subgraph/server';
import { UNAUTHORIZED_FIELDS } from './access.ts';
import { FIELD_ERRORS } from './errors.ts';

export const supergraphFile = new URL('../../gateway/supergraph.graphql', import.meta.url).pathname;
export const apiDocFile = new URL('../../docs/api.md', import.meta.url).pathname;

/** Codes a client can see: the shared error model plus SERVICE_UNAVAILABLE (a dependency down). */
export const KNOWN_CODES: string[] = [...new Set<string>([...ERROR_CODES, 'SERVICE_UNAVAILABLE'])];

export type RootKind = 'Query' | 'Mutation' | 'Subscription';

export function rootFields(): { kind: RootKind; field: GraphQLField<unknown, unknown> }[] {
  const schema = buildASTSchema(parse(readFileSync(supergraphFile, 'utf8')), { assumeValidSDL: true });
  const roots: [RootKind, GraphQLObjectType | null | undefined][] = [
    ['Query', schema.getQueryType()],
    ['Mutation', schema.getMutationType()],
    ['Subscription', schema.getSubscriptionType()],
  ];
  return roots.flatMap(([kind, type]) => (type ? Object.values(type.getFields()).map((field) => ({ kind, field })) : []));
}

/** `@Authorized` roles per root field name (`[]` = any signed-in user); absent = not `@Authorized`. */
export function authorizedRoles(): Map<string, string[]> {
  const m = getMetadataStorage();
  const roles = new Map<string, string[]>();
  for (const r of [...m.queries, ...m.mutations, ...m.subscriptions]) {
    const onField = m.authorizedFields.find((a) => a.target === r.target && a.fieldName === r.methodName);
    const onClass = m.authorizedResolver.find((a) => a.target === r.target);
    const found = onField ?? onClass;
    if (found) roles.set(r.schemaName, found.roles.map(String));
  }
  return roles;
}

function who(name: string, roles: Map<string, string[]>): string {
  const r = roles.get(name);
  if (r) return r.length === 0 ? 'any signed-in user' : r.map((x) => `\`${x}\``).join(', ');
  return UNAUTHORIZED_FIELDS[name] ?? '**undocumented**';
}

function errorsOf(name: string, roles: Map<string, string[]>): string {
  const r = roles.get(name);
  const implied = r ? ['UNAUTHENTICATED', ...(r.length ? ['FORBIDDEN'] : [])] : [];
  const listed = FIELD_ERRORS[name] ?? [];
  const codes = [...new Set([...implied, ...listed.map((e) => e.split(':')[0])])];
  const order = (c: string) => KNOWN_CODES.indexOf(c);
  return codes
    .sort((a, b) => order(a) - order(b))
    .map((code) => {
      const reasons = listed.filter((e) => e.startsWith(`${code}:`)).map((e) => `\`${e.split(':')[1]}\``);
      return reasons.length ? `\`${code}\` (${reasons.join(', ')})` : `\`${code}\``;
    })
    .join(', ');
}

function argument(a: GraphQLArgument): string {
  const dflt = a.defaultValue !== undefined ? astFromValue(a.defaultValue, a.type) : null;
  return `${a.name}: ${String(a.type)}${dflt ? ` = ${print(dflt)}` : ''}`;
}

function signature(f: GraphQLField<unknown, unknown>): string {
  const args = f.args.map(argument);
  const inline = `${f.name}(${args.join(', ')}): ${String(f.type)}`;
  if (args.length === 0) return `${f.name}: ${String(f.type)}`;
  if (inline.length <= 96) return inline;
  return `${f.name}(\n${args.map((a) => `  ${a}`).join('\n')}\n): ${String(f.type)}`;
}

const ERROR_MODEL = `## Errors

Every error in a response's \`errors\` carries \`extensions.code\`, one of a closed set
(\`shared/graphql/src/errors.ts\`). Clients branch on the code (and on \`extensions.reason\` for
\`CONFLICT\`), never on the message. Stack traces, SQL, subgraph names and URLs never reach clients.

| Code | Meaning | Extensions |
| --- | --- | --- |
| \`UNAUTHENTICATED\` | no, an expired or a revoked access token where one is needed; wrong credentials at \`login\`; a bad refresh token | |
| \`FORBIDDEN\` | signed in, but the role may not call this field | |
| \`BAD_USER_INPUT\` | an argument is invalid (format, length, range, a date in the past, a page size over 100) | \`fields: [{ field, message }]\` names each offending argument path |
| \`NOT_FOUND\` | the object does not exist, or the caller may not know it exists (another user's data answers \`NOT_FOUND\`, not \`FORBIDDEN\`) | |
| \`CONFLICT\` | the request is valid but the current state refuses it | \`reason\`: see below |
| \`RATE_LIMITED\` | too many attempts (login, registration, OTP, password reset) per account or per client address | \`retryAfterSeconds\` |
| \`ACCOUNT_NOT_VERIFIED\` | \`login\` before the account was verified with its OTP | |
| \`SERVICE_UNAVAILABLE\` | a dependency (a subgraph, the database, Redis) is down or overloaded; nothing was changed, retry later | \`retryAfterSeconds\` |
| \`INTERNAL_SERVER_ERROR\` | anything unexpected; the message is masked and the details are only in the server log | |

\`INTERNAL_SERVER_ERROR\` and \`SERVICE_UNAVAILABLE\` can answer any field and are not repeated below.

### \`CONFLICT\` reasons

| Reason | When |
| --- | --- |
| \`DUPLICATE\` | a unique value is taken (email, category or item name, pharmacy, template) |
| \`SLOT_UNAVAILABLE\` | the appointment slot is taken or outside the workplace's hours (the database's exclusion constraint decides races) |
| \`WORKPLACE_INACTIVE\` | booking or rescheduling at a deactivated workplace |
| \`INVALID_STATUS\` | an appointment transition its current status does not allow (e.g. confirming a cancelled one) |
| \`INVALID_STATUS_TRANSITION\` | an order or reservation transition its current status does not allow |
| \`INSUFFICIENT_STOCK\` | an order or reservation asks for more than a branch has; the message names the first short item |
| \`PRESCRIPTION_REQUIRED\` | an item that needs a prescription is ordered or reserved without one |
| \`PRESCRIPTION_INVALID\` | the prescription is expired, cancelled, another patient's, or does not cover the item |
| \`PRESCRIPTION_EXHAUSTED\` | the prescription's remaining quantity does not cover the request |
| \`LICENSE_TAKEN\` | approving a profile whose licence number another approved profile has (admins only; entering a profile never answers it) |
| \`LIMIT_REACHED\` | a per-user limit is reached (addresses; a patient's upcoming appointments, active reservations or reserved units) |
| \`ALREADY_ASSIGNED\`, \`INVITE_PENDING\` | inviting an assistant who already works at, or is already invited to, the workplace |
| \`INVITE_EXPIRED\`, \`INVITE_NOT_PENDING\` | answering an invite that expired or was already answered or revoked |
| \`ALREADY_REVOKED\` | revoking an assistant assignment twice |
`;

export async function renderApiDocs(): Promise<string> {
  const roles = authorizedRoles();
  const fields = rootFields();
  const out: string[] = [
    '# API reference',
    '',
    "<!-- Generated by `npm run docs:api` from gateway/supergraph.graphql, the subgraphs' @Authorized roles",
    'and scripts/api-docs/{access,errors}.ts. Do not edit by hand: a test fails when this file is stale. -->',
    '',
    'Every root field of the supergraph served at `POST /graphql` on the gateway (subscriptions over',
    'graphql-ws on the same path): its arguments and return type, who may call it, and the error codes it',
    'can answer. Signed-in calls send `Authorization: Bearer <accessToken>` (from `login` or `verifyOtp`).',
    'Roles: `PATIENT`, `DOCTOR`, `ASSISTANT`, `PHARMACY`, `ADMIN`. "Any signed-in user" still only sees',
    "what is theirs (or their patients', workplaces', pharmacy's): ownership is checked per object.",
    'The full schema, with every type, is [`gateway/supergraph.graphql`](../gateway/supergraph.graphql).',
    '',
    ERROR_MODEL,
  ];
  for (const kind of ['Query', 'Mutation', 'Subscription'] as const) {
    const ofKind = fields.filter((f) => f.kind === kind);
    if (!ofKind.length) continue;
    out.push(`## ${kind === 'Query' ? 'Queries' : kind === 'Mutation' ? 'Mutations' : 'Subscriptions'}`, '');
    for (const { field } of ofKind) {
      out.push(`### \`${field.name}\``, '', '```graphql', signature(field), '```', '');
      if (field.description) out.push(field.description.replace(/\s+/g, ' ').trim(), '');
      out.push(`- **Who:** ${who(field.name, roles)}`, `- **Errors:** ${errorsOf(field.name, roles) || 'none of its own'}`, '');
    }
  }
  const config = (await resolveConfig(apiDocFile)) ?? {};
  return format(out.join('\n'), { ...config, filepath: apiDocFile });
}
