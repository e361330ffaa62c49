import type { EntityManager } from '@mikro-orm/postgresql';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { AuthUser } from '@hc/auth';
import { defaultPreferences, NotificationPreferences } from './preference.entity.js';
import type { PreferencesInput } from './preference.inputs.js';
import { assertSelfOrAdmin } from '../user/user.reference.js';
import { load } from '../loaders.js';
import type { NotificationSubgraphContext } from '../../context.js';

/**
 * Saves the user's channel opt-ins (only the fields given), creating the row on first save.
 * Works on a fork of `em`, so a failed first attempt leaves nothing behind for the retry.
 */
export async function updatePreferences(
  em: EntityManager,
  userId: string,
  input: PreferencesInput,
): Promise<NotificationPreferences> {
  const apply = async (fork: EntityManager) => {
    let prefs = await fork.findOne(NotificationPreferences, { userId });
    if (!prefs) {
      prefs = defaultPreferences(userId);
      fork.persist(prefs);
    }
    if (input.emailEnabled != null) prefs.emailEnabled = input.emailEnabled;
    if (input.whatsappEnabled != null) prefs.whatsappEnabled = input.whatsappEnabled;
    if (input.smsEnabled != null) prefs.smsEnabled = input.smsEnabled;
    if (input.pushEnabled != null) prefs.pushEnabled = input.pushEnabled;
    if (input.preferredChannel !== undefined) prefs.preferredChannel = input.preferredChannel;
    await fork.flush();
    return prefs;
  };
  try {
    return await apply(em.fork());
  } catch (error) {
    // Two first-time saves raced on the primary key: the row exists now, so apply again as an update.
    if (!(error instanceof UniqueConstraintViolationException)) throw error;
    return apply(em.fork());
  }
}

/** The user's preferences (defaults when never saved), for the user themself and admins only. */
export async function preferencesOf(
  ctx: NotificationSubgraphContext,
  viewer: AuthUser | null,
  userId: string,
): Promise<NotificationPreferences> {
  assertSelfOrAdmin(viewer, userId);
  return (await load.preferences(ctx, userId)) ?? defaultPreferences(userId);
}
