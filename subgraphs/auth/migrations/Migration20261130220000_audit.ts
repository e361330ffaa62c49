import { Migration } from '@mikro-orm/migrations';
import { AUDIT_COLLECTED_TABLE_SQL, AUDIT_TABLE_SQL } from '@hc/audit';

/** The audit trail of reads and changes of protected health data (docs/privacy.md). */
export class Migration20261130220000_audit extends Migration {
  override up(): void {
    for (const sql of AUDIT_TABLE_SQL) this.addSql(sql);
    for (const sql of AUDIT_COLLECTED_TABLE_SQL) this.addSql(sql);
  }
}
