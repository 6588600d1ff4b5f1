import { Global, Module } from '@nestjs/common';
import { Clock } from './clock.service';

/** Provides the wall clock to every module; tests override `Clock` with a `ManualClock`. */
@Global()
@Module({ providers: [Clock], exports: [Clock] })
export class ClockModule {}
