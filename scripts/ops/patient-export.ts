// npm run ops:patient-export -- <userId>   → JSON of everything about the patient on stdout
import { exportPatient } from './patient-data.ts';
import { resolveTarget } from './connect.ts';

const userId = process.argv[2];
if (!userId) {
  process.stderr.write('usage: npm run ops:patient-export -- <userId>\n');
  process.exit(2);
}
const target = resolveTarget();
const urls = {
  auth: target.databaseUrl('auth'),
  doctor: target.databaseUrl('doctor'),
  notification: target.databaseUrl('notification'),
  pharmacy: target.databaseUrl('pharmacy'),
};
process.stdout.write(
  `${JSON.stringify({ userId, exportedAt: new Date().toISOString(), data: await exportPatient(urls, userId) }, null, 2)}\n`,
);
