export * from './topics.js';
export * from './outbox.entity.js';
export * from './outbox.js';
export * from './relay.js';
export * from './consumer.js';
export * from './reconcile.js';
