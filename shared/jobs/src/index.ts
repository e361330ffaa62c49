export * from './topics.js';
export * from './outbox.entity.js';
export * from './outbox.js';
export * from './relay.js';
export * from './consumer.js';
export * from './events.js';
export * from './read-copy.js';
export * from './reconcile.js';
