/**
 * What MikroORM makes of the entities, per subgraph: the schema it would create
 * (`getCreateSchemaSQL`) and what it would change in a database migrated with the committed
 * migrations (`getUpdateSchemaSQL`). The second is never empty: the migrations hold what the
 * ORM cannot express (exclusion constraints, CHECKs, partial and trigram indexes, defaults), which
 * the ORM would drop. Use it to prove an entity refactor leaves the schema alone: dump before and
 * after, then compare the two folders (`diff -r`): no output, no schema change.
 *
 *   npm run schema:diff -- --dump /tmp/schema-before
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createOrm, dropDatabase, withDatabase } from '@hc/db';
import * as auth from '@hc/auth-subgraph/entities';
import * as doctor from '@hc/doctor-subgraph/entities';
import * as notification from '@hc/notification-subgraph/entities';
import * as pharmacy from '@hc/pharmacy-subgraph/entities';

const server = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dumpAt = process.argv.indexOf('--dump');
const dumpDir = dumpAt >= 0 ? process.argv[dumpAt + 1] : undefined;
if (dumpDir) mkdirSync(dumpDir, { recursive: true });

for (const [name, def] of Object.entries({ auth, doctor, notification, pharmacy })) {
  const url = withDatabase(server, `schema_diff_${name}_${process.pid}`);
  const orm = await createOrm({ databaseUrl: url, entities: def.entities, migrations: def.migrations, migrate: true });
  try {
    const diff = (await orm.schema.getUpdateSchemaSQL({ wrap: false })).trim();
    if (dumpDir) {
      writeFileSync(join(dumpDir, `${name}.create.sql`), await orm.schema.getCreateSchemaSQL({ wrap: false }));
      writeFileSync(join(dumpDir, `${name}.update.sql`), diff + '\n');
    }
    console.log(
      `${name}: ${diff.split('\n').filter((l) => l.trim()).length} statement(s) the ORM would change after the migrations`,
    );
  } finally {
    await orm.close(true);
    await dropDatabase(url);
  }
}
