export * from './clock.service';
export * from './clock.module';
