export * from './hash-chain.util';
export * from './checkpoint.codec';
export * from './chain-form.util';
export * from './chain.config';
export * from './export-verify.util';
