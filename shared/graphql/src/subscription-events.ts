// The appointment and slot events of subscriptions live with the other event payloads (@hc/jobs/topics,
// which loads neither BullMQ nor the ORM); kept here so imports from @hc/graphql keep working.
export {
  appointmentEventsChannel,
  slotEventsChannel,
  type AppointmentChangedEvent,
  type SlotReleasedEvent,
} from '@hc/jobs/topics';
