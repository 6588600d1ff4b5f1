export * from './generated/event.types';
export * from './generated/catalog';
export * from './generated/schemas';
export * from './avro.codec';
export * from './event-catalog.service';
export * from './event.codec';
export * from './event.exception';
export * from './event.validator';
