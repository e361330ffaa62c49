// Docker HEALTHCHECK of the image: GET /ready on the port of the service this container runs.
const port = {
  gateway: 'GATEWAY_PORT',
  auth: 'AUTH_PORT',
  doctor: 'DOCTOR_PORT',
  notification: 'NOTIFICATION_PORT',
  pharmacy: 'PHARMACY_PORT',
};
const defaults = { gateway: 3000, auth: 3001, doctor: 3002, notification: 3003, pharmacy: 3004 };
const service = process.env.SERVICE ?? '';
const p = process.env[port[service]] || defaults[service];
if (!p) process.exit(1);
fetch(`http://127.0.0.1:${p}/ready`, { signal: AbortSignal.timeout(2_500) }).then(
  (res) => process.exit(res.ok ? 0 : 1),
  () => process.exit(1),
);
