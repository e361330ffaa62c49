import {
  Arg,
  Args,
  ArgsType,
  Authorized,
  Ctx,
  Field,
  FieldResolver,
  ID,
  Int,
  Mutation,
  ObjectType,
  Query,
  Resolver,
  Root,
} from 'type-graphql';
import { Connection } from '@hc/graphql';
import { Audited } from '@hc/audit';
import { ItemRef, Prescription, PrescriptionItem, PrescriptionStatus } from './prescription.entity.js';
import { IssuePrescriptionInput } from './prescription.inputs.js';
import {
  appointmentOfPrescription,
  cancelPrescription,
  effectiveStatus,
  issuePrescription,
  itemsOfPrescription,
  myPrescriptions,
  prescriberOf,
  visiblePrescription,
} from './prescription.service.js';
import { Appointment } from '../appointment/appointment.entity.js';
import { Doctor } from '../doctor/doctor.entity.js';
import { UserRef, userRef } from '../user/user.reference.js';
import type { DoctorSubgraphContext } from '../../context.js';

@ObjectType()
export class PrescriptionConnection extends Connection(Prescription) {}

@ArgsType()
class MyPrescriptionsArgs {
  @Field(() => PrescriptionStatus, { nullable: true }) status?: PrescriptionStatus | null;
  @Field(() => Int, { nullable: true, defaultValue: 20 }) first?: number;
  @Field(() => String, { nullable: true }) after?: string | null;
}

@Resolver(() => Prescription)
export class PrescriptionResolver {
  @Query(() => PrescriptionConnection, {
    description: 'Patient: own prescriptions; doctor: the ones they issued. Newest first.',
  })
  @Authorized('PATIENT', 'DOCTOR')
  myPrescriptions(@Args(() => MyPrescriptionsArgs) args: MyPrescriptionsArgs, @Ctx() ctx: DoctorSubgraphContext) {
    return myPrescriptions(ctx, args);
  }

  @Query(() => Prescription, {
    nullable: true,
    description:
      'The patient, the issuing doctor, admins, and a pharmacy holding an order or reservation for it; anyone else NOT_FOUND.',
  })
  @Authorized()
  prescription(@Arg('id', () => ID) id: string, @Ctx() ctx: DoctorSubgraphContext): Promise<Prescription> {
    return visiblePrescription(ctx, id);
  }

  @Mutation(() => Prescription, { description: 'Doctor, for a CONFIRMED or COMPLETED appointment of theirs.' })
  @Authorized('DOCTOR')
  issuePrescription(
    @Arg('input', () => IssuePrescriptionInput) input: IssuePrescriptionInput,
    @Ctx() ctx: DoctorSubgraphContext,
  ): Promise<Prescription> {
    return issuePrescription(ctx, input);
  }

  @Mutation(() => Prescription, { description: 'Issuing doctor, while ACTIVE; dispensed units stay dispensed.' })
  @Authorized('DOCTOR')
  cancelPrescription(
    @Arg('id', () => ID) id: string,
    @Arg('reason', () => String, { nullable: true }) reason: string | undefined,
    @Ctx() ctx: DoctorSubgraphContext,
  ): Promise<Prescription> {
    return cancelPrescription(ctx, id, reason);
  }

  @FieldResolver(() => PrescriptionStatus, { description: 'EXPIRED once expiresAt has passed while ACTIVE.' })
  status(@Root() p: Prescription): PrescriptionStatus {
    return effectiveStatus(p);
  }

  @FieldResolver(() => UserRef)
  patient(@Root() p: Prescription): UserRef {
    return userRef(p.patientId);
  }

  @FieldResolver(() => Doctor)
  doctor(@Root() p: Prescription, @Ctx() ctx: DoctorSubgraphContext): Promise<Doctor> {
    return prescriberOf(ctx, p);
  }

  @FieldResolver(() => String, {
    description: "The prescriber's licence number, for whoever may read the prescription (pharmacists check it).",
  })
  async prescriberLicenseNumber(@Root() p: Prescription, @Ctx() ctx: DoctorSubgraphContext): Promise<string> {
    return (await prescriberOf(ctx, p)).licenseNumber;
  }

  @FieldResolver(() => Appointment, {
    description: 'The visit it was written at: its participants and admins (FORBIDDEN for a pharmacy).',
  })
  appointment(@Root() p: Prescription, @Ctx() ctx: DoctorSubgraphContext): Promise<Appointment> {
    return appointmentOfPrescription(ctx, p);
  }

  @FieldResolver(() => [PrescriptionItem])
  @Audited('Prescription', (p: Prescription) => ({ resourceId: p.id, patientId: p.patientId }))
  items(@Root() p: Prescription, @Ctx() ctx: DoctorSubgraphContext): Promise<PrescriptionItem[]> {
    return itemsOfPrescription(ctx, p.id);
  }
}

@Resolver(() => PrescriptionItem)
export class PrescriptionItemResolver {
  @FieldResolver(() => ItemRef, { description: 'A catalogue item (pharmacy); it must need a prescription to be covered.' })
  item(@Root() line: PrescriptionItem): ItemRef {
    return { id: line.itemId };
  }
}
