// The appointment event of subscriptions lives with the other event payloads (@hc/jobs/topics,
// which loads neither BullMQ nor the ORM); kept here so imports from @hc/graphql keep working.
export { appointmentEventsChannel, type AppointmentChangedEvent } from '@hc/jobs/topics';
