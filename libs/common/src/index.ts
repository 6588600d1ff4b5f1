export * from './clock.service';
export * from './clock.module';
export * from './token-buckets.util';
export * from './error-chain.util';
export * from './lane.util';
