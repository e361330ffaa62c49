import { Migration } from '@mikro-orm/migrations';

/**
 * Who booked each appointment: a patient's own booking is their consent to the care team seeing
 * their health data; a booking by staff only asks for it (auth keeps the consent rows).
 * Rows from before this column read as booked by staff (null), so they grant nothing by themselves.
 */
export class Migration20261130230000_booked_by extends Migration {
  override up(): void {
    this.addSql(`alter table "appointments" add column "booked_by" uuid null;`);
  }

  override down(): void {
    this.addSql(`alter table "appointments" drop column "booked_by";`);
  }
}
