import 'reflect-metadata';
import type { Server } from 'node:http';
import { APP_CONFIG } from '@vigil/config';
import { bootstrapApp } from '@vigil/observability';
import type { IngestGatewayConfig } from './ingest-gateway.config';
import { IngestGatewayModule } from './ingest-gateway.module';

async function main(): Promise<void> {
  // No body parser: the gateway reads each body itself, bounded before and after gunzip (ingest-body.util.ts).
  const app = await bootstrapApp(IngestGatewayModule, 'ingest-gateway', { bodyParser: false });
  // A client that trickles its request is cut off: it cannot hold a connection and its buffer for long.
  const server = app.getHttpServer() as Server;
  server.requestTimeout = app.get<IngestGatewayConfig>(APP_CONFIG).VIGIL_INGEST_REQUEST_TIMEOUT_MS;
  server.headersTimeout = Math.min(server.requestTimeout, 10_000);
}

void main();
