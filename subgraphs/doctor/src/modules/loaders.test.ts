import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readPlain, readPlainPage } from '@hc/db';
import { startTestSubgraph, type TestSubgraph, type TestKeys } from '@hc/testing';
import { doctorTestKit } from '../../test/support.js';
import { doctorSubgraph } from '../server.js';
import { Doctor } from './doctor/doctor.entity.js';
import { Workplace } from './workplace/workplace.entity.js';
import { load } from './loaders.js';
import type { DoctorSubgraphContext } from '../context.js';

let sg: TestSubgraph & { keys: TestKeys };
let kit: ReturnType<typeof doctorTestKit>;
beforeAll(async () => {
  sg = await startTestSubgraph(doctorSubgraph);
  kit = doctorTestKit(sg.orm, sg.keys, sg.graphqlUrl);
});
afterAll(async () => {
  await sg?.stop();
});

/** Every property of the entity, as the entity (through em.find) and as the plain row hold it. */
async function compare<T extends object>(entity: new () => T, id: string) {
  const managed = await sg.orm.em.fork().findOneOrFail(entity as never, { id } as never);
  const em = sg.orm.em.fork();
  const [plain] = await readPlain(em, entity, { id } as never);
  const props = Object.keys(sg.orm.getMetadata().get(entity).properties);
  expect(em.getUnitOfWork().getIdentityMap().values()).toHaveLength(0);
  return {
    managed: Object.fromEntries(props.map((p) => [p, (managed as Record<string, unknown>)[p]])),
    plain: Object.fromEntries(props.map((p) => [p, (plain as Record<string, unknown>)[p]])),
  };
}

describe('read-only loaders return what the entities hold, as plain rows', () => {
  it('workplace and doctor: every column, with its JavaScript type (json, text[], decimal, dates, enums)', async () => {
    const doctor = await kit.createDoctor();
    await sg.orm.em.getConnection().execute(
      `update workplaces set consultation_fee = 250.5, currency = 'EGP', services_offered = '{a,"b c"}',
         insurance_accepted = '{x}', description = 'd', website = 'https://example.test', phone_number = '+2010'
       where id = ?`,
      [doctor.workplaceId],
    );
    const wp = await compare(Workplace, doctor.workplaceId);
    expect(wp.plain).toEqual(wp.managed);
    expect(wp.plain.consultationFee).toBe('250.50');
    expect(wp.plain.servicesOffered).toEqual(['a', 'b c']);
    expect(wp.plain.createdAt).toBeInstanceOf(Date);
    const dr = await compare(Doctor, doctor.doctorId);
    expect(dr.plain).toEqual(dr.managed);

    const ctx = { em: sg.orm.em.fork(), loaders: new Map() } as unknown as DoctorSubgraphContext;
    const [byId, ofDoctor] = await Promise.all([
      load.workplace(ctx, doctor.workplaceId),
      load.workplacesOfDoctor(ctx, doctor.doctorId),
    ]);
    expect(byId).toEqual(wp.plain);
    expect(ofDoctor).toEqual([wp.plain]);
    expect(await load.doctor(ctx, doctor.doctorId)).toEqual(dr.plain);
  });

  it('readPlainPage pages like em.findByCursor: same items, counts and cursors, page after page', async () => {
    await Promise.all([kit.createDoctor(), kit.createDoctor(), kit.createDoctor()]);
    const orderBy = { createdAt: 'asc', id: 'asc' } as const;
    let after: string | undefined;
    let pages = 0;
    for (;;) {
      const managed = await sg.orm.em.fork().findByCursor(Doctor, { where: {}, first: 2, after, orderBy });
      const em = sg.orm.em.fork();
      const plain = await readPlainPage(em, Doctor, { where: {}, first: 2, after, orderBy });
      expect(em.getUnitOfWork().getIdentityMap().values()).toHaveLength(0);
      expect(plain.items.map((d) => ({ ...d }))).toEqual(managed.items.map((d) => ({ ...d })));
      expect([plain.totalCount, plain.hasNextPage, plain.endCursor]).toEqual([
        managed.totalCount,
        managed.hasNextPage,
        managed.endCursor,
      ]);
      pages += 1;
      if (!plain.hasNextPage) break;
      after = plain.endCursor!;
    }
    expect(pages).toBeGreaterThanOrEqual(2);
  });
});
