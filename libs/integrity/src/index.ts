export * from './hash-chain.util';
export * from './checkpoint.codec';
