// Who may call a root field that has no type-graphql `@Authorized` (the other fields' roles are
// read from that metadata). Checked by tools/test/api-docs.test.ts: every root field of the
// supergraph is either `@Authorized` or listed here, never both.
export const UNAUTHORIZED_FIELDS: Record<string, string> = {
  me: 'anyone (null when anonymous)',
  doctors: 'anyone (approved doctors only)',
  doctor: 'anyone (licence number and review reason only to the doctor and admins)',
  categories: 'anyone',
  products: 'anyone',
  pharmacy: 'anyone',
  pharmacies: 'anyone',
  search: 'anyone',
  register: 'anyone (ADMIN accounts cannot be registered)',
  verifyOtp: 'anyone holding the code',
  resendOtp: 'anyone',
  login: 'anyone',
  refreshToken: 'anyone holding a valid refresh token',
  logout: 'anyone holding the refresh token',
  forgotPassword: 'anyone',
  resetPassword: 'anyone holding the code',
  appointmentUpdated:
    'any signed-in user, over graphql-ws at the gateway; events only for appointments the user may see (patient, doctor, assigned assistants, admins)',
  slotReleased:
    'any signed-in user, over graphql-ws at the gateway (the event names a time, never a person); doctorId / workplaceId narrow it',
};
