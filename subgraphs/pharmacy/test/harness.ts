import { randomUUID } from 'node:crypto';
import { gql, signTestToken, startTestSubgraph, type GraphQLResponse } from '@hc/testing';
import type { Role } from '@hc/auth';
import type { PrescriptionChangedEvent } from '@hc/jobs';
import { process as applyPrescription } from '../src/modules/prescription/prescription.consumer.js';
import { pharmacySubgraph } from '../src/server.js';

export type Harness = Awaited<ReturnType<typeof startPharmacy>>;

/** The pharmacy subgraph alone on a fresh database, with helpers to call it as a given user. */
export async function startPharmacy(env: Record<string, string> = {}) {
  const sg = await startTestSubgraph(pharmacySubgraph, { env });
  const call = <T = Record<string, any>>(query: string, variables: Record<string, unknown> = {}, token?: string) =>
    gql<T>(sg.graphqlUrl, query, variables, { token });
  const user = (role: Role, id: string = randomUUID()) => ({ id, role, token: signTestToken(sg.keys, { id, role }) });
  return { sg, call, user, stop: () => sg.stop() };
}

export function ok<T>(res: GraphQLResponse<T>): T {
  if (res.errors) throw new Error(`unexpected errors: ${JSON.stringify(res.errors)}`);
  return res.data as T;
}

export interface SeedItem {
  name: string;
  quantity: number;
  price: string;
  minStockLevel?: number;
  prescriptionRequired?: boolean;
}

/** A PHARMACY owner with a pharmacy (approved by an admin unless `approve: false`), one branch in `city` and the given stock, all through the API. */
export async function seedPharmacy(
  /** The subgraph alone (startPharmacy) or anything calling the same API, e.g. the gateway of a supergraph. */
  h: Pick<Harness, 'call' | 'user'>,
  opts: { name?: string; city?: string; items: SeedItem[]; /** default true */ approve?: boolean },
) {
  const owner = h.user('PHARMACY');
  const tag = randomUUID().slice(0, 8);
  const p = ok(
    await h.call(
      `mutation($input: PharmacyInput!) { upsertPharmacy(input: $input) { id } }`,
      {
        input: {
          name: opts.name ?? `Pharmacy ${tag}`,
          licenseNumber: `LIC-${tag}`,
          address: '1 Main St',
          phone: '+201000000000',
          email: `p${tag}@example.com`,
        },
      },
      owner.token,
    ),
  ).upsertPharmacy;
  if (opts.approve !== false) {
    ok(
      await h.call(
        `mutation($id: ID!) { reviewPharmacy(pharmacyId: $id, status: APPROVED) { verificationStatus } }`,
        { id: p.id },
        h.user('ADMIN').token,
      ),
    );
  }
  const branch = ok(
    await h.call(
      `mutation($input: BranchInput!) { addBranch(input: $input) { id } }`,
      { input: { name: `Branch ${tag}`, address: '2 Side St', city: opts.city ?? 'Cairo' } },
      owner.token,
    ),
  ).addBranch;
  const itemIds: string[] = [];
  for (const it of opts.items) {
    const item = ok(
      await h.call(
        `mutation($input: ItemInput!) { createItem(input: $input) { id } }`,
        {
          input: {
            name: it.name,
            medicine:
              it.prescriptionRequired === undefined ? null : { prescriptionRequired: it.prescriptionRequired, dosage: '500 mg' },
          },
        },
        owner.token,
      ),
    ).createItem;
    ok(
      await h.call(
        `mutation($input: StockInput!) { setStock(input: $input) { quantity } }`,
        {
          input: {
            branchId: branch.id,
            itemId: item.id,
            quantity: it.quantity,
            price: it.price,
            minStockLevel: it.minStockLevel ?? 0,
          },
        },
        owner.token,
      ),
    );
    itemIds.push(item.id);
  }
  return { owner, pharmacyId: p.id as string, branchId: branch.id as string, itemIds };
}

export const PLACE_ORDER = /* GraphQL */ `
  mutation Place($input: PlaceOrderInput!) {
    placeOrder(input: $input) {
      id
      status
      totalAmount
      items {
        quantity
        unitPrice
        item {
          id
          name
        }
      }
    }
  }
`;

/** On-hand quantity of one item at one branch, read straight from the database. */
export async function quantityOf(h: Harness, branchId: string, itemId: string): Promise<number> {
  const [row] = await h.sg.orm.em
    .getConnection()
    .execute<{ quantity: number }[]>(`select quantity from stock_entries where branch_id = ? and item_id = ?`, [
      branchId,
      itemId,
    ]);
  return row.quantity;
}

export interface PrescriptionFeed {
  id?: string;
  patientId: string;
  items: { itemId: string; quantity: number }[];
  status?: 'ACTIVE' | 'CANCELLED';
  version?: number;
  /** Default: 30 days from now. */
  expiresAt?: Date;
  doctorUserId?: string;
}

/** Feeds the pharmacy's copy exactly as the doctor's `prescription.changed` event would (through the consumer). */
export async function feedPrescription(h: Harness, p: PrescriptionFeed) {
  const event: PrescriptionChangedEvent = {
    prescriptionId: p.id ?? randomUUID(),
    patientId: p.patientId,
    doctorId: randomUUID(),
    doctorUserId: p.doctorUserId ?? randomUUID(),
    appointmentId: randomUUID(),
    status: p.status ?? 'ACTIVE',
    issuedAt: new Date().toISOString(),
    expiresAt: (p.expiresAt ?? new Date(Date.now() + 30 * 86_400_000)).toISOString(),
    items: p.items.map((i) => ({ ...i, dosageInstructions: null })),
    version: p.version ?? 1,
    occurredAt: new Date().toISOString(),
  };
  const result = await applyPrescription(h.sg.orm, { name: 'prescription.changed', data: event });
  return { event, result };
}

/** Prescribed and dispensed units of one prescription line, from the pharmacy's copy. */
export async function balanceOf(h: Harness, prescriptionId: string, itemId: string) {
  const [row] = await h.sg.orm.em
    .getConnection()
    .execute<{ prescribed: number; dispensed: number }[]>(
      `select prescribed, dispensed from prescription_lines where prescription_id = ? and item_id = ?`,
      [prescriptionId, itemId],
    );
  return row;
}
