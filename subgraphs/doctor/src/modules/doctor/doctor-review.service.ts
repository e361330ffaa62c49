import { pageSize, toConnection, type ConnectionShape } from '@hc/graphql';
import { Doctor, VerificationStatus } from './doctor.entity.js';
import type { DoctorSubgraphContext } from '../../context.js';

/** PENDING profiles waiting for an admin's review, oldest first (doctors_directory_idx serves it). */
export async function pendingDoctors(
  ctx: DoctorSubgraphContext,
  first: number | null | undefined,
  after: string | null | undefined,
): Promise<ConnectionShape<Doctor>> {
  const cursor = await ctx.em.findByCursor(Doctor, {
    where: { verificationStatus: VerificationStatus.PENDING },
    first: pageSize(first),
    after: after ?? undefined,
    orderBy: { createdAt: 'asc', id: 'asc' },
  });
  return toConnection(cursor);
}
