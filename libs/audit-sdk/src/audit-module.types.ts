import type { IncomingHttpHeaders } from 'node:http';
import type { FactoryProvider, ModuleMetadata } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { Actor, Target } from '@vigil/events';
import type { AuditPublisherOptions } from './audit.publisher';

/** The parts of an HTTP request (Express or the GraphQL context's `req`) that @Audited reads. */
export interface AuditRequest {
  method?: string;
  url?: string;
  /** Express keeps the full path here when a router rewrote `url`. */
  originalUrl?: string;
  headers: IncomingHttpHeaders;
  socket?: { remoteAddress?: string | undefined } | null;
  /** Where authentication middleware (passport, guards) usually leaves the caller. */
  user?: unknown;
}

/** Who made the request, as far as the audit record is concerned. */
export interface AuditPrincipal {
  id: string;
  name?: string | null;
  roles?: string[];
  type?: Actor['type'];
  tenantId: string;
}

export type PrincipalExtractor = (request: AuditRequest) => AuditPrincipal | undefined;

export type AuditTarget = Pick<Target, 'type' | 'id'> & Partial<Pick<Target, 'name'>>;

/** The transactional outbox's relay, run by AuditModule with the application's lifecycle. */
export interface AuditOutboxModuleOptions {
  /** The service's TypeORM DataSource; its schema must hold `vigil_audit_outbox` (see CreateAuditOutbox). */
  dataSource: DataSource;
  /** Run the relay in this process (default true). Several processes may run it: one publishes at a time. */
  relay?: boolean;
  /** Rows per transaction (default 500). */
  batchSize?: number;
  /** Attempts before a row that fails on its own is moved to vigil_audit_outbox_dead (default 5; see OutboxRelay). */
  maxAttempts?: number;
  /** How often the relay looks for rows when nothing woke it (default 1,000 ms). */
  pollIntervalMs?: number;
  /** Wake the relay on commit with LISTEN/NOTIFY instead of waiting for the next poll (default true). */
  listen?: boolean;
}

/** Options of AuditModule: the publisher's options plus what @Audited and the outbox need. */
export interface AuditModuleOptions extends AuditPublisherOptions {
  /**
   * Proxies (IPs or CIDRs) whose X-Forwarded-For is believed. Without them the client address is the
   * direct peer: anyone can write an X-Forwarded-For header.
   */
  trustedProxies?: readonly string[];
  /** Who the caller is; without one (or an @Audited tenantId) a request cannot be attributed and is not audited. */
  principal?: PrincipalExtractor;
  /** Header with the correlation id (default `x-correlation-id`; `x-request-id` is always the fallback). */
  correlationHeader?: string;
  outbox?: AuditOutboxModuleOptions;
}

export interface AuditModuleAsyncOptions {
  imports?: ModuleMetadata['imports'];
  inject?: FactoryProvider['inject'];
  useFactory: (...args: never[]) => AuditModuleOptions | Promise<AuditModuleOptions>;
}
