export * from './hash-chain.util';
export * from './checkpoint.codec';
export * from './chain-form.util';
