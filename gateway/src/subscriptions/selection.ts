import {
  Kind,
  getOperationAST,
  print,
  visit,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';

/** The subscription root fields the gateway serves. */
export type SubscriptionField = 'appointmentUpdated' | 'slotReleased';

export interface SubscriptionPlan {
  field: SubscriptionField;
  /** Response key of the root field (its alias or name). */
  rootKey: string;
  doctorId?: string;
  workplaceId?: string;
  /**
   * The query resolving every `appointment` selection of the subscriber, or null when none is
   * selected (always null for slotReleased: every field is in the event).
   */
  query: string | null;
  variables: Record<string, unknown>;
  /** Builds the subscriber's result from the event and the query's data. */
  render: (event: Record<string, unknown>, data: Record<string, unknown> | null | undefined) => Record<string, unknown>;
}

/** slotReleased's fields, all carried by the event (SlotReleasedEvent in @hc/jobs). */
const SLOT_EVENT_FIELDS = new Set(['doctorId', 'workplaceId', 'startsAt', 'endsAt', 'occurredAt']);

export const APPOINTMENT_ID_VARIABLE = '__appointmentId';

function argValue(value: ValueNode | undefined, variables: Record<string, unknown>): string | undefined {
  if (!value) return undefined;
  if (value.kind === Kind.VARIABLE) {
    const v = variables[value.name.value];
    return v == null ? undefined : String(v);
  }
  if (value.kind === Kind.STRING || value.kind === Kind.INT) return value.value;
  return undefined;
}

function isSkipped(node: FieldNode, variables: Record<string, unknown>): boolean {
  for (const d of node.directives ?? []) {
    const arg = d.arguments?.find((a) => a.name.value === 'if');
    if (!arg) continue;
    const v =
      arg.value.kind === Kind.VARIABLE
        ? Boolean(variables[arg.value.name.value])
        : arg.value.kind === Kind.BOOLEAN && arg.value.value;
    if (d.name.value === 'skip' && v) return true;
    if (d.name.value === 'include' && !v) return true;
  }
  return false;
}

/** Fields of a selection set with fragment spreads and inline fragments flattened (validated document). */
function flatten(
  set: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
): FieldNode[] {
  const out: FieldNode[] = [];
  for (const s of set.selections) {
    if (s.kind === Kind.FIELD) {
      if (!isSkipped(s, variables)) out.push(s);
    } else if (s.kind === Kind.INLINE_FRAGMENT) out.push(...flatten(s.selectionSet, fragments, variables));
    else {
      const f = fragments.get(s.name.value);
      if (f) out.push(...flatten(f.selectionSet, fragments, variables));
    }
  }
  return out;
}

function deepMerge(a: unknown, b: unknown): unknown {
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
    for (const [k, v] of Object.entries(b as Record<string, unknown>)) out[k] = k in out ? deepMerge(out[k], v) : v;
    return out;
  }
  return b ?? a;
}

/**
 * Turns a validated `subscription { appointmentUpdated(...) { ... } }` into what the gateway
 * needs per event: the filters, and a query `appointment(id: $__appointmentId) { <the
 * subscriber's appointment selection> }` that the supergraph resolves with the subscriber's
 * token, so fields other subgraphs own (patient { name }) work. Only the fragments and
 * variables that selection uses are carried over.
 */
export function planSubscription(
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown>,
): SubscriptionPlan {
  const op = getOperationAST(document, operationName) as OperationDefinitionNode | null;
  if (!op || op.operation !== 'subscription') throw new Error('not a subscription operation');
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);

  const [root] = flatten(op.selectionSet, fragments, variables);
  const field = root?.name.value;
  if (field !== 'appointmentUpdated' && field !== 'slotReleased') throw new Error('unsupported subscription field');
  const arg = (name: string) => argValue(root.arguments?.find((a) => a.name.value === name)?.value, variables);
  const eventFields = root.selectionSet ? flatten(root.selectionSet, fragments, variables) : [];
  const rootKey = root.alias?.value ?? field;

  if (field === 'slotReleased') {
    // Everything a subscriber can select is in the event: no follow-up query.
    return {
      field,
      rootKey,
      doctorId: arg('doctorId'),
      workplaceId: arg('workplaceId'),
      query: null,
      variables: {},
      render: (event) => {
        const out: Record<string, unknown> = {};
        for (const f of eventFields) {
          const key = f.alias?.value ?? f.name.value;
          if (f.name.value === '__typename') out[key] = 'SlotReleasedEvent';
          else if (SLOT_EVENT_FIELDS.has(f.name.value)) out[key] = event[f.name.value] ?? null;
        }
        return out;
      },
    };
  }

  const appointmentFields = eventFields.filter((f) => f.name.value === 'appointment');
  let query: string | null = null;
  if (appointmentFields.length > 0) {
    const selections: FieldNode[] = appointmentFields.map((f, i) => ({
      kind: Kind.FIELD,
      alias: { kind: Kind.NAME, value: `a${i}` },
      name: { kind: Kind.NAME, value: 'appointment' },
      arguments: [
        {
          kind: Kind.ARGUMENT,
          name: { kind: Kind.NAME, value: 'id' },
          value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: APPOINTMENT_ID_VARIABLE } },
        },
      ],
      selectionSet: f.selectionSet,
    }));
    // Fragments and variables the appointment selections use (transitively).
    const usedFragments = new Set<string>();
    const usedVariables = new Set<string>();
    const collect = (node: object) =>
      visit(node as DocumentNode, {
        FragmentSpread(n) {
          if (usedFragments.has(n.name.value)) return;
          usedFragments.add(n.name.value);
          const f = fragments.get(n.name.value);
          if (f) collect(f);
        },
        Variable(n) {
          usedVariables.add(n.name.value);
        },
      });
    for (const f of appointmentFields) if (f.selectionSet) collect(f.selectionSet);
    const doc: DocumentNode = {
      kind: Kind.DOCUMENT,
      definitions: [
        {
          kind: Kind.OPERATION_DEFINITION,
          operation: 'query' as OperationDefinitionNode['operation'],
          name: { kind: Kind.NAME, value: 'AppointmentUpdated' },
          variableDefinitions: [
            {
              kind: Kind.VARIABLE_DEFINITION,
              variable: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: APPOINTMENT_ID_VARIABLE } },
              type: { kind: Kind.NON_NULL_TYPE, type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: 'ID' } } },
            },
            ...(op.variableDefinitions ?? []).filter((v) => usedVariables.has(v.variable.name.value)),
          ],
          selectionSet: { kind: Kind.SELECTION_SET, selections },
        } as OperationDefinitionNode,
        ...[...usedFragments].map((n) => fragments.get(n)).filter((f): f is FragmentDefinitionNode => !!f),
      ],
    };
    query = print(doc);
  }
  const queryVariables = Object.fromEntries(Object.entries(variables).filter(([k]) => query?.includes(`$${k}`)));

  return {
    field,
    rootKey,
    doctorId: arg('doctorId'),
    workplaceId: arg('workplaceId'),
    query,
    variables: queryVariables,
    render: (event, data) => {
      const out: Record<string, unknown> = {};
      let i = 0;
      for (const f of eventFields) {
        const key = f.alias?.value ?? f.name.value;
        let value: unknown;
        if (f.name.value === '__typename') value = 'AppointmentEvent';
        else if (f.name.value === 'type') value = event.type;
        else if (f.name.value === 'occurredAt') value = event.occurredAt;
        else if (f.name.value === 'appointment') value = data?.[`a${i++}`] ?? null;
        out[key] = key in out ? deepMerge(out[key], value) : value;
      }
      return out;
    },
  };
}
