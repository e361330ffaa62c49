import { describe, expect, it } from '@jest/globals';
import { parse } from 'graphql';
import { planSubscription } from './selection.js';

const event = { type: 'BOOKED', occurredAt: '2027-01-01T10:00:00.000Z' };

describe('planSubscription', () => {
  it('reads the filters, keeps aliases, and builds a query with only the fragments and variables the appointment uses', () => {
    const doc = parse(`
      subscription S($d: ID, $withPatient: Boolean!, $unused: String) {
        live: appointmentUpdated(doctorId: $d) { ...E t: __typename }
      }
      fragment E on AppointmentEvent { kind: type occurredAt appt: appointment { ...A patient @include(if: $withPatient) { name } } }
      fragment A on Appointment { id status }
    `);
    const plan = planSubscription(doc, 'S', { d: 'doc-1', withPatient: true, unused: 'x' });
    expect(plan).toMatchObject({ rootKey: 'live', doctorId: 'doc-1', workplaceId: undefined, variables: { withPatient: true } });
    expect(plan.query).toContain('a0: appointment(id: $__appointmentId)');
    expect(plan.query).toContain('fragment A on Appointment');
    expect(plan.query).not.toContain('fragment E');
    expect(plan.query).not.toContain('$unused');
    expect(plan.render(event, { a0: { id: '1', status: 'PENDING', patient: { name: 'P' } } })).toEqual({
      kind: 'BOOKED',
      occurredAt: event.occurredAt,
      appt: { id: '1', status: 'PENDING', patient: { name: 'P' } },
      t: 'AppointmentEvent',
    });
  });

  it('needs no query when the appointment is not selected, and merges repeated selections', () => {
    expect(
      planSubscription(parse('subscription { appointmentUpdated(workplaceId: "w") { type } }'), undefined, {}),
    ).toMatchObject({
      query: null,
      workplaceId: 'w',
    });
    const twice = planSubscription(
      parse('subscription { appointmentUpdated { appointment { id } appointment { status } } }'),
      undefined,
      {},
    );
    expect(twice.render(event, { a0: { id: '1' }, a1: { status: 'PENDING' } })).toEqual({
      appointment: { id: '1', status: 'PENDING' },
    });
  });

  it('refuses other operations', () => {
    expect(() => planSubscription(parse('query { doctors { totalCount } }'), undefined, {})).toThrow();
  });

  it('plans slotReleased from the event alone: filters, aliases, fragments, no follow-up query', () => {
    const doc = parse(`
      subscription($w: ID) { free: slotReleased(workplaceId: $w) { ...S at: startsAt __typename } }
      fragment S on SlotReleasedEvent { doctorId endsAt }
    `);
    const plan = planSubscription(doc, undefined, { w: 'wp-1' });
    expect(plan).toMatchObject({ field: 'slotReleased', rootKey: 'free', workplaceId: 'wp-1', query: null });
    const slot = {
      doctorId: 'd',
      workplaceId: 'wp-1',
      startsAt: '2027-01-01T10:00:00.000Z',
      endsAt: '2027-01-01T10:30:00.000Z',
      occurredAt: '2027-01-01T09:00:00.000Z',
    };
    expect(plan.render(slot, null)).toEqual({
      doctorId: 'd',
      endsAt: '2027-01-01T10:30:00.000Z',
      at: '2027-01-01T10:00:00.000Z',
      __typename: 'SlotReleasedEvent',
    });
  });
});
