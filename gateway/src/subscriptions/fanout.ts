import {
  GraphQLError,
  TypeInfo,
  getNamedType,
  print,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type ExecutionResult,
  type FormattedExecutionResult,
  type GraphQLSchema,
} from 'graphql';
import type { AuthUser } from '@hc/auth';
import type { AppointmentChangedEvent } from '@hc/graphql/shell';
import type { Logger } from '@hc/logger';
import { APPOINTMENT_ID_VARIABLE, planSubscription, type SubscriptionPlan } from './selection.js';

/**
 * Fields whose value is the same for every viewer who may see the appointment at all and whose
 * read is not audited. A subscription that selects only these may share one follow-up fetch with
 * other users of the same visibility group (see `groupKey`). Everything else — audited fields
 * (`Appointment.notes`, a patient's `email`/`phone`/`dateOfBirth`, `patientProfile`), fields
 * decided by care relationships or consent (`gender`, `patientProfile`), by the viewer's identity
 * (`addresses`, `appointments`, `notifications`, `orders`, `licenseNumber`, `reviewReason`,
 * `Doctor.workplaces`, `documents`) — and any field not listed (new fields included) keeps the
 * fetch per user. docs/doctor.md "Live updates" states the rule.
 */
export const SHAREABLE_FIELDS: Readonly<Record<string, ReadonlySet<string>>> = {
  Subscription: new Set(['appointmentUpdated']),
  AppointmentEvent: new Set(['type', 'occurredAt', 'appointment']),
  Appointment: new Set([
    'id',
    'startsAt',
    'endsAt',
    'status',
    'cancellationReason',
    'createdAt',
    'updatedAt',
    'patient',
    'doctor',
    'workplace',
  ]),
  User: new Set(['id', 'name', 'role', 'isVerified', 'profilePictureUrl', 'createdAt']),
  Doctor: new Set(['id', 'specialization', 'biography', 'verificationStatus', 'user']),
  Workplace: new Set(['id', 'name', 'type', 'isPrimary', 'isActive', 'timeZone', 'slotDurationMinutes']),
};

/** True when every field the document selects (fragments included) is in SHAREABLE_FIELDS. */
export function readsOnlyShareableFields(schema: GraphQLSchema, document: DocumentNode): boolean {
  const typeInfo = new TypeInfo(schema);
  let ok = true;
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        if (node.name.value === '__typename') return;
        const parent = typeInfo.getParentType();
        const name = parent ? getNamedType(parent).name : undefined;
        if (!name || !SHAREABLE_FIELDS[name]?.has(node.name.value)) ok = false;
        // Only the root field's filters (doctorId, workplaceId) take arguments; none of the others does.
        else if (node.arguments?.length && name !== 'Subscription') ok = false;
      },
    }),
  );
  return ok;
}

/** JSON with object keys sorted, so `{a,b}` and `{b,a}` give one key. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** What the follow-up fetch answered, as the fan-out needs it. */
export type FetchOutcome =
  | { kind: 'result'; result: ExecutionResult | null }
  /** The token was refused (expired, revoked): close that socket with 4401. */
  | { kind: 'unauthenticated' }
  /** Not (or no longer) visible to the token's user: nothing to deliver to them. */
  | { kind: 'not-found' };

export interface Member {
  user: AuthUser;
  /** `Bearer <token>`, forwarded to the subgraphs. */
  authorization: string;
  /** The token's `exp` in ms since the epoch, when it has one. */
  expiresAt?: number;
  /** Closes this subscriber's socket with 4401 (token expired or revoked). */
  unauthorized: () => void;
}

interface SharedPlan {
  key: string;
  plan: SubscriptionPlan;
  /** The selection reads only SHAREABLE_FIELDS. */
  shareable: boolean;
  refs: number;
}

/**
 * One answer, shared by every subscriber that gets it: serialized at most once (the first
 * `json()`), however many sockets it goes to.
 */
export interface Delivery {
  result: ExecutionResult;
  json: () => string;
}

function delivery(result: ExecutionResult): Delivery {
  let json: string | undefined;
  return { result, json: () => (json ??= JSON.stringify(result)) };
}

interface Subscriber {
  member: Member;
  plan: SharedPlan;
  push: (delivery: Delivery) => void;
  /** Deliveries run one after another: publish order per subscriber. */
  chain: Promise<void>;
}

export interface FanoutOptions {
  /** Runs the follow-up query with the member's token (apollo.executeOperation). */
  execute: (member: Member, query: string, variables: Record<string, unknown>) => Promise<FormattedExecutionResult | null>;
  /** Re-checks a connected member's token (expiry, revocation) before anything is delivered to it. */
  isRevoked?: (user: AuthUser) => boolean;
  /** Used instead of `isRevoked` when that is not available: re-verifies the token (once per token and event). */
  verifyToken?: (token: string) => Promise<AuthUser>;
  logger: Logger;
}

const FETCH_ATTEMPTS = 3;

/**
 * Fans one appointment event out to this gateway's subscribers with as few follow-up fetches as
 * is safe: subscribers are indexed by user id (an event touches only the listed users' entries),
 * grouped by the answer they must get, and each group's selection is resolved once.
 *
 * Groups (the key is the normalized subscription document, operation name and variables, plus):
 * - no `appointment` selection: one group for everyone (nothing is read);
 * - the event's assistants (role ASSISTANT, listed in `audience.assistantUserIds`, neither the
 *   patient nor the doctor) whose selection reads only SHAREABLE_FIELDS: one group per selection;
 * - everyone else: one group per user (and token role) and selection.
 * A group is fetched with one member's token; every member's token is re-checked at the gateway
 * (expiry, revocation) first and refused ones are closed with 4401. When a shared assistant group's
 * fetch answers NOT_FOUND, its members fall back to their own fetches.
 */
export function createAppointmentFanout(options: FanoutOptions) {
  const { logger } = options;
  const byUser = new Map<string, Set<Subscriber>>();
  const plans = new Map<string, SharedPlan>();

  const stillValid = (m: Member, verified: Map<string, Promise<boolean>>): boolean | Promise<boolean> => {
    if (m.expiresAt !== undefined && m.expiresAt <= Date.now()) return false;
    if (options.isRevoked) return !options.isRevoked(m.user);
    if (!options.verifyToken) return true;
    let check = verified.get(m.authorization);
    if (!check) {
      check = options
        .verifyToken(m.authorization.replace(/^Bearer\s+/i, ''))
        .then((u) => u.id === m.user.id)
        .catch(() => false);
      verified.set(m.authorization, check);
    }
    return check;
  };

  const fetchFor = async (m: Member, plan: SubscriptionPlan, event: AppointmentChangedEvent): Promise<FetchOutcome> => {
    const result = await options.execute(m, plan.query!, {
      ...plan.variables,
      [APPOINTMENT_ID_VARIABLE]: event.appointmentId,
    });
    if (!result) return { kind: 'result', result: null };
    const codes = (result.errors ?? []).map((e) => e.extensions?.code);
    if (codes.includes('UNAUTHENTICATED')) return { kind: 'unauthenticated' };
    if (codes.includes('NOT_FOUND')) return { kind: 'not-found' };
    const errors = result.errors?.map((e) => new GraphQLError(e.message, { path: e.path, extensions: e.extensions }));
    // Refused before execution (e.g. the gateway's query limits): tell the subscriber why.
    if (!result.data) return { kind: 'result', result: errors?.length ? { errors } : null };
    const data = result.data as Record<string, unknown>;
    if (Object.values(data).some((v) => v == null)) return { kind: 'result', result: null };
    return {
      kind: 'result',
      result: {
        data: { [plan.rootKey]: plan.render(event as unknown as Record<string, unknown>, data) },
        ...(errors?.length ? { errors } : {}),
      },
    };
  };

  /**
   * One group's answers: a result for each member (null = nothing for them). Members whose token no
   * longer holds are closed. Tries up to FETCH_ATTEMPTS members' tokens when one is refused.
   */
  const resolveGroup = async (
    members: Member[],
    plan: SubscriptionPlan,
    shared: boolean,
    event: AppointmentChangedEvent,
    verified: Map<string, Promise<boolean>>,
  ): Promise<Map<Member, Delivery>> => {
    const checks = await Promise.all(members.map((m) => stillValid(m, verified)));
    const valid: Member[] = [];
    members.forEach((m, i) => (checks[i] ? valid.push(m) : m.unauthorized()));
    const out = new Map<Member, Delivery>();
    if (!valid.length) return out;
    if (!plan.query) {
      const answer = delivery({ data: { [plan.rootKey]: plan.render(event as unknown as Record<string, unknown>, null) } });
      for (const m of valid) out.set(m, answer);
      return out;
    }
    let candidates = valid;
    for (let attempt = 0; attempt < FETCH_ATTEMPTS && candidates.length; attempt++) {
      const fetcher = candidates[0]!;
      const outcome = await fetchFor(fetcher, plan, event);
      if (outcome.kind === 'unauthenticated') {
        fetcher.unauthorized();
        candidates = candidates.slice(1);
        continue;
      }
      if (outcome.kind === 'not-found') {
        if (!shared) return out; // one user: not visible to them, on any of their sockets
        // Visible to some assistants and not to this one (assignment changed since the event):
        // answer each of the others from their own fetch, as if nothing were shared.
        const rest = await Promise.all(candidates.slice(1).map(async (m) => [m, await fetchFor(m, plan, event)] as const));
        for (const [m, o] of rest) {
          if (o.kind === 'unauthenticated') m.unauthorized();
          else if (o.kind === 'result' && o.result) out.set(m, delivery(o.result));
        }
        return out;
      }
      if (outcome.result) {
        const answer = delivery(outcome.result);
        for (const m of candidates) out.set(m, answer);
      }
      return out;
    }
    return out;
  };

  const dispatch = (event: AppointmentChangedEvent): void => {
    const audience = event.audience;
    const assistants = new Set(audience?.assistantUserIds ?? []);
    if (audience) {
      assistants.delete(audience.patientId);
      assistants.delete(audience.doctorUserId);
    }
    const groups = new Map<string, { plan: SharedPlan; shared: boolean; subs: Subscriber[] }>();
    for (const userId of new Set(event.allowedUserIds)) {
      const subs = byUser.get(userId);
      if (!subs) continue;
      for (const sub of subs) {
        const { plan } = sub.plan;
        if (plan.doctorId && plan.doctorId !== event.doctorId) continue;
        if (plan.workplaceId && plan.workplaceId !== event.workplaceId) continue;
        const shared = !plan.query || (sub.plan.shareable && sub.member.user.role === 'ASSISTANT' && assistants.has(userId));
        const key = !plan.query
          ? `e\n${sub.plan.key}`
          : shared
            ? `a\n${sub.plan.key}`
            : `u\n${userId}\n${sub.member.user.role}\n${sub.plan.key}`;
        let group = groups.get(key);
        if (!group) groups.set(key, (group = { plan: sub.plan, shared, subs: [] }));
        group.subs.push(sub);
      }
    }
    const verified = new Map<string, Promise<boolean>>();
    for (const group of groups.values()) {
      const members = group.subs.map((s) => s.member);
      // A failure answers nothing to this group only, logged once.
      const answers = resolveGroup(members, group.plan.plan, group.shared, event, verified).catch((err: Error) => {
        logger.warn({ err: err.message }, 'subscription event not delivered');
        return new Map<Member, Delivery>();
      });
      for (const sub of group.subs) {
        sub.chain = sub.chain
          .then(() => answers)
          .then((a) => {
            const answer = a.get(sub.member);
            if (answer) sub.push(answer);
          })
          // A failed write must not stop this subscriber's later events.
          .catch((err: Error) => logger.warn({ err: err.message }, 'subscription event not delivered'));
      }
    }
  };

  return {
    dispatch,

    /**
     * Registers a subscriber (throws on an unsupported document, before anything is registered).
     * Returns the function that removes it.
     */
    add(
      member: Member,
      request: {
        schema: GraphQLSchema;
        document: DocumentNode;
        operationName?: string | null;
        variables: Record<string, unknown>;
        /** The plan of this request, when the caller has it already. */
        plan?: SubscriptionPlan;
      },
      push: (delivery: Delivery) => void,
    ): () => void {
      const key = `${print(request.document)}\n${request.operationName ?? ''}\n${stableJson(request.variables)}`;
      let plan = plans.get(key);
      if (!plan) {
        plan = {
          key,
          plan: request.plan ?? planSubscription(request.document, request.operationName, request.variables),
          shareable: readsOnlyShareableFields(request.schema, request.document),
          refs: 0,
        };
        plans.set(key, plan);
      }
      plan.refs++;
      const sub: Subscriber = { member, plan, push, chain: Promise.resolve() };
      let subs = byUser.get(member.user.id);
      if (!subs) byUser.set(member.user.id, (subs = new Set()));
      subs.add(sub);
      let removed = false;
      return () => {
        if (removed) return;
        removed = true;
        subs.delete(sub);
        if (!subs.size && byUser.get(member.user.id) === subs) byUser.delete(member.user.id);
        if (--plan.refs === 0) plans.delete(plan.key);
      };
    },

    /** Registered subscribers and distinct selections (for tests and the bench). */
    get size() {
      let n = 0;
      for (const s of byUser.values()) n += s.size;
      return { subscribers: n, users: byUser.size, plans: plans.size };
    },
  };
}
