// npm run ops:patient-erase -- <userId>   → erases/pseudonymises the patient (docs/privacy.md)
import { erasePatient } from './patient-data.ts';
import { resolveTarget } from './connect.ts';

const userId = process.argv[2];
if (!userId) {
  process.stderr.write('usage: npm run ops:patient-erase -- <userId>\n');
  process.exit(2);
}
const target = resolveTarget();
const urls = {
  auth: target.databaseUrl('auth'),
  doctor: target.databaseUrl('doctor'),
  notification: target.databaseUrl('notification'),
  pharmacy: target.databaseUrl('pharmacy'),
};
const touched = await erasePatient(urls, userId);
process.stdout.write(`${JSON.stringify({ userId, erased: touched })}\n`);
