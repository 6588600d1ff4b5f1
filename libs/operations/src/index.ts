// Operations use-cases (replay, rebuild, dead-letter redrive, connector status, pause/resume, topics): injectable,
// reporting progress through an OperationObserver and failing with coded OperationsExceptions; they never print.
export * from './connector-catalog.service';
export * from './connector-status.use-case';
export * from './dead-letter.repository';
export * from './dlq-redrive.service';
export * from './dlq.use-case';
export * from './interruption.util';
export * from './operations.exception';
export * from './operations.module';
export * from './operations.types';
export * from './rebuild.use-case';
export * from './replay-checkpoint.repository';
export * from './replay-plan.util';
export * from './replay-planner.service';
export * from './replay-runner.service';
export * from './replay.use-case';
export * from './topics.use-case';
export * from './verify.use-case';
export * from './chain-checkpoint.service';
