export * from './audit-event.input';
export * from './audit-sdk.exception';
export * from './audit.publisher';
export * from './event.normalizer';
