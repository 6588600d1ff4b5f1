export * from './stack.env';
export * from './wait.util';
