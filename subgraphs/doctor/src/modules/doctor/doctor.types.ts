import { ObjectType } from 'type-graphql';
import { Connection } from '@hc/graphql';
import { Doctor } from './doctor.entity.js';

/** A page of doctors (public directory, admin review queue). */
@ObjectType()
export class DoctorConnection extends Connection(Doctor) {}
