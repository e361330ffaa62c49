import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startPharmacy, seedPharmacy, type Harness } from '../../test/harness.js';
import { PharmacyBranch } from './pharmacy/branch.entity.js';
import { Item } from './catalogue/item.entity.js';
import { load } from './loaders.js';
import type { PharmacySubgraphContext } from '../context.js';

let h: Harness;
beforeAll(async () => {
  h = await startPharmacy();
});
afterAll(async () => {
  await h?.stop();
});

describe('read-only loaders (branch, item) return what the entities hold, as plain rows', () => {
  it('every property, unmanaged', async () => {
    const seeded = await seedPharmacy(h, {
      items: [{ name: 'Plainol 500', quantity: 3, price: '12.50', prescriptionRequired: true }],
    });
    const orm = h.sg.orm;
    const em = orm.em.fork();
    const ctx = { em, loaders: new Map() } as unknown as PharmacySubgraphContext;
    const [branch, item] = await Promise.all([load.branch(ctx, seeded.branchId), load.item(ctx, seeded.itemIds[0])]);
    expect(em.getUnitOfWork().getIdentityMap().values()).toHaveLength(0);

    const check = async <T extends object>(entity: new () => T, id: string, plain: unknown) => {
      const managed = (await orm.em.fork().findOneOrFail(entity as never, { id } as never)) as Record<string, unknown>;
      const props = Object.keys(orm.getMetadata().get(entity).properties);
      const pick = (o: Record<string, unknown>) => Object.fromEntries(props.map((p) => [p, o[p]]));
      expect(pick(plain as Record<string, unknown>)).toEqual(pick(managed));
    };
    await check(PharmacyBranch, seeded.branchId, branch);
    await check(Item, seeded.itemIds[0], item);
  });
});
